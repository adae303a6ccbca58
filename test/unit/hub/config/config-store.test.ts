import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  openConfigStore,
  removeItem,
  upsertItem,
  type ConfigSection,
  type ConfigStore,
  type KeyValueBackend,
} from '../../../../electron/hub/config/config-store.js';
import type { HeraldConfig } from '../../../../shared/config.js';

let dataDir: string;
let file: string;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'herald-config-store-'));
  file = path.join(dataDir, 'config.json');
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

const hook = { id: 'ops', kind: 'webhook', name: 'Ops', url: 'https://hooks.example.com/ops' } as const;
const popup = { id: 'popup', kind: 'desktop', name: 'Popup' } as const;
const source = { id: 'ci', kind: 'generic', name: 'CI', secret: 'keychain:ci-secret' } as const;

function catchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

async function rejection(fn: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('openConfigStore', () => {
  it('starts with defaults in an empty data dir, at <dataDir>/config.json', async () => {
    const store = openConfigStore({ dataDir });
    expect(store.path).toBe(file);
    expect(store.get().sources).toEqual([]);
    expect(store.get().settings.retention).toEqual({ maxAgeDays: 90, maxEvents: 100_000 });
  });

  it('round-trips through the file: a second store on the same dir reads what the first wrote', async () => {
    const first = openConfigStore({ dataDir });
    first.replace({ sources: [source], channels: [hook, popup], rules: [{ id: 'all', name: 'All', channels: ['popup'] }], settings: { theme: 'dark' } });
    const onDisk = JSON.parse(readFileSync(file, 'utf8'));
    expect(onDisk.sources).toEqual([{ ...source, enabled: true }]);
    expect(onDisk.settings.theme).toBe('dark');
    expect(openConfigStore({ dataDir }).get()).toEqual(first.get());
  });

  it('writes the file owner-only and atomically (a new inode by rename, no temp files left)', async () => {
    const store = openConfigStore({ dataDir });
    await store.replace({ channels: [popup] });
    const before = statSync(file);
    expect(before.mode & 0o777).toBe(0o600);
    await store.update('channels', (cfg) => ({ ...cfg, channels: [...cfg.channels, hook] }));
    expect(statSync(file).ino).not.toBe(before.ino);
    expect(readdirSync(dataDir)).toEqual(['config.json']);
  });

  it('removes the temp files a crash during a config write left behind, and nothing else', async () => {
    // atomically's temp name: <file>.tmp-<10 digits><6 hex>.
    const leftovers = ['config.json.tmp-1764748800abc123', 'config.json.tmp-1764748801def456'];
    for (const name of leftovers) writeFileSync(path.join(dataDir, name), '{"sources": [');
    writeFileSync(path.join(dataDir, 'config.json.bak'), '{}');
    writeFileSync(path.join(dataDir, 'other.json.tmp-1764748800abc123'), '{}');
    const lines: string[] = [];
    openConfigStore({ dataDir, log: (line) => lines.push(line) });
    expect(readdirSync(dataDir).sort()).toEqual(['config.json.bak', 'other.json.tmp-1764748800abc123']);
    expect(lines).toEqual([`config: removed 2 temp files a crash during a config write left in ${dataDir}`]);
  });

  it('refuses an invalid file, naming the file and the field, and leaves the file as it was', async () => {
    const text = JSON.stringify({ channels: [hook], rules: [{ id: 'r', name: 'R', channels: ['ops', 'slak'] }] });
    writeFileSync(file, text);
    const error = catchError(() => openConfigStore({ dataDir }));
    expect(error.message).toBe(`${file}: rules.0.channels.1: unknown channel "slak"`);
    expect(error.problems).toEqual(['rules.0.channels.1: unknown channel "slak"']);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('refuses a file with broken JSON, with line and column', async () => {
    const text = '{\n  "sources": [],\n  "rules": [,]\n}\n';
    writeFileSync(file, text);
    expect(() => openConfigStore({ dataDir })).toThrow(`${file}:3:13: invalid JSON: Unexpected token`);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it("ignores conf's internal bookkeeping key", () => {
    writeFileSync(file, JSON.stringify({ __internal__: { migrations: { version: '1.0.0' } }, channels: [popup] }));
    expect(openConfigStore({ dataDir }).get().channels.map((c) => c.id)).toEqual(['popup']);
  });

  it('accepts another backend with the same shape (what electron-store offers)', async () => {
    let stored: Record<string, unknown> = { channels: [popup] };
    const backend: KeyValueBackend = {
      path: '/memory/config.json',
      get store() {
        return structuredClone(stored);
      },
      set store(value) {
        stored = structuredClone(value);
      },
    };
    const store = openConfigStore({ dataDir, backend });
    expect(store.path).toBe('/memory/config.json');
    await store.update('settings', (cfg) => ({ ...cfg, settings: { ...cfg.settings, theme: 'light' } }));
    expect((stored.settings as { theme: string }).theme).toBe('light');
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('update / replace', () => {
  it('an invalid update throws, writes nothing, changes nothing and tells no listener', async () => {
    const store = openConfigStore({ dataDir });
    await store.replace({ channels: [hook], rules: [{ id: 'r', name: 'R', channels: ['ops'] }] });
    const bytes = readFileSync(file);
    const before = store.get();
    const heard: ConfigSection[] = [];
    store.onChange((_cfg, section) => heard.push(section));

    const error = await rejection(() =>
      store.update('rules', (cfg) => ({ ...cfg, rules: [{ ...cfg.rules[0]!, channels: ['slak'] }] })),
    );
    expect(error.problems).toEqual(['rules.0.channels.0: unknown channel "slak"']);
    expect(error.message).toBe('invalid change to rules: rules.0.channels.0: unknown channel "slak"');
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(store.get()).toBe(before);
    expect(heard).toEqual([]);
  });

  it('get() is frozen; update hands the function a copy it may change', async () => {
    const store = openConfigStore({ dataDir });
    await store.replace({ channels: [popup] });
    const before = store.get();
    expect(() => (before.channels as unknown[]).push(hook)).toThrow(TypeError);
    const next = await store.update('settings', (cfg) => {
      cfg.settings.theme = 'dark';
      return cfg;
    });
    expect(next.settings.theme).toBe('dark');
    expect(before.settings.theme).toBe('system');
    // Input-shaped items get their defaults.
    const withHook = await store.update('channels', (cfg) => ({ ...cfg, channels: [...cfg.channels, hook] }));
    expect(withHook.channels[1]).toMatchObject({ id: 'ops', method: 'POST', enabled: true });
  });

  it('onChange fires after the write with the new config and the section; unsubscribe stops it', async () => {
    const store = openConfigStore({ dataDir });
    const heard: Array<[string[], ConfigSection, boolean]> = [];
    const off = store.onChange((cfg, section) => {
      const persisted = JSON.parse(readFileSync(file, 'utf8')) as HeraldConfig;
      heard.push([cfg.channels.map((c) => c.id), section, persisted.channels.length === cfg.channels.length]);
    });
    await store.update('channels', (cfg) => ({ ...cfg, channels: [popup] }));
    off();
    await store.update('channels', (cfg) => ({ ...cfg, channels: [] }));
    expect(heard).toEqual([[['popup'], 'channels', true]]);
  });

  it('replace tells listeners only the sections that changed', async () => {
    const store = openConfigStore({ dataDir });
    await store.replace({ channels: [popup], settings: { theme: 'dark' } });
    const heard: ConfigSection[] = [];
    store.onChange((_cfg, section) => heard.push(section));
    await store.replace({ channels: [popup], rules: [{ id: 'r', name: 'R', channels: ['popup'] }], settings: { theme: 'dark' } });
    expect(heard).toEqual(['rules']);
  });

  it('a throwing listener does not stop the others; the change stays persisted and the error surfaces', async () => {
    const store = openConfigStore({ dataDir });
    const heard: string[] = [];
    store.onChange(() => {
      throw new Error('listener broke');
    });
    store.onChange((_cfg, section) => heard.push(section));
    await expect(store.update('channels', (cfg) => ({ ...cfg, channels: [popup] }))).rejects.toThrow('listener broke');
    expect(heard).toEqual(['channels']);
    expect(openConfigStore({ dataDir }).get().channels.map((c) => c.id)).toEqual(['popup']);
  });
});

describe('upsertItem / removeItem', () => {
  let store: ConfigStore;
  beforeEach(async () => {
    store = openConfigStore({ dataDir });
    await store.replace({ sources: [source], channels: [hook, popup], rules: [{ id: 'r', name: 'R', channels: ['ops'] }] });
  });

  it('creates an item with defaults applied and returns it', async () => {
    const created = await upsertItem(store, 'channels', { id: 'second', kind: 'desktop', name: 'Second' }, 'create');
    expect(created).toEqual({ id: 'second', kind: 'desktop', name: 'Second', enabled: true, sound: false, concurrency: 1 });
    expect(openConfigStore({ dataDir }).get().channels.map((c) => c.id)).toEqual(['ops', 'popup', 'second']);
  });

  it('updates an item in place', async () => {
    const updated = await upsertItem(store, 'rules', { id: 'r', name: 'Renamed', channels: ['ops', 'popup'] }, 'update');
    expect(updated).toMatchObject({ id: 'r', name: 'Renamed', channels: ['ops', 'popup'] });
    expect(store.get().rules).toHaveLength(1);
  });

  it.each([
    ['duplicate id on create', () => upsertItem(store, 'channels', popup, 'create'), 'duplicate', 'a channel with id "popup" already exists'],
    ['unknown id on update', () => upsertItem(store, 'sources', { ...source, id: 'nope' }, 'update'), 'not_found', 'no source with id "nope"'],
    ['unknown id on remove', () => removeItem(store, 'rules', 'nope'), 'not_found', 'no rule with id "nope"'],
    ['channel still used by a rule', () => removeItem(store, 'channels', 'ops'), 'in_use', 'channel "ops" is used by rule r; remove it from them first'],
    ['missing id', () => upsertItem(store, 'rules', { name: 'x' }, 'create'), 'invalid', 'invalid rule: id: required'],
    ['bad field, reported relative to the item', () => upsertItem(store, 'channels', { ...hook, id: 'new', url: 'ftp://x' }, 'create'), 'invalid', 'invalid channel: url: must be a URL starting with http:// or https://'],
    ['rule naming an unknown channel', () => upsertItem(store, 'rules', { id: 'r2', name: 'R2', channels: ['slak'] }, 'create'), 'invalid', 'invalid rule: channels.0: unknown channel "slak"'],
  ] as const)('%s', async (_name, act, code, message) => {
    const bytes = readFileSync(file);
    const error = await rejection(act);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('removes an item', async () => {
    await removeItem(store, 'rules', 'r');
    await removeItem(store, 'channels', 'ops');
    expect(openConfigStore({ dataDir }).get()).toMatchObject({ rules: [], channels: [{ id: 'popup' }] });
  });
});

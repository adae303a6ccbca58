// Config files written by an older Herald keep working: version 1 (no `version`) had a
// rule's email recipients in `emailTo`; version 2 keeps them per channel in
// `channelOptions.<id>.to`. The data dir's config.json is migrated and rewritten on load,
// a `--config FILE` and an imported export are migrated as read, a newer version is refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../electron/hub/config/config-file.js';
import { ConfigError, openConfigStore } from '../../../electron/hub/config/config-store.js';
import { parseConfigFile } from '../../../renderer/lib/config-file.js';
import { CONFIG_VERSION, migrateConfig } from '../../../shared/config-migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-config-migration-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A config.json as Herald 0.1 wrote it (before channelOptions): no version, `emailTo` on rules. */
const VERSION_1 = {
  sources: [{ id: 'ci', kind: 'generic', name: 'CI', enabled: true, secret: 'keychain:ci' }],
  channels: [
    { id: 'mail', kind: 'email', name: 'Team mail', enabled: true, transport: 'smtp', host: 'smtp.acme.example', port: 587, security: 'starttls', subjectPrefix: '[Herald]', pool: true, maxConnections: 2, timeoutMs: 30000, concurrency: 1 },
    { id: 'ops-mail', kind: 'email', name: 'Ops mail', enabled: true, to: 'ops@acme.example', host: 'smtp.acme.example' },
    { id: 'hook', kind: 'webhook', name: 'Hook', url: 'https://hooks.acme.example/x' },
  ],
  rules: [
    { id: 'prod', name: 'Prod', enabled: true, match: { project: ['prod'] }, channels: ['mail', 'hook'], emailTo: 'prod@acme.example, sec@acme.example' },
    { id: 'both', name: 'Both', match: {}, channels: ['mail', 'ops-mail'], emailTo: 'dev@acme.example' },
    { id: 'stale', name: 'Stale', match: {}, channels: ['hook'], emailTo: 'nobody@acme.example' },
    { id: 'plain', name: 'Plain', match: {}, channels: ['ops-mail'] },
  ],
  settings: { email: { defaultFrom: 'Herald <herald@acme.example>' } },
};

const migratedRules = [
  expect.objectContaining({ id: 'prod', channels: ['mail', 'hook'], channelOptions: { mail: { to: 'prod@acme.example, sec@acme.example' } } }),
  expect.objectContaining({ id: 'both', channelOptions: { mail: { to: 'dev@acme.example' }, 'ops-mail': { to: 'dev@acme.example' } } }),
  expect.objectContaining({ id: 'stale', channels: ['hook'] }),
  expect.objectContaining({ id: 'plain', channels: ['ops-mail'] }),
];

describe('a version-1 config.json in the data dir', () => {
  it('loads with emailTo moved to each email channel\'s options, and is rewritten as version 2', () => {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(VERSION_1, null, 2));
    const log: string[] = [];
    const store = openConfigStore({ dataDir: dir, log: (line) => log.push(line) });

    const cfg = store.get();
    expect(cfg.version).toBe(CONFIG_VERSION);
    expect(cfg.rules).toEqual(migratedRules);
    for (const rule of cfg.rules) expect(rule).not.toHaveProperty('emailTo');
    expect(cfg.rules.find((r) => r.id === 'stale')).not.toHaveProperty('channelOptions');
    expect(cfg.rules.find((r) => r.id === 'plain')).not.toHaveProperty('channelOptions');
    expect(log).toEqual([
      `config: ${file} brought from version 1 to the current shape: rule "prod": emailTo moved to channelOptions.mail.to; rule "both": emailTo moved to channelOptions.mail.to, channelOptions.ops-mail.to; rule "stale": emailTo dropped (it sends to no email channel)`,
    ]);

    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { version: number; rules: unknown[] };
    expect(onDisk.version).toBe(CONFIG_VERSION);
    expect(onDisk.rules).toEqual(migratedRules);

    // Opened again: already current, nothing to do.
    const again: string[] = [];
    expect(openConfigStore({ dataDir: dir, log: (line) => again.push(line) }).get()).toEqual(cfg);
    expect(again).toEqual([]);
  });

  it('a file that still fails after migrating is left as it was, and the error names the field', () => {
    const file = path.join(dir, 'config.json');
    const broken = { ...VERSION_1, rules: [{ id: 'prod', name: 'Prod', channels: ['mail'], emailTo: 'not-an-address' }] };
    const text = JSON.stringify(broken);
    writeFileSync(file, text);
    expect(() => openConfigStore({ dataDir: dir })).toThrow('rules.0.channelOptions.mail.to: not an email address: not-an-address');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a version-1 rule on an email channel without recipients and no emailTo names what to set', () => {
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...VERSION_1, rules: [{ id: 'r', name: 'R', channels: ['mail'] }] }));
    expect(() => openConfigStore({ dataDir: dir })).toThrow(
      'rules.0.channelOptions.mail.to: the email channel "mail" has no recipients: set email recipients on this rule, or To on the channel',
    );
  });
});

describe('versions', () => {
  it('a file from a newer Herald is refused, naming both versions', () => {
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ version: CONFIG_VERSION + 1, rules: [] }));
    let error: unknown;
    try {
      openConfigStore({ dataDir: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${path.join(dir, 'config.json')}: version: ${CONFIG_VERSION + 1} was written by a newer Herald; this one reads versions up to ${CONFIG_VERSION}`);
  });

  it('a version-2 document is not migrated: emailTo there is an unknown field', () => {
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...VERSION_1, version: 2 }));
    expect(() => openConfigStore({ dataDir: dir })).toThrow(/rules\.0\.emailTo: .*(unknown|[Uu]nrecognized)/);
  });

  it.each([0, 1.5, 'two'])('version %j is refused', (version) => {
    expect(() => migrateConfig({ version })).toThrow(`version: must be a whole number from 1 to ${CONFIG_VERSION}`);
  });

  it('options a version-1 file already had win over emailTo', () => {
    const { config } = migrateConfig({ channels: VERSION_1.channels, rules: [{ id: 'r', channels: ['mail'], emailTo: 'a@x.example', channelOptions: { mail: { to: 'b@x.example' } } }] });
    expect((config as { rules: unknown[] }).rules).toEqual([{ id: 'r', channels: ['mail'], channelOptions: { mail: { to: 'b@x.example' } } }]);
  });
});

describe('a version-1 file read elsewhere', () => {
  it('--config FILE (YAML) is migrated as it is read', () => {
    const file = path.join(dir, 'herald.yaml');
    writeFileSync(
      file,
      [
        'channels:',
        '  - { id: mail, kind: email, name: Mail, host: smtp.acme.example }',
        'rules:',
        '  - id: prod',
        '    name: Prod',
        '    channels: [mail]',
        '    emailTo: "sec@acme.example, lead@acme.example"',
        '',
      ].join('\n'),
    );
    expect(loadConfigFile(file).rules).toEqual([expect.objectContaining({ id: 'prod', channelOptions: { mail: { to: 'sec@acme.example, lead@acme.example' } } })]);
  });

  it('an exported file imported in the UI is migrated before it is checked', async () => {
    const parsed = await parseConfigFile('herald-config-2026-01-01.json', JSON.stringify(VERSION_1));
    expect(parsed.ok && parsed.config.rules).toEqual(migratedRules);
    const newer = await parseConfigFile('new.json', JSON.stringify({ version: 99 }));
    expect(newer).toEqual({ ok: false, problems: [`new.json: version: 99 was written by a newer Herald; this one reads versions up to ${CONFIG_VERSION}`] });
  });
});

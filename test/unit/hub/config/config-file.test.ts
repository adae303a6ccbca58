import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyConfigFile, checkSecretRefs, loadConfigFile, unknownRuleTypes } from '../../../../electron/hub/config/config-file.js';
import { ConfigError, openConfigStore, type ConfigSection } from '../../../../electron/hub/config/config-store.js';
import { openSecretStore, type KeytarLike } from '../../../../electron/hub/config/secrets.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-config-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const VALID = {
  sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_CI_SECRET' }],
  channels: [
    { id: 'ops', kind: 'webhook', name: 'Ops hook', url: 'https://hooks.example.com/ops', secretHeaders: { Authorization: 'keychain:ops-auth' } },
    { id: 'popup', kind: 'desktop', name: 'Desktop' },
  ],
  rules: [
    { id: 'failures', name: 'Failures', match: { types: 'pipeline.failed', branch: ['main', 'release/*'] }, channels: ['ops', 'popup'], throttle: {} },
  ],
  settings: { retention: { maxAgeDays: 30 }, theme: 'dark' },
};

const VALID_YAML = `# the same config as VALID, as YAML
sources:
  - id: ci
    kind: generic
    name: CI
    secret: env:HERALD_CI_SECRET
channels:
  - id: ops
    kind: webhook
    name: Ops hook
    url: https://hooks.example.com/ops
    secretHeaders:
      Authorization: keychain:ops-auth
  - { id: popup, kind: desktop, name: Desktop }
rules:
  - id: failures
    name: Failures
    match:
      types: pipeline.failed
      branch: [main, release/*]
    channels: [ops, popup]
    throttle: {}
settings:
  retention: { maxAgeDays: 30 }
  theme: dark
`;

describe('loadConfigFile: valid files', () => {
  it('loads JSON with defaults applied and globs as lists', async () => {
    const cfg = loadConfigFile(write('herald.json', JSON.stringify(VALID)));
    expect(cfg.sources).toEqual([{ id: 'ci', kind: 'generic', name: 'CI', enabled: true, secret: 'env:HERALD_CI_SECRET' }]);
    expect(cfg.channels[0]).toMatchObject({ id: 'ops', method: 'POST', headers: {}, timeoutMs: 10_000, enabled: true });
    expect(cfg.rules[0]!.match).toEqual({ types: ['pipeline.failed'], branch: ['main', 'release/*'] });
    expect(cfg.rules[0]!.throttle).toEqual({ windowSeconds: 3600 });
    // File values over defaults, also inside nested objects.
    expect(cfg.settings.retention).toEqual({ maxAgeDays: 30, maxEvents: 100_000 });
    expect(cfg.settings.theme).toBe('dark');
    expect(cfg.settings.delivery.maxAttempts).toBe(8);
  });

  it.each(['herald.yaml', 'herald.yml', 'HERALD.YAML'])('loads YAML (%s) to the same config as the JSON', (name) => {
    const fromJson = loadConfigFile(write('herald.json', JSON.stringify(VALID)));
    expect(loadConfigFile(write(name, VALID_YAML))).toEqual(fromJson);
  });

  it('loads a minimal file: everything else defaults', async () => {
    const cfg = loadConfigFile(write('min.yaml', 'settings: {}\n'));
    expect(cfg.sources).toEqual([]);
    expect(cfg.settings.ingress).toEqual({ host: '127.0.0.1', port: 8787, maxBodyBytes: 1_048_576 });
  });
});

/** `at`: the line:column a syntax error must name. */
type Case = { name: string; file: string; text: string; problem: string | RegExp; at?: string; noLine?: true };
const withJson = (patch: (cfg: any) => void): string => {
  const cfg = structuredClone(VALID) as any;
  patch(cfg);
  return JSON.stringify(cfg, null, 2);
};

const ERROR_CASES: Case[] = [
  { name: 'bad id', file: 'c.json', text: withJson((c) => (c.sources[0].id = 'Bad Id')), problem: 'sources.0.id: must be 1-63 lowercase letters, digits, - or _' },
  { name: 'unknown channel in a rule', file: 'c.json', text: withJson((c) => (c.rules[0].channels = ['ops', 'slak'])), problem: 'rules.0.channels.1: unknown channel "slak"' },
  { name: 'duplicate id', file: 'c.json', text: withJson((c) => (c.channels[1].id = 'ops')), problem: 'channels.1.id: duplicate id "ops"' },
  { name: 'plaintext where a secret ref belongs', file: 'c.json', text: withJson((c) => (c.sources[0].secret = 'hunter2')), problem: 'sources.0.secret: must be keychain:<name>, env:<VAR> or file:<absolute path>' },
  { name: 'bad secret ref in a header', file: 'c.json', text: withJson((c) => (c.channels[0].secretHeaders.Authorization = 'vault:x')), problem: 'channels.0.secretHeaders.Authorization: must be keychain:<name>, env:<VAR> or file:<absolute path>' },
  { name: 'unknown top-level key', file: 'c.json', text: withJson((c) => (c.colour = 'blue')), problem: 'colour: unknown field' },
  { name: 'unknown nested key', file: 'c.json', text: withJson((c) => (c.channels[0].uri = 'x')), problem: 'channels.0.uri: unknown field' },
  { name: 'unknown source kind', file: 'c.json', text: withJson((c) => (c.sources[0].kind = 'gitlub')), problem: /^sources\.0\.kind: must be one of: generic(, |$)/ },
  { name: 'bad setting', file: 'c.json', text: withJson((c) => (c.settings.retention.maxAgeDays = 0)), problem: /^settings\.retention\.maxAgeDays: must be at least 1$/ },
  { name: 'not an object', file: 'c.json', text: '[1, 2]', problem: /^\(root\): /, noLine: true },
  { name: 'YAML syntax error', file: 'c.yaml', text: 'sources:\n  - id: ci\n    kind: [generic\nchannels: []\n', problem: /^line 4, column 1: invalid YAML: Flow sequence/, at: '4:1' },
  { name: 'YAML tab indentation', file: 'c.yml', text: 'settings:\n\ttheme: dark\n', problem: /^line 2, column 1: invalid YAML: Tabs/, at: '2:1' },
  { name: 'YAML duplicate key', file: 'c.yaml', text: 'rules: []\nsettings: {}\nrules: []\n', problem: /^line 3, column 1: invalid YAML: Map keys must be unique/, at: '3:1' },
  { name: 'JSON syntax error', file: 'c.json', text: '{\n  "sources": [],\n  "rules": []\n  "channels": []\n}\n', problem: "line 4, column 3: invalid JSON: Expected ',' or '}' after property value", at: '4:3' },
  { name: 'JSON error V8 gives no position for', file: 'c.json', text: '{\n  "sources": [],\n  "rules": [,]\n}\n', problem: "line 3, column 13: invalid JSON: Unexpected token ','", at: '3:13' },
  { name: 'JSON error in a long line', file: 'c.json', text: `{"settings": {"theme": "dark", "retention": {"maxAgeDays": 30}}, "rules": [tru]}`, problem: "line 1, column 79: invalid JSON: Unexpected token ']'", at: '1:79' },
  { name: 'truncated JSON', file: 'c.json', text: '{\n  "sources": [', problem: 'line 2, column 15: invalid JSON: Unexpected end of JSON input', at: '2:15' },
  { name: 'empty file', file: 'c.yaml', text: '# nothing yet\n', problem: /the file is empty/, noLine: true },
  { name: 'unsupported type', file: 'c.toml', text: 'x = 1', problem: /unsupported file type; use \.json, \.yaml or \.yml/, noLine: true },
];

describe('loadConfigFile: errors name the file and the field', () => {
  it.each(ERROR_CASES)('$name', ({ file, text, problem, at, noLine }) => {
    const full = write(file, text);
    let error: unknown;
    try {
      loadConfigFile(full);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as ConfigError;
    expect(problems.some((p) => (typeof problem === 'string' ? p === problem : problem.test(p))), problems.join('\n')).toBe(true);
    // Every line of the message starts with the file and line:column (the syntax error's, or the bad field's key's);
    // only a document that is not an object at all has no line to name.
    const where = at ? `${full}:${at}: ` : noLine ? `${full}: ` : new RegExp(`^${full}:\\d+:\\d+: `);
    for (const l of message.split('\n')) expect(typeof where === 'string' ? l.startsWith(where) : where.test(l), l).toBe(true);
    expect(message).not.toContain('hunter2');
  });

  it('a bad field is named with the line and column of its key, in YAML and in JSON', () => {
    const yamlText = ['sources:', '  - { id: ci, kind: generic, name: CI, secret: "env:S" }', 'rules:', '  - id: r', '    name: R', '    mtach: { types: [pipeline.failed] }', '  - id: r2', '    name: R2', '    match: { branch: ["{main"] }', ''].join('\n');
    const yamlFile = write('typo.yaml', yamlText);
    expect(() => loadConfigFile(yamlFile)).toThrow(
      (`${yamlFile}:6:5: rules.0.mtach: unknown field\n${yamlFile}:9:23: rules.1.match.branch.0: "{main": the { at position 1 is never closed (add a }, or escape it as \\{)`),
    );
    const error = catchConfigError(() => loadConfigFile(yamlFile));
    expect(error.problems).toEqual(['rules.0.mtach: unknown field', 'rules.1.match.branch.0: "{main": the { at position 1 is never closed (add a }, or escape it as \\{)']);

    const jsonFile = write('typo.json', withJson((c) => (c.channels[1].kind = 'slak')));
    const lines = readFileSync(jsonFile, 'utf8').split('\n');
    const kindLine = lines.findIndex((l) => l.includes('"slak"')) + 1;
    expect(catchConfigError(() => loadConfigFile(jsonFile)).message).toMatch(new RegExp(`^${jsonFile}:${kindLine}:7: channels\\.1\\.kind: must be one of: `));
    // A missing field: the place of the object that lacks it.
    const missing = write('missing.yaml', 'channels:\n  - { id: hook, kind: webhook, name: Hook }\n');
    expect(catchConfigError(() => loadConfigFile(missing)).message).toMatch(new RegExp(`^${missing}:2:5: channels\\.0\\.url: `));
  });

  it('names a file that is missing', async () => {
    const missing = path.join(dir, 'nope.yaml');
    expect(() => loadConfigFile(missing)).toThrow(new RegExp(`^${missing}: cannot read the config file: ENOENT`));
  });

  it.skipIf(process.platform === 'win32')('refuses a file anyone on the machine may write: it decides where events and secret values go', () => {
    const file = write('open.json', JSON.stringify(VALID));
    chmodSync(file, 0o666);
    expect(() => loadConfigFile(file)).toThrow(
      `${file}: the config file is writable by others (mode 0666): anyone on this machine could add a channel that sends your events and secrets elsewhere; run chmod o-w ${file}`,
    );
    // Group-writable (a user's private group, umask 002) is the owner's business: loaded.
    chmodSync(file, 0o664);
    expect(loadConfigFile(file).sources).toHaveLength(1);
  });

  it('reports several bad fields at once', async () => {
    const text = withJson((c) => {
      c.sources[0].id = 'Bad Id';
      c.channels[0].url = 'ftp://x';
      c.settings.theme = 'pink';
    });
    const error = (() => {
      try {
        loadConfigFile(write('c.json', text));
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.problems.map((p) => p.split(':')[0])).toEqual(['sources.0.id', 'channels.0.url', 'settings.theme']);
  });
});

describe('applyConfigFile', () => {
  it('replaces sources, channels, rules and settings; settings fall back to defaults, not to stored values', async () => {
    const store = openConfigStore({ dataDir: path.join(dir, 'data') });
    await store.replace({
      sources: [{ id: 'old', kind: 'generic', name: 'Old', secret: 'env:OLD' }],
      channels: [{ id: 'old-hook', kind: 'webhook', name: 'Old', url: 'http://127.0.0.1:9/x' }],
      rules: [{ id: 'old-rule', name: 'Old', channels: ['old-hook'] }],
      settings: { theme: 'light', delivery: { maxAttempts: 2 } },
    });
    const seen: ConfigSection[] = [];
    store.onChange((_cfg, section) => seen.push(section));

    const counts = await applyConfigFile(store, write('herald.yaml', VALID_YAML));

    expect(counts).toEqual({ sources: 1, channels: 2, rules: 1 });
    const cfg = store.get();
    expect(cfg.sources.map((s) => s.id)).toEqual(['ci']);
    expect(cfg.channels.map((c) => c.id)).toEqual(['ops', 'popup']);
    expect(cfg.rules.map((r) => r.id)).toEqual(['failures']);
    expect(cfg.settings.theme).toBe('dark');
    expect(cfg.settings.delivery.maxAttempts).toBe(8);
    expect(seen).toEqual(['sources', 'channels', 'rules', 'settings']);
    // Persisted: a fresh store on the same data dir sees the file's config.
    expect(openConfigStore({ dataDir: path.join(dir, 'data') }).get()).toEqual(cfg);
  });

  it('leaves the store untouched when the file is invalid', async () => {
    const store = openConfigStore({ dataDir: path.join(dir, 'data') });
    await store.replace({ channels: [{ id: 'keep', kind: 'desktop', name: 'Keep' }] });
    const before = store.get();
    await expect(applyConfigFile(store, write('bad.json', withJson((c) => (c.rules[0].channels = ['slak']))))).rejects.toThrow(
      /bad\.json:\d+:\d+: rules\.0\.channels\.0: unknown channel "slak"/,
    );
    expect(store.get()).toBe(before);
  });
});

describe('unknownRuleTypes: a typo in a rule\'s type is said at start', () => {
  const config = (types: string[], sourceKind = 'github') =>
    loadConfigFile(
      write(
        'types.json',
        JSON.stringify({
          sources: [sourceKind === 'generic' ? { id: 's', kind: 'generic', name: 'S', secret: 'env:S' } : { id: 's', kind: 'github', name: 'S', secret: 'env:S' }],
          rules: [{ id: 'r', name: 'R', match: { types } }],
        }),
      ),
    );

  it('names a type no source raises, with the nearest known one', () => {
    expect(unknownRuleTypes(config(['pipline.failed', 'deployment.*']))).toEqual(['rule "r" matches type "pipline.failed", which no Herald source raises; did you mean "pipeline.failed"?']);
    // A generic source may send any type: said so, not called wrong.
    expect(unknownRuleTypes(config(['pipline.failed'], 'generic'))).toEqual([
      'rule "r" matches type "pipline.failed", which no Herald source raises (only a generic source could send it); did you mean "pipeline.failed"?',
    ]);
  });

  it('leaves alone what can match: known types, globs over them, the tools\' own namespaces, exclusions', () => {
    expect(unknownRuleTypes(config(['pipeline.failed', 'finding.*', '*.failed', 'kosli.environment_created', 'devtron.*', 'chainloop.material.sbom_cyclonedx_json', '!pipline.triggered', '*']))).toEqual([]);
  });
});

describe('checkSecretRefs', () => {
  const memoryKeytar = (entries: Record<string, string>): KeytarLike => ({
    getPassword: async (_service, account) => entries[account] ?? null,
    setPassword: async (_service, account, password) => void (entries[account] = password),
    deletePassword: async (_service, account) => delete entries[account],
  });

  it('lists each unresolvable ref naming its item by id, and its field', async () => {
    const cfg = loadConfigFile(write('herald.json', JSON.stringify(VALID)));
    const secrets = await openSecretStore({ env: {}, loadKeytar: async () => memoryKeytar({}) });
    expect(await checkSecretRefs(cfg, secrets)).toEqual([
      'source "ci" secret: environment variable HERALD_CI_SECRET is not set',
      'channel "ops" secretHeaders.Authorization: keychain entry "ops-auth" not found (service "herald")',
    ]);
  });

  it('is empty when every ref resolves', async () => {
    const cfg = loadConfigFile(write('herald.json', JSON.stringify(VALID)));
    const secrets = await openSecretStore({ env: { HERALD_CI_SECRET: 'x' }, loadKeytar: async () => memoryKeytar({ 'ops-auth': 'Bearer y' }) });
    expect(await checkSecretRefs(cfg, secrets)).toEqual([]);
  });

  it('says the keychain is unavailable, and env refs still resolve', async () => {
    const cfg = loadConfigFile(write('herald.json', JSON.stringify(VALID)));
    const secrets = await openSecretStore({
      env: { HERALD_CI_SECRET: 'x' },
      loadKeytar: async () => {
        throw new Error('libsecret-1.so.0: cannot open shared object file');
      },
    });
    const problems = await checkSecretRefs(cfg, secrets);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^channel "ops" secretHeaders\.Authorization: keychain unavailable: .*libsecret-1-0/);
  });
});

function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no error');
}

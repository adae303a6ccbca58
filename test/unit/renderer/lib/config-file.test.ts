import { describe, expect, it } from 'vitest';
import { exportFileName, parseConfigFile } from '../../../../renderer/lib/config-file.js';

const good = { sources: [{ id: 'ci', name: 'CI', kind: 'generic', secret: 'env:CI_SECRET' }], channels: [], rules: [] };

describe('parseConfigFile', () => {
  it('reads JSON and YAML in the --config shape, defaults applied', async () => {
    const json = await parseConfigFile('herald.json', JSON.stringify(good));
    expect(json).toMatchObject({ ok: true, config: { sources: [{ id: 'ci', enabled: true }], settings: { theme: 'system' } } });
    const yaml = await parseConfigFile('herald.yaml', 'sources:\n  - id: ci\n    name: CI\n    kind: generic\n    secret: env:CI_SECRET\n');
    expect(yaml).toEqual(json);
  });

  it.each([
    ['bad JSON', 'x.json', '{"sources": [', /^x\.json: invalid JSON/],
    ['bad YAML', 'x.yml', 'sources:\n  - id: a\n   name: b', /^x\.yml:\d+:\d+: invalid YAML/],
    ['duplicate YAML key', 'x.yaml', 'rules: []\nrules: []\n', /invalid YAML/],
    ['not an object', 'x.json', '[1,2]', /expected an object/],
    ['unknown channel in a rule', 'x.json', JSON.stringify({ rules: [{ id: 'r', name: 'R', channels: ['ghost'] }] }), /^rules\.0\.channels\.0: unknown channel "ghost"$/],
    ['a secret in place of a ref', 'x.json', JSON.stringify({ sources: [{ id: 'ci', name: 'CI', kind: 'generic', secret: 'hunter2' }] }), /^sources\.0\.secret: must be keychain/],
  ])('%s', async (_name, file, text, problem) => {
    const parsed = await parseConfigFile(file, text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems[0]).toMatch(problem);
  });

  it('names the export by date', () => {
    expect(exportFileName(new Date(2025, 0, 9))).toBe('herald-config-2025-01-09.json');
  });
});

// The source/channel form as data: drafts from the shared schemas and back to the api's
// { config, secrets }, with secrets write-only.
import { describe, expect, it } from 'vitest';
import { GenericSourceSchema, SECRET_FIELDS, WebhookChannelSchema } from '../../shared/config.js';
import { buildItem, draftFromItem, newDraft } from '../../renderer/lib/item-draft.js';
import { describeFields } from '../../renderer/lib/schema-fields.js';
import type { SecretRow } from '../../renderer/lib/secret-draft.js';

const webhookSpecs = describeFields(WebhookChannelSchema, SECRET_FIELDS.webhook);
const genericSpecs = describeFields(GenericSourceSchema, SECRET_FIELDS.generic);

describe('describeFields', () => {
  it('reads controls, defaults and limits from the schema', () => {
    const byName = Object.fromEntries(webhookSpecs.map((s) => [s.name, s]));
    expect(Object.keys(byName)).toEqual(['url', 'method', 'headers', 'secretHeaders', 'template', 'timeoutMs', 'concurrency']);
    expect(byName.url).toMatchObject({ control: 'text', format: 'url', required: true });
    expect(byName.method).toMatchObject({ control: 'enum', options: ['POST', 'PUT', 'PATCH'], defaultValue: 'POST', required: false });
    expect(byName.headers).toMatchObject({ control: 'keyValue' });
    expect(byName.secretHeaders).toMatchObject({ control: 'secretMap' });
    expect(byName.template).toMatchObject({ control: 'text', multiline: true, required: false });
    expect(byName.timeoutMs).toMatchObject({ control: 'number', min: 100, max: 120_000, integer: true, defaultValue: 10_000 });
    expect(genericSpecs).toEqual([expect.objectContaining({ name: 'secret', control: 'secret', required: true })]);
  });
});

describe('new items', () => {
  it('a new generic source carries a generated secret to the keychain, not into the config', () => {
    const draft = { ...newDraft('generic', genericSpecs, { generateSecret: () => 'generated-secret' }), id: 'ci', name: 'CI' };
    const built = buildItem(draft, genericSpecs);
    expect(built.config).toEqual({ id: 'ci', name: 'CI', enabled: true, kind: 'generic' });
    expect(built.secrets).toEqual({ secret: 'generated-secret' });
    expect(GenericSourceSchema.safeParse(built.validation).success).toBe(true);
  });

  it('without a keychain a new secret defaults to an environment variable', () => {
    const draft = { ...newDraft('generic', genericSpecs, { generateSecret: () => 'x', keychainAvailable: false }), id: 'ci', name: 'CI' };
    expect(draft.fields.secret).toEqual({ mode: 'env', variable: '' });
    expect(buildItem(draft, genericSpecs).localErrors).toEqual({ secret: 'enter the name of the environment variable that holds it' });
    const named = buildItem({ ...draft, fields: { secret: { mode: 'env', variable: 'CI_SECRET' } } }, genericSpecs);
    expect(named.config.secret).toBe('env:CI_SECRET');
    expect(named.secrets).toEqual({});
  });

  it('leaves empty optional fields out and keeps typed numbers as numbers', () => {
    const draft = newDraft('webhook', webhookSpecs);
    const built = buildItem(
      { ...draft, id: 'w', name: 'W', fields: { ...draft.fields, url: 'https://hooks.example/x', timeoutMs: '2500', headers: [{ key: 'X-Team', value: 'core' }] } },
      webhookSpecs,
    );
    expect(built.config).toEqual({
      id: 'w',
      name: 'W',
      enabled: true,
      kind: 'webhook',
      url: 'https://hooks.example/x',
      method: 'POST',
      headers: { 'X-Team': 'core' },
      timeoutMs: 2500,
      concurrency: 4,
    });
    expect(WebhookChannelSchema.safeParse(built.validation).success).toBe(true);
  });
});

describe('editing an item with stored secrets', () => {
  const stored = {
    config: { id: 'w', name: 'W', enabled: true, kind: 'webhook', url: 'https://hooks.example/x', method: 'POST', headers: {}, timeoutMs: 10_000, concurrency: 4 },
    secrets: { 'secretHeaders.Authorization': { set: true }, 'secretHeaders.X-Env': { set: true, ref: 'env:X_ENV' } },
  };

  it('shows stored secrets as set and sends nothing for them when unchanged', () => {
    const draft = draftFromItem(stored.config, stored.secrets, webhookSpecs);
    expect(draft.fields.secretHeaders).toEqual([
      { key: 'Authorization', existing: true, draft: { mode: 'keep', ref: undefined } },
      { key: 'X-Env', existing: true, draft: { mode: 'keep', ref: 'env:X_ENV' } },
    ]);
    const built = buildItem(draft, webhookSpecs);
    // Left out: the hub keeps the stored map.
    expect(built.config).not.toHaveProperty('secretHeaders');
    expect(built.secrets).toEqual({});
    expect(WebhookChannelSchema.safeParse(built.validation).success).toBe(true);
  });

  it('a new value for one secret goes to `secrets` by field path', () => {
    const draft = draftFromItem(stored.config, stored.secrets, webhookSpecs);
    const rows = (draft.fields.secretHeaders as SecretRow[]).map((r) =>
      r.key === 'Authorization' ? { ...r, draft: { mode: 'keychain' as const, value: 'Bearer new' } } : r,
    );
    const built = buildItem({ ...draft, fields: { ...draft.fields, secretHeaders: rows } }, webhookSpecs);
    expect(built.secrets).toEqual({ 'secretHeaders.Authorization': 'Bearer new' });
    expect(built.config).not.toHaveProperty('secretHeaders');
  });

  it('removing one spells out the rest; a kept secret whose ref is unknown must be re-entered', () => {
    const draft = draftFromItem(stored.config, stored.secrets, webhookSpecs);
    const withoutAuth = (draft.fields.secretHeaders as SecretRow[]).filter((r) => r.key !== 'Authorization');
    const built = buildItem({ ...draft, fields: { ...draft.fields, secretHeaders: withoutAuth } }, webhookSpecs);
    expect(built.config.secretHeaders).toEqual({ 'X-Env': 'env:X_ENV' });
    expect(built.localErrors).toEqual({});

    const withoutEnv = (draft.fields.secretHeaders as SecretRow[]).filter((r) => r.key !== 'X-Env');
    const blocked = buildItem({ ...draft, fields: { ...draft.fields, secretHeaders: withoutEnv } }, webhookSpecs);
    expect(blocked.localErrors['secretHeaders.Authorization']).toMatch(/enter this value again/);
  });

  it('an added secret row without a value is an error, not a silent drop', () => {
    const draft = draftFromItem(stored.config, {}, webhookSpecs);
    const rows: SecretRow[] = [{ key: 'X-Token', existing: false, draft: { mode: 'keychain', value: '' } }];
    const built = buildItem({ ...draft, fields: { ...draft.fields, secretHeaders: rows } }, webhookSpecs);
    expect(built.localErrors).toEqual({ 'secretHeaders.X-Token': 'enter a value or remove the row' });
  });
});

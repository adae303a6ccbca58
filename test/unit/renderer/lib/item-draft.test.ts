// The source/channel form as data: drafts from the shared schemas and back to the api's
// { config, secrets }, with secrets write-only.
import { describe, expect, it } from 'vitest';
import { ChannelSchema, GenericSourceSchema, GitlabCiSourceSchema, KosliSourceSchema, SECRET_FIELDS, SourceSchema, WebhookChannelSchema } from '../../../../shared/config.js';
import { buildItem, draftFromItem, newDraft } from '../../../../renderer/lib/item-draft.js';
import { describeFields, kindsOf } from '../../../../renderer/lib/schema-fields.js';
import type { SecretRow } from '../../../../renderer/lib/secret-draft.js';

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

describe('a TLS field', () => {
  const specs = describeFields(GitlabCiSourceSchema, SECRET_FIELDS['gitlab-ci'], 'gitlab-ci');
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  const stored = { id: 'gl', name: 'GL', kind: 'gitlab-ci', token: 'env:GL', projects: ['a/b'], tls: { caPem: `${pem}\n`, insecureSkipVerify: false } };

  it('is a PEM and a checkbox, not JSON; left empty it is not set', () => {
    expect(specs.find((s) => s.name === 'tls')).toMatchObject({ control: 'tls', label: 'TLS' });
    const draft = draftFromItem({ ...stored, tls: undefined }, {}, specs);
    expect(draft.fields.tls).toEqual({ caPem: '', insecure: false });
    expect(buildItem(draft, specs).config).not.toHaveProperty('tls');
  });

  it('keeps a pasted PEM with its line breaks, and round-trips a stored one', () => {
    const draft = draftFromItem(stored, {}, specs);
    expect(draft.fields.tls).toEqual({ caPem: `${pem}\n`, insecure: false });
    expect(buildItem(draft, specs).config.tls).toEqual({ caPem: `${pem}\n` });
    const pasted = buildItem({ ...draft, fields: { ...draft.fields, tls: { caPem: `\n  ${pem}  \n\n`, insecure: true } } }, specs);
    expect(pasted.config.tls).toEqual({ caPem: `${pem}\n`, insecureSkipVerify: true });
    expect(GitlabCiSourceSchema.safeParse(pasted.validation).success).toBe(true);
  });

  it("a field name another kind uses for something else gets this kind's text", () => {
    expect(specs.find((s) => s.name === 'token')?.hint).toMatch(/read_api/);
    expect(describeFields(WebhookChannelSchema, SECRET_FIELDS.webhook).find((s) => s.name === 'url')?.label).toBe('URL');
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

  it('without a keychain a new shared secret is still generated, for a file (or a variable) the user makes', () => {
    const draft = { ...newDraft('generic', genericSpecs, { generateSecret: () => 'generated-secret', keychainAvailable: false }), id: 'ci', name: 'CI' };
    expect(draft.fields.secret).toEqual({ mode: 'file', path: '', generated: 'generated-secret' });
    // Left empty, the path is the one the form suggests under the hub's data dir.
    const built = buildItem(draft, genericSpecs, { secretFileDir: '/home/me/.local/share/herald/secrets' });
    expect(built.config.secret).toBe('file:/home/me/.local/share/herald/secrets/ci.secret');
    expect(built.secrets).toEqual({}); // the value never goes to the hub
    expect(built.pendingSecrets).toEqual({ secret: { value: 'generated-secret', ref: 'file:/home/me/.local/share/herald/secrets/ci.secret' } });
    expect(built.localErrors).toEqual({});
    expect(GenericSourceSchema.safeParse(built.validation).success).toBe(true);

    const env = buildItem({ ...draft, fields: { secret: { mode: 'env', variable: '', generated: 'generated-secret' } } }, genericSpecs);
    expect(env.config.secret).toBe('env:HERALD_CI_SECRET');
    expect(env.pendingSecrets).toEqual({ secret: { value: 'generated-secret', ref: 'env:HERALD_CI_SECRET' } });
    const named = buildItem({ ...draft, fields: { secret: { mode: 'env', variable: 'CI_SECRET' } } }, genericSpecs);
    expect(named.config.secret).toBe('env:CI_SECRET');
    expect(named.secrets).toEqual({});
    expect(named.pendingSecrets).toEqual({});
  });

  it('a secret the service issues (not generated) needs its variable or file named', () => {
    const specs = describeFields(KosliSourceSchema, SECRET_FIELDS.kosli);
    const draft = newDraft('kosli', specs, { keychainAvailable: false });
    expect(draft.fields.token).toEqual({ mode: 'env', variable: '' });
    expect(buildItem(draft, specs).localErrors).toMatchObject({ token: 'enter the name of the environment variable that holds it' });
    const file = buildItem({ ...draft, fields: { ...draft.fields, token: { mode: 'file', path: '' } } }, specs);
    expect(file.localErrors).toMatchObject({ token: 'enter the absolute path of the file that holds it' });
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
      concurrency: 32,
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

describe('optional secrets left empty mean "not set", with or without a keychain', () => {
  // Every kind of source and channel with an optional secret field (cctray's password and
  // token, Slack's webhook URL or bot token, email's SMTP password and SES keys).
  const optional = [...kindsOf(SourceSchema), ...kindsOf(ChannelSchema)].flatMap(([kind, schema]) =>
    describeFields(schema, SECRET_FIELDS[kind] ?? [])
      .filter((spec) => spec.control === 'secret' && !spec.required)
      .map((spec) => ({ kind, field: spec.name, specs: describeFields(schema, SECRET_FIELDS[kind] ?? []) })),
  );

  it('covers the kinds the issue names', () => {
    expect(optional.map((o) => `${o.kind}.${o.field}`)).toEqual(
      expect.arrayContaining(['cctray.password', 'cctray.token', 'slack.webhookUrl', 'slack.botToken', 'email.password', 'email.accessKeyId', 'email.secretAccessKey']),
    );
  });

  it.each(optional.flatMap((o) => [true, false].map((keychainAvailable) => [`${o.kind}.${o.field}`, keychainAvailable, o] as const)))(
    '%s (keychain available: %s)',
    (_name, keychainAvailable, { field, kind, specs }) => {
      const draft = { ...newDraft(kind, specs, { keychainAvailable }), id: 'x', name: 'X' };
      const built = buildItem(draft, specs);
      expect(built.localErrors[field]).toBeUndefined();
      expect(built.config).not.toHaveProperty(field);
      expect(built.secrets).not.toHaveProperty(field);
    },
  );
});

// settings.update (a setting given replaces it, null removes it, absent keeps it) and the
// secret handling of sources.update/channels.update (refs shown, one secret header removed
// without re-entering the others, an optional secret cleared, unused keychain entries
// deleted), against the real headless hub and the session's real keychain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretStore, type SecretStore } from '../../../../electron/hub/config/secrets.js';
import { buildItem, draftFromItem } from '../../../../renderer/lib/item-draft.js';
import { describeFields } from '../../../../renderer/lib/schema-fields.js';
import type { SecretRow } from '../../../../renderer/lib/secret-draft.js';
import { asSettingsReplacement, buildSettings, settingsDraftFrom } from '../../../../renderer/lib/settings-draft.js';
import type { ChannelView, SourceView } from '../../../../shared/api.js';
import { CctraySourceSchema, SECRET_FIELDS, type Settings, WebhookChannelSchema } from '../../../../shared/config.js';
import { type HubProcess, startHubProcess } from '../../../helpers/hub-process.js';

type ItemView = SourceView | ChannelView;

let hub: HubProcess;
let keychain: SecretStore;
/** What the keychain holds now: a fresh store, since ours caches what it read and the hub deletes in its own process. */
const inKeychain = async (ref: string) => (await openSecretStore()).has(ref);

beforeAll(async () => {
  keychain = await openSecretStore();
  if (!keychain.status.available) throw new Error(`run under scripts/test-session.sh: no keychain (${keychain.status.reason})`);
  hub = await startHubProcess({ env: { HERALD_T6_ENV_TOKEN: 'from-env' } });
}, 30_000);
afterAll(async () => {
  await hub?.kill();
});

/** POST expecting a refusal; returns the status and message. */
async function refused(method: string, input: unknown): Promise<{ status: number; message: string }> {
  const res = await fetch(`${hub.apiUrl}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.token}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { error?: { message: string } };
  return { status: res.status, message: body.error?.message ?? '' };
}

describe('settings.update', () => {
  it('a setting given replaces it, null removes it, one not given is kept', async () => {
    const quietHours = { start: '22:00', end: '07:00' };
    let s = await hub.api<Settings>('settings.update', {
      settings: { quietHours, publicUrl: 'https://herald.example.com', retention: { maxAgeDays: 30, maxEvents: 5000 } },
    });
    expect(s).toMatchObject({ quietHours, publicUrl: 'https://herald.example.com', retention: { maxAgeDays: 30, maxEvents: 5000 } });

    // A partial caller (the tray's snooze) changes only what it names.
    const until = new Date(Date.now() + 3_600_000).toISOString();
    s = await hub.api<Settings>('settings.update', { settings: { snoozeUntil: until } });
    expect(s).toMatchObject({ quietHours, publicUrl: 'https://herald.example.com', retention: { maxAgeDays: 30 }, snoozeUntil: until });

    s = await hub.api<Settings>('settings.update', { settings: { quietHours: null, publicUrl: null } });
    expect(s).not.toHaveProperty('quietHours');
    expect(s).not.toHaveProperty('publicUrl');
    expect(s).toMatchObject({ retention: { maxAgeDays: 30, maxEvents: 5000 }, snoozeUntil: until });
    expect(await hub.api<Settings>('settings.get')).toEqual(s);

    // null on a defaulted setting: back to its default.
    s = await hub.api<Settings>('settings.update', { settings: { retention: null } });
    expect(s.retention).toEqual({ maxAgeDays: 90, maxEvents: 100_000 });
  });

  it('what the Settings page sends turns quiet hours off and clears the public URL', async () => {
    const before = await hub.api<Settings>('settings.update', {
      settings: { quietHours: { start: '21:00', end: '06:30', timeZone: 'Europe/Berlin' }, publicUrl: 'https://tunnel.example.net', theme: 'dark' },
    });
    const draft = { ...settingsDraftFrom(before), quiet: false, publicUrl: '  ' };
    const after = await hub.api<Settings>('settings.update', { settings: asSettingsReplacement(buildSettings(before, draft)) });
    expect(after).not.toHaveProperty('quietHours');
    expect(after).not.toHaveProperty('publicUrl');
    expect(after.theme).toBe('dark');
    expect(after.retention).toEqual(before.retention);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an invalid value', { retention: { maxAgeDays: 0, maxEvents: 1000 } }, /retention\.maxAgeDays/],
    ['an unknown setting', { colour: 'red' }, /colour/],
    ['a half-set quiet hours', { quietHours: { start: '22:00' } }, /quietHours\.end/],
  ])('refuses %s with a message naming it, and changes nothing', async (_name, settings, message) => {
    const before = await hub.api<Settings>('settings.get');
    const answer = await refused('settings.update', { settings });
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(message);
    expect(await hub.api<Settings>('settings.get')).toEqual(before);
  });
});

describe('secrets on update', () => {
  const webhookSpecs = describeFields(WebhookChannelSchema, SECRET_FIELDS.webhook);
  const channel = async (id: string) => (await hub.api<ItemView[]>('channels.list')).find((c) => c.config.id === id)!;

  it('shows every secret ref; removing one header in the form keeps the others and deletes its keychain entry', async () => {
    const created = await hub.api<ItemView>('channels.create', {
      config: { id: 't6-hook', name: 'Hook', kind: 'webhook', url: 'http://127.0.0.1:9/hook', secretHeaders: { 'X-Env': 'env:HERALD_T6_ENV_TOKEN' } },
      secrets: { 'secretHeaders.Authorization': 'Bearer one', 'secretHeaders.X-Api-Key': 'key-two' },
    });
    expect(created.secrets).toEqual({
      'secretHeaders.X-Env': { set: true, ref: 'env:HERALD_T6_ENV_TOKEN' },
      'secretHeaders.Authorization': { set: true, ref: 'keychain:channels/t6-hook/secretHeaders.Authorization' },
      'secretHeaders.X-Api-Key': { set: true, ref: 'keychain:channels/t6-hook/secretHeaders.X-Api-Key' },
    });
    expect(created.config).not.toHaveProperty('secretHeaders');
    expect(await keychain.resolve('keychain:channels/t6-hook/secretHeaders.Authorization')).toBe('Bearer one');

    // The form, as the UI builds it: drop the Authorization row, touch nothing else.
    const view = await channel('t6-hook');
    const draft = draftFromItem(view.config, view.secrets, webhookSpecs);
    const rows = (draft.fields.secretHeaders as SecretRow[]).filter((r) => r.key !== 'Authorization');
    const built = buildItem({ ...draft, fields: { ...draft.fields, secretHeaders: rows } }, webhookSpecs);
    expect(built.localErrors).toEqual({});
    await hub.api('channels.update', { config: built.config, secrets: built.secrets, clearSecrets: built.clearSecrets });

    const exported = (await hub.api<{ config: { channels: Array<{ id: string; secretHeaders?: Record<string, string> }> } }>('config.export')).config;
    expect(exported.channels.find((c) => c.id === 't6-hook')!.secretHeaders).toEqual({
      'X-Env': 'env:HERALD_T6_ENV_TOKEN',
      'X-Api-Key': 'keychain:channels/t6-hook/secretHeaders.X-Api-Key',
    });
    expect(await keychain.resolve('keychain:channels/t6-hook/secretHeaders.X-Api-Key')).toBe('key-two');
    expect(await inKeychain('keychain:channels/t6-hook/secretHeaders.Authorization')).toBe(false);
  });

  it('clearSecrets removes one header without sending the map', async () => {
    await hub.api('channels.update', {
      config: { id: 't6-hook', name: 'Hook', kind: 'webhook', url: 'http://127.0.0.1:9/hook' },
      clearSecrets: ['secretHeaders.X-Api-Key'],
    });
    expect(Object.keys((await channel('t6-hook')).secrets)).toEqual(['secretHeaders.X-Env']);
    expect(await inKeychain('keychain:channels/t6-hook/secretHeaders.X-Api-Key')).toBe(false);
  });

  it('clears an optional secret: a cctray source moves from basic auth to a token', async () => {
    const base = { id: 't6-cc', name: 'CC', kind: 'cctray', enabled: false, url: 'http://127.0.0.1:9/cc.xml' };
    await hub.api('sources.create', { config: { ...base, username: 'ci' }, secrets: { password: 'pw-1' } });
    expect(await keychain.resolve('keychain:sources/t6-cc/password')).toBe('pw-1');

    // The form: empty the username, "Remove" on the password, a new token.
    const specs = describeFields(CctraySourceSchema, SECRET_FIELDS.cctray);
    const stored = (await hub.api<ItemView[]>('sources.list')).find((v) => v.config.id === 't6-cc')!;
    const draft = draftFromItem(stored.config, stored.secrets, specs);
    expect(draft.fields.password).toEqual({ mode: 'keep', ref: 'keychain:sources/t6-cc/password' });
    const built = buildItem(
      { ...draft, fields: { ...draft.fields, username: '', password: { mode: 'clear', ref: 'keychain:sources/t6-cc/password' }, token: { mode: 'keychain', value: 'tok-1' } } },
      specs,
    );
    expect(built).toMatchObject({ secrets: { token: 'tok-1' }, clearSecrets: ['password'], localErrors: {} });
    expect(CctraySourceSchema.safeParse(built.validation).success).toBe(true);
    const view = await hub.api<ItemView>('sources.update', { config: built.config, secrets: built.secrets, clearSecrets: built.clearSecrets });
    expect(view.secrets).toEqual({ token: { set: true, ref: 'keychain:sources/t6-cc/token' } });
    expect(view.config).not.toHaveProperty('username');
    expect(await inKeychain('keychain:sources/t6-cc/password')).toBe(false);
    expect(await keychain.resolve('keychain:sources/t6-cc/token')).toBe('tok-1');
  });

  it('keeps a keychain entry another item still uses; deletes it with the last one', async () => {
    await keychain.set('t6-shared', 'shared-value');
    for (const id of ['t6-a', 't6-b']) {
      await hub.api('channels.create', {
        config: { id, name: id, kind: 'webhook', url: 'http://127.0.0.1:9/x', secretHeaders: { Authorization: 'keychain:t6-shared' } },
      });
    }
    await hub.api('channels.update', { config: { id: 't6-a', name: 't6-a', kind: 'webhook', url: 'http://127.0.0.1:9/x' }, clearSecrets: ['secretHeaders.Authorization'] });
    expect(await keychain.resolve('keychain:t6-shared')).toBe('shared-value');
    await hub.api('channels.delete', { id: 't6-b' });
    expect(await inKeychain('keychain:t6-shared')).toBe(false);
  });

  it.each<[string, string, unknown, RegExp]>([
    ['a non-secret field in clearSecrets', 'channels.update', { config: { id: 't6-hook', name: 'Hook', kind: 'webhook', url: 'http://127.0.0.1:9/hook' }, clearSecrets: ['url'] }, /clearSecrets: "url" is not a secret field of a webhook item \(its secret fields: secretHeaders\)/],
    ['a non-secret field in secrets', 'sources.create', { config: { id: 't6-g', name: 'G', kind: 'generic' }, secrets: { name: 'x' } }, /secrets: "name" is not a secret field of a generic item/],
    ['a path both set and cleared', 'sources.update', { config: { id: 't6-cc', name: 'CC', kind: 'cctray', enabled: false, url: 'http://127.0.0.1:9/cc.xml' }, secrets: { token: 't' }, clearSecrets: ['token'] }, /clearSecrets: "token" is also given a new value/],
    ['clearing a required secret', 'sources.create', { config: { id: 't6-g', name: 'G', kind: 'generic', secret: 'env:HERALD_T6_ENV_TOKEN' }, clearSecrets: ['secret'] }, /secret/],
  ])('refuses %s with a message naming it', async (_name, method, input, message) => {
    const answer = await refused(method, input);
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(message);
  });
});

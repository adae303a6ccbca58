// Credentials never reach config.json, channels.list or config.export through a webhook
// channel: a URL with user:password@ or ?access_token=…, and a plain Authorization header,
// are refused (naming the field, never echoing the value); the same credential as a secret
// header is kept in the keychain or environment and shown only as set.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../../../helpers/hub-process.js';

const SECRET_TEXT = 'hunter2-0123456789';

describe('webhook channels hold no credentials in plain fields', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({ env: { HERALD_HOOK_AUTH: `Bearer ${SECRET_TEXT}` } });
  });
  afterAll(async () => {
    await hub?.kill();
  });

  const call = async (method: string, input: unknown) => {
    const res = await fetch(`${hub.apiUrl}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.token}` },
      body: JSON.stringify(input),
    });
    return { status: res.status, text: await res.text() };
  };
  const configFile = () => join(hub.dataDir, 'config.json');
  const everythingTheApiShows = async () =>
    [(await call('channels.list', {})).text, (await call('config.export', {})).text, existsSync(configFile()) ? readFileSync(configFile(), 'utf8') : ''].join('\n');

  for (const [name, config, reason] of [
    ['user:password@ in the URL', { url: `https://bot:${SECRET_TEXT}@hooks.example/h` }, /url: must not carry a user or password/],
    ['?access_token= in the URL', { url: `https://hooks.example/h?access_token=${SECRET_TEXT}` }, /url: must not carry credentials in its query \(access_token\)/],
    ['a plain Authorization header', { url: 'https://hooks.example/h', headers: { Authorization: `Bearer ${SECRET_TEXT}` } }, /headers\.Authorization: carries a credential/],
  ] as const) {
    for (const method of ['channels.create', 'config.import'] as const) {
      it(`${method}: ${name} → 400 naming the field, nothing stored`, async () => {
        const channel = { id: 'hook', name: 'Hook', kind: 'webhook', ...config };
        const input = method === 'channels.create' ? { config: channel } : { config: { channels: [channel] } };
        const res = await call(method, input);
        expect(res.status).toBe(400);
        expect(res.text).toMatch(reason);
        expect(res.text).not.toContain(SECRET_TEXT);
        expect(await everythingTheApiShows()).not.toContain(SECRET_TEXT);
      });
    }
  }

  it('the same credential as a secret header: saved as a reference, shown only as set', async () => {
    const res = await call('channels.create', { config: { id: 'hook', name: 'Hook', kind: 'webhook', url: 'https://hooks.example/h', secretHeaders: { Authorization: 'env:HERALD_HOOK_AUTH' } } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ secrets: { 'secretHeaders.Authorization': { set: true, ref: 'env:HERALD_HOOK_AUTH' } } });
    expect(await everythingTheApiShows()).not.toContain(SECRET_TEXT);
  });
});

// No spelling of an api path gets past the token: the router decodes `%61pi`, so the
// check must too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../../../helpers/hub-process.js';

describe('the api token cannot be skipped', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({});
  });
  afterAll(async () => {
    await hub?.kill();
  });

  for (const path of ['/api/hub.status', '/%61pi/hub.status', '/%61%70%69/hub.status', '//api/hub.status', '/api/%68ub.status']) {
    it(`POST ${path} without a token → 401`, async () => {
      const res = await fetch(`${hub.apiUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(401);
    });
  }

  it('the live stream too, however spelled', async () => {
    for (const path of ['/api/updates', '/%61pi/updates']) {
      const res = await fetch(`${hub.apiUrl}${path}`);
      expect(res.status).toBe(401);
      await res.body?.cancel();
    }
  });

  // Cookies ignore ports: a page on another localhost port can plant its own herald_token,
  // which the browser sends first (longer path) or garbled; the hub's own still counts.
  for (const [name, cookie, status] of [
    ['a planted cookie before the real one', (token: string) => `herald_token=planted; herald_token=${encodeURIComponent(token)}`, 200],
    ['a value that is not valid percent-encoding before the real one', (token: string) => `herald_token=%E0%A4; herald_token=${encodeURIComponent(token)}`, 200],
    ['only a value that is not valid percent-encoding', () => 'herald_token=%E0%A4', 401],
  ] as const) {
    it(`token cookie: ${name} → ${status}`, async () => {
      const res = await fetch(`${hub.apiUrl}/api/hub.status`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: cookie(hub.token) }, body: '{}' });
      expect(res.status).toBe(status);
    });
  }

  it('with the token the same encoded path works (the router decodes it)', async () => {
    const res = await fetch(`${hub.apiUrl}/%61pi/hub.status`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.token}` }, body: '{}' });
    expect(res.status).toBe(200);
  });
});

// The browser session: the sign-in cookie outlives the browser (Max-Age, 30 days) and is
// renewed whenever it is used; the api takes the Bearer scheme in any case, as ingress does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../../../helpers/hub-process.js';

const THIRTY_DAYS_S = 30 * 24 * 3600;

function sessionCookie(res: Response): Record<string, string> | undefined {
  const header = res.headers.get('set-cookie');
  if (!header) return undefined;
  return Object.fromEntries(header.split(';').map((part) => {
    const [key, ...rest] = part.trim().split('=');
    return [key!.toLowerCase(), rest.join('=')];
  }));
}

describe('api session', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    hub = await startHubProcess({});
  });
  afterAll(async () => {
    await hub?.kill();
  });

  it('signing in sets a cookie that lasts 30 days', async () => {
    const res = await fetch(`${hub.apiUrl}/?token=${encodeURIComponent(hub.token)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const cookie = sessionCookie(res);
    expect(cookie).toMatchObject({ herald_token: encodeURIComponent(hub.token), 'max-age': String(THIRTY_DAYS_S), httponly: '', samesite: 'Strict', path: '/' });
  });

  it('each use of the cookie renews it for another 30 days', async () => {
    const res = await fetch(`${hub.apiUrl}/api/hub.status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `herald_token=${encodeURIComponent(hub.token)}` },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(sessionCookie(res)).toMatchObject({ herald_token: encodeURIComponent(hub.token), 'max-age': String(THIRTY_DAYS_S), httponly: '' });
  });

  it('a wrong cookie is neither accepted nor renewed', async () => {
    const res = await fetch(`${hub.apiUrl}/api/hub.status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'herald_token=wrong' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(sessionCookie(res)).toBeUndefined();
  });

  for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
    it(`Authorization: ${scheme} <token> → 200`, async () => {
      const res = await fetch(`${hub.apiUrl}/api/hub.status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `${scheme} ${hub.token}` },
        body: '{}',
      });
      expect(res.status).toBe(200);
    });
  }
});

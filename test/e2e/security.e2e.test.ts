// The api refuses what it must: no token, a wrong token, a foreign Origin or Host; the
// token cookie is HttpOnly and SameSite=Strict; a page from another origin cannot make
// the signed-in browser change anything (CSRF); the UI runs under the strict CSP.
import { request } from 'node:http';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_TRANSPORT } from '../../shared/api.js';
import { type HubProcess } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { sendEvents, signIn, startHub } from './hub.js';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'";

/** A raw request, so Host can be anything (fetch will not let us set it). */
function rawPost(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('api refusals', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;
  let evil: Server;
  let evilUrl: string;

  beforeAll(async () => {
    hub = await startHub({ env: { HERALD_E2E_SECRET: 'security-secret' } });
    await hub.api('sources.create', { config: { id: 'ci', name: 'CI', kind: 'generic', secret: 'env:HERALD_E2E_SECRET' }, secrets: {} });
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, 'security-secret', { type: 'pipeline.failed', title: 'Keep me' });
    browser = await launchBrowser();
    // Another loopback origin: same site as the hub for cookies (ports do not count), so only the Origin check stops it.
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>evil</title><script>
        const hub = ${JSON.stringify(hub.apiUrl)};
        window.attempts = Promise.all([
          fetch(hub + '/api/events.delete', { method: 'POST', credentials: 'include', mode: 'no-cors',
            headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ ids: ['x'] }) }).then(() => 'sent', (e) => String(e)),
          fetch(hub + '/api/events.markRead', { method: 'POST', credentials: 'include',
            headers: { 'content-type': 'application/json' }, body: JSON.stringify({ all: true }) }).then((r) => r.status, (e) => 'blocked: ' + e),
        ]);
      </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const address = evil.address();
    evilUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await new Promise((resolve) => evil?.close(resolve));
  });

  it('refuses a missing or wrong token with 401, and accepts the right one', async () => {
    const url = `${hub.apiUrl}/api/hub.status`;
    const post = (headers: Record<string, string>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    const cases: Array<[string, Record<string, string>, number]> = [
      ['no token', {}, 401],
      ['wrong bearer', { authorization: 'Bearer not-the-token' }, 401],
      ['token of another length', { authorization: `Bearer ${hub.token}x` }, 401],
      ['wrong cookie', { cookie: `${HTTP_TRANSPORT.tokenCookie}=nope` }, 401],
      ['right bearer', { authorization: `Bearer ${hub.token}` }, 200],
      ['right cookie', { cookie: `${HTTP_TRANSPORT.tokenCookie}=${encodeURIComponent(hub.token)}` }, 200],
    ];
    for (const [name, headers, status] of cases) {
      const response = await post(headers);
      expect({ name, status: response.status }).toEqual({ name, status });
      if (status === 401) expect(await response.json()).toMatchObject({ error: { message: expect.stringMatching(/token/) } });
    }
    const updates = await fetch(`${hub.apiUrl}${HTTP_TRANSPORT.updatesPath}`);
    expect(updates.status).toBe(401);
  });

  it('refuses a foreign Origin or Host with 403, even with the right token', async () => {
    const auth = { authorization: `Bearer ${hub.token}` };
    const cases: Array<[string, Record<string, string>, number]> = [
      ['foreign origin', { ...auth, origin: 'http://evil.example' }, 403],
      ['another loopback port', { ...auth, origin: evilUrl }, 403],
      ['null origin', { ...auth, origin: 'null' }, 403],
      ['foreign host (DNS rebinding)', { ...auth, host: `evil.example:${new URL(hub.apiUrl).port}` }, 403],
      // The hub is not on port 80: a browser would never send these for it.
      ['own name without the port (origin)', { ...auth, origin: 'http://127.0.0.1' }, 403],
      ['own name without the port (host)', { ...auth, host: '127.0.0.1' }, 403],
      ['own host and port over https', { ...auth, origin: hub.apiUrl.replace('http:', 'https:') }, 403],
      ['own origin', { ...auth, origin: hub.apiUrl }, 200],
      ['own port as localhost', { ...auth, origin: `http://localhost:${new URL(hub.apiUrl).port}`, host: `localhost:${new URL(hub.apiUrl).port}` }, 200],
    ];
    for (const [name, headers, status] of cases) {
      const response = await rawPost(hub.apiUrl, '/api/hub.status', headers);
      expect({ name, status: response.status }).toEqual({ name, status });
    }
  });

  it('signs the browser in with an HttpOnly, SameSite=Strict cookie; a wrong link does not', async () => {
    const { page, context } = browser;
    const wrong = await page.goto(`${hub.apiUrl}/?token=wrong`);
    expect(wrong?.status()).toBe(401);
    expect(await context.cookies(hub.apiUrl)).toEqual([]);
    // The app's signed-out page, saying the link's token is wrong, with the token gone from the address bar.
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The token in that link is not this hub’s');
    await expect.poll(() => page.url()).toBe(`${hub.apiUrl}/`);

    // Without a token the UI loads but says how to sign in.
    await page.goto(`${hub.apiUrl}/`);
    await page.getByText('This browser is not signed in to the hub').waitFor();

    await signIn(page, hub);
    expect(page.url()).toBe(`${hub.apiUrl}/`);
    const [cookie] = await context.cookies(hub.apiUrl);
    expect(cookie).toMatchObject({ name: HTTP_TRANSPORT.tokenCookie, httpOnly: true, sameSite: 'Strict' });
    // Kept across browser restarts (not a session cookie): 30 days.
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 29 * 24 * 3600);
    // The page cannot read it.
    await expect(page.evaluate(() => document.cookie)).resolves.toBe('');

    // Signed in, an old link with another token does not lock the browser out: it lands on Now.
    await page.goto(`${hub.apiUrl}/?token=from-an-earlier-start`);
    await page.getByRole('heading', { name: 'Now', level: 1 }).waitFor();
    expect(page.url()).toBe(`${hub.apiUrl}/`);
  });

  it('a page from another origin cannot use the signed-in browser against the api', async () => {
    const { context } = browser;
    const evilPage = await context.newPage();
    const refused: number[] = [];
    evilPage.on('response', (r) => {
      if (r.url().startsWith(`${hub.apiUrl}/api/`)) refused.push(r.status());
    });
    await evilPage.goto(evilUrl);
    const results = await evilPage.evaluate(() => (window as unknown as { attempts: Promise<unknown[]> }).attempts);
    // The no-cors request goes out but is refused; the cors one is refused by the hub and then by CORS.
    expect(results[0]).toBe('sent');
    expect(String(results[1])).toMatch(/blocked/);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((s) => s === 403)).toBe(true);
    await evilPage.close();
    const page = await hub.api<{ items: Array<{ title: string; read: boolean }> }>('events.list', {});
    expect(page.items).toEqual([expect.objectContaining({ title: 'Keep me', read: false })]);
  });

  it('serves the UI under the strict CSP and the UI breaks none of it', async () => {
    const { page } = browser;
    browser.problems.length = 0;
    await page.goto('about:blank');
    const response = await page.goto(`${hub.apiUrl}/#/settings`);
    expect(response?.headers()['content-security-policy']).toContain(CSP);
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toBe(CSP);
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    for (const name of ['History', 'Sources', 'Channels', 'Rules']) {
      await page.getByRole('link', { name: new RegExp(`^${name}`) }).click();
      await page.getByRole('heading', { name, level: 1 }).waitFor();
    }
    // No inline <style>/<script> and no style attributes in the served HTML.
    const html = await (await fetch(`${hub.apiUrl}/`)).text();
    expect(html).not.toMatch(/<style|<script(?![^>]*\bsrc=)|\sstyle=/i);
    expect(browser.problems).toEqual([]);
  });
});

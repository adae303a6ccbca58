// What the running hub knows about each source, on the Sources page against the real
// headless hub: a relay client's state (live, as the relay goes away and comes back), the
// last request answered but not stored (a GitHub ping), Jenkins' `<token>` setup hint, and a
// failing poller's error and backoff.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubExample, postGithub } from '../helpers/ci-webhooks.js';
import type { HubProcess } from '../helpers/hub-process.js';
import { startSseRelay, type SseRelay } from '../helpers/sse-relay.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, SCREENSHOTS, signIn, startHub } from './hub.js';

const GH_SECRET = 'gh-e2e-secret';
const CHANNEL = 'herald-e2e-channel';

/** A loopback port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('sources page: relay, poll and ignored-request state', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let relay: SseRelay;
  let browser: Browser;
  let deadPort: number;

  const row = (id: string) => browser.page.locator(`tr[data-source-id="${id}"]`);
  const text = (id: string, testId: string) => async () => (await row(id).getByTestId(testId).textContent()) ?? '';

  beforeAll(async () => {
    relay = await startSseRelay();
    deadPort = await closedPort();
    hub = await startHub({ env: { HERALD_E2E_GH_SECRET: GH_SECRET, HERALD_E2E_JENKINS_SECRET: 'jenkins-e2e-secret' } });
    const create = (config: Record<string, unknown>) => hub.api('sources.create', { config, secrets: {} });
    await create({ id: 'gh-relayed', name: 'GitHub via relay', kind: 'github', secret: 'env:HERALD_E2E_GH_SECRET', relayUrl: relay.channelUrl(CHANNEL) });
    await create({ id: 'gh-direct', name: 'GitHub direct', kind: 'github', secret: 'env:HERALD_E2E_GH_SECRET' });
    await create({ id: 'jenkins', name: 'Jenkins', kind: 'jenkins', secret: 'env:HERALD_E2E_JENKINS_SECRET' });
    await create({ id: 'feed', name: 'Build feed', kind: 'cctray', url: `http://127.0.0.1:${deadPort}/cctray.xml`, pollIntervalSeconds: 10 });
    await relay.waitForSubscribers(CHANNEL);
    browser = await launchBrowser();
    await signIn(browser.page, hub);
    await openPage(browser.page, 'Sources');
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await relay?.close();
  });

  it('a relayed source shows its relay URL and "connected"; the relay going away shows reconnecting with the error, live; its return, connected', async () => {
    await expect.poll(text('gh-relayed', 'relay-status'), { timeout: 10_000 }).toMatch(/^connected · nothing relayed yet$/);
    await expect(row('gh-relayed').locator('code').first().textContent()).resolves.toBe(relay.channelUrl(CHANNEL));
    await expect.poll(() => row('gh-relayed').getByRole('button', { name: 'Copy relay URL of GitHub via relay' }).isVisible()).toBe(true);

    const port = relay.port;
    await relay.close();
    // No reload, no navigation: the hub's health.changed update brings it.
    await expect.poll(text('gh-relayed', 'relay-status'), { timeout: 5000 }).toMatch(/^reconnecting (in \d+ s|now)/);
    await expect.poll(text('gh-relayed', 'relay-status'), { timeout: 5000 }).toMatch(/relay (closed the stream|connection dropped|unreachable)/);
    expect(await row('gh-relayed').locator('.dot--bad').count()).toBe(1);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await browser.page.screenshot({ path: join(SCREENSHOTS, 'sources-relay-down-light.png') });

    relay = await startSseRelay(port);
    await relay.waitForSubscribers(CHANNEL, 1, 30_000);
    await expect.poll(text('gh-relayed', 'relay-status'), { timeout: 10_000 }).toMatch(/^connected/);
    expect(await row('gh-relayed').locator('.dot--ok').count()).toBe(1);
  });

  it('a signed GitHub ping is answered, not stored, and shows as "last ignored: ping"; through the relay too', async () => {
    const { page } = browser;
    const ping = githubExample('ping', () => true);
    const direct = await postGithub(`${hub.ingressUrl}/hooks/gh-direct`, { event: 'ping', payload: ping, secret: GH_SECRET });
    expect(direct.status).toBe(202);
    expect(String(direct.body.ignored)).toMatch(/^ping/);

    // The same ping, posted to the relay channel as GitHub would: the relay client feeds it to ingress.
    const relayed = await postGithub(relay.channelUrl(CHANNEL), { event: 'ping', payload: ping, secret: GH_SECRET });
    expect(relayed.status).toBe(200);
    await expect
      .poll(async () => (await hub.api<Array<{ config: { id: string }; lastIgnored?: unknown }>>('sources.list')).find((s) => s.config.id === 'gh-relayed')?.lastIgnored, { timeout: 10_000 })
      .toBeTruthy();

    // An ignored request is not announced by the hub: the page shows it when it next loads the list.
    await openPage(page, 'History');
    await openPage(page, 'Sources');
    await expect.poll(text('gh-direct', 'last-ignored'), { timeout: 5000 }).toMatch(/^last ignored: ping: GitHub checked the webhook \(hook \d+\) — (just now|\d+ s ago)$/);
    await expect.poll(text('gh-relayed', 'last-ignored'), { timeout: 5000 }).toMatch(/^last ignored: ping/);
    await expect.poll(text('gh-relayed', 'relay-status')).toMatch(/^connected · 1 relayed · last (just now|\d+ s ago)/);
    // Nothing stored: the event count stays 0 and "Last event" says never.
    expect(await row('gh-direct').locator('td.num').textContent()).toBe('0');
    expect(await row('gh-direct').locator('td.last-event-cell').textContent()).toMatch(/^never/);
  });

  it('a Jenkins source shows its URL with <token> marked, and the setup hint opens from the keyboard', async () => {
    const { page } = browser;
    const jenkins = row('jenkins');
    const url = (await jenkins.locator('code').first().textContent())!;
    expect(url).toBe(`${hub.ingressUrl}/hooks/jenkins/<token>`);
    expect(await jenkins.locator('.placeholder').textContent()).toBe('<token>');

    const hint = jenkins.locator('details.setup p');
    expect(await hint.isVisible()).toBe(false);
    // Reached with Tab from the URL's copy button, opened with Enter.
    await jenkins.getByRole('button', { name: 'Copy ingress URL of Jenkins' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('SUMMARY');
    await page.keyboard.press('Enter');
    await expect.poll(() => hint.isVisible()).toBe(true);
    expect(await hint.textContent()).toContain("the ingress URL with <token> replaced by this source's secret (URL-encoded)");
    // The summary's accessible name says which source it belongs to.
    expect(await jenkins.locator('summary').evaluate((el) => el.textContent)).toBe('How to set up Jenkins');
  });

  it('a cctray source pointed at a closed port shows its schedule, the poll error and its backoff', async () => {
    const status = text('feed', 'poll-status');
    await expect.poll(status, { timeout: 15_000 }).toMatch(/backing off: \d+ failed polls? in a row, now \d+ s between tries/);
    const shown = await status();
    expect(shown).toMatch(/^polls every 10 s · last (just now|\d+ s ago) · (next (in \d+ s|now)|polling now…)/);
    expect(shown).toContain(`http://127.0.0.1:${deadPort}/cctray.xml is unreachable: ECONNREFUSED`);
    expect(await row('feed').locator('.runtime__note.error-text').textContent()).toContain('ECONNREFUSED');
    // The hub agrees with what is shown.
    const view = (await hub.api<Array<{ config: { id: string }; poll?: { consecutiveFailures: number; backoffMs: number } }>>('sources.list')).find(
      (s) => s.config.id === 'feed',
    );
    expect(view?.poll?.consecutiveFailures).toBeGreaterThan(0);
    expect(view?.poll?.backoffMs).toBeGreaterThanOrEqual(10_000);
  });

  it('no console errors or CSP violations on the way', () => {
    expect(browser.problems).toEqual([]);
  });
});

// A channel's endpoint on a bad day, in the UI. A service that answers 429 with
// `Retry-After: 3600` pauses its channel for an hour: the
// Channels page says so beside the backlog (until when, and the answer that asked), since a
// healthy channel whose pending count never moves is otherwise a mystery; changing the
// channel's settings sends at once and the line goes. A token that expired fails every
// delivery at once (a 401 is not retried): once fixed, *Retry failed* sends them all. A
// backlog backing off after 503s says when it tries again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, waitFor } from '../helpers/hub-process.js';
import { startSink, type Sink } from '../helpers/http-sink.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, SCREENSHOTS, sendEvents, signIn, startHub } from './hub.js';

const SECRET = 'pause-e2e-secret';

/**
 * How the Channels page writes a time (renderer/lib/time.ts formatListTime): `HH:MM:SS` on the
 * day it draws, `YYYY-MM-DD HH:MM` on another (an hour's pause begun after 23:00 ends
 * tomorrow). One text per moment given: a midnight may pass between drawing and reading.
 */
function listTimes(iso: string, ...drawnAt: Date[]): string[] {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hhmm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return drawnAt.map((now) =>
    d.toDateString() === now.toDateString() ? `${hhmm}:${pad(d.getSeconds())}` : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hhmm}`,
  );
}

describe('a channel recovering from its endpoint\'s bad day, in the UI', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;
  let sink: Sink;

  beforeAll(async () => {
    sink = await startSink();
    hub = await startHub({ env: { PAUSE_E2E_SECRET: SECRET } });
    await hub.api('sources.create', { config: { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:PAUSE_E2E_SECRET' }, secrets: {} });
    await hub.api('channels.create', { config: { id: 'sink', kind: 'webhook', name: 'Team hook', url: `${sink.url}/hook` }, secrets: {} });
    await hub.api('rules.create', { config: { id: 'all', name: 'All', channels: ['sink'] } });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await sink?.close();
  });

  it('says until when and why the backlog waits; saving the channel sends it', async () => {
    const { page } = browser;
    sink.respond(429, 'slow down', { 'retry-after': '3600' });
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, [
      { type: 'pipeline.failed', title: 'one' },
      { type: 'pipeline.failed', title: 'two' },
    ]);
    const drawnAfter = new Date();
    await openPage(page, 'Channels');
    const row = page.locator('tr[data-channel-id="sink"]');
    const paused = row.getByTestId('channel-paused');
    await paused.waitFor();
    const until = (await hub.api<Array<{ delivery: { pausedUntil: string } }>>('channels.list'))[0]!.delivery.pausedUntil;
    const text = await paused.textContent();
    expect(listTimes(until, drawnAfter, new Date()).map((t) => `paused until ${t}: the service asked to wait (HTTP 429: slow down)`)).toContain(text);
    await page.screenshot({ path: `${SCREENSHOTS}/channel-paused.png` });

    sink.respond(200, 'ok');
    // The endpoint moved (a new URL): saving the change lifts the pause the old one asked for.
    await row.getByRole('button', { name: 'Edit Team hook' }).click();
    const form = page.getByRole('form', { name: 'Edit channel Team hook' });
    await form.getByLabel('URL').fill(`${sink.url}/hook?moved=1`);
    await form.getByRole('button', { name: 'Save changes' }).click();
    await waitFor(() => sink.received.length === 2, 10_000, 'both deliveries sent after the save');
    await paused.waitFor({ state: 'detached' });
    expect(browser.problems).toEqual([]);
  });

  it('retries every failed delivery of a channel with one button, once fixed', async () => {
    const { page } = browser;
    sink.respond(401, 'token expired');
    const before = sink.received.length;
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, [
      { type: 'pipeline.failed', title: 'three' },
      { type: 'pipeline.failed', title: 'four' },
      { type: 'pipeline.failed', title: 'five' },
    ]);
    const row = page.locator('tr[data-channel-id="sink"]');
    // The three, and the channel's own "unhealthy" event the rule also sends there.
    const retry = row.getByRole('button', { name: 'Retry the 4 failed deliveries to Team hook' });
    await retry.waitFor();
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe('4');
    sink.respond(200, 'ok');
    await retry.click();
    await page.getByText('4 failed deliveries to Team hook queued again').waitFor();
    // The four, then the channel's own "works again" event (its first success ended the
    // unhealthy streak), which the rule sends there too: the channel is quiet after it.
    const titles = () => sink.received.slice(before).map((r) => (r.json as { event: { title: string } }).event.title);
    await waitFor(() => titles().includes('Team hook (webhook channel) works again'), 10_000, 'the failed deliveries and the recovery sent');
    await retry.waitFor({ state: 'detached' });
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe('0');
    expect(titles().sort()).toEqual(['Team hook (webhook channel) is failing', 'Team hook (webhook channel) works again', 'five', 'four', 'three']);
    expect(browser.problems).toEqual([]);
  });

  it('says when a channel backing off after a 503 tries again', async () => {
    const { page } = browser;
    await hub.api('settings.update', { settings: { delivery: { maxAttempts: 8, baseDelayMs: 120_000, maxDelayMs: 900_000, unhealthyAfter: 3 } } });
    sink.respond(503, 'down for maintenance');
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'six' });
    const row = page.locator('tr[data-channel-id="sink"]');
    const next = row.getByTestId('channel-next-attempt');
    const drawnAfter = new Date();
    await next.waitFor();
    const [view] = await hub.api<Array<{ delivery: { nextAttemptAt: string } }>>('channels.list');
    const pendings = await hub.api<Array<{ nextAttemptAt: string }>>('deliveries.list', { status: 'pending' });
    // Its only pending delivery ('six'): the channel's next attempt is that delivery's, 60–120 s
    // after the first (half the base delay, jittered).
    expect(pendings).toHaveLength(1);
    const [pending] = pendings;
    expect(view!.delivery.nextAttemptAt).toBe(pending!.nextAttemptAt);
    expect(Date.parse(pending!.nextAttemptAt) - Date.now()).toBeGreaterThan(50_000);
    await page.screenshot({ path: `${SCREENSHOTS}/channel-next-attempt.png` });
    const text = await next.textContent();
    expect(listTimes(pending!.nextAttemptAt, drawnAfter, new Date()).map((t) => `next attempt ${t}`)).toContain(text);
    expect(browser.problems).toEqual([]);
  });
});

// What the Channels page tells a user about a channel that cannot or did not send, in real
// Chromium against the real hub: a secret that does not resolve (with the variable to set),
// an email channel without a sender (at once, not after its first failed delivery), the
// reason of a failed delivery while the channel is not yet unhealthy — and Pause/Resume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Sink } from '../helpers/http-sink.js';
import { type HubProcess, waitFor } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';

const SECRET = 'channel-state-secret';
type ChannelList = Array<{ config: { id: string; enabled: boolean }; failed: number; health: { consecutiveFailures: number } }>;

describe('channel state on the Channels page', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let sink: Sink;
  let browser: Browser;
  const row = (id: string) => browser.page.locator(`tr[data-channel-id="${id}"]`);

  beforeAll(async () => {
    sink = await startSink();
    hub = await startHub({ env: { HERALD_E2E_CHANNEL_STATE_SECRET: SECRET } });
    await hub.api('settings.update', { settings: { delivery: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100, unhealthyAfter: 3 } } });
    await hub.api('sources.create', { config: { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_E2E_CHANNEL_STATE_SECRET' }, secrets: {} });
    await hub.api('channels.create', { config: { id: 'hook', kind: 'webhook', name: 'Picky hook', url: `${sink.url}/hook` }, secrets: {} });
    // Its webhook URL is in a variable nobody set.
    await hub.api('channels.create', { config: { id: 'chat', kind: 'slack', name: 'Chat', webhookUrl: 'env:HERALD_E2E_UNSET_SLACK_URL' }, secrets: {} });
    await hub.api('rules.create', { config: { id: 'all', name: 'All to the hook', match: {}, channels: ['hook'] } });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await sink?.close();
  });

  it('a secret that does not resolve: the channel needs it, and the page names the variable', async () => {
    await openPage(browser.page, 'Channels');
    const chat = row('chat');
    // The list arrives after the heading: wait for the badge rather than count at once.
    await chat.locator('.badge', { hasText: 'needs its secret' }).waitFor();
    await expect(chat.getByTestId('channel-needs-secret').textContent()).resolves.toContain('environment variable HERALD_E2E_UNSET_SLACK_URL is not set');
  });

  it('an email channel without a sender says so when added, and in its row', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Add channel' }).click();
    await page.getByLabel('Kind').selectOption('email');
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Mail');
    await page.getByRole('textbox', { name: 'To', exact: true }).fill('dev@acme.example');
    await page.getByRole('textbox', { name: 'Host', exact: true }).fill('127.0.0.1');
    await page.getByRole('button', { name: 'Add channel' }).click();
    await expect.poll(() => page.locator('.toast').allTextContents()).toContainEqual(expect.stringContaining('Channel Mail saved, but no sender: set From on the channel'));
    await expect(row('mail').getByTestId('channel-warning').textContent()).resolves.toContain('no sender');
    // Where it sends from, under its name, as a webhook's host is.
    await expect(row('mail').locator('.cell-title + .muted').textContent()).resolves.toBe('mail · email · 127.0.0.1:587');

    // A default sender in Settings is a sender: the warning goes.
    await hub.api('settings.update', { settings: { email: { defaultFrom: 'Herald <herald@acme.example>' } } });
    await page.reload();
    await row('mail').waitFor();
    await expect.poll(() => row('mail').getByTestId('channel-warning').count()).toBe(0);
  });

  it('the add form: an email channel shows the fields of its transport only; a webhook URL secret gets room', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Add channel' }).click();
    const form = page.getByRole('form', { name: 'New channel' });
    await form.getByLabel('Kind').selectOption('email');
    const shown = (label: string) => form.getByLabel(label, { exact: true }).count();
    // SMTP by default: its server, not SES's region and keys.
    await expect.poll(() => shown('Host')).toBe(1);
    await expect.poll(() => shown('AWS region')).toBe(0);
    await expect.poll(() => shown('Access key id')).toBe(0);
    await form.getByLabel('Transport').selectOption('ses');
    await expect.poll(() => shown('AWS region')).toBe(1);
    await expect.poll(() => shown('Host')).toBe(0);
    await expect.poll(() => shown('Security')).toBe(0);

    // Slack's webhook URL (a whole https://hooks.slack.com/services/… URL) is not squeezed beside its select.
    await form.getByLabel('Kind').selectOption('slack');
    const url = form.getByRole('textbox', { name: 'Webhook URL' });
    const box = (await url.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(300);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('a channel that has sent nothing yet is "not used yet", not healthy, also after a failed test', async () => {
    const { page } = browser;
    sink.respond(503, 'down for maintenance');
    await page.getByRole('button', { name: 'Send test message to Picky hook' }).click();
    await expect.poll(() => row('hook').textContent()).toContain('test: failed');
    await expect(row('hook').locator('.badge').first().textContent()).resolves.toBe('not used yet');
  });

  it('a failed delivery shows its reason and "1 failure", though one failure is not yet unhealthy', async () => {
    sink.respond(400, 'payload rejected: missing field "text"');
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'build failed' });
    await waitFor(async () => (await hub.api<ChannelList>('channels.list')).find((c) => c.config.id === 'hook')!.failed === 1, 10_000, 'delivery failed');
    const hook = row('hook');
    await expect.poll(() => hook.getByTestId('channel-last-error').textContent(), { timeout: 10_000 }).toContain('last attempt failed: HTTP 400');
    // Neither "healthy" beside the red reason nor "unhealthy" yet.
    await expect(hook.locator('.badge').first().textContent()).resolves.toBe('1 failure');
    await expect(hook.locator('.badge').first().getAttribute('class')).resolves.toContain('badge--warn');
  });

  it('Pause and Resume from the row', async () => {
    const { page } = browser;
    const enabled = async () => (await hub.api<ChannelList>('channels.list')).find((c) => c.config.id === 'hook')!.config.enabled;
    await page.getByRole('button', { name: 'Pause Picky hook' }).click();
    await waitFor(async () => !(await enabled()), 5000, 'paused');
    await expect.poll(() => row('hook').locator('.badge').first().textContent()).toBe('paused');
    await page.getByRole('button', { name: 'Resume Picky hook' }).click();
    await waitFor(enabled, 5000, 'resumed');
    await expect.poll(() => row('hook').locator('.badge').first().textContent()).toBe('1 failure');
    expect(browser.problems).toEqual([]);
  });
});

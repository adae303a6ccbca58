// A new user's first run, in real Chromium against the real headless hub: add a generic
// source, a webhook channel pointing at a loopback sink and a rule; fire an event at
// ingress; see it appear live in History and the sink receive it; search finds it; a
// failed delivery shows its error and "Retry now" delivers it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Sink } from '../helpers/http-sink.js';
import { type HubProcess, waitFor } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';

describe('first run', { timeout: 120_000 }, () => {
  let hub: HubProcess;
  let sink: Sink;
  let browser: Browser;
  /** Set when the hub has no keychain: the source secret then comes from this env var. */
  const ENV_SECRET = 'e2e-env-secret-0123456789abcdef';

  beforeAll(async () => {
    sink = await startSink();
    hub = await startHub({ env: { HERALD_E2E_SOURCE_SECRET: ENV_SECRET } });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await sink?.close();
  });

  it('goes from an empty hub to a delivered, searchable, retried event', async () => {
    const { page } = browser;
    await signIn(page, hub);
    await expect.poll(() => page.getByRole('heading', { name: 'Get started' }).isVisible()).toBe(true);
    const keychain = (await hub.api<{ keychain: { available: boolean } }>('hub.status')).keychain.available;

    // 1. A generic source. With a keychain the UI generates the secret and shows it once.
    await openPage(page, 'Sources');
    await page.getByRole('button', { name: 'Add source' }).click();
    const sourceForm = page.getByRole('form', { name: 'New source' });
    await sourceForm.getByLabel('Kind').selectOption('generic');
    await sourceForm.getByLabel('Name').fill('CI pipelines');
    await expect(sourceForm.getByLabel('Id').inputValue()).resolves.toBe('ci-pipelines');
    let secret: string;
    if (keychain) {
      secret = await sourceForm.getByLabel('Shared secret').inputValue();
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    } else {
      await sourceForm.getByLabel('Where to keep it').selectOption('env');
      await sourceForm.getByLabel('Shared secret').fill('HERALD_E2E_SOURCE_SECRET');
      secret = ENV_SECRET;
    }
    await sourceForm.getByRole('button', { name: 'Add source' }).click();
    const reveal = page.getByRole('status').filter({ hasText: 'CI pipelines is ready' });
    await reveal.waitFor();
    const ingressUrl = (await reveal.getByTestId('ingress-url').textContent())!;
    expect(ingressUrl).toBe(`${hub.ingressUrl}/hooks/ci-pipelines`);
    if (keychain) await expect(reveal.getByTestId('source-secret').textContent()).resolves.toBe(secret);
    await reveal.getByRole('button', { name: 'Done' }).click();
    await page.locator('tr[data-source-id="ci-pipelines"]').waitFor();

    // 2. A webhook channel pointing at the loopback sink.
    await openPage(page, 'Channels');
    await page.getByRole('button', { name: 'Add channel' }).click();
    const channelForm = page.getByRole('form', { name: 'New channel' });
    await channelForm.getByLabel('Kind').selectOption('webhook');
    await channelForm.getByLabel('Name').fill('Team sink');
    await channelForm.getByLabel('URL').fill(`${sink.url}/hook`);
    await channelForm.getByRole('button', { name: 'Add channel' }).click();
    await page.locator('tr[data-channel-id="team-sink"]').waitFor();

    // 3. A rule: pipeline events to the sink, with its live preview.
    await openPage(page, 'Rules');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const ruleForm = page.getByRole('form', { name: 'New rule' });
    await ruleForm.getByLabel('Name').fill('Pipelines to the team');
    await ruleForm.getByLabel('Event types').fill('pipeline.*');
    await ruleForm.getByRole('checkbox', { name: /Team sink/ }).check();
    await expect(page.getByTestId('preview-summary').textContent()).resolves.toMatch(/Would have matched 0 of the last 0 events/);
    await ruleForm.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('tr[data-rule-id="pipelines-to-the-team"]').waitFor();
    const rules = await hub.api<Array<{ id: string; match: { types: string[] }; channels: string[] }>>('rules.list');
    expect(rules).toEqual([expect.objectContaining({ id: 'pipelines-to-the-team', match: { types: ['pipeline.*'] }, channels: ['team-sink'] })]);

    // One attempt per delivery, so a failure shows at once (Settings, through the UI).
    await openPage(page, 'Settings');
    await page.getByLabel('Attempts before giving up').fill('1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await waitFor(async () => (await hub.api<{ delivery: { maxAttempts: number } }>('settings.get')).delivery.maxAttempts === 1, 5000, 'settings saved');

    // 4. An event at ingress appears live in History, and the sink gets it.
    await openPage(page, 'History');
    await sendEvents(ingressUrl, secret, {
      type: 'pipeline.failed',
      title: 'Build 4711 failed on main',
      summary: '<b>not bold</b> — text from events stays text',
      subject: { project: 'payments-api', branch: 'main' },
    });
    const row = page.locator('.event-row', { hasText: 'Build 4711 failed on main' });
    await row.waitFor({ timeout: 10_000 });
    await expect(row.getAttribute('class')).resolves.toContain('event-row--unread');
    const delivered = (await waitFor(() => sink.received.find((r) => r.url === '/hook'), 10_000, 'the sink to receive the event'))!;
    expect(delivered.json).toMatchObject({ event: { type: 'pipeline.failed', title: 'Build 4711 failed on main' }, rule: { id: 'pipelines-to-the-team' } });

    // The detail: fields, the rule that matched, the delivery; text rendered as text.
    await row.getByRole('button').click();
    const detail = page.getByRole('complementary', { name: 'Event detail' });
    await detail.getByRole('heading', { name: 'Build 4711 failed on main' }).waitFor();
    await expect(detail.locator('.detail__summary').textContent()).resolves.toBe('<b>not bold</b> — text from events stays text');
    await expect(detail.locator('.detail__summary b').count()).resolves.toBe(0);
    await expect.poll(() => detail.getByRole('cell', { name: 'Pipelines to the team' }).isVisible()).toBe(true);
    await detail.locator('.delivery[data-status="delivered"]').waitFor();
    await expect(row.getAttribute('class')).resolves.not.toContain('event-row--unread');

    // 5. Search finds it, and not what does not match.
    const search = page.getByRole('searchbox', { name: 'Search events' });
    await search.fill('4711');
    await page.locator('[data-state="ready"][data-query*="4711"]').waitFor();
    await expect(page.locator('.event-row').count()).resolves.toBe(1);
    await search.fill('nosuchwordanywhere');
    await page.getByText('No events match these filters.').waitFor();
    await search.fill('');
    await row.waitFor();

    // 6. A failed delivery shows its error; "Retry now" delivers it.
    sink.respond(503, 'sink is down for maintenance');
    await sendEvents(ingressUrl, secret, { type: 'pipeline.failed', title: 'Build 4712 failed on main', subject: { project: 'payments-api' } });
    const failedRow = page.locator('.event-row', { hasText: 'Build 4712 failed on main' });
    await failedRow.waitFor();
    await failedRow.getByRole('button').click();
    await detail.getByRole('heading', { name: 'Build 4712 failed on main' }).waitFor();
    const failed = detail.locator('.delivery[data-status="failed"]');
    await failed.waitFor({ timeout: 15_000 });
    await expect(failed.locator('.delivery__error').textContent()).resolves.toMatch(/503/);
    const before = sink.received.length;
    sink.respond(200, 'ok');
    await failed.getByRole('button', { name: /Retry now/ }).click();
    await detail.locator('.delivery[data-status="delivered"]').waitFor({ timeout: 15_000 });
    expect(sink.received.length).toBe(before + 1);
    expect(sink.received.at(-1)!.json).toMatchObject({ event: { title: 'Build 4712 failed on main' } });

    expect(browser.problems).toEqual([]);
  });
});

// The everyday controls of each page against the real hub: History's read/unread/delete,
// Sources' pause and test, Channels' test message, Rules' order and switch, Settings'
// snooze and config export/import.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Sink } from '../helpers/http-sink.js';
import { type HubProcess, tempDir, waitFor } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';
import { SEED_SECRET_ENV, seedEvents, seedHub } from './seed.js';

type Status = { counts: { events: number; unread: number } };

describe('page workflows', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let sinks: { ok: Sink; failing: Sink };
  let browser: Browser;

  beforeAll(async () => {
    sinks = { ok: await startSink(), failing: await startSink() };
    hub = await startHub({ env: SEED_SECRET_ENV });
    await seedHub(hub, sinks);
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await sinks?.ok.close();
    await sinks?.failing.close();
  });

  it('History: select, mark read and unread, delete, mark all read; the sidebar counts follow', async () => {
    const { page } = browser;
    await openPage(page, 'History');
    const unreadBefore = (await hub.api<Status>('hub.status')).counts.unread;
    expect(unreadBefore).toBeGreaterThan(3);
    const rows = page.locator('.event-row--unread');
    const titles = await rows.locator('.event-row__title').allTextContents();
    await rows.nth(0).getByRole('checkbox').check();
    await rows.nth(1).getByRole('checkbox').check();
    await page.getByRole('toolbar', { name: 'Event actions' }).getByRole('button', { name: 'Mark read' }).click();
    await waitFor(async () => (await hub.api<Status>('hub.status')).counts.unread === unreadBefore - 2, 5000, 'two marked read');
    await expect.poll(() => page.getByRole('link', { name: /^History/ }).textContent()).toContain(String(unreadBefore - 2));

    // Delete one through the two-step button.
    const target = page.locator('.event-row', { hasText: titles[0]!.replace(/^Unread: /, '') }).first();
    await target.getByRole('checkbox').check();
    const eventsBefore = (await hub.api<Status>('hub.status')).counts.events;
    await page.getByRole('button', { name: 'Delete 1' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await waitFor(async () => (await hub.api<Status>('hub.status')).counts.events === eventsBefore - 1, 5000, 'deleted');
    await expect.poll(() => target.count()).toBe(0);

    await page.getByRole('button', { name: 'Mark all read' }).click();
    await waitFor(async () => (await hub.api<Status>('hub.status')).counts.unread === 0, 5000, 'all read');
    await expect.poll(() => page.locator('.event-row--unread').count()).toBe(0);
  });

  it('History: keyboard moves through the list and opens an event', async () => {
    const { page } = browser;
    await openPage(page, 'History');
    const first = page.locator('.event-row').first().getByRole('button');
    await first.focus();
    const focusedIndex = () => page.evaluate(() => document.activeElement?.closest('.event-row')?.getAttribute('data-index'));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(focusedIndex).toBe('2');
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    await expect.poll(focusedIndex).toBe('0');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect.poll(focusedIndex).toBe('2');
    // Tab leaves the list from the active row: one tab stop per row, not one per event.
    await page.keyboard.press('Shift+Tab');
    expect(await focusedIndex()).toBe('2'); // the row's checkbox
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('complementary', { name: 'Event detail' }).getByRole('heading', { level: 2 }).first().waitFor();
    expect(page.url()).toMatch(/#\/history\/[\w-]+$/);
    await page.getByRole('button', { name: 'Close detail' }).click();
  });

  it('History: scrolling loads further pages by cursor', async () => {
    const { page } = browser;
    // 500 more events: more than two pages of 200.
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SEED_SECRET_ENV.HERALD_SEED_CI_SECRET, seedEvents(500, 1000));
    await openPage(page, 'Settings');
    await openPage(page, 'History');
    const total = (await hub.api<Status>('hub.status')).counts.events;
    await expect.poll(() => page.locator('.page-header__meta').textContent()).toBe(`${total.toLocaleString('en-US')} events`);
    const list = page.getByRole('region', { name: 'Events' });
    for (let i = 0; i < 40; i++) {
      await list.evaluate((el) => el.scrollBy(0, el.clientHeight * 3));
      if ((await page.locator('.event-row--loader').count()) === 0 && (await list.evaluate((el) => el.scrollTop + el.clientHeight >= el.scrollHeight - 2))) break;
      await page.waitForTimeout(50);
    }
    const lastIndex = await page.locator('.event-row').last().getAttribute('data-index');
    expect(Number(lastIndex)).toBe(total - 1);
    // Only what is on screen is in the DOM.
    expect(await page.locator('.event-row').count()).toBeLessThan(80);
  });

  it('Sources: pause and resume, test connection', async () => {
    const { page } = browser;
    await openPage(page, 'Sources');
    await page.getByRole('button', { name: 'Pause CI pipelines' }).click();
    await waitFor(async () => (await hub.api<Array<{ config: { id: string; enabled: boolean } }>>('sources.list')).find((s) => s.config.id === 'ci')!.config.enabled === false, 5000, 'paused');
    await page.locator('tr[data-source-id="ci"]').getByText('paused').waitFor();
    await page.getByRole('button', { name: 'Resume CI pipelines' }).click();
    await page.locator('tr[data-source-id="ci"]').getByText('healthy').waitFor();
    await page.getByRole('button', { name: 'Test connection of CI pipelines' }).click();
    await page.getByRole('status').getByText(/Connection OK/).waitFor();
  });

  it('Channels: "send test" reaches the channel, and a failure says why', async () => {
    const { page } = browser;
    await openPage(page, 'Channels');
    const isTest = (r: { json?: unknown }) => (r.json as { event?: { type?: string } } | undefined)?.event?.type === 'herald.test';
    const before = sinks.ok.received.filter(isTest).length;
    await page.getByRole('button', { name: 'Send test message to Team webhook' }).click();
    await page.getByRole('status').getByText('Test message sent to Team webhook').waitFor();
    // Other deliveries may still be arriving at the sink; exactly one test message came.
    expect(sinks.ok.received.filter(isTest).length).toBe(before + 1);
    await page.getByRole('button', { name: 'Send test message to Ops webhook' }).click();
    await page.locator('tr[data-channel-id="ops"]').getByText(/test: failed · .*502/).waitFor();
  });

  it('Rules: move a rule, switch one off', async () => {
    const { page } = browser;
    await openPage(page, 'Rules');
    const ids = async () => (await hub.api<Array<{ id: string; enabled: boolean }>>('rules.list')).map((r) => r.id);
    expect(await ids()).toEqual(['failures', 'prod-deploys', 'security']);
    await page.getByRole('button', { name: 'Move Security and compliance up' }).click();
    await waitFor(async () => (await ids()).join() === 'failures,security,prod-deploys', 5000, 'reordered');
    await expect.poll(() => page.locator('tbody tr').nth(1).getAttribute('data-rule-id')).toBe('security');
    await page.getByRole('switch', { name: 'Enable Failures to the team' }).uncheck();
    await waitFor(async () => !(await hub.api<Array<{ id: string; enabled: boolean }>>('rules.list'))[0]!.enabled, 5000, 'disabled');
  });

  it('Settings: snooze and resume popups; export and import the config', async () => {
    const { page } = browser;
    await openPage(page, 'Settings');
    await page.getByRole('button', { name: '30 min' }).click();
    await page.getByTestId('snooze-state').getByText(/paused until/).waitFor();
    const snoozed = (await hub.api<{ snoozeUntil?: string }>('settings.get')).snoozeUntil!;
    expect(Date.parse(snoozed) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(snoozed) - Date.now()).toBeLessThan(31 * 60_000);
    await page.getByRole('navigation', { name: 'Pages' }).getByText(/Popups paused until/).waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('snooze-state').getByText('Desktop popups are on.').waitFor();
    const resumed = (await hub.api<{ snoozeUntil?: string }>('settings.get')).snoozeUntil;
    expect(resumed === undefined || Date.parse(resumed) <= Date.now()).toBe(true);

    // Export: a file in the --config shape, secret refs only.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export config…' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^herald-config-\d{4}-\d{2}-\d{2}\.json$/);
    const dir = tempDir('herald-export-');
    const file = join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, 'utf8')) as { sources: Array<{ id: string; secret?: string }>; rules: Array<{ id: string; name: string }> };
    expect(exported.sources.map((s) => s.id)).toEqual(['ci', 'github-org', 'gocd']);
    expect(exported.sources[0]!.secret).toBe('env:HERALD_SEED_CI_SECRET');

    // Import a bad file: refused with the problem named, nothing changed.
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...exported, rules: [{ id: 'r', name: 'R', channels: ['ghost'] }] }));
    await page.getByTestId('config-import-file').setInputFiles(bad);
    await page.getByRole('alert').getByText('rules.0.channels.0: unknown channel "ghost"').waitFor();

    // Import an edited file: confirm, then the rules page shows the change.
    exported.rules = exported.rules.filter((r) => r.id !== 'security').map((r) => (r.id === 'failures' ? { ...r, name: 'Failures (imported)' } : r));
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify(exported));
    await page.getByTestId('config-import-file').setInputFiles(edited);
    await page.getByRole('button', { name: 'Replace config' }).click();
    await page.getByText('Imported 3 sources, 3 channels, 2 rules.').waitFor();
    await openPage(page, 'Rules');
    await page.locator('tr[data-rule-id="failures"]').getByText('Failures (imported)').waitFor();
    expect(await page.locator('tr[data-rule-id="security"]').count()).toBe(0);
    expect(browser.problems).toEqual([]);
  });
});

// History as a user reads it, in real Chromium against the real hub: rows are in the order
// Herald received them, so the time column shows when each was received (when it happened
// is in the tooltip and the detail); a long title can be read in full (tooltip, wrapped in
// the detail); the search box keeps a usable width with the detail open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { fieldError } from './forms.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';

const SECRET = 'history-layout-secret';
const LONG_TITLE = `Deployment of payments-api to production-eu-west-1 failed after 3 retries: ${'the health check at /healthz kept answering 503 '.repeat(6)}end`;

describe('history layout', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    hub = await startHub({ env: { HERALD_E2E_HISTORY_SECRET: SECRET } });
    await hub.api('sources.create', { config: { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_E2E_HISTORY_SECRET' }, secrets: {} });
    const url = `${hub.ingressUrl}/hooks/ci`;
    // Received first, happened now; received second, happened three days ago (a late resend).
    await sendEvents(url, SECRET, { type: 'pipeline.succeeded', title: 'Fresh build passed' });
    await sendEvents(url, SECRET, { type: 'pipeline.failed', title: 'Old build failed', occurredAt: new Date(Date.now() - 3 * 86_400_000).toISOString() });
    await sendEvents(url, SECRET, { type: 'deployment.failed', title: LONG_TITLE });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('shows the received time in the order rows are in; when it happened is in the tooltip', async () => {
    const { page } = browser;
    await openPage(page, 'History');
    const rows = page.locator('.event-row:not(.event-row--loader)');
    await expect.poll(() => rows.count()).toBe(3);
    const titles = (await rows.locator('.event-row__title').allTextContents()).map((t) => t.replace(/^Unread: /, ''));
    expect(titles).toEqual([LONG_TITLE, 'Old build failed', 'Fresh build passed']);
    const old = rows.nth(1).locator('time');
    const events = await hub.api<{ items: Array<{ title: string; receivedAt: string; occurredAt: string }> }>('events.list');
    const oldEvent = events.items.find((e) => e.title === 'Old build failed')!;
    await expect(old.getAttribute('datetime')).resolves.toBe(oldEvent.receivedAt);
    // Received today: a time of day, not the date three days ago it happened.
    await expect(old.textContent()).resolves.toMatch(/^\d\d:\d\d:\d\d$/);
    const tooltip = (await old.getAttribute('title'))!;
    expect(tooltip).toMatch(/^Received \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · happened \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(tooltip).toContain(oldEvent.occurredAt.slice(0, 4));
    // Times down the list never go up: the column agrees with the order.
    const times = await rows.locator('time').evaluateAll((els) => els.map((e) => Date.parse(e.getAttribute('datetime')!)));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('a cut title can be read in full: tooltip on the row, wrapped in the detail', async () => {
    const { page } = browser;
    const row = page.locator('.event-row', { hasText: 'Deployment of payments-api' });
    const title = row.locator('.event-row__title');
    await expect(title.getAttribute('title')).resolves.toBe(LONG_TITLE);
    await row.getByRole('button').click();
    const heading = page.getByRole('complementary', { name: 'Event detail' }).getByRole('heading', { level: 2 });
    await expect(heading.textContent()).resolves.toBe(LONG_TITLE);
    const fits = await heading.evaluate((h) => h.scrollWidth <= h.clientWidth);
    expect(fits).toBe(true);
  });

  it('the search box keeps a usable width with the detail open', async () => {
    const { page } = browser;
    await page.getByRole('complementary', { name: 'Event detail' }).waitFor();
    const search = page.getByRole('searchbox', { name: 'Search events' });
    const box = (await search.boundingBox())!;
    // Room for a search term, not five characters.
    expect(box.width).toBeGreaterThanOrEqual(220);
    await search.fill('payments');
    await expect.poll(() => page.locator('.event-row:not(.event-row--loader)').count()).toBe(1);
    expect(browser.problems).toEqual([]);
  });

  it('keeps an event that arrives live while the list is on its way, made before the event was stored', async () => {
    const { page } = browser;
    await openPage(page, 'Now');
    // The hub makes the list at once; its answer is held until the new event's update has reached the page.
    let listMade!: () => void;
    const made = new Promise<void>((resolve) => (listMade = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(
      '**/api/events.list',
      async (route) => {
        const response = await route.fetch();
        listMade();
        await released;
        await route.fulfill({ response });
      },
      { times: 1 },
    );
    await openPage(page, 'History');
    await made;
    // Any update makes the app reload the hub's status: that request says the event's update has arrived.
    const statusReloaded = page.waitForRequest('**/api/hub.status', { timeout: 5_000 });
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'Arrived while History loaded' });
    await statusReloaded;
    release();
    const rows = page.locator('.event-row:not(.event-row--loader)');
    await expect.poll(() => rows.count(), { timeout: 5_000 }).toBe(4);
    await expect(rows.first().locator('.event-row__title').textContent()).resolves.toContain('Arrived while History loaded');
  });

  it('Escape closes the detail, from the list or the detail, and the focus goes back to the event’s row', async () => {
    const { page } = browser;
    await openPage(page, 'History');
    const detail = page.getByRole('complementary', { name: 'Event detail' });
    const row = page.locator('.event-row', { hasText: 'Old build failed' }).locator('.event-row__open');
    await row.focus();
    await page.keyboard.press('Enter');
    await detail.waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => detail.count()).toBe(0);
    await expect(row.evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    // From inside the detail (its Close button focused).
    await page.keyboard.press('Enter');
    await detail.getByRole('button', { name: 'Close detail' }).focus();
    await page.keyboard.press('Escape');
    await expect.poll(() => detail.count()).toBe(0);
    await expect(row.evaluate((e) => e === document.activeElement)).resolves.toBe(true);
  });

  it('a commit filter being typed says what it needs beside the field, and the list stays as it was', async () => {
    const { page } = browser;
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'Commit c0ffee1 failed', subject: { commit: 'c0ffee1234567890' } });
    const rows = page.locator('.event-row:not(.event-row--loader)');
    await expect.poll(() => rows.count()).toBe(5);
    await page.getByText('More filters').click();
    const commit = page.getByRole('textbox', { name: 'Commit' });
    await commit.fill('c0f');
    await expect(fieldError(commit)).resolves.toEqual({ invalid: true, message: 'must be a commit SHA or at least its first 4 hex digits' });
    // Not a failed list with the old rows under it: no query went out with the partial SHA.
    await expect(page.getByText('Could not load events').count()).resolves.toBe(0);
    await expect(rows.count()).resolves.toBe(5);
    await commit.fill('c0ff');
    await expect.poll(() => rows.count()).toBe(1);
    await expect(fieldError(commit)).resolves.toEqual({ invalid: false, message: '' });
    expect(browser.problems).toEqual([]);
  });

  it('events that cannot be loaded say so, not also "No events yet"', async () => {
    const { page } = browser;
    // The store unreachable (PostgreSQL down): the hub answers the list 503, as it does.
    await page.route('**/api/events.list', (route) =>
      route.fulfill({ status: 503, json: { error: { code: 'unavailable', message: 'nothing accepts connections at 127.0.0.1:5432 (is PostgreSQL running, and on this port?)' } } }),
    );
    await page.goto(`${hub.apiUrl}/#/history`);
    await page.reload();
    await page.getByRole('alert').filter({ hasText: 'Could not load events: nothing accepts connections' }).waitFor();
    await expect(page.getByText('No events yet.').count()).resolves.toBe(0);
    await page.unroute('**/api/events.list');
    expect(browser.problems.filter((p) => !p.includes('503'))).toEqual([]);
    browser.problems.splice(0);
  });
});

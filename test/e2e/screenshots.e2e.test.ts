// A screenshot of each page, light and dark, under test-results/screenshots/ for review;
// and the theme really follows the OS, or the user's choice.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { githubExample, postGithub } from '../helpers/ci-webhooks.js';
import { startSink, type Sink } from '../helpers/http-sink.js';
import { type HubProcess, waitFor } from '../helpers/hub-process.js';
import { startSseRelay, type SseRelay } from '../helpers/sse-relay.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, SCREENSHOTS, signIn, startHub } from './hub.js';
import { SEED_SECRET_ENV, seedHub } from './seed.js';

const background = (browser: Browser) => browser.page.evaluate(() => getComputedStyle(document.body).backgroundColor);

describe('screenshots', { timeout: 120_000 }, () => {
  let hub: HubProcess;
  let sinks: { ok: Sink; failing: Sink };
  let relay: SseRelay;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    sinks = { ok: await startSink(), failing: await startSink() };
    hub = await startHub({ env: SEED_SECRET_ENV });
    await seedHub(hub, sinks);
    // The Sources page's live lines: a relayed source, Jenkins' <token> URL, an ignored ping
    // (the seeded cctray feed points at a closed port, so it shows its backoff).
    relay = await startSseRelay();
    await hub.api('sources.create', {
      config: { id: 'gitlab', name: 'GitLab (via relay)', kind: 'gitlab', secret: 'env:HERALD_SEED_GH_SECRET', relayUrl: relay.channelUrl('herald-screens') },
      secrets: {},
    });
    await hub.api('sources.create', { config: { id: 'jenkins', name: 'Jenkins', kind: 'jenkins', secret: 'env:HERALD_SEED_CI_SECRET' }, secrets: {} });
    await postGithub(`${hub.ingressUrl}/hooks/github-org`, { event: 'ping', payload: githubExample('ping', () => true), secret: SEED_SECRET_ENV.HERALD_SEED_GH_SECRET });
    await relay.waitForSubscribers('herald-screens');
    // Let the failing deliveries fail (one attempt each), so the pages show it.
    await waitFor(async () => (await hub.api<{ counts: { failedDeliveries: number; pendingDeliveries: number } }>('hub.status')).counts.pendingDeliveries === 0, 15_000, 'deliveries to settle');
  });
  afterAll(async () => {
    await hub?.kill();
    await sinks?.ok.close();
    await sinks?.failing.close();
    await relay?.close();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`every page, ${scheme}`, async () => {
      const browser = await launchBrowser({ colorScheme: scheme, viewport: { width: 1360, height: 860 } });
      try {
        const { page } = browser;
        const viewport = page.viewportSize()!;
        // The page scrolls inside <main>, so "full page" means: grow the window to fit it, shoot, shrink back.
        const shot = async (name: string, fullPage = false) => {
          if (fullPage) {
            const height = await page.evaluate(() => document.querySelector('main')!.scrollHeight);
            await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, height) });
          }
          await page.screenshot({ path: join(SCREENSHOTS, `${name}-${scheme}.png`) });
          if (fullPage) await page.setViewportSize(viewport);
        };
        await signIn(page, hub);
        await page.locator('.board-item').first().waitFor();
        await shot('now');
        await openPage(page, 'History');
        await page.locator('.event-row').first().waitFor();
        await shot('history');

        // The detail of an event whose delivery failed.
        await page.locator('.event-row', { hasText: /deployed to prod-|deploy to prod-/ }).first().getByRole('button').click();
        const detail = page.getByRole('complementary', { name: 'Event detail' });
        await detail.locator('.delivery').first().waitFor();
        await shot('history-detail');
        await detail.getByRole('button', { name: 'Close detail' }).click();

        await openPage(page, 'Sources');
        await page.locator('tr[data-source-id="ci"]').waitFor();
        await page.getByTestId('relay-status').filter({ hasText: 'connected' }).waitFor();
        await page.getByTestId('poll-status').filter({ hasText: 'backing off' }).waitFor();
        await page.locator('tr[data-source-id="jenkins"] summary').click();
        await shot('sources');
        await page.getByRole('button', { name: 'Add source' }).click();
        await shot('sources-add', true);
        await page.getByRole('button', { name: 'Cancel' }).click();

        await openPage(page, 'Channels');
        await page.locator('tr[data-channel-id="ops"]').waitFor();
        await shot('channels');
        await page.getByRole('button', { name: 'Edit Team webhook' }).click();
        await shot('channels-edit', true);
        await page.getByRole('button', { name: 'Cancel' }).click();

        await openPage(page, 'Rules');
        await page.locator('tr[data-rule-id="failures"]').waitFor();
        await shot('rules');
        await page.getByRole('button', { name: 'Edit Prod deploys to ops' }).click();
        await page.getByTestId('preview-summary').waitFor();
        await shot('rules-edit', true);
        await page.getByRole('button', { name: 'Cancel' }).click();

        await openPage(page, 'Settings');
        await shot('settings', true);

        const bg = await background(browser);
        expect(bg).toBe(scheme === 'dark' ? 'rgb(17, 20, 24)' : 'rgb(246, 247, 249)');
        expect(browser.problems).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  }

  it('a chosen theme wins over the OS, and "system" follows it again', async () => {
    const browser = await launchBrowser({ colorScheme: 'light' });
    try {
      const { page } = browser;
      await signIn(page, hub);
      await openPage(page, 'Settings');
      await page.getByRole('radio', { name: 'Dark' }).check();
      await expect.poll(() => background(browser)).toBe('rgb(17, 20, 24)');
      expect((await hub.api<{ theme: string }>('settings.get')).theme).toBe('dark');
      await page.getByRole('radio', { name: 'Follow the system' }).check();
      await expect.poll(() => background(browser)).toBe('rgb(246, 247, 249)');
      await page.emulateMedia({ colorScheme: 'dark' });
      await expect.poll(() => background(browser)).toBe('rgb(17, 20, 24)');
    } finally {
      await browser.close();
    }
  });
});

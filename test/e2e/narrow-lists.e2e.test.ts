// The Channels and Rules lists fit the window, in real Chromium against the real hub: from
// the desktop window's default 1100 px down to its 720 px minimum, every row's buttons stay
// inside it however long a channel's error or id or a rule's globs. At 800 px the Channels
// table ran 135 px past the window (Pause, Edit, Delete off the edge): the concurrency line
// under Pending wrapped a word a line and the row's buttons never wrapped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Sink } from '../helpers/http-sink.js';
import { type HubProcess, waitFor } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';

const SECRET = 'narrow-lists-secret';
const LONG_ID = `a-channel-with-an-id-as-long-as-herald-allows-${'x'.repeat(16)}`;

describe('Channels and Rules in a narrow window', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let sink: Sink;
  let browser: Browser;

  beforeAll(async () => {
    sink = await startSink();
    hub = await startHub({ env: { HERALD_E2E_NARROW_SECRET: SECRET } });
    await hub.api('settings.update', { settings: { delivery: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100, unhealthyAfter: 1 } } });
    await hub.api('sources.create', { config: { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_E2E_NARROW_SECRET' }, secrets: {} });
    await hub.api('channels.create', { config: { id: 'ok', kind: 'webhook', name: 'Team hook', url: `${sink.url}/ok` }, secrets: {} });
    await hub.api('channels.create', { config: { id: LONG_ID, kind: 'webhook', name: 'Long', url: `${sink.url}/${'a-very-long-path-segment-'.repeat(6)}` }, secrets: {} });
    await hub.api('rules.create', {
      config: { id: 'long', name: 'Long globs', match: { project: [`platform/${'service-'.repeat(10)}*`], branch: ['release/**'] }, channels: [LONG_ID, 'ok'] },
    });
    await hub.api('rules.create', { config: { id: 'all', name: 'Everything', match: {}, channels: [] } });
    // The long channel fails with an error that is one long word (its URL's path).
    sink.respond(404, `no route /${'a-very-long-path-segment-'.repeat(6)}`);
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'build failed', subject: { project: `platform/${'service-'.repeat(10)}api`, branch: 'release/1' } });
    await waitFor(async () => (await hub.api<Array<{ failed: number }>>('channels.list')).some((c) => c.failed > 0), 10_000, 'a failed delivery');
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
    await sink?.close();
  });

  for (const page of ['Channels', 'Rules'] as const) {
    it(`${page}: every row's buttons stay inside the window at 1100, 800 and 720 px`, async () => {
      const p = browser.page;
      await openPage(p, page);
      await p.locator('td.actions button').first().waitFor();
      try {
        for (const width of [1100, 800, 720]) {
          await p.setViewportSize({ width, height: 800 });
          const overflow = await p.evaluate(() => {
            const main = document.querySelector('.main')!;
            const right = main.getBoundingClientRect().right;
            const outside = Array.from(document.querySelectorAll('.table td.actions button'))
              .filter((b) => b.getBoundingClientRect().right > right + 0.5)
              .map((b) => b.getAttribute('aria-label') ?? b.textContent);
            return { scroll: main.scrollWidth - main.clientWidth, outside };
          });
          expect({ width, ...overflow }).toEqual({ width, scroll: 0, outside: [] });
        }
      } finally {
        await p.setViewportSize({ width: 1280, height: 800 });
      }
      expect(browser.problems).toEqual([]);
    });
  }
});

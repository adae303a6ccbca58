// Muting a pipeline from the event detail and lifting it in Rules → Muted, in real Chromium
// against the real headless hub: the next failure of that pipeline says it was not sent,
// the hub holds the mute, and lifting it anywhere updates every open view (mutes.changed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { tempDir, writeConfig } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';

const SECRET = 'e2e-mutes-secret';

describe('pipeline mutes in the UI', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;
  const post = async (title: string) => {
    const res = await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title, subject: { project: 'acme/api', pipeline: 'ci', branch: 'main' } });
    return ((await res.json()) as { ids: string[] }).ids[0]!;
  };
  const openEvent = async (id: string) => {
    await browser.page.goto(`${hub.apiUrl}/#/history/${id}`);
    const detail = browser.page.getByRole('complementary', { name: 'Event detail' });
    await detail.getByRole('heading', { level: 2 }).first().waitFor();
    return detail;
  };

  beforeAll(async () => {
    const dir = tempDir('herald-e2e-mutes-');
    const configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_E2E_MUTE_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: 'http://127.0.0.1:9/hook' }],
      rules: [{ id: 'pipelines', name: 'Pipelines', match: { types: 'pipeline.*' }, channels: ['sink'] }],
    });
    hub = await startHub({ configFile, env: { HERALD_E2E_MUTE_SECRET: SECRET } });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('mute from the event detail, see the next failure held back, lift it in Rules', async () => {
    const { page } = browser;
    const first = await post('ci failed on main');
    let detail = await openEvent(first);
    const controls = detail.getByTestId('pipeline-mute');
    await expect(controls.textContent()).resolves.toContain('acme/api · ci · main');
    await controls.getByRole('button', { name: 'Mute until it passes' }).click();
    await controls.getByText('is muted until it passes').waitFor();
    expect(await hub.api<{ items: Array<{ untilPasses: boolean; sourceName: string }> }>('mutes.list')).toEqual({
      items: [expect.objectContaining({ untilPasses: true, sourceName: 'CI', project: 'acme/api', pipeline: 'ci', branch: 'main' })],
    });

    // The next failure is kept, and its detail says it was not sent and why.
    const held = await post('ci failed on main');
    detail = await openEvent(held);
    await detail.getByTestId('muted-note').waitFor();
    const outcome = detail.getByRole('row', { name: /Pipelines/ });
    await expect(outcome.textContent()).resolves.toMatch(/muted.*pipeline acme\/api · ci · main is muted until it passes/);
    expect(await hub.api<unknown[]>('deliveries.list', { eventId: held })).toEqual([]);

    // Rules → Muted lists it with its end, and lifts it.
    await openPage(page, 'Rules');
    const muted = page.getByTestId('muted-section');
    const row = muted.getByRole('row', { name: /acme\/api · ci · main/ });
    await expect(row.textContent()).resolves.toContain('when it passes');
    await expect(row.textContent()).resolves.toContain('CI');
    await muted.getByRole('button', { name: 'Lift mute of acme/api · ci · main' }).click();
    await muted.getByText('No pipeline is muted.').waitFor();
    expect(await hub.api('mutes.list')).toEqual({ items: [] });

    // A timed mute made elsewhere (the tray, a popup) appears here live, with its end time.
    await hub.api('mutes.add', { eventId: first, minutes: 60 });
    await muted.getByRole('row', { name: /acme\/api · ci · main/ }).waitFor();
    await expect(muted.getByRole('row', { name: /acme\/api · ci · main/ }).textContent()).resolves.toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);

    // …and the event detail offers to lift it too.
    detail = await openEvent(first);
    await detail.getByTestId('pipeline-mute').getByRole('button', { name: 'Lift mute' }).click();
    await detail.getByTestId('pipeline-mute').getByRole('button', { name: 'Mute 1 h' }).waitFor();
    expect(await hub.api('mutes.list')).toEqual({ items: [] });
    expect(browser.problems).toEqual([]);
  });
});

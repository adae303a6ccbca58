// The Rules page from the keyboard, in real Chromium against the real hub: a rule moved with
// its arrow keeps the focus (so it can be moved again), a switch keeps it while it saves,
// Edit takes the focus to the form it opens above the list; and the throttle window's error
// reads as the others do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { waitFor } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { fieldError } from './forms.js';
import { openPage, signIn, startHub } from './hub.js';

type Rules = Array<{ id: string; enabled: boolean }>;

describe('Rules from the keyboard', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;
  const order = async () => (await hub.api<Rules>('rules.list')).map((r) => r.id);
  const focused = () => browser.page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);

  beforeAll(async () => {
    hub = await startHub();
    for (const [id, name] of [['a', 'Alpha'], ['b', 'Bravo'], ['c', 'Charlie']]) {
      await hub.api('rules.create', { config: { id, name, match: { types: [`pipeline.${id === 'a' ? 'failed' : 'succeeded'}`] }, channels: [] } });
    }
    browser = await launchBrowser({ viewport: { width: 1000, height: 420 } });
    await signIn(browser.page, hub);
    await openPage(browser.page, 'Rules');
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('moving a rule keeps the focus on its arrow, then on the other arrow at the end', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Move Alpha down' }).focus();
    await page.keyboard.press('Enter');
    await waitFor(async () => (await order()).join() === 'b,a,c', 5000, 'moved once');
    await expect.poll(focused).toBe('Move Alpha down');
    // Again, without reaching for the mouse or tabbing back — once the first move's save is
    // over (while it runs the arrows are busy: aria-disabled, and a press does nothing).
    const down = page.getByRole('button', { name: 'Move Alpha down' });
    await expect.poll(() => down.getAttribute('aria-disabled')).toBeNull();
    await expect.poll(focused).toBe('Move Alpha down');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await order()).join() === 'b,c,a', 5000, 'moved twice');
    // At the bottom its down arrow is off: the focus is on its up arrow.
    await expect.poll(focused).toBe('Move Alpha up');
  });

  it('an arrow stays busy until the list shows the move: pressed again before, it does nothing', async () => {
    const { page } = browser;
    await hub.api('rules.reorder', { ids: ['a', 'b', 'c'] });
    const shown = () => page.locator('tr[data-rule-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rule-id')).join());
    await expect.poll(shown, { timeout: 10_000 }).toBe('a,b,c');
    // The hub's answers to the list held back (a loaded hub): the move is saved, the page still
    // shows the old order.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    await page.route('**/api/rules.list', async (route) => {
      held++;
      await gate;
      await route.fallback();
    });
    try {
      const down = page.getByRole('button', { name: 'Move Alpha down' });
      await down.focus();
      await page.keyboard.press('Enter');
      await waitFor(async () => (await order()).join() === 'b,a,c', 5000, 'moved once');
      await waitFor(() => held > 0, 5000, 'the page asked for the list again');
      await expect(shown()).resolves.toBe('a,b,c');
      // Still busy (a second press would act on the order shown, saving it again): refused.
      await expect(down.getAttribute('aria-disabled')).resolves.toBe('true');
      await page.keyboard.press('Enter');
      release();
      await expect.poll(shown, { timeout: 10_000 }).toBe('b,a,c');
      await expect.poll(() => down.getAttribute('aria-disabled'), { timeout: 10_000 }).toBeNull();
      await expect.poll(focused).toBe('Move Alpha down');
      expect((await order()).join()).toBe('b,a,c');
      // Now it moves again.
      await page.keyboard.press('Enter');
      await waitFor(async () => (await order()).join() === 'b,c,a', 5000, 'moved twice');
      await expect.poll(shown, { timeout: 10_000 }).toBe('b,c,a');
    } finally {
      release();
      await page.unroute('**/api/rules.list');
    }
  });

  it('a switch keeps the focus while the rule saves', async () => {
    const { page } = browser;
    await page.getByRole('switch', { name: 'Enable Bravo' }).focus();
    await page.keyboard.press('Space');
    await waitFor(async () => (await hub.api<Rules>('rules.list')).find((r) => r.id === 'b')!.enabled === false, 5000, 'switched off');
    await expect.poll(() => page.getByRole('switch', { name: 'Enable Bravo' }).isChecked()).toBe(false);
    await expect(focused()).resolves.toBe('Enable Bravo');
  });

  it('Edit takes the focus to the form it opens above the list', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Edit Alpha' }).click();
    const form = page.getByRole('form', { name: 'Edit rule Alpha' });
    await form.waitFor();
    await expect(page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).resolves.toBe('Alpha');
    await expect(form.getByRole('textbox', { name: 'Name', exact: true }).evaluate((e) => e === document.activeElement)).resolves.toBe(true);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('a throttle window below 1 second says so in words', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Throttled');
    await form.getByLabel('Throttle repeats').check();
    const window = form.getByLabel('Throttle window (seconds)');
    await window.fill('-5');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(fieldError(window)).resolves.toEqual({ invalid: true, message: 'must be at least 1 second' });
    expect(browser.problems).toEqual([]);
  });
});

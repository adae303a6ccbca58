// A hovered button keeps a readable label, in light and dark: the plain button's hover grey
// once won over the primary and danger colours, leaving white text on light grey (blank
// "Add rule", "Yes, delete") — and every click starts with a hover.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { launchBrowser } from './browser.js';
import { openPage, signIn, startHub } from './hub.js';

/** WCAG relative luminance of an `rgb(r, g, b)` colour. */
function luminance(rgb: string): number {
  const [r, g, b] = rgb.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('button colours on hover', { timeout: 90_000 }, () => {
  let hub: HubProcess;

  beforeAll(async () => {
    hub = await startHub();
    await hub.api('rules.create', { config: { id: 'r1', name: 'Everything', match: {}, channels: [] } });
  });
  afterAll(async () => {
    await hub?.kill();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`primary and danger buttons stay readable under the pointer (${colorScheme})`, async () => {
      const browser = await launchBrowser({ colorScheme });
      try {
        const { page } = browser;
        await signIn(page, hub);
        await openPage(page, 'Rules');
        const colours = async (name: string) => {
          const button = page.getByRole('button', { name, exact: true });
          await button.hover();
          return button.evaluate((b) => {
            const style = getComputedStyle(b);
            return { background: style.backgroundColor, text: style.color };
          });
        };
        const primary = await colours('Add rule');
        expect(contrast(primary.background, primary.text), JSON.stringify(primary)).toBeGreaterThanOrEqual(4.5);

        await page.getByRole('button', { name: 'Delete Everything' }).click();
        const danger = await colours('Yes, delete');
        expect(contrast(danger.background, danger.text), JSON.stringify(danger)).toBeGreaterThanOrEqual(3);
        expect(browser.problems).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  }
});

// What the store cannot do is said where the user looks: the sidebar names the database's
// problem from the hub's status (`database: { ok: false, problem }`) and says nothing once it
// is gone. The real hub answers the status; its `database` part is replaced in flight (a
// damaged file or an unreachable PostgreSQL cannot be arranged from a browser test — the hub
// side is tested in hub-outage.test.ts and the store tests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { signIn, startHub } from './hub.js';

const PROBLEM = 'the database file is damaged (SQLITE_CORRUPT): nothing more is accepted into it; run `herald recover`';

describe('the store\'s problem in the sidebar', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;
  beforeAll(async () => {
    hub = await startHub();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('names the problem while the hub reports one, and drops it once the hub no longer does', async () => {
    const { page } = browser;
    let problem: string | undefined = PROBLEM;
    await page.route('**/api/hub.status', async (route) => {
      const response = await route.fetch();
      const status = (await response.json()) as Record<string, unknown>;
      expect(status.database).toEqual({ ok: true });
      await route.fulfill({ response, json: { ...status, database: problem === undefined ? { ok: true } : { ok: false, problem } } });
    });
    await signIn(page, hub);
    const line = page.getByTestId('database-problem');
    await line.waitFor();
    await expect(line.textContent()).resolves.toBe(`Database: ${PROBLEM}`);
    await expect(line.getAttribute('class')).resolves.toContain('summary__line--bad');
    // Nothing beside it says all is well.
    await expect(page.getByText('All healthy').count()).resolves.toBe(0);

    // The hub's problem clears: the next status (any update reloads it; a reload here) has no line.
    problem = undefined;
    await page.reload();
    await page.getByRole('heading', { name: 'Now', level: 1 }).waitFor();
    await page.getByText('All healthy').waitFor();
    await expect(line.count()).resolves.toBe(0);
    await page.unroute('**/api/hub.status');
  });
});

// The rule form's When and Match sections, in real Chromium against the real hub: pausing
// one rule's desktop popups (its `snoozedUntil` could be shown, "snoozed until …", but set or
// lifted only in a config file or through the api), and a typo in a source id or an event
// type pointed out (a rule that never matches, with nothing said).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { waitFor } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { fieldError } from './forms.js';
import { openPage, signIn, startHub } from './hub.js';

type Rules = Array<{ id: string; snoozedUntil?: string }>;

describe('a rule pauses its popups', { timeout: 90_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;
  const snoozed = async () => (await hub.api<Rules>('rules.list')).find((r) => r.id === 'fails')!.snoozedUntil;

  beforeAll(async () => {
    hub = await startHub();
    await hub.api('channels.create', { config: { id: 'desk', kind: 'desktop', name: 'Popups' }, secrets: {} });
    await hub.api('rules.create', { config: { id: 'fails', name: 'Failures', match: { types: ['pipeline.failed'] }, channels: ['desk'] } });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
    await openPage(browser.page, 'Rules');
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('a typo in a source id or an event type is pointed out as you type, with the likely one', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByRole('textbox', { name: 'Event types', exact: true }).fill('pipeline.faild');
    await expect.poll(() => form.getByTestId('match-warning-types').textContent()).toBe('"pipeline.faild" is not a type Herald\'s sources send: did you mean pipeline.failed?');
    await form.getByRole('textbox', { name: 'Sources', exact: true }).fill('ci');
    await expect.poll(() => form.getByTestId('match-warning-sources').textContent()).toBe('no source "ci" yet: the rule matches its events once it exists');
    // Read out with the field, as its hint.
    const described = await form.getByRole('textbox', { name: 'Event types', exact: true }).getAttribute('aria-describedby');
    expect(described).toBeTruthy();
    await form.getByRole('textbox', { name: 'Event types', exact: true }).fill('pipeline.failed');
    await expect.poll(() => form.getByTestId('match-warning-types').count()).toBe(0);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('pauses for an hour from the form, says so in the list, and resumes', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Edit Failures' }).click();
    const form = page.getByRole('form', { name: 'Edit rule Failures' });
    await form.getByLabel("Pause this rule's popups").check();
    const until = form.getByLabel('Paused until');
    // A time in the past is refused beside the field.
    await until.fill('2020-01-01T08:00');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect(fieldError(until)).resolves.toEqual({ invalid: true, message: 'must be in the future' });
    await form.getByRole('button', { name: '1 hour' }).click();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await waitFor(async () => (await snoozed()) !== undefined, 5000, 'snoozed');
    const at = Date.parse((await snoozed())!);
    // The minute an hour from now (the field keeps minutes).
    expect(at - Date.now()).toBeGreaterThan(58 * 60_000);
    expect(at - Date.now()).toBeLessThan(61 * 60_000);
    await expect.poll(() => page.locator('tr[data-rule-id="fails"]').textContent()).toContain('popups paused until');

    await page.getByRole('button', { name: 'Edit Failures' }).click();
    await expect(form.getByLabel("Pause this rule's popups").isChecked()).resolves.toBe(true);
    await form.getByLabel("Pause this rule's popups").uncheck();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await waitFor(async () => (await snoozed()) === undefined, 5000, 'resumed');
    expect(browser.problems).toEqual([]);
  });
});

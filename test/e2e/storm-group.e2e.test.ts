// The rule form's storm grouping in real Chromium against the real headless hub: set a
// group (fields, wait, interval), bad values named beside their fields, a digest and a group
// together refused, the rules list saying how the rule groups; then events sent to ingress
// show "in group" in their detail, with the group they joined.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, waitFor } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { fieldError } from './forms.js';
import { openPage, sendEvents, signIn, startHub } from './hub.js';

const SECRET = 'storm-e2e-secret';

describe('storm grouping in the UI', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    hub = await startHub({ env: { STORM_E2E_SECRET: SECRET } });
    await hub.api('sources.create', { config: { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:STORM_E2E_SECRET' }, secrets: {} });
    await hub.api('channels.create', { config: { id: 'sink', kind: 'webhook', name: 'Sink', url: 'http://127.0.0.1:9/hook' }, secrets: {} });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('sets a group on a rule: fields, wait and interval checked beside their fields, saved as typed, shown in the list', async () => {
    const { page } = browser;
    await openPage(page, 'Rules');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('CI storms');
    await form.getByRole('checkbox', { name: /Sink/ }).check();

    await form.getByLabel('Group storms').check();
    const wait = form.getByLabel('Wait for company (seconds)');
    const interval = form.getByLabel('Then at most every (seconds)');
    await expect(wait.inputValue()).resolves.toBe('10');
    await expect(interval.inputValue()).resolves.toBe('300');
    await expect(form.getByText('None: every event of the rule in one group.').count()).resolves.toBe(1);
    await form.getByRole('group', { name: 'Group by' }).getByRole('checkbox', { name: 'project' }).check();
    await expect(form.getByText('One group per project.').count()).resolves.toBe(1);

    await interval.fill('5');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(fieldError(interval)).resolves.toEqual({ invalid: true, message: 'must be at least 10 seconds' });
    // The hint does not contradict the error beside it ("Every 5 s …" under "at least 10 seconds").
    await expect(form.getByText('Every 5 s while events keep coming', { exact: false }).count()).resolves.toBe(0);
    await wait.fill('-1');
    await expect(fieldError(wait)).resolves.toEqual({ invalid: true, message: 'must not be negative' });
    // Once, beside the field: not again under "Group storms" with the field's raw name.
    await expect(form.getByText('waitSeconds: must not be negative').count()).resolves.toBe(0);
    await expect(hub.api<unknown[]>('rules.list')).resolves.toEqual([]);

    // A digest and a group together: refused, the reason beside the group option.
    await wait.fill('10');
    await interval.fill('120');
    await form.getByLabel('Send as a digest').check();
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(form.getByText('a rule either sends a digest or groups storms, not both: remove digest or group').count()).resolves.toBeGreaterThan(0);
    await expect(hub.api<unknown[]>('rules.list')).resolves.toEqual([]);
    await form.getByLabel('Send as a digest').uncheck();

    await form.getByRole('button', { name: 'Add rule' }).click();
    const row = page.locator('tr[data-rule-id="ci-storms"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('grouped by project: first after 10 s, then every 2 min');
    const [rule] = await hub.api<Array<Record<string, unknown>>>('rules.list');
    expect(rule).toMatchObject({ channels: ['sink'], group: { by: ['project'], waitSeconds: 10, intervalSeconds: 120 } });

    // Editing shows what is stored.
    await row.getByRole('button', { name: 'Edit CI storms' }).click();
    const edit = page.getByRole('form', { name: 'Edit rule CI storms' });
    await expect(edit.getByLabel('Group storms').isChecked()).resolves.toBe(true);
    await expect(edit.getByLabel('Then at most every (seconds)').inputValue()).resolves.toBe('120');
    await expect(edit.getByRole('group', { name: 'Group by' }).getByRole('checkbox', { name: 'project' }).isChecked()).resolves.toBe(true);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    expect(browser.problems).toEqual([]);
  });

  it('an event that went into a group says so in its detail', async () => {
    const { page } = browser;
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'nightly build failed', subject: { project: 'acme/api', branch: 'main' } });
    await openPage(page, 'History');
    await page.getByText('nightly build failed').first().click();
    const matches = page.getByRole('table').filter({ hasText: 'CI storms' });
    await matches.waitFor();
    await expect(matches.textContent()).resolves.toContain('in group');
    await expect(matches.textContent()).resolves.toContain('added to the group project=acme/api for sink');
    // While its group waits, the detail says when the group's message goes, and to whom.
    const waits = page.getByTestId('group-waits');
    await waits.waitFor();
    await expect(waits.textContent()).resolves.toMatch(/^Sinkwaiting in its groupgoes out with the group's message at .+ \((in \d+ s|due now)\) · rule CI storms$/);
    // Once the message went: no longer waiting; the detail says where it went.
    const [event] = (await hub.api<{ items: Array<{ id: string }> }>('events.list', { text: 'nightly build failed' })).items;
    await waitFor(async () => (await hub.api<{ groupWaits?: unknown[] }>('events.get', { id: event!.id })).groupWaits === undefined, 20_000, "the group's message");
    // Opened again (the detail is not live for a grouped event: nothing of its own changes).
    await page.goto(`${hub.apiUrl}/#/history/${encodeURIComponent(event!.id)}`);
    await page.reload();
    const carried = page.getByTestId('summarized-in');
    await carried.waitFor();
    expect(await page.getByTestId('group-waits').count()).toBe(0);
    await expect(carried.textContent()).resolves.toMatch(/^1 failure in acme\/apigroup messagesent .+ in this group's message, with the events it lists: its deliveries are on it$/);
    // The link opens the group's message, which lists the event and carries the delivery to the sink.
    await carried.getByRole('link', { name: '1 failure in acme/api' }).click();
    await page.getByRole('heading', { name: '1 failure in acme/api' }).waitFor();
    await expect(page.locator('.detail__summary').textContent()).resolves.toContain('nightly build failed');
    // It names the event it carries, linked back.
    const carries = page.getByTestId('carries');
    await expect(carries.getByRole('heading').textContent()).resolves.toBe('The event it carries');
    await expect(carries.getByRole('link').allTextContents()).resolves.toEqual(['nightly build failed']);
    await page.locator('.delivery[data-delivery-id]').filter({ hasText: 'Sink' }).waitFor();
    // The sink is down (port 9): the sidebar counts the one delivery still to go, in the singular.
    await page.locator('.summary__line').filter({ hasText: /^1 delivery pending$/ }).waitFor();
    await carries.getByRole('link', { name: 'nightly build failed' }).click();
    await page.getByRole('heading', { name: 'nightly build failed' }).waitFor();
    await page.getByTestId('summarized-in').waitFor();
    expect(browser.problems).toEqual([]);
  });

  it('the Rules page says what a rule holds back now: events waiting, in how many groups, when the message goes', async () => {
    const { page } = browser;
    await openPage(page, 'Rules');
    const held = page.locator('tr[data-rule-id="ci-storms"]').getByTestId('rule-held-group');
    expect(await held.count()).toBe(0);
    // Two new groups (the first one's next message is minutes away): three events, live on the page.
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'web build failed', subject: { project: 'acme/web' } });
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'web lint failed', subject: { project: 'acme/web' } });
    await sendEvents(`${hub.ingressUrl}/hooks/ci`, SECRET, { type: 'pipeline.failed', title: 'db migration failed', subject: { project: 'acme/db' } });
    await waitFor(async () => (await held.count()) === 1 && /^3 events/.test((await held.textContent()) ?? ''), 10_000, 'the held line');
    await expect(held.textContent()).resolves.toMatch(/^3 events waiting in 2 groups · next message \d\d:\d\d:\d\d$/);
    // Once the groups' messages went, nothing is held: the line goes.
    await waitFor(async () => (await held.count()) === 0, 20_000, "the groups' messages");
    expect(browser.problems).toEqual([]);
  });
});

// One test per page for its validation errors: each form checks with the shared zod
// schemas and puts every error beside the field it names (tied by aria-describedby), and
// nothing invalid reaches the hub. Errors only the hub can find land beside fields too.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { fieldError } from './forms.js';
import { openPage, signIn, startHub } from './hub.js';

describe('validation errors beside their fields', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    hub = await startHub({ env: { HERALD_E2E_SECRET: 'validation-secret' } });
    browser = await launchBrowser();
    await hub.api('sources.create', { config: { id: 'taken', name: 'Taken', kind: 'generic', secret: 'env:HERALD_E2E_SECRET' }, secrets: {} });
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });
  beforeEach(() => {
    browser.problems.length = 0;
  });

  it('History: a type filter that is not an event type', async () => {
    const { page } = browser;
    await openPage(page, 'History');
    const type = page.getByLabel('Type', { exact: true });
    await type.fill('Pipeline Failed');
    await expect(fieldError(type)).resolves.toEqual({ invalid: true, message: expect.stringMatching(/must be dotted lowercase words/) });
    // Left out of the query rather than failing the list.
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await type.fill('pipeline.failed');
    await expect(fieldError(type)).resolves.toEqual({ invalid: false, message: '' });
    await type.fill('');
    expect(browser.problems).toEqual([]);
  });

  it('Sources: empty name, bad id, missing secret, and an id the hub already has', async () => {
    const { page } = browser;
    await openPage(page, 'Sources');
    await page.getByRole('button', { name: 'Add source' }).click();
    const form = page.getByRole('form', { name: 'New source' });
    await form.getByLabel('Kind').selectOption('generic');
    await form.getByLabel('Id').fill('Not An Id!');
    // A secret file must be named by its absolute path.
    await form.getByLabel('Where to keep it').selectOption('file');
    await form.getByLabel('Shared secret').fill('secrets/ci.secret');
    await form.getByRole('button', { name: 'Add source' }).click();

    await expect(fieldError(form.getByLabel('Name'))).resolves.toEqual({ invalid: true, message: expect.stringMatching(/must not be empty/) });
    await expect(fieldError(form.getByLabel('Id'))).resolves.toEqual({ invalid: true, message: expect.stringMatching(/lowercase letters, digits/) });
    await expect(fieldError(form.getByLabel('Shared secret'))).resolves.toEqual({ invalid: true, message: expect.stringMatching(/file:<absolute path>/) });
    await expect(form.getByRole('alert').textContent()).resolves.toMatch(/3 problems/);

    // Fixing a field clears its error as you type.
    await form.getByLabel('Name').fill('Second');
    await expect(fieldError(form.getByLabel('Name'))).resolves.toEqual({ invalid: false, message: '' });

    // Valid locally, refused by the hub: the id is taken. The hub's message lands beside Id.
    await form.getByLabel('Id').fill('taken');
    await form.getByLabel('Where to keep it').selectOption('env');
    await form.getByLabel('Shared secret').fill('HERALD_E2E_SECRET');
    await form.getByRole('button', { name: 'Add source' }).click();
    await expect
      .poll(async () => (await fieldError(form.getByLabel('Id'))).message, { timeout: 5000 })
      .toMatch(/taken/);
    const sources = await hub.api<unknown[]>('sources.list');
    expect(sources).toHaveLength(1);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('Channels: a URL that is not one, a timeout out of range, a bad header name', async () => {
    const { page } = browser;
    await openPage(page, 'Channels');
    await page.getByRole('button', { name: 'Add channel' }).click();
    const form = page.getByRole('form', { name: 'New channel' });
    await form.getByLabel('Kind').selectOption('webhook');
    await form.getByLabel('Name').fill('Broken');
    await form.getByLabel('URL').fill('not a url');
    await form.getByLabel('Timeout (ms)').fill('5');
    await form.getByRole('button', { name: 'Add header' }).click();
    await form.getByLabel('Headers 1 name').fill('bad header');
    await form.getByLabel('Headers 1 value').fill('x');
    await form.getByRole('button', { name: 'Add channel' }).click();

    await expect(fieldError(form.getByLabel('URL'))).resolves.toMatchObject({ invalid: true, message: expect.stringMatching(/URL/i) });
    await expect(fieldError(form.getByLabel('Timeout (ms)'))).resolves.toMatchObject({ invalid: true, message: expect.stringMatching(/100/) });
    await expect(form.locator('.kv__error').textContent()).resolves.toMatch(/valid HTTP header name/);
    await expect(form.getByLabel('Headers 1 name').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(hub.api<unknown[]>('channels.list')).resolves.toEqual([]);
    await form.getByRole('button', { name: 'Cancel' }).click();
  });

  it('Rules: a type that is not a type, a zero throttle window, an unknown time zone', async () => {
    const { page } = browser;
    await openPage(page, 'Rules');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('Odd rule');
    await form.getByLabel('Event types').fill('pipeline.*, Pipeline Failed');
    await form.getByLabel('Throttle repeats').check();
    await form.getByLabel('Throttle window (seconds)').fill('0');
    await form.getByLabel('Quiet hours for this rule').check();
    await form.getByLabel('Time zone').fill('Mars/Olympus_Mons');
    await form.getByRole('button', { name: 'Add rule' }).click();

    await expect(fieldError(form.getByLabel('Event types'))).resolves.toEqual({
      invalid: true,
      message: expect.stringMatching(/event types or globs/),
    });
    await expect(fieldError(form.getByLabel('Throttle window (seconds)'))).resolves.toMatchObject({ invalid: true, message: expect.stringMatching(/1/) });
    await expect(fieldError(form.getByLabel('Time zone'))).resolves.toMatchObject({ invalid: true, message: expect.stringMatching(/IANA time zone/) });
    await expect(page.getByRole('region', { name: 'Preview' }).or(page.locator('.preview')).textContent()).resolves.toMatch(/Fix the rule's errors/);
    await expect(hub.api<unknown[]>('rules.list')).resolves.toEqual([]);

    // Fix them all: the preview comes back and the rule saves.
    await form.getByLabel('Event types').fill('pipeline.*');
    await form.getByLabel('Throttle window (seconds)').fill('600');
    await form.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByTestId('preview-summary').waitFor();
    await form.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('tr[data-rule-id="odd-rule"]').waitFor();
    const [rule] = await hub.api<Array<Record<string, unknown>>>('rules.list');
    expect(rule).toMatchObject({ throttle: { windowSeconds: 600 }, quietHours: { timeZone: 'Europe/Berlin' }, match: { types: ['pipeline.*'] } });
  });

  it('Rules: an unbalanced glob is refused with its position, by the form and the api; no channel is "history only"', async () => {
    const { page } = browser;
    await openPage(page, 'Rules');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('Release branches');
    await expect(form.getByTestId('history-only').textContent()).resolves.toMatch(/history only/);
    await form.getByLabel('Branch').fill('{main,release/*');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(fieldError(form.getByLabel('Branch'))).resolves.toEqual({
      invalid: true,
      message: 'item 1: "{main,release/*": the { at position 1 is never closed (add a }, or escape it as \\{)',
    });
    await expect(hub.api<unknown[]>('rules.list')).resolves.not.toContainEqual(expect.objectContaining({ id: 'release-branches' }));
    // The api refuses it the same way, whatever client sends it.
    await expect(hub.api('rules.create', { config: { id: 'raw', name: 'Raw', match: { branch: '{main' } } })).rejects.toThrow(
      /HTTP 400: invalid rule: match\.branch: "\{main": the \{ at position 1 is never closed/,
    );

    await form.getByLabel('Branch').fill('{main,release/*}');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('tr[data-rule-id="release-branches"]').waitFor();
    await expect(page.locator('tr[data-rule-id="release-branches"]').textContent()).resolves.toContain('history only');
  });

  it('Settings: retention out of range and a public URL that is not a URL', async () => {
    const { page } = browser;
    await openPage(page, 'Settings');
    const before = await hub.api('settings.get');
    const days = page.getByLabel('Keep events for (days)');
    await days.fill('0');
    await page.getByLabel('Public ingress URL').fill('nope');
    await page.getByLabel('Hold back desktop popups during quiet hours').check();
    await page.getByLabel('Quiet from').fill('');
    await page.getByRole('button', { name: 'Save settings' }).click();

    await expect(fieldError(days)).resolves.toMatchObject({ invalid: true, message: expect.stringMatching(/1/) });
    await expect(fieldError(page.getByLabel('Public ingress URL'))).resolves.toMatchObject({ invalid: true, message: expect.stringMatching(/URL/i) });
    await expect(fieldError(page.getByLabel('Quiet from'))).resolves.toMatchObject({ invalid: true, message: expect.stringMatching(/HH:MM/) });
    await expect(hub.api('settings.get')).resolves.toEqual(before);
    expect(browser.problems).toEqual([]);
  });

  it('Settings → Updates: a plain-http feed on another host is refused beside its field; an https one is saved', async () => {
    const { page } = browser;
    await openPage(page, 'Settings');
    const before = await hub.api('settings.get');
    await page.getByRole('radio', { name: /^A server/ }).check();
    const url = page.getByLabel('Feed URL');
    await url.fill('http://updates.example.com/herald/');
    const updates = page.getByRole('form', { name: 'Updates' });
    await updates.getByRole('button', { name: 'Save' }).click();
    await expect(fieldError(url)).resolves.toEqual({ invalid: true, message: 'an update feed URL must be https (plain http only to localhost)' });
    await expect(hub.api('settings.get')).resolves.toEqual(before);

    await url.fill('https://updates.example.com/herald/');
    await updates.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => ((await hub.api('settings.get')) as { updates: unknown }).updates).toEqual({ feed: { provider: 'generic', url: 'https://updates.example.com/herald/' } });
    expect(browser.problems).toEqual([]);
  });
});

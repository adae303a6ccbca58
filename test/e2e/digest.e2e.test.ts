// The rule form's digest control and email recipients, and the settings' default sender,
// in real Chromium against the real headless hub: reachable by keyboard, errors beside
// their fields (the shared schemas locally, the hub's own words otherwise), saved as typed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { fieldError } from './forms.js';
import { openPage, signIn, startHub } from './hub.js';

describe('digest and email settings in the UI', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    hub = await startHub();
    await hub.api('channels.create', { config: { id: 'sink', kind: 'webhook', name: 'Sink', url: 'http://127.0.0.1:9/hook' }, secrets: {} });
    await hub.api('channels.create', { config: { id: 'mail', kind: 'email', name: 'Team mail', host: '127.0.0.1' }, secrets: {} });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('a rule sent as an hourly digest by default, then every 15 minutes; bad windows named beside the field', async () => {
    const { page } = browser;
    await openPage(page, 'Rules');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('Failures digest');
    await form.getByRole('checkbox', { name: /Sink/ }).check();

    // Keyboard: the checkbox takes Space, and Tab goes on to the window.
    const digest = form.getByLabel('Send as a digest');
    await digest.focus();
    await page.keyboard.press('Space');
    await expect(digest.isChecked()).resolves.toBe(true);
    await page.keyboard.press('Tab');
    const every = form.getByLabel('Digest every');
    await expect(every.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await expect(every.inputValue()).resolves.toBe('1');
    await expect(form.getByLabel('Digest unit').inputValue()).resolves.toBe('hours');
    // The hint names the window as the digest's own explanation does (shared/duration.ts).
    await expect(form.getByText('Hourly digest. From 1 minute to 24 hours.').count()).resolves.toBe(1);

    await every.fill('0');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(fieldError(every)).resolves.toEqual({ invalid: true, message: 'must be at least 1 minute' });
    await every.fill('25');
    await expect(fieldError(every)).resolves.toEqual({ invalid: true, message: 'must be at most 24 hours' });
    await expect(hub.api<unknown[]>('rules.list')).resolves.toEqual([]);

    await every.fill('15');
    await form.getByLabel('Digest unit').selectOption('minutes');
    await expect(fieldError(every)).resolves.toEqual({ invalid: false, message: '' });
    await expect(form.getByText('15-minute digest. From 1 minute to 24 hours.').count()).resolves.toBe(1);
    await form.getByRole('button', { name: 'Add rule' }).click();
    const row = page.locator('tr[data-rule-id="failures-digest"]');
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('digest every 15 min');
    const [rule] = await hub.api<Array<Record<string, unknown>>>('rules.list');
    expect(rule).toMatchObject({ channels: ['sink'], digest: { windowSeconds: 900 } });
    expect(rule).not.toHaveProperty('channelOptions');

    // Editing shows the stored window; turning the digest off removes it.
    await row.getByRole('button', { name: 'Edit Failures digest' }).click();
    const edit = page.getByRole('form', { name: 'Edit rule Failures digest' });
    await expect(edit.getByLabel('Digest every').inputValue()).resolves.toBe('15');
    await expect(edit.getByLabel('Digest unit').inputValue()).resolves.toBe('minutes');
    await edit.getByLabel('Send as a digest').uncheck();
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(async () => (await hub.api<Array<Record<string, unknown>>>('rules.list'))[0]).not.toHaveProperty('digest');
    expect(browser.problems).toEqual([]);
  });

  it('email recipients appear for an email channel, are required when it has none, and are checked', async () => {
    const { page } = browser;
    await openPage(page, 'Rules');
    await page.getByRole('button', { name: 'Add rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('Mail the team');
    await expect(form.getByLabel('Email recipients').count()).resolves.toBe(0);
    await form.getByRole('checkbox', { name: /Team mail/ }).check();
    const recipients = form.getByLabel('Email recipients');
    await recipients.waitFor();

    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(fieldError(recipients)).resolves.toEqual({
      invalid: true,
      message: 'the email channel "mail" has no recipients: set email recipients on this rule, or To on the channel',
    });
    await recipients.fill('dev@acme.example, not-an-address');
    await expect(fieldError(recipients)).resolves.toEqual({ invalid: true, message: 'not an email address: not-an-address' });
    await recipients.fill('dev@acme.example, ops@acme.example');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('tr[data-rule-id="mail-the-team"]').waitFor();
    const rules = await hub.api<Array<Record<string, unknown>>>('rules.list');
    expect(rules.find((r) => r.id === 'mail-the-team')).toMatchObject({ channels: ['mail'], channelOptions: { mail: { to: 'dev@acme.example, ops@acme.example' } } });
    expect(browser.problems).toEqual([]);
  });

  it('Settings: the default sender is checked, saved and cleared', async () => {
    const { page } = browser;
    await openPage(page, 'Settings');
    const form = page.getByRole('form', { name: 'Settings' });
    const sender = form.getByLabel('Default sender');
    await sender.fill('Herald');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect(fieldError(sender)).resolves.toEqual({ invalid: true, message: 'must be an address, or Name <address>' });
    await sender.fill('Herald <herald@acme.example>');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(async () => (await hub.api<{ email?: { defaultFrom?: string } }>('settings.get')).email).toEqual({ defaultFrom: 'Herald <herald@acme.example>' });

    await page.reload();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await expect(page.getByRole('form', { name: 'Settings' }).getByLabel('Default sender').inputValue()).resolves.toBe('Herald <herald@acme.example>');
    await page.getByRole('form', { name: 'Settings' }).getByLabel('Default sender').fill('');
    await page.getByRole('form', { name: 'Settings' }).getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(async () => (await hub.api<{ email?: { defaultFrom?: string } }>('settings.get')).email?.defaultFrom).toBeUndefined();
    expect(browser.problems).toEqual([]);
  });
});

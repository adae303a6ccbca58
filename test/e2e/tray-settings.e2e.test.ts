// The tray features' settings in real Chromium against the real headless hub: the global
// shortcut checked beside its field (accelerator syntax, from the shared schema) and saved;
// popup sound per severity saved as ticked; the headless hub says the shortcut is the
// desktop app's. And a desktop channel saved on a hub without a desktop session says so at
// save time and in the list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../helpers/hub-process.js';
import { launchBrowser, type Browser } from './browser.js';
import { fieldError } from './forms.js';
import { openPage, signIn, startHub } from './hub.js';

const NO_SESSION = 'this hub has no desktop session: popups cannot be shown here';

describe('tray settings in the UI', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    // No display and no session bus, as on a server.
    hub = await startHub({ env: { DISPLAY: '', WAYLAND_DISPLAY: '', DBUS_SESSION_BUS_ADDRESS: '', HERALD_REPLICA_ID: 'herald-e2e' } });
    browser = await launchBrowser();
    await signIn(browser.page, hub);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.kill();
  });

  it('Settings shows this replica and which replica runs each one-at-a-time job (one hub: all of them)', async () => {
    const { page } = browser;
    await openPage(page, 'Settings');
    const card = page.getByRole('region', { name: 'Replica' });
    await card.locator('dd').getByText('herald-e2e', { exact: true }).waitFor({ timeout: 10_000 });
    await expect(card.getByText('One hub on its own database: it runs every job itself.').count()).resolves.toBe(1);
    const rows = card.getByRole('table', { name: 'Who runs what' }).getByRole('row');
    const texts = (await rows.allInnerTexts()).slice(1).map((row) => row.split('\t').map((cell) => cell.trim()));
    expect(texts).toEqual(expect.arrayContaining([['digests', 'herald-e2e'], ['retention', 'herald-e2e'], ['mute-expiry', 'herald-e2e'], ['grouping', 'herald-e2e']]));
  });

  it('shortcut: bad accelerators named beside the field, nothing saved; a good one saved; sound per severity saved', async () => {
    const { page } = browser;
    await openPage(page, 'Settings');
    const form = page.getByRole('form', { name: 'Settings' });
    const shortcut = form.getByLabel('Shortcut to open Herald');
    await expect(shortcut.inputValue()).resolves.toBe('CommandOrControl+Shift+H');
    // The status arrives after the form (shortcut.status): wait for it rather than count at once.
    await form.getByText('Works in the desktop app; this hub runs headless').waitFor({ timeout: 10_000 });
    // Defaults: critical only.
    for (const [label, checked] of [['Critical', true], ['Warning', false], ['Success', false], ['Info', false]] as const) {
      await expect(form.getByRole('checkbox', { name: label, exact: true }).isChecked()).resolves.toBe(checked);
    }

    const save = form.getByRole('button', { name: 'Save settings' });
    await shortcut.fill('Ctrl+Banana');
    await save.click();
    await expect(fieldError(shortcut)).resolves.toEqual({ invalid: true, message: '"Banana" is not a key Electron knows (A–Z, 0–9, F1–F24, Space, Up, Plus…)' });
    await shortcut.fill('Shift+H');
    await expect(fieldError(shortcut)).resolves.toMatchObject({ invalid: true, message: expect.stringContaining('needs a modifier besides Shift') });
    await shortcut.fill('Ctrl++');
    await expect(fieldError(shortcut)).resolves.toMatchObject({ message: 'has an empty part: write the + key as Plus, e.g. CommandOrControl+Plus' });
    expect((await hub.api<{ shortcut: string }>('settings.get')).shortcut).toBe('CommandOrControl+Shift+H');

    await shortcut.fill('Alt+Shift+F9');
    await expect(fieldError(shortcut)).resolves.toEqual({ invalid: false, message: '' });
    await form.getByRole('checkbox', { name: 'Warning', exact: true }).check();
    await form.getByRole('checkbox', { name: 'Critical', exact: true }).uncheck();
    await save.click();
    await expect
      .poll(async () => {
        const s = await hub.api<{ shortcut: string; sound: Record<string, boolean> }>('settings.get');
        return [s.shortcut, s.sound];
      })
      .toEqual(['Alt+Shift+F9', { critical: false, warning: true, success: false, info: false }]);

    // The hub refuses a bad one from any client, naming the field.
    await expect(hub.api('settings.update', { settings: { shortcut: 'Hyper+H' } })).rejects.toThrow(/shortcut.*"Hyper" is not a modifier/);
    // Empty turns it off.
    await openPage(page, 'History');
    await openPage(page, 'Settings');
    await expect(form.getByLabel('Shortcut to open Herald').inputValue()).resolves.toBe('Alt+Shift+F9');
    await form.getByLabel('Shortcut to open Herald').fill('');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(async () => (await hub.api<{ shortcut: string }>('settings.get')).shortcut).toBe('');
    expect(browser.problems).toEqual([]);
  });

  it('a desktop channel on a hub without a desktop session: saved, with the sentence at save time and in the list', async () => {
    const { page } = browser;
    await openPage(page, 'Channels');
    await page.getByRole('button', { name: 'Add channel' }).click();
    const form = page.getByRole('form', { name: /New channel/ });
    await form.getByLabel('Kind').selectOption('desktop');
    await form.getByLabel('Name').fill('Popups');
    await form.getByRole('button', { name: /Add channel/ }).click();
    await page.getByText(`Channel Popups saved, but ${NO_SESSION}`).waitFor();
    await expect(page.getByTestId('channel-warning').textContent()).resolves.toBe(NO_SESSION);
    const [view] = await hub.api<Array<{ warning?: string }>>('channels.list');
    expect(view!.warning).toBe(NO_SESSION);
  });
});

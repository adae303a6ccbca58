import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import type { App } from 'electron';
import { autostartPlan, createAutostart, quoteExecArg, xdgAutostartEntry, type AutostartEnv } from '../../../electron/shell/autostart.js';
import { installQuitCoordinator, opensWindowAtStart, parseShellArgs } from '../../../electron/shell/lifecycle.js';
import { createWindowManager } from '../../../electron/shell/windows.js';
import { electron, resetElectronDouble } from '../../helpers/electron-double.js';

beforeEach(() => resetElectronDouble());

describe('start at login: setting → what the OS gets', () => {
  const env = (overrides: Partial<AutostartEnv>): AutostartEnv => ({
    platform: 'linux',
    isPackaged: true,
    execPath: '/opt/Herald/herald',
    configHome: '/home/ana/.config',
    ...overrides,
  });
  const rows: Array<[string, boolean, Partial<AutostartEnv>, ReturnType<typeof autostartPlan>]> = [
    ['macOS on', true, { platform: 'darwin' }, { kind: 'login-item', settings: { openAtLogin: true } }],
    ['macOS off', false, { platform: 'darwin' }, { kind: 'login-item', settings: { openAtLogin: false } }],
    [
      'Windows on: the installed exe, started hidden',
      true,
      { platform: 'win32', execPath: 'C:\\Users\\ana\\AppData\\Local\\Programs\\Herald\\Herald.exe' },
      { kind: 'login-item', settings: { openAtLogin: true, path: 'C:\\Users\\ana\\AppData\\Local\\Programs\\Herald\\Herald.exe', args: ['--hidden'] } },
    ],
    [
      'Linux on (deb): an XDG autostart entry',
      true,
      {},
      { kind: 'xdg-autostart', file: '/home/ana/.config/autostart/herald.desktop', contents: xdgAutostartEntry('/opt/Herald/herald') },
    ],
    [
      'Linux on (AppImage): the .AppImage file, not the mounted binary',
      true,
      { appImage: '/home/ana/Apps/Herald 1.0.AppImage', execPath: '/tmp/.mount_HeraldX/herald' },
      { kind: 'xdg-autostart', file: '/home/ana/.config/autostart/herald.desktop', contents: xdgAutostartEntry('/home/ana/Apps/Herald 1.0.AppImage') },
    ],
    ['Linux off: remove the entry', false, {}, { kind: 'xdg-autostart', file: '/home/ana/.config/autostart/herald.desktop', contents: null }],
    [
      'a development build never registers the bare Electron binary',
      true,
      { platform: 'darwin', isPackaged: false },
      { kind: 'unsupported', reason: 'start at login works in the installed app, not in a development build' },
    ],
    ['other platforms', true, { platform: 'freebsd' }, { kind: 'unsupported', reason: 'start at login is not available on freebsd' }],
  ];
  it.each(rows)('%s', (_name, enabled, overrides, expected) => expect(autostartPlan(enabled, env(overrides))).toEqual(expected));

  it('the desktop entry quotes paths as the Desktop Entry spec wants', () => {
    expect(quoteExecArg('/opt/Herald/herald')).toBe('/opt/Herald/herald');
    expect(quoteExecArg('/home/ana/My Apps/Herald $1 "x".AppImage')).toBe('"/home/ana/My Apps/Herald \\$1 \\"x\\".AppImage"');
    expect(xdgAutostartEntry('/home/ana/My Apps/Herald.AppImage')).toContain('\nExec="/home/ana/My Apps/Herald.AppImage" --hidden\n');
  });

  const configHome = mkdtempSync(path.join(os.tmpdir(), 'herald-xdg-'));
  afterAll(() => rmSync(configHome, { recursive: true, force: true }));

  it('Linux: set(true) writes the entry, get() sees it, set(false) removes it (real files)', async () => {
    const autostart = createAutostart(electron.app as unknown as App, { platform: 'linux', isPackaged: true, execPath: '/opt/Herald/herald', configHome });
    const file = path.join(configHome, 'autostart', 'herald.desktop');
    expect(autostart.supported).toBe(true);
    expect(await autostart.get()).toBe(false);
    expect(await autostart.set(true)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(xdgAutostartEntry('/opt/Herald/herald'));
    expect(await autostart.set(false)).toBe(false);
    expect(existsSync(file)).toBe(false);
    expect(electron.app.setLoginItemSettings).not.toHaveBeenCalled();
  });

  it('Linux: an entry the desktop turned off, or one for an AppImage since moved, reads as off; setting it on writes it afresh (real files)', async () => {
    const appImage = '/home/ana/Apps/Herald.AppImage';
    const autostart = createAutostart(electron.app as unknown as App, { platform: 'linux', isPackaged: true, execPath: '/tmp/.mount_X/herald', appImage, configHome });
    const file = path.join(configHome, 'autostart', 'herald.desktop');
    expect(await autostart.set(true)).toBe(true);
    // GNOME's Startup Applications switch writes this into the same file.
    writeFileSync(file, readFileSync(file, 'utf8').replace('X-GNOME-Autostart-enabled=true', 'X-GNOME-Autostart-enabled=false'));
    expect(await autostart.get()).toBe(false);
    writeFileSync(file, `${xdgAutostartEntry(appImage)}Hidden=true\n`);
    expect(await autostart.get()).toBe(false);
    // Written by this Herald when its AppImage lived elsewhere: it would start nothing.
    writeFileSync(file, xdgAutostartEntry('/home/ana/Downloads/Herald.AppImage'));
    expect(await autostart.get()).toBe(false);
    expect(await autostart.set(true)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(xdgAutostartEntry(appImage));
    await autostart.set(false);
  });

  it('Windows: the login item is registered and read back with the same path and args', async () => {
    const execPath = 'C:\\Herald\\Herald.exe';
    const autostart = createAutostart(electron.app as unknown as App, { platform: 'win32', isPackaged: true, execPath, configHome });
    expect(await autostart.set(true)).toBe(true);
    expect(electron.app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true, path: execPath, args: ['--hidden'] });
    expect(electron.app.getLoginItemSettings).toHaveBeenLastCalledWith({ path: execPath, args: ['--hidden'] });
    expect(await autostart.set(false)).toBe(false);
  });

  it('a development build reports unsupported and touches nothing', async () => {
    const autostart = createAutostart(electron.app as unknown as App, { platform: 'darwin', isPackaged: false, execPath: '/x', configHome });
    expect(autostart.supported).toBe(false);
    expect(await autostart.set(true)).toBe(false);
    expect(electron.app.setLoginItemSettings).not.toHaveBeenCalled();
  });
});

describe('command line', () => {
  const rows: Array<[string[], ReturnType<typeof parseShellArgs>]> = [
    [[], { hidden: false }],
    [['--hidden'], { hidden: true }],
    [['--config', 'herald.yaml', '--data-dir=/srv/herald'], { hidden: false, configFile: 'herald.yaml', dataDir: '/srv/herald' }],
    [['--no-sandbox', '--enable-features=X', '--hidden', 'extra'], { hidden: true }],
  ];
  it.each(rows)('%j → %j (Chromium flags are not ours to reject)', (argv, expected) => expect(parseShellArgs(argv)).toEqual(expected));

  it('the window opens at start unless started hidden or by the macOS login item', () => {
    expect(opensWindowAtStart({ hidden: false }, false)).toBe(true);
    expect(opensWindowAtStart({ hidden: true }, false)).toBe(false);
    expect(opensWindowAtStart({ hidden: false }, true)).toBe(false);
  });
});

describe('quitting stops the hub first', () => {
  afterEach(() => vi.useRealTimers());

  it('app.quit waits for hub.stop, then quits; the window closes instead of hiding', async () => {
    let finishStop!: () => void;
    const stop = vi.fn(() => new Promise<void>((resolve) => (finishStop = resolve)));
    const quit = installQuitCoordinator(electron.app as unknown as App, stop);
    const windows = createWindowManager({ preloadPath: '/opt/herald/preload.cjs', isQuitting: quit.isQuitting });
    windows.show();
    expect(quit.isQuitting()).toBe(false);

    electron.app.quit();
    expect(quit.isQuitting()).toBe(true);
    expect(electron.created.windows[0]!.isDestroyed()).toBe(true);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(electron.app.quitted).toBe(false); // held at will-quit while the hub stops

    electron.app.quit(); // a second Quit meanwhile does not stop the hub twice
    expect(stop).toHaveBeenCalledTimes(1);

    finishStop();
    await vi.waitFor(() => expect(electron.app.quitted).toBe(true));
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('a hub that does not stop in time does not keep Herald running', async () => {
    vi.useFakeTimers();
    const onError = vi.fn();
    installQuitCoordinator(electron.app as unknown as App, () => new Promise<void>(() => undefined), { timeoutMs: 5_000, onError });
    electron.app.quit();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(electron.app.quitted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(electron.app.quitted).toBe(true);
    expect(onError).toHaveBeenCalledWith(new Error('the hub did not stop within 5 s; quitting anyway'));
  });

  it('a failing stop is reported and Herald still quits', async () => {
    const onError = vi.fn();
    installQuitCoordinator(electron.app as unknown as App, async () => {
      throw new Error('database is locked');
    }, { onError });
    electron.app.quit();
    await vi.waitFor(() => expect(electron.app.quitted).toBe(true));
    expect(onError).toHaveBeenCalledWith(new Error('database is locked'));
  });
});

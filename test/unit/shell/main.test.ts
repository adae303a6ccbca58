// main.ts is wiring that cannot run here (no Electron runtime): this drives it against the
// electron double with a recording hub, to check that the pieces are connected.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);
// electron-store is loaded by Node itself (a dependency), where vi.mock of 'electron' does not
// reach: the real `electron` package would try to download its runtime. Its base class, conf
// (which electron-store only gives Electron's default folder and IPC), stands in: the same
// files, the same folder made on first use.
vi.mock('electron-store', async () => ({ default: (await import('conf')).default }));
vi.mock('../../../electron/hub/config/secrets.js', () => ({
  openSecretStore: vi.fn(async () => ({ status: { available: false, reason: 'no keychain in this test' } })),
}));
vi.mock('../../../electron/hub/hub.js', () => ({ startHub: vi.fn() }));
// The db tool's salvage is tested on real damaged files (test/integration/hub/store/integrity.test.ts); here, that the app offers it.
vi.mock('../../../electron/db-tool.js', () => ({ recoverDatabase: vi.fn((_dir: string, out: (line: string) => void) => out('recovered into …/herald.db: events 5') ) }));

import { API_METHODS, type ApiUpdate } from '../../../shared/api.js';
import { DesktopChannelSchema, SettingsSchema } from '../../../shared/config.js';
import { emptyBoardCounts } from '../../../shared/board.js';
import { startHub } from '../../../electron/hub/hub.js';
import { recoverDatabase } from '../../../electron/db-tool.js';
import { DatabaseDamaged } from '../../../electron/hub/store/integrity.js';
import { apiChannel } from '../../../electron/shell/ipc-channels.js';
import { electron, electronEvent, resetElectronDouble } from '../../helpers/electron-double.js';
import { makeEvent } from '../../helpers/fake-event.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-main-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const originalArgv = process.argv;

function fakeHub() {
  const listeners = new Set<(u: ApiUpdate) => void>();
  const health = { healthy: true, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null };
  const answers: Record<string, (input: any) => unknown> = {
    'hub.status': () => ({
      version: '1',
      startedAt: new Date().toISOString(),
      ingressUrl: 'http://127.0.0.1:8787',
      apiUrl: '',
      keychain: { available: false, reason: 'no keychain in this test' },
      counts: { events: 1, unread: 1, pendingDeliveries: 0, failedDeliveries: 0 },
      channels: [{ id: 'popup', name: 'Popups', health }],
      sources: [],
    }),
    'events.list': (q) => (q.unread ? { items: [], total: 0 } : { items: [makeEvent({ id: 'e1' })], total: 1 }),
    'settings.get': () => SettingsSchema.parse({}),
    'board.list': () => ({ items: [], counts: emptyBoardCounts() }),
    'settings.update': ({ settings }) => SettingsSchema.parse(settings),
    'events.markRead': () => ({ updated: 1 }),
  };
  const api = Object.fromEntries(API_METHODS.map((m) => [m, vi.fn(async (input: unknown) => (answers[m] ? answers[m](input) : { ok: true }))]));
  return {
    api,
    ingressUrl: 'http://127.0.0.1:8787',
    onUpdate: (listener: (u: ApiUpdate) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit: (u: ApiUpdate) => listeners.forEach((l) => l(u)),
    stop: vi.fn(async () => undefined),
  };
}

async function startMain(argv: string[] = []) {
  const hub = fakeHub();
  vi.mocked(startHub).mockResolvedValue(hub as never);
  process.argv = [process.execPath, '/repo', '--data-dir', dataDir, ...argv];
  vi.resetModules();
  await import('../../../electron/main.js');
  return hub;
}

beforeEach(() => {
  resetElectronDouble();
  vi.mocked(startHub).mockReset();
});
afterEach(() => {
  process.argv = originalArgv;
});

describe('main.ts wiring', () => {
  it('starts the hub with the Electron popups, the tray, the IPC table and the window', async () => {
    const hub = await startMain();
    await vi.waitFor(() => expect(electron.created.windows).toHaveLength(1));

    const options = vi.mocked(startHub).mock.calls[0]![0];
    expect(options.dataDir).toBe(dataDir);
    expect(options.channelOverrides?.desktop?.kind).toBe('desktop');
    expect(options.configBackend?.path).toBe(path.join(dataDir, 'config.json'));
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalled();
    // The hub's V8 gets the same small young generation as the headless hub (memory target).
    expect(electron.app.commandLine.getSwitchValue('js-flags')).toBe('--max-semi-space-size=2 --heap-growing-percent=20 --expose-gc');
    expect(electron.protocol.handlers.has('app')).toBe(true);
    expect(electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(API_METHODS.map(apiChannel).sort());

    const tray = electron.created.trays[0]!;
    expect(tray.image.path).toMatch(/build[/\\]tray[/\\]tray-unread\.png$/);
    expect(tray.image.isEmpty()).toBe(false);
    await vi.waitFor(() => expect(electron.created.windows[0]!.visible).toBe(true));

    // Start at login is the shell's answer (a development build: unsupported), not the hub's.
    const reply = await electron.ipcRenderer.invoke(apiChannel('autostart.get'), {});
    expect(reply).toEqual({ ok: true, value: { supported: false, enabled: false } });
    expect(hub.api['autostart.get']).not.toHaveBeenCalled();

    // Pause from the tray goes to the hub's settings, validated.
    tray.menu!.getMenuItemById('snooze-1h')!.click();
    await vi.waitFor(() => expect(hub.api['settings.update']).toHaveBeenCalledTimes(1));
    const until = Date.parse((hub.api['settings.update']!.mock.calls[0]![0] as { settings: { snoozeUntil: string } }).settings.snoozeUntil);
    expect(until - Date.now()).toBeGreaterThan(59 * 60_000);

    // A hub update reaches the window.
    hub.emit({ type: 'events.changed' });
    expect(electron.created.windows[0]!.webContents.sent).toContainEqual({ channel: 'herald:update', args: [{ type: 'events.changed' }] });

    // The global shortcut from the settings is registered at start; the shell answers its status.
    expect(electron.globalShortcut.isRegistered('CommandOrControl+Shift+H')).toBe(true);
    await expect(electron.ipcRenderer.invoke(apiChannel('shortcut.status'), {})).resolves.toEqual({
      ok: true,
      value: { supported: true, accelerator: 'CommandOrControl+Shift+H', registered: true },
    });
    expect(hub.api['shortcut.status']).not.toHaveBeenCalled();

    // Closing keeps Herald in the tray, and says so (the first time); Quit stops the hub, then quits.
    electron.created.windows[0]!.close();
    expect(electron.created.windows[0]!.isDestroyed()).toBe(false);
    expect(electron.created.notifications.map((n) => [n.options.title, n.shown])).toEqual([['Herald is still running in the tray', true]]);
    expect(electron.created.notifications[0]!.options.body).toContain('Ctrl+Shift+H');
    tray.menu!.getMenuItemById('quit')!.click();
    await vi.waitFor(() => expect(electron.app.quitted).toBe(true));
    expect(hub.stop).toHaveBeenCalledTimes(1);
    expect(tray.destroyed).toBe(true);
  });

  /** Main started hidden (its start-up line printed), then `body` with the hub, the desktop channel it overrides, and a popup channel's config. */
  async function withDesktopPopups(
    body: (started: { hub: Awaited<ReturnType<typeof startMain>>; desktop: NonNullable<NonNullable<Parameters<typeof startHub>[0]['channelOverrides']>['desktop']>; config: ReturnType<typeof DesktopChannelSchema.parse> }) => Promise<void>,
  ): Promise<void> {
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const hub = await startMain(['--hidden']);
      await vi.waitFor(() => expect(written.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(/: webhooks at /));
      const desktop = vi.mocked(startHub).mock.calls[0]![0].channelOverrides!.desktop!;
      await body({ hub, desktop, config: DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' }) });
    } finally {
      written.mockRestore();
    }
  }

  it('clicking a popup opens its run and marks the event read, as a click in the tray does', async () => {
    await withDesktopPopups(async ({ hub, desktop, config }) => {
      const event = makeEvent({ id: 'e9', url: 'https://ci.example/runs/9' });
      await expect(desktop.send({ event }, config, {}, new AbortController().signal)).resolves.toMatchObject({ kind: 'ok' });
      await vi.waitFor(() => expect(electron.created.notifications).toHaveLength(1), { timeout: 3_000 });
      electron.created.notifications[0]!.simulateClick();
      expect(electron.shell.openExternal).toHaveBeenCalledWith('https://ci.example/runs/9');
      await vi.waitFor(() => expect(hub.api['events.markRead']).toHaveBeenCalledWith({ ids: ['e9'], read: true }));
    });
  });

  it('clicking a "5 new events" popup opens History', async () => {
    await withDesktopPopups(async ({ desktop, config }) => {
      const signal = new AbortController().signal;
      for (let i = 0; i < 5; i++) await desktop.send({ event: makeEvent({ id: `s${i}`, subject: { project: `p${i}` } }) }, config, {}, signal);
      await vi.waitFor(() => expect(electron.created.notifications).toHaveLength(1), { timeout: 3_000 });
      electron.created.notifications[0]!.simulateClick();
      expect(electron.created.windows[0]!.webContents.url).toBe('app://herald/index.html#/history');
    });
  });

  it('clicking the popup of an event without a web link opens its detail in History', async () => {
    await withDesktopPopups(async ({ desktop, config }) => {
      await desktop.send({ event: makeEvent({ id: 'finding-1', type: 'security.finding', url: undefined }) }, config, {}, new AbortController().signal);
      await vi.waitFor(() => expect(electron.created.notifications).toHaveLength(1), { timeout: 3_000 });
      electron.created.notifications[0]!.simulateClick();
      await vi.waitFor(() => expect(electron.created.windows[0]!.webContents.url).toBe('app://herald/index.html#/history/finding-1'));
    });
  });

  it('the first start makes the data dir owner-only before anything is written there (and has nothing to complain about)', async () => {
    const fresh = path.join(dataDir, 'first-start', 'herald');
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await startMain(['--hidden', '--data-dir', fresh]);
      await vi.waitFor(() => expect(written.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(/: webhooks at /));
      expect(vi.mocked(startHub).mock.calls[0]![0].dataDir).toBe(fresh);
      expect(statSync(fresh).mode & 0o777).toBe(0o700);
      expect(written.mock.calls.map(([chunk]) => String(chunk)).join('')).not.toMatch(/others could read/);
    } finally {
      written.mockRestore();
    }
  });

  it('on waking from sleep the tray reads the hub again at once (not up to 30 s later)', async () => {
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const hub = await startMain(['--hidden']);
      await vi.waitFor(() => expect(written.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(/: webhooks at /));
      // The start's own reads: the first, then one as the update state settles (off: a build from sources).
      await vi.waitFor(() => expect(hub.api['hub.status']).toHaveBeenCalledTimes(2));
      electron.powerMonitor.emit('resume');
      await vi.waitFor(() => expect(hub.api['hub.status']).toHaveBeenCalledTimes(3));
    } finally {
      written.mockRestore();
    }
  });

  it('a system shutdown or logout is asked to wait while the hub stops, then Herald quits', async () => {
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const hub = await startMain(['--hidden']);
      await vi.waitFor(() => expect(written.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(/: webhooks at /));
      const shutdown = electronEvent({});
      electron.powerMonitor.emit('shutdown', shutdown);
      expect(shutdown.defaultPrevented).toBe(true);
      expect(hub.stop).toHaveBeenCalledTimes(1);
      await vi.waitFor(() => expect(electron.app.quitted).toBe(true));
    } finally {
      written.mockRestore();
    }
  });

  it('--hidden (the login item) starts in the tray without a window', async () => {
    // Start-up is over once main.ts logs its URLs: the window decision is made before that line.
    const written = vi.spyOn(process.stdout, 'write');
    try {
      await startMain(['--hidden']);
      await vi.waitFor(() => expect(written.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(/: webhooks at /));
    } finally {
      written.mockRestore();
    }
    expect(electron.created.trays).toHaveLength(1);
    expect(electron.created.windows).toHaveLength(0);
  });

  it('a second instance quits at once and leaves the hub to the first', async () => {
    electron.app.requestSingleInstanceLock.mockReturnValueOnce(false);
    await startMain();
    expect(electron.app.quit).toHaveBeenCalled();
    expect(startHub).not.toHaveBeenCalled();
  });

  it('the first instance shows its window when a second one starts, also while it is still starting', async () => {
    const started = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await startMain(['--hidden']);
    electron.app.emit('second-instance'); // before the hub is up: remembered
    await vi.waitFor(() => expect(started).toHaveBeenCalledWith(expect.stringMatching(/^Herald 0\.0\.0-test: webhooks at /)));
    expect(electron.created.windows).toHaveLength(1);
    electron.created.windows[0]!.close(); // hidden, to the tray
    electron.app.emit('second-instance');
    expect(electron.created.windows).toHaveLength(1);
    expect(electron.created.windows[0]!.visible).toBe(true);
    started.mockRestore();
  });

  it('Herald started again while it quits (its hub still stopping) starts again once stopped, instead of being lost', async () => {
    const written = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const hub = await startMain(['--hidden']);
      await vi.waitFor(() => expect(written.mock.calls.map(([chunk]) => String(chunk)).join('')).toMatch(/: webhooks at /));
      let finishStop!: () => void;
      hub.stop.mockImplementation(() => new Promise<undefined>((resolve) => (finishStop = () => resolve(undefined))));
      electron.created.trays[0]!.menu!.getMenuItemById('quit')!.click();
      expect(hub.stop).toHaveBeenCalledTimes(1);
      // The user starts Herald again: the new process finds the lock held and leaves.
      electron.app.emit('second-instance');
      electron.app.emit('second-instance'); // started twice (a double click): still one Herald afterwards
      expect(electron.app.relaunch).toHaveBeenCalledTimes(1);
      expect(electron.created.windows).toHaveLength(0); // no window popping up in a quitting app
      finishStop();
      await vi.waitFor(() => expect(electron.app.quitted).toBe(true));
    } finally {
      written.mockRestore();
    }
  });

  it('a damaged database is offered recovery in the app (its `npm run db` is not there when installed): recover, then start again', async () => {
    const file = path.join(dataDir, 'herald.db');
    vi.mocked(startHub).mockRejectedValueOnce(new DatabaseDamaged(file, 'it holds events up to #5, but Herald acknowledged events up to #25'));
    process.argv = [process.execPath, '/repo', '--data-dir', dataDir];
    vi.resetModules();
    await import('../../../electron/main.js');
    await vi.waitFor(() => expect(electron.app.exit).toHaveBeenCalledWith(0));
    const asked = electron.dialog.showMessageBox.mock.calls[0]![0] as { buttons: string[]; detail: string };
    expect(asked.buttons).toEqual(['Recover and start Herald', 'Quit']);
    expect(asked.detail).toContain(`${file}: it holds events up to #5`);
    expect(asked.detail).not.toContain('npm run db');
    expect(recoverDatabase).toHaveBeenCalledWith(dataDir, expect.any(Function), expect.any(Date), process.env.HERALD_SQLITE_BINDING);
    expect((electron.dialog.showMessageBox.mock.calls[1]![0] as { detail: string }).detail).toBe('recovered into …/herald.db: events 5');
    expect(electron.app.relaunch).toHaveBeenCalledTimes(1);
    expect(electron.dialog.showErrorBox).not.toHaveBeenCalled();
  });

  it('declining recovery quits and touches nothing', async () => {
    vi.mocked(startHub).mockRejectedValueOnce(new DatabaseDamaged(path.join(dataDir, 'herald.db'), 'database disk image is malformed'));
    electron.dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    process.argv = [process.execPath, '/repo', '--data-dir', dataDir];
    vi.resetModules();
    await import('../../../electron/main.js');
    await vi.waitFor(() => expect(electron.app.exit).toHaveBeenCalledWith(1));
    expect(recoverDatabase).not.toHaveBeenCalled();
    expect(electron.app.relaunch).not.toHaveBeenCalled();
  });

  it('a hub that cannot start is reported in a dialog, and the app exits', async () => {
    vi.mocked(startHub).mockRejectedValueOnce(new Error('could not listen for webhooks: port 8787 in use'));
    process.argv = [process.execPath, '/repo', '--data-dir', dataDir];
    vi.resetModules();
    await import('../../../electron/main.js');
    await vi.waitFor(() => expect(electron.app.exit).toHaveBeenCalledWith(1));
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('Herald could not start', 'could not listen for webhooks: port 8787 in use');
  });
});

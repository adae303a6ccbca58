// Electron main process: wiring only. One instance; the same hub as headless, in this
// process; the tray; the window on demand; native popups; the api over IPC. Every decision
// lives in shell/ (pure functions, unit-tested with a test double of `electron`).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, globalShortcut, ipcMain, Notification, powerMonitor, session } from 'electron';
import ElectronStore from 'electron-store';
import electronUpdater from 'electron-updater';
import type { ApiUpdate } from '../shared/api.js';
import type { Settings } from '../shared/config.js';
import { recoverDatabase } from './db-tool.js';
import { defaultDataDir } from './headless.js';
import { parseJsonText } from './hub/config/problems.js';
import { prepareDataDir } from './hub/data-dir.js';
import { openSecretStore } from './hub/config/secrets.js';
import { startHub } from './hub/hub.js';
import { registerAppScheme, serveRenderer } from './shell/app-protocol.js';
import { createAutostart } from './shell/autostart.js';
import { closeToTrayNotice, createCloseToTrayNotifier } from './shell/close-to-tray.js';
import { offerRecovery } from './shell/damaged-database.js';
import { createElectronDesktopChannel } from './shell/desktop-channel.js';
import { APP_ID, APP_ORIGIN } from './shell/identity.js';
import { buildIpcHandlers, createValidatedApi, forwardUpdates, registerIpcHandlers } from './shell/ipc.js';
import { installQuitCoordinator, opensWindowAtStart, parseShellArgs, whenLaunchedAgain, withShellHandlers } from './shell/lifecycle.js';
import { createElectronNotifier } from './shell/notify.js';
import { popupsMuted } from './shell/popups.js';
import { openExternalSafely } from './shell/security.js';
import { createShortcutController } from './shell/shortcut.js';
import { createTrayController, type TrayController } from './shell/tray.js';
import { originOf } from './shell/url-policy.js';
import { createWindowManager, type WindowManager } from './shell/windows.js';
import { startAutoUpdates } from './updates/auto-updates.js';
import { restartToUpdateLabel } from './updates/policy.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (line: string) => process.stdout.write(`${line}\n`);
const logError = (err: unknown) => log(`herald: ${err instanceof Error ? err.message : String(err)}`);

// Before `ready`: the app scheme must be privileged before any window exists.
registerAppScheme();
// The hub lives in this process all day: a small young generation, a heap that grows by
// 20 % steps, and a full GC once quiet after a burst (idle-gc.ts, needs --expose-gc) keep
// it small (the flags `npm run serve` gives the headless hub; see bench/ingest.mjs). A 2 MB
// semi-space measured both faster and smaller than 4 (it stays in the CPU caches).
app.commandLine.appendSwitch('js-flags', '--max-semi-space-size=2 --heap-growing-percent=20 --expose-gc');

/** Known once the arguments are read: where a damaged database would be recovered. */
let dataDirOfRun: string | undefined;

if (!app.requestSingleInstanceLock()) {
  app.quit(); // the running Herald gets `second-instance` and shows its window
} else {
  run().catch(async (err: unknown) => {
    const dataDir = dataDirOfRun;
    // A damaged database is offered recovery (the hub's own words name a tool the installed app lacks).
    const outcome = dataDir === undefined ? 'not-damaged' : await offerRecovery({ error: err, dialog, recover: (out) => recoverDatabase(dataDir, out, new Date(), process.env.HERALD_SQLITE_BINDING) });
    if (outcome === 'recovered') {
      app.relaunch();
      app.exit(0);
      return;
    }
    if (outcome === 'not-damaged') dialog.showErrorBox('Herald could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });
}

async function run(): Promise<void> {
  const args = parseShellArgs(process.argv.slice(app.isPackaged ? 1 : 2));
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  app.on('window-all-closed', () => {
    // Herald lives on in the tray; only Quit ends it.
  });
  // Another launch (or a dock click) shows the window; while starting, once the api is up.
  let windows: WindowManager | undefined;
  let showWhenReady = false;
  const showWindow = () => (windows ? windows.show() : (showWhenReady = true));
  let quitting = () => false;
  let relaunchAsked = false;
  app.on('second-instance', () => {
    const next = whenLaunchedAgain(quitting(), relaunchAsked);
    if (next === 'show-window') showWindow();
    else if (next === 'relaunch-after-quit') {
      relaunchAsked = true;
      app.relaunch();
    }
  });
  app.on('activate', showWindow);
  await app.whenReady();

  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  serveRenderer(path.join(here, '../renderer'));

  const resources = app.isPackaged ? process.resourcesPath : path.join(app.getAppPath(), 'build');
  let settings: Settings | undefined;
  const mutePipeline = (eventId: string, how: { minutes: number } | { untilPasses: true }) =>
    void api['mutes.add']({ eventId, ...how }).catch(logError);
  const notifier = createElectronNotifier({
    // A summary ("12 new events") opens History, newest first; one event, its detail there.
    openEvent: (eventId) => windows?.show(eventId === undefined ? { page: 'history' } : { eventId }),
    openUrl: (url) => openExternalSafely(url, logError),
    markRead: (eventId) => void api['events.markRead']({ ids: [eventId] }).catch(logError),
    onCommand: (command) => {
      if (command.kind === 'open') openExternalSafely(command.url, logError);
      else mutePipeline(command.eventId, 'minutes' in command ? { minutes: command.minutes } : { untilPasses: true });
    },
    muted: (now) => popupsMuted(settings, now),
    icon: path.join(resources, 'icon.png'),
    onError: logError,
  });

  const dataDir = path.resolve(args.dataDir ?? defaultDataDir());
  dataDirOfRun = dataDir;
  const configFile = path.join(dataDir, 'config.json');
  // Before electron-store, which would create a missing dir with the umask's mode (0755: others
  // could list it until the hub made it owner-only, and the first start logged that it had to).
  prepareDataDir(dataDir, log);
  const hub = await startHub({
    dataDir,
    ...(args.configFile && { configFile: path.resolve(args.configFile) }),
    secrets: await openSecretStore(),
    configBackend: new ElectronStore<Record<string, unknown>>({
      cwd: dataDir,
      name: 'config',
      configFileMode: 0o600,
      clearInvalidConfig: false,
      deserialize: (text) => parseJsonText(text, configFile) as Record<string, unknown>,
    }),
    channelOverrides: { desktop: createElectronDesktopChannel(notifier, () => settings) },
    version: app.getVersion(),
    log,
    // `npm start` fetched better-sqlite3's build for Electron's ABI and names it here; packaged
    // builds carry one rebuilt by electron-builder in node_modules.
    ...(process.env.HERALD_SQLITE_BINDING && { sqliteBinding: process.env.HERALD_SQLITE_BINDING }),
  });

  let tray: TrayController | undefined;
  // Updates the shell itself raises (the shortcut's state) go to the window like the hub's.
  const shellListeners = new Set<(update: ApiUpdate) => void>();
  const shortcut = createShortcutController(
    globalShortcut,
    () => windows?.show(),
    (state) => {
      if (state.problem) log(`herald: ${state.problem}`);
      for (const listener of shellListeners) listener({ type: 'shortcut.changed' });
      tray?.scheduleRefresh();
    },
  );
  // Packaged builds with a feed set (Settings → Updates) only; electron-updater's autoUpdater
  // is built on first use, so a build from sources never loads it.
  const updates = startAutoUpdates({
    updater: () => electronUpdater.autoUpdater,
    isPackaged: app.isPackaged,
    feed: () => settings?.updates.feed,
    onChange: () => tray?.scheduleRefresh(),
    log,
  });
  const quit = installQuitCoordinator(
    app,
    async () => {
      shortcut.dispose();
      updates.stop();
      tray?.destroy();
      notifier.dispose();
      await hub.stop();
    },
    { onError: logError },
  );
  quitting = quit.isQuitting;
  // The system is shutting down or logging out (Linux, macOS): ask it to wait while the hub
  // stops (bounded above) instead of quitting in the way of it — on macOS a quit held at
  // will-quit would otherwise cancel the shutdown.
  // (Electron's typings give the listener no argument; it gets the event its docs describe.)
  const onShutdown = (event: Electron.Event) => {
    event.preventDefault();
    app.quit();
  };
  powerMonitor.on('shutdown', onShutdown as unknown as () => void);

  const autostart = createAutostart(app, {
    platform: process.platform,
    isPackaged: app.isPackaged,
    execPath: process.execPath,
    appImage: process.env.APPIMAGE,
    configHome: process.env.XDG_CONFIG_HOME ?? path.join(app.getPath('home'), '.config'),
  });
  const handlers = withShellHandlers(hub.api, autostart, () => shortcut.state());
  const api = createValidatedApi(handlers, { error: (message, err) => logError(`${message}: ${String(err)}`) });

  const hiddenToTray = createCloseToTrayNotifier({
    dataDir,
    notice: () => closeToTrayNotice(process.platform, shortcut.state().registered ? shortcut.state().accelerator : undefined),
    show: (notice) => new Notification({ ...notice, silent: true, icon: path.join(resources, 'icon.png') }).show(),
    onError: logError,
  });
  const windowManager = createWindowManager({
    preloadPath: path.join(here, 'preload.cjs'),
    isQuitting: quit.isQuitting,
    onHiddenToTray: hiddenToTray,
    onError: logError,
  });
  registerIpcHandlers(ipcMain, buildIpcHandlers(handlers), (frameUrl) => originOf(frameUrl) === APP_ORIGIN);
  forwardUpdates((listener) => {
    const off = hub.onUpdate(listener);
    shellListeners.add(listener);
    return () => {
      off();
      shellListeners.delete(listener);
    };
  }, () => windowManager.contents());

  settings = await api['settings.get']({});
  shortcut.apply(settings.shortcut);
  tray = createTrayController({
    api,
    iconDir: path.join(resources, 'tray'),
    platform: process.platform,
    restartLabel: () => restartToUpdateLabel(updates.state),
    onError: logError,
    shortcutProblem: () => shortcut.state().problem,
    actions: {
      openEvent: (eventId, target) => {
        api['events.markRead']({ ids: [eventId] }).catch(logError);
        if (target.kind === 'url') openExternalSafely(target.url, logError);
        else windowManager.show({ eventId: target.eventId });
      },
      markAllRead: () => void api['events.markRead']({ all: true }).catch(logError),
      // Resuming sets the pause to end now; settings.update merges, so no other setting changes.
      setSnooze: (until) => void api['settings.update']({ settings: { snoozeUntil: (until ?? new Date()).toISOString() } }).catch(logError),
      openWindow: (page) => windowManager.show(page === undefined ? {} : { page }),
      quit: () => app.quit(),
      restartToUpdate: () => void updates.restart(),
      mute: mutePipeline,
      liftMute: (key) => void api['mutes.remove']({ key }).catch(logError),
    },
  });
  hub.onUpdate((update) => {
    if (update.type === 'delivery.updated') return;
    if (update.type === 'config.changed' && update.what === 'settings') {
      api['settings.get']({}).then((next) => {
        settings = next;
        // A changed shortcut is registered now (the old one released); an unchanged one is left alone.
        shortcut.apply(next.shortcut);
        updates.feedChanged().catch(logError);
      }, logError);
    }
    tray?.scheduleRefresh();
  });
  await tray.refresh().catch(logError);
  updates.checkNow().catch(logError); // then daily
  // Timers do not count the time asleep: on waking, the tray is read again ("red for …", a
  // pause that ended overnight) and an update check that fell due meanwhile runs.
  powerMonitor.on('resume', () => {
    tray?.scheduleRefresh();
    updates.resumed().catch(logError);
  });

  windows = windowManager;
  const openedAtLogin = process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
  if (showWhenReady || opensWindowAtStart(args, openedAtLogin)) windows.show();
  log(`Herald ${app.getVersion()}: webhooks at ${hub.ingressUrl}, data in ${dataDir}`);
}

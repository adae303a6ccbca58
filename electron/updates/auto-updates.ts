// Checks the configured feed with electron-updater — at start, then daily (hourly after a
// failure), by the clock after the machine slept — and lets it download and verify a newer version; "Restart to update" installs
// it. What each event means and when to look again is policy.ts; this only wires the
// updater's events and timers to it. The updater is handed in (Electron's autoUpdater in the
// app; a plain-Node updater on a loopback feed in the tests), built only when updates are on.
import type { AppUpdater } from 'electron-updater';
import type { UpdateFeed } from '../../shared/config.js';
import { checkDueIn, feedOptions, nextCheckIn, reduceUpdate, updateLogLine, updatesOff, type UpdaterEvent, type UpdateState } from './policy.js';

/** The part of electron-updater's AppUpdater used here. */
export type Updater = Pick<AppUpdater, 'setFeedURL' | 'checkForUpdates' | 'quitAndInstall' | 'isUpdaterActive' | 'on' | 'autoDownload' | 'autoInstallOnAppQuit' | 'logger'>;

export interface AutoUpdatesOptions {
  /** Called once, when updates are first on (electron-updater's autoUpdater is built on first access). */
  updater: () => Updater;
  isPackaged: boolean;
  /** The current setting (Settings → Updates). */
  feed: () => UpdateFeed | undefined;
  onChange?(state: UpdateState): void;
  log?(line: string): void;
  now?: () => number;
}

export interface AutoUpdates {
  readonly state: UpdateState;
  /** Look now (start, a changed feed; the daily timer calls it too). Resolves when the check (not a download) is done. */
  checkNow(): Promise<UpdateState>;
  /** The feed setting changed: turn on, off, or look at the new feed now. */
  feedChanged(): Promise<UpdateState>;
  /** The machine woke up (powerMonitor 'resume'): look now if a check fell due while asleep, else re-arm by the clock. */
  resumed(): Promise<UpdateState>;
  /** Install the downloaded update and start again; false when none is ready. */
  restart(): boolean;
  stop(): void;
}

export function startAutoUpdates(options: AutoUpdatesOptions): AutoUpdates {
  const now = options.now ?? Date.now;
  let state: UpdateState = { status: 'idle' };
  let updater: Updater | undefined;
  let feedKey: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const set = (next: UpdateState) => {
    if (JSON.stringify(next) === JSON.stringify(state)) return;
    state = next;
    const line = updateLogLine(state);
    if (line) options.log?.(line);
    options.onChange?.(state);
  };
  const on = (event: UpdaterEvent) => set(reduceUpdate(state, event));

  const ensureUpdater = (): Updater => {
    if (updater) return updater;
    const u = options.updater();
    u.autoDownload = true; // it verifies the file's sha512 from the feed before offering it
    u.autoInstallOnAppQuit = true;
    u.logger = null; // its own log prints stacks; the states below say it in one line
    u.on('checking-for-update', () => on({ type: 'checking' }));
    u.on('update-available', (info) => on({ type: 'available', version: info.version }));
    u.on('update-not-available', () => on({ type: 'not-available', at: now() }));
    u.on('download-progress', (progress) => on({ type: 'progress', percent: progress.percent }));
    u.on('update-downloaded', (event) => on({ type: 'downloaded', version: event.version }));
    u.on('error', (error) => on({ type: 'error', message: error.message, at: now() }));
    updater = u;
    return u;
  };

  const schedule = (delay = nextCheckIn(state)) => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (delay === null || stopped) return;
    timer = setTimeout(() => void checkNow(), delay);
    timer.unref();
  };

  const checkNow = async (): Promise<UpdateState> => {
    const feed = options.feed();
    const off = updatesOff({ headless: false, isPackaged: options.isPackaged, feed });
    if (off || !feed) {
      set({ status: 'off', reason: off ?? 'no update feed set' });
      schedule();
      return state;
    }
    const u = ensureUpdater();
    const key = JSON.stringify(feed);
    if (key !== feedKey) {
      u.setFeedURL(feedOptions(feed));
      feedKey = key;
    }
    if (!u.isUpdaterActive()) {
      set({ status: 'off', reason: 'this build cannot update itself (on Linux only the AppImage and deb packages do)' });
      return state;
    }
    try {
      const result = await u.checkForUpdates();
      // The download runs on; its failure arrives as an 'error' event (a sha512 mismatch, a
      // cut connection). Unhandled, the same rejection would be an unhandledRejection too.
      result?.downloadPromise?.catch(() => undefined);
    } catch (error) {
      // The 'error' event has said it already; this is the same error as a rejection.
      if (state.status !== 'failed' && state.status !== 'ready') on({ type: 'error', message: (error as Error).message, at: now() });
    }
    schedule();
    return state;
  };

  return {
    get state() {
      return state;
    },
    checkNow,
    feedChanged: () => {
      if (state.status === 'ready') return Promise.resolve(state); // installed at quit whatever the feed says now
      if (state.status !== 'off' && JSON.stringify(options.feed()) === feedKey) return Promise.resolve(state);
      return checkNow();
    },
    resumed: () => {
      const due = stopped ? null : checkDueIn(state, now());
      if (due === null) return Promise.resolve(state);
      if (due === 0) return checkNow();
      schedule(due);
      return Promise.resolve(state);
    },
    restart: () => {
      if (state.status !== 'ready' || !updater) return false;
      updater.quitAndInstall(true, true);
      return true;
    },
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

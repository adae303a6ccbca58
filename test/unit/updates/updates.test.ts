// Auto-update decisions as pure functions, the check/retry schedule with fake timers, and
// "Restart to update" in the tray menu through the electron test double. The check itself
// against a loopback feed is test/integration/updates/auto-updates.test.ts.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import { SettingsSchema, type UpdateFeed } from '../../../shared/config.js';
import { buildTrayMenu, type TrayActions, type TrayState } from '../../../electron/shell/tray-model.js';
import { startAutoUpdates, type Updater } from '../../../electron/updates/auto-updates.js';
import {
  CHECK_EVERY_MS,
  feedOptions,
  nextCheckIn,
  reduceUpdate,
  restartToUpdateLabel,
  RETRY_AFTER_FAILURE_MS,
  updateErrorText,
  updatesOff,
  type UpdaterEvent,
  type UpdateState,
} from '../../../electron/updates/policy.js';
import { electron, resetElectronDouble, type FakeMenu } from '../../helpers/electron-double.js';

const FEED: UpdateFeed = { provider: 'generic', url: 'https://updates.example.com/herald/' };

describe('whether to look at all', () => {
  it.each([
    ['headless, whatever else', { headless: true, isPackaged: true, feed: FEED }, 'the headless hub does not update itself'],
    ['from sources (npm start)', { headless: false, isPackaged: false, feed: FEED }, 'running from sources: update with git pull'],
    ['packaged, no feed', { headless: false, isPackaged: true, feed: undefined }, 'no update feed set (Settings → Updates)'],
    ['packaged with a feed', { headless: false, isPackaged: true, feed: FEED }, null],
  ])('%s', (_name, input, expected) => {
    expect(updatesOff(input)).toBe(expected);
  });

  it('the feed as electron-updater takes it', () => {
    expect(feedOptions(FEED)).toEqual({ provider: 'generic', url: 'https://updates.example.com/herald/' });
    expect(feedOptions({ provider: 'github', owner: 'acme', repo: 'herald' })).toEqual({ provider: 'github', owner: 'acme', repo: 'herald' });
  });

  it('settings: no feed by default; https, or http to this machine only', () => {
    expect(SettingsSchema.parse({}).updates).toEqual({});
    const feed = (value: unknown) => SettingsSchema.safeParse({ updates: { feed: value } });
    expect(feed(FEED).success).toBe(true);
    expect(feed({ provider: 'generic', url: 'http://127.0.0.1:8080/feed/' }).success).toBe(true);
    expect(feed({ provider: 'generic', url: 'http://localhost/feed' }).success).toBe(true);
    const plain = feed({ provider: 'generic', url: 'http://updates.example.com/herald/' });
    expect(plain.success).toBe(false);
    expect(plain.error?.issues[0]?.message).toBe('an update feed URL must be https (plain http only to localhost)');
    expect(feed({ provider: 'github', owner: 'acme', repo: 'her ald' }).success).toBe(false);
    expect(feed({ provider: 's3', bucket: 'x' }).success).toBe(false);
  });
});

describe('what electron-updater’s events mean', () => {
  const at = 1_000;
  const run = (events: UpdaterEvent[], from: UpdateState = { status: 'idle' }) => events.reduce(reduceUpdate, from);

  it('a newer version: checking → downloading (with progress) → ready', () => {
    expect(run([{ type: 'checking' }])).toEqual({ status: 'checking' });
    expect(run([{ type: 'checking' }, { type: 'available', version: '1.2.0' }, { type: 'progress', percent: 42.5 }])).toEqual({ status: 'downloading', version: '1.2.0', percent: 42.5 });
    expect(run([{ type: 'checking' }, { type: 'available', version: '1.2.0' }, { type: 'downloaded', version: '1.2.0' }])).toEqual({ status: 'ready', version: '1.2.0' });
  });

  it('progress outside a download changes nothing; percentages stay within 0–100', () => {
    expect(run([{ type: 'progress', percent: 50 }])).toEqual({ status: 'idle' });
    expect(run([{ type: 'available', version: '1.2.0' }, { type: 'progress', percent: 140 }])).toMatchObject({ percent: 100 });
  });

  it('a downloaded update stays offered whatever later checks say', () => {
    const ready: UpdateState = { status: 'ready', version: '1.2.0' };
    expect(run([{ type: 'checking' }, { type: 'error', message: 'net::ERR_INTERNET_DISCONNECTED', at }, { type: 'not-available', at }], ready)).toEqual(ready);
    expect(run([{ type: 'downloaded', version: '1.3.0' }], ready)).toEqual({ status: 'ready', version: '1.3.0' });
  });

  it('errors: the first line, bounded', () => {
    const message = 'Cannot find latest-linux.yml in the latest release artifacts (https://x/latest-linux.yml): HttpError: 404\n"method: GET url: https://x/latest-linux.yml"\nHeaders: {…}';
    expect(run([{ type: 'error', message, at }])).toEqual({ status: 'failed', error: 'Cannot find latest-linux.yml in the latest release artifacts (https://x/latest-linux.yml): HttpError: 404', at });
    expect(updateErrorText('x'.repeat(500))).toHaveLength(300);
    expect(updateErrorText('\n\n')).toBe('unknown error');
  });

  it('when to look again: daily; hourly after a failure; never once ready or off', () => {
    expect(nextCheckIn({ status: 'up-to-date', checkedAt: at })).toBe(CHECK_EVERY_MS);
    expect(nextCheckIn({ status: 'downloading', version: '1.2.0', percent: 3 })).toBe(CHECK_EVERY_MS);
    expect(nextCheckIn({ status: 'failed', error: 'offline', at })).toBe(RETRY_AFTER_FAILURE_MS);
    expect(nextCheckIn({ status: 'ready', version: '1.2.0' })).toBeNull();
    expect(nextCheckIn({ status: 'off', reason: 'x' })).toBeNull();
  });

  it('the tray item exists only for a downloaded update', () => {
    expect(restartToUpdateLabel({ status: 'ready', version: '1.2.0' })).toBe('Restart to update (1.2.0)');
    expect(restartToUpdateLabel({ status: 'downloading', version: '1.2.0', percent: 99 })).toBeNull();
  });
});

/** electron-updater's observable behaviour: events, then checkForUpdates resolves. */
class UpdaterDouble extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  logger: unknown = console;
  feeds: unknown[] = [];
  checks = 0;
  installs: unknown[][] = [];
  active = true;
  next: (u: UpdaterDouble) => void = (u) => u.emit('update-not-available', { version: '0.1.0' });
  setFeedURL(options: unknown) {
    this.feeds.push(options);
  }
  isUpdaterActive() {
    return this.active;
  }
  async checkForUpdates() {
    this.checks++;
    this.emit('checking-for-update');
    this.next(this);
    return null;
  }
  quitAndInstall(...args: unknown[]) {
    this.installs.push(args);
  }
}

describe('the schedule: at start, then daily', () => {
  afterEach(() => vi.useRealTimers());

  /** null: no feed set. */
  function start(feed: UpdateFeed | null = FEED) {
    const double = new UpdaterDouble();
    let current: UpdateFeed | undefined = feed ?? undefined;
    const updates = startAutoUpdates({ updater: () => double as unknown as Updater, isPackaged: true, feed: () => current, now: () => Date.now() });
    return { double, updates, setFeed: (f: UpdateFeed | undefined) => (current = f) };
  }

  it('configures electron-updater once: its own download and sha512 check, install at quit, no stack-printing logger', async () => {
    const { double, updates } = start();
    await updates.checkNow();
    expect([double.autoDownload, double.autoInstallOnAppQuit, double.logger]).toEqual([true, true, null]);
    expect(double.feeds).toEqual([feedOptions(FEED)]);
    await updates.checkNow();
    expect(double.feeds).toHaveLength(1); // the same feed is not set again
    updates.stop();
  });

  it('looks again a day later, an hour after a failure, and not at all once an update is ready', async () => {
    vi.useFakeTimers();
    const { double, updates } = start();
    await updates.checkNow();
    expect(double.checks).toBe(1);
    await vi.advanceTimersByTimeAsync(CHECK_EVERY_MS - 1);
    expect(double.checks).toBe(1);
    double.next = (u) => u.emit('error', new Error('net::ERR_NAME_NOT_RESOLVED'));
    await vi.advanceTimersByTimeAsync(1);
    expect(double.checks).toBe(2);
    expect(updates.state).toMatchObject({ status: 'failed', error: 'net::ERR_NAME_NOT_RESOLVED' });
    double.next = (u) => {
      u.emit('update-available', { version: '1.2.0' });
      u.emit('update-downloaded', { version: '1.2.0' });
    };
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_FAILURE_MS);
    expect(double.checks).toBe(3);
    expect(updates.state).toEqual({ status: 'ready', version: '1.2.0' });
    await vi.advanceTimersByTimeAsync(7 * CHECK_EVERY_MS);
    expect(double.checks).toBe(3);
    expect(updates.restart()).toBe(true);
    expect(double.installs).toEqual([[true, true]]);
    updates.stop();
  });

  it('after the machine slept past the day (timers do not count sleep), waking looks at once; before that, re-arms by the clock', async () => {
    vi.useFakeTimers();
    const { double, updates } = start();
    await updates.checkNow();
    // Asleep 20 h: the clock moves, the timers do not (as with a suspended machine).
    vi.setSystemTime(Date.now() + 20 * 60 * 60_000);
    await updates.resumed();
    expect(double.checks).toBe(1);
    // Due 4 h later by the clock, not 24 h of waking time.
    await vi.advanceTimersByTimeAsync(4 * 60 * 60_000);
    expect(double.checks).toBe(2);
    // Asleep a whole day: the check runs on waking.
    vi.setSystemTime(Date.now() + CHECK_EVERY_MS + 60_000);
    await updates.resumed();
    expect(double.checks).toBe(3);
    // An hour after a failure, likewise.
    double.next = (u) => u.emit('error', new Error('net::ERR_INTERNET_DISCONNECTED'));
    await updates.checkNow();
    vi.setSystemTime(Date.now() + RETRY_AFTER_FAILURE_MS);
    double.next = (u) => u.emit('update-not-available', { version: '0.1.0' });
    await updates.resumed();
    expect(double.checks).toBe(5);
    expect(updates.state.status).toBe('up-to-date');
    updates.stop();
  });

  it('from sources or without a feed: off, electron-updater never built; a feed set later turns it on', async () => {
    let built = 0;
    const fromSources = startAutoUpdates({ updater: () => (built++, new UpdaterDouble() as unknown as Updater), isPackaged: false, feed: () => FEED });
    expect(await fromSources.checkNow()).toEqual({ status: 'off', reason: 'running from sources: update with git pull' });
    expect(built).toBe(0);

    const { double, updates, setFeed } = start(null);
    expect((await updates.checkNow()).status).toBe('off');
    expect(double.checks).toBe(0);
    setFeed(FEED);
    expect((await updates.feedChanged()).status).toBe('up-to-date');
    expect(double.checks).toBe(1);
    setFeed(undefined);
    expect(await updates.feedChanged()).toEqual({ status: 'off', reason: 'no update feed set (Settings → Updates)' });
    updates.stop();
  });

  it('a build electron-updater cannot update (Linux, not an AppImage or deb) says so', async () => {
    const { double, updates } = start();
    double.active = false;
    expect(await updates.checkNow()).toEqual({ status: 'off', reason: 'this build cannot update itself (on Linux only the AppImage and deb packages do)' });
    expect(double.checks).toBe(0);
  });
});

describe('"Restart to update" in the tray (electron double)', () => {
  afterEach(() => resetElectronDouble());
  const state: TrayState = { unread: 0, criticalUnread: 0, failing: [], quietHours: false, latest: [], board: { failing: [], red: 0, mutedFailing: 0, running: 0 } };
  const actions = () => ({
    openEvent: vi.fn<TrayActions['openEvent']>(),
    markAllRead: vi.fn<TrayActions['markAllRead']>(),
    setSnooze: vi.fn<TrayActions['setSnooze']>(),
    openWindow: vi.fn<TrayActions['openWindow']>(),
    quit: vi.fn<TrayActions['quit']>(),
    restartToUpdate: vi.fn<NonNullable<TrayActions['restartToUpdate']>>(),
  });
  const menu = (a: TrayActions, restartLabel: string | null) =>
    electron.Menu.buildFromTemplate(buildTrayMenu(state, a, { now: new Date('2026-12-03T09:00:00Z'), platform: 'linux', restartLabel })) as FakeMenu;

  it('first in the menu once downloaded; a click installs', () => {
    const a = actions();
    const m = menu(a, restartToUpdateLabel({ status: 'ready', version: '1.2.0' }));
    expect(m.items[0]?.label).toBe('Restart to update (1.2.0)');
    m.getMenuItemById('restart-to-update')?.click();
    expect(a.restartToUpdate).toHaveBeenCalledTimes(1);
  });

  it('absent otherwise', () => {
    const m = menu(actions(), restartToUpdateLabel({ status: 'downloading', version: '1.2.0', percent: 40 }));
    expect(m.getMenuItemById('restart-to-update')).toBeNull();
  });
});

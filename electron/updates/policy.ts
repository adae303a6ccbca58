// The desktop app's own updates, decided as pure functions: whether to look at all, which
// feed electron-updater is given, what its events mean for what the user sees, and when to
// look again. The looking itself (electron-updater) is wired in auto-updates.ts.
import type { UpdateFeed } from '../../shared/config.js';

export const CHECK_EVERY_MS = 24 * 60 * 60_000;
/** After a failed check (offline, the feed down): sooner than a day, not in a loop. */
export const RETRY_AFTER_FAILURE_MS = 60 * 60_000;
const MAX_ERROR_CHARS = 300;

export type UpdateState =
  | { status: 'off'; reason: string }
  | { status: 'idle' }
  | { status: 'checking' }
  | { status: 'up-to-date'; checkedAt: number }
  | { status: 'downloading'; version: string; percent: number }
  /** Downloaded and verified: installed by "Restart to update", or at the next quit. */
  | { status: 'ready'; version: string }
  | { status: 'failed'; error: string; at: number };

/** electron-updater's events, as the controller hands them on. */
export type UpdaterEvent =
  | { type: 'checking' }
  | { type: 'available'; version: string }
  | { type: 'not-available'; at: number }
  | { type: 'progress'; percent: number }
  | { type: 'downloaded'; version: string }
  | { type: 'error'; message: string; at: number };

/**
 * Never headless (a server's hub is updated by whoever deployed it) and never from sources
 * (`npm start` from a checkout: git pull is the update); otherwise only with a feed set.
 */
export function updatesOff(input: { headless: boolean; isPackaged: boolean; feed: UpdateFeed | undefined }): string | null {
  if (input.headless) return 'the headless hub does not update itself';
  if (!input.isPackaged) return 'running from sources: update with git pull';
  if (!input.feed) return 'no update feed set (Settings → Updates)';
  return null;
}

/** The feed as electron-updater's setFeedURL takes it (its GenericServerOptions / GithubOptions). */
export function feedOptions(feed: UpdateFeed): { provider: 'generic'; url: string } | { provider: 'github'; owner: string; repo: string } {
  return feed.provider === 'generic' ? { provider: 'generic', url: feed.url } : { provider: 'github', owner: feed.owner, repo: feed.repo };
}

/** electron-updater's errors carry response headers and bodies over many lines: the first, bounded. */
export function updateErrorText(message: string): string {
  const first = (message.split('\n').find((line) => line.trim() !== '') ?? 'unknown error').trim();
  return first.length > MAX_ERROR_CHARS ? `${first.slice(0, MAX_ERROR_CHARS - 1)}…` : first;
}

export function reduceUpdate(state: UpdateState, event: UpdaterEvent): UpdateState {
  // A downloaded update stays offered: a later check that fails or finds the same version
  // must not take "Restart to update" away.
  if (state.status === 'ready' && event.type !== 'downloaded') return state;
  switch (event.type) {
    case 'checking':
      return { status: 'checking' };
    case 'available':
      return { status: 'downloading', version: event.version, percent: 0 };
    case 'not-available':
      return { status: 'up-to-date', checkedAt: event.at };
    case 'progress':
      return state.status === 'downloading' ? { ...state, percent: Math.max(0, Math.min(100, event.percent)) } : state;
    case 'downloaded':
      return { status: 'ready', version: event.version };
    case 'error':
      return { status: 'failed', error: updateErrorText(event.message), at: event.at };
    default:
      return state;
  }
}

/** How long until the next check after one ended in this state; null: no more checks. */
export function nextCheckIn(state: UpdateState): number | null {
  switch (state.status) {
    case 'off':
    case 'ready':
      return null;
    case 'failed':
      return RETRY_AFTER_FAILURE_MS;
    default:
      return CHECK_EVERY_MS;
  }
}

/**
 * After the machine wakes: how long until the next check is due by the clock (0: now); null
 * when none is waiting. Timers do not count the time asleep, so a laptop asleep two thirds
 * of the day would otherwise look every three days, not daily.
 */
export function checkDueIn(state: UpdateState, now: number): number | null {
  switch (state.status) {
    case 'up-to-date':
      return Math.max(0, state.checkedAt + CHECK_EVERY_MS - now);
    case 'failed':
      return Math.max(0, state.at + RETRY_AFTER_FAILURE_MS - now);
    default:
      return null;
  }
}

/** The tray's "Restart to update" item: only once an update is downloaded. */
export function restartToUpdateLabel(state: UpdateState): string | null {
  return state.status === 'ready' ? `Restart to update (${state.version})` : null;
}

/** One line for the log when the state changes in a way the user may want to know. */
export function updateLogLine(state: UpdateState): string | null {
  switch (state.status) {
    case 'off':
      return `updates: off (${state.reason})`;
    case 'downloading':
      return state.percent === 0 ? `updates: ${state.version} available, downloading` : null;
    case 'ready':
      return `updates: ${state.version} downloaded; "Restart to update" in the tray installs it`;
    case 'failed':
      return `updates: check failed: ${state.error}`;
    default:
      return null;
  }
}

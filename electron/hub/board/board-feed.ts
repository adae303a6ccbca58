// The board and commit threads as the api serves them. The board follows each ingest
// commit (store/board.ts, in memory, saved in batches). What a commit changed is pushed to
// the views: the things changed within PUSH_WINDOW_MS in one `board.updated` (each thing
// once, as it is when the push leaves; the first change after a quiet spell at once). When
// more than PUSH_MOST_ITEMS things change within one window (a storm), the views are told
// `board.changed` instead — at most once per RELOAD_AT_MOST_EVERY_MS — and read the page
// they show again: a push per commit of every item cost the hub's intake more than the
// board itself (bench/board-hub.mjs), and nobody reads thousands of changes a second.
// Once ingest has been quiet for SAVE_AFTER_IDLE_MS the board is saved, so a start replays
// few events — at most once per SAVE_AT_MOST_EVERY_MS. Threads are read from the commit
// index (store/events.ts); new events of an open thread reach it as `event.created` with
// their subject.commit.
import { ApiError, type ApiHandlers, type ApiUpdate } from '../../../shared/api.js';
import type { IngestOutcome } from '../store/ingest-transaction.js';
import type { StoreEngine } from '../store/engine.js';

/** Quiet ingest for this long saves the board (store/board.ts). */
export const SAVE_AFTER_IDLE_MS = 1_000;
/**
 * No save sooner than this after the last: bursts a second apart would otherwise save after
 * each, writing nearly a row per event (bench/board-hub.mjs: a third of the board's cost at
 * the hub); a thing changed in several bursts is written once. And no later than this after
 * the first event the board holds unsaved, quiet or not (a trickle with gaps under a second
 * is never quiet), so what a crash makes a start replay is about this much ingest — and never
 * more than the store's SAVE_EVERY events. A failed save is tried again this much later.
 */
export const SAVE_AT_MOST_EVERY_MS = 30_000;
/** Board changes are gathered at most this long before they are pushed (the first after a quiet spell goes at once). */
export const PUSH_WINDOW_MS = 100;
/** More things changed within one window than this: the views are told to read the board again instead. */
export const PUSH_MOST_ITEMS = 100;
/** In a storm (windows of more than PUSH_MOST_ITEMS changes), the views read the board again at most this often. */
export const RELOAD_AT_MOST_EVERY_MS = 1_000;

export interface BoardFeedDeps {
  store: Pick<StoreEngine, 'board' | 'events'>;
  /** The hub's clock (epoch ms): mutes end on it. */
  now: () => number;
  emit: (update: ApiUpdate) => void;
  /** Whether anyone listens (no UI, no tray: nothing to build). */
  listening: () => boolean;
  /** The source id of Herald's own events (its health events). */
  ownSourceId: string;
  log?: (line: string) => void;
  /** A monotonic clock in ms (default performance.now): the saves' spacing does not follow a stepped wall clock. */
  monotonicMs?: () => number;
}

export interface BoardFeed {
  /** After an ingest commit is durable: the things it changed are pushed (within PUSH_WINDOW_MS), the board's save scheduled. */
  afterCommit(outcomes: readonly IngestOutcome[]): void;
  /**
   * Sources or channels changed: the things of a deleted source, and the health of a
   * deleted channel or source (Herald's own events), leave the board.
   */
  configChanged(live: { sourceIds: ReadonlySet<string>; channelIds: ReadonlySet<string> }): Promise<void>;
  handlers: Pick<ApiHandlers, 'board.list' | 'threads.get'>;
  /** Cancels the pending save (the store saves the board as it closes). */
  stop(): void;
}

/** Herald's own health events (hub.ts healthEvent) name the channel or source in the thing's key. */
function ownHealthTarget(key: string): string | undefined {
  if (!key.startsWith('health:')) return undefined;
  try {
    const parts = JSON.parse(key.slice('health:'.length)) as unknown[];
    return typeof parts[2] === 'string' ? parts[2] : undefined;
  } catch {
    return undefined;
  }
}

export function startBoardFeed(deps: BoardFeedDeps): BoardFeed {
  const { store } = deps;
  // Updates leave in the order of the commits, though each waits for its mute look-ups.
  let sent: Promise<void> = Promise.resolve();
  const inOrder = (build: () => Promise<ApiUpdate | undefined>, what: string): Promise<void> => sendInOrder(build(), what);
  const sendInOrder = (built: Promise<ApiUpdate | undefined>, what: string): Promise<void> => {
    sent = sent
      .then(() => built)
      .then(
        (update) => {
          if (update) deps.emit(update);
        },
        (error: Error) => deps.log?.(`board: could not ${what}: ${error.message}`),
      );
    return sent;
  };
  const monotonicMs = deps.monotonicMs ?? (() => performance.now());
  let saveTimer: NodeJS.Timeout | undefined;
  let lastSaveAt = Number.NEGATIVE_INFINITY;
  let lastIngestAt = Number.NEGATIVE_INFINITY;
  /** When the first ingest the board has not saved yet was committed. */
  let unsavedSince: number | undefined;
  let stopped = false;
  /**
   * When the save is due: the spacing since the last save passed, and ingest quiet for a
   * second — or, quiet or not, the spacing passed since the first unsaved ingest.
   */
  const saveDueAt = () =>
    Math.max(lastSaveAt + SAVE_AT_MOST_EVERY_MS, Math.min(lastIngestAt + SAVE_AFTER_IDLE_MS, (unsavedSince ?? lastIngestAt) + SAVE_AT_MOST_EVERY_MS));
  // One timer per wait, not one per commit (a burst commits hundreds of times a second): when
  // it fires early, because ingest went on meanwhile, it waits again for the rest.
  const armSave = (delay: number) => {
    saveTimer = setTimeout(() => {
      saveTimer = undefined;
      if (stopped) return;
      const wait = saveDueAt() - monotonicMs();
      if (wait > 0) return armSave(wait);
      lastSaveAt = monotonicMs();
      const since = unsavedSince;
      unsavedSince = undefined;
      store.board.save().catch((error: Error) => {
        // Not lost: the events are committed, and a start replays them. Tried again after the spacing.
        deps.log?.(`board: could not save: ${error.message}`);
        unsavedSince = Math.min(since ?? Number.POSITIVE_INFINITY, unsavedSince ?? Number.POSITIVE_INFINITY);
        if (!stopped && saveTimer === undefined) armSave(SAVE_AT_MOST_EVERY_MS);
      });
    }, delay);
    saveTimer.unref();
  };
  // ── pushes: keys gathered per window; the rows read when the push leaves ──
  /** Things changed since the last push (keys: the rows are read as they are when it leaves). */
  const pending = new Set<string>();
  /** This window had more than PUSH_MOST_ITEMS changes: the views read the board again instead. */
  let storm = false;
  let pushTimer: NodeJS.Timeout | undefined;
  let lastPushAt = Number.NEGATIVE_INFINITY;
  let lastReloadAt = Number.NEGATIVE_INFINITY;
  const pushDueAt = () => (storm ? Math.max(lastPushAt + PUSH_WINDOW_MS, lastReloadAt + RELOAD_AT_MOST_EVERY_MS) : lastPushAt + PUSH_WINDOW_MS);
  const schedulePush = () => {
    if (pushTimer !== undefined || stopped) return;
    pushTimer = setTimeout(push, Math.max(0, pushDueAt() - monotonicMs()));
  };
  const push = () => {
    pushTimer = undefined;
    if (stopped) return;
    // A storm that began after this timer was set waits for the reload's spacing.
    const wait = pushDueAt() - monotonicMs();
    if (wait > 0) return schedulePush();
    lastPushAt = monotonicMs();
    if (storm) {
      storm = false;
      pending.clear();
      lastReloadAt = lastPushAt;
      void sendInOrder(Promise.resolve({ type: 'board.changed' }), 'tell the UI the board changed');
      return;
    }
    const keys = [...pending];
    pending.clear();
    if (keys.length === 0) return;
    void inOrder(async () => {
      const items = await store.board.items(keys, new Date(deps.now()));
      const present = new Set(items.map((item) => item.key));
      return { type: 'board.updated', items, removed: keys.filter((key) => !present.has(key)) };
    }, 'tell the UI of board changes');
  };
  /** The things a durable commit changed join the next push (nothing is gathered while no view listens: one that opens reads the board). */
  const gather = (outcomes: readonly IngestOutcome[]) => {
    if (stopped || !deps.listening()) return;
    for (const outcome of outcomes) {
      if (storm) break;
      if (outcome.status !== 'accepted' || !outcome.board) continue;
      for (const change of outcome.board) {
        pending.add('removed' in change ? change.removed : change.row.key);
        if (pending.size > PUSH_MOST_ITEMS) {
          storm = true;
          pending.clear();
          break;
        }
      }
    }
    if (storm || pending.size > 0) schedulePush();
  };
  const saveWhenIdle = () => {
    if (stopped) return;
    lastIngestAt = monotonicMs();
    unsavedSince ??= lastIngestAt;
    if (saveTimer === undefined) armSave(saveDueAt() - lastIngestAt);
  };
  return {
    afterCommit(outcomes) {
      if (outcomes.some((o) => o.status === 'accepted')) saveWhenIdle();
      gather(outcomes);
    },
    configChanged({ sourceIds, channelIds }) {
      return inOrder(async () => {
        const removed = await store.board.prune(({ key, sourceId }) => {
          if (sourceId !== deps.ownSourceId) return sourceIds.has(sourceId);
          const target = ownHealthTarget(key);
          return target === undefined || sourceIds.has(target) || channelIds.has(target);
        });
        return removed.length > 0 ? { type: 'board.updated', items: [], removed } : undefined;
      }, 'remove what left the config from the board');
    },
    handlers: {
      'board.list': async (query) => store.board.answer(query, new Date(deps.now())),
      'threads.get': async ({ commit, limit }) => {
        const thread = await store.events.thread(commit, limit);
        if ('ambiguous' in thread) {
          throw new ApiError('invalid_input', `commit: ${commit} starts several commits (${thread.ambiguous.map((c) => c.slice(0, 12)).join(', ')}); give more digits`);
        }
        return { commit: thread.commit, events: thread.events, ...(thread.truncated && { truncated: true }) };
      },
    },
    stop() {
      stopped = true;
      if (saveTimer !== undefined) clearTimeout(saveTimer);
      saveTimer = undefined;
      if (pushTimer !== undefined) clearTimeout(pushTimer);
      pushTimer = undefined;
    },
  };
}

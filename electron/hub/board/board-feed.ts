// The board and commit threads as the api serves them. The board follows each ingest
// commit (store/board.ts, in memory, saved in batches); the items a commit changed are made
// into one `board.updated` while the commit syncs to disk (prepare: a burst of events on one
// pipeline sends that pipeline once) and pushed to the UI once it is durable; and once ingest has been quiet for SAVE_AFTER_IDLE_MS
// the board is saved, so a start replays few events — at most once per SAVE_AT_MOST_EVERY_MS. Threads are read from the commit index
// (store/events.ts); new events of an open thread reach it as `event.created` with their
// subject.commit.
import { ApiError, type ApiHandlers, type ApiUpdate, withAnswerJson } from '../../../shared/api.js';
import { type BoardItem, type BoardRow, boardItemOf } from '../../../shared/board.js';
import { mutedUntil } from '../../../shared/mutes.js';
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

export interface BoardFeedDeps {
  store: Pick<StoreEngine, 'board' | 'events' | 'mutes'>;
  /** The hub's clock (epoch ms): mutes end on it. */
  now: () => number;
  emit: (update: ApiUpdate) => void;
  /** Whether anyone listens (no UI, no tray: nothing to build). */
  listening: () => boolean;
  /** Whether a listener sends updates as JSON text: the push's JSON is then made with it, while the disk syncs. */
  wantsJson?: () => boolean;
  /** The source id of Herald's own events (its health events). */
  ownSourceId: string;
  log?: (line: string) => void;
  /** A monotonic clock in ms (default performance.now): the saves' spacing does not follow a stepped wall clock. */
  monotonicMs?: () => number;
}

export interface BoardFeed {
  /**
   * While an ingest commit syncs to disk (ingest.ts prepareAnnouncement): makes the push of
   * the board items it changed, and returns what sends it once the commit is durable (pushes
   * leave in the order sent; the promise is for tests). Undefined: nothing to tell.
   */
  prepare(outcomes: readonly IngestOutcome[]): (() => Promise<void>) | undefined;
  /** After an ingest commit is durable: the board's save is scheduled. */
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
  const saveWhenIdle = () => {
    if (stopped) return;
    lastIngestAt = monotonicMs();
    unsavedSince ??= lastIngestAt;
    if (saveTimer === undefined) armSave(saveDueAt() - lastIngestAt);
  };
  return {
    afterCommit(outcomes) {
      if (outcomes.some((o) => o.status === 'accepted')) saveWhenIdle();
    },
    prepare(outcomes) {
      // Nothing to build when no view listens (the hub without a UI, a burst before one opens).
      if (!deps.listening()) return undefined;
      // The last change per thing wins: one item (or one removal) per key.
      const last = new Map<string, BoardRow | null>();
      for (const outcome of outcomes) {
        if (outcome.status !== 'accepted' || !outcome.board) continue;
        for (const change of outcome.board) {
          if ('removed' in change) last.set(change.removed, null);
          else last.set(change.row.key, change.row);
        }
      }
      if (last.size === 0) return undefined;
      // Started now (the mutes read, the items made, while the disk syncs); sent when called.
      const built = (async (): Promise<ApiUpdate> => {
        const now = new Date(deps.now());
        // The mutes that hold now, read once for the whole push (not a query per item).
        const muted = new Map<string, string>();
        for (const mute of await store.mutes.list(now)) {
          const until = mutedUntil(mute, now);
          if (until !== undefined) muted.set(mute.key, until);
        }
        const items: BoardItem[] = [];
        const removed: string[] = [];
        for (const [key, row] of last) {
          if (row === null) {
            removed.push(key);
            continue;
          }
          const until = row.muteKey === undefined ? undefined : muted.get(row.muteKey);
          items.push(boardItemOf(row, until));
        }
        const update: ApiUpdate = { type: 'board.updated', items, removed };
        return deps.wantsJson?.() ? withAnswerJson(update, JSON.stringify(update)) : update;
      })();
      // Not left unhandled if the commit is never confirmed (then it is never sent).
      built.catch(() => undefined);
      return () => sendInOrder(built, 'tell the UI of board changes');
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
    },
  };
}

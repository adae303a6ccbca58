// The SQLite engine (engine.ts) over the synchronous store (store.ts): one file in the
// data dir, one process. Its table objects answer at once; this adapter hands their
// answers back as Promises, commits an ingest without fsync and resolves it after the
// group fdatasync of the WAL (so concurrent ingests share one), runs the checkpoint
// thread, tells the worker of due deliveries in-process, and turns a corruption error
// from any call into the store's problem (nothing more is accepted into a damaged file),
// a full disk likewise while it lasts (out-of-space.ts).
import { dirname } from 'node:path';
import { startCheckpointer } from './checkpointer.js';
import {
  type Async,
  type DeliveryTick,
  type DeliveryTickResult,
  IngestNotConfirmed,
  type StoreEngine,
  StoreUnavailable,
} from './engine.js';
import type { HealthTransition } from './health.js';
import type { IngestOutcome } from './ingest-transaction.js';
import type { ClaimedDelivery } from './outbox.js';
import { OutOfSpace, type OutOfSpaceOptions } from './out-of-space.js';
import { openStore, type Store, type StoreOptions } from './store.js';

export interface SqliteEngine extends StoreEngine {
  readonly kind: 'sqlite';
  /** The synchronous store underneath: for the SQLite-only tools (db-tool, benches) and tests that look at rows. */
  readonly sync: Store;
  /** While the disk is full: checks now whether it has room again (done every few seconds anyway). */
  checkSpaceNow(): Promise<void>;
}

export interface SqliteEngineOptions extends Omit<StoreOptions, 'onDamaged'> {
  log?: (line: string) => void;
  /** The checkpoint thread's interval (default 200 ms); `false`: no thread (checkpoints on commit). */
  checkpointIntervalMs?: number | false;
}

/** Opens (or creates) the data dir's SQLite file; throws DatabaseDamaged (integrity.ts) for a damaged one. */
export async function openSqliteEngine(dataDir: string, options: SqliteEngineOptions = {}): Promise<SqliteEngine> {
  const { log, checkpointIntervalMs, ...storeOptions } = options;
  const problemListeners = new Set<(problem: string | undefined) => void>();
  const store = openStore(dataDir, {
    ...storeOptions,
    ...(log && { log }),
    onDamaged: (problem) => {
      log?.(`store: ${problem}`);
      for (const listener of problemListeners) listener(problem);
    },
  });
  const checkpointer =
    checkpointIntervalMs === false
      ? { stop: async () => undefined }
      : await startCheckpointer(store, { ...(log && { log }), ...(checkpointIntervalMs !== undefined && { intervalMs: checkpointIntervalMs }) });
  return sqliteEngineOver(store, { problemListeners, beforeClose: () => checkpointer.stop(), ...(log && { log }) });
}

/**
 * The engine over a store already open (tests that open one themselves). `problemListeners`
 * are the ones the store's onDamaged tells; `beforeClose` runs before the store closes;
 * `freeBytes` stands in for the file system's free space (tests of a full disk).
 */
export function sqliteEngineOver(
  store: Store,
  hooks: {
    problemListeners?: Set<(problem: string | undefined) => void>;
    beforeClose?: () => Promise<void>;
    log?: (line: string) => void;
    freeBytes?: OutOfSpaceOptions['freeBytes'];
  } = {},
): SqliteEngine {
  const problemListeners = hooks.problemListeners ?? new Set<(problem: string | undefined) => void>();
  const outOfSpace = new OutOfSpace({
    file: store.file,
    dir: dirname(store.file),
    changed: () => {
      for (const listener of problemListeners) listener(engine.problem);
    },
    ...(hooks.log && { log: hooks.log }),
    ...(hooks.freeBytes && { freeBytes: hooks.freeBytes }),
  });
  const dueListeners = new Set<() => void>();
  const deliveriesDue = () => {
    for (const listener of dueListeners) listener();
  };
  /** Runs a write on the store; a corruption error marks the store damaged and is told as such, a full disk likewise while it lasts. */
  const guarded = <T>(call: () => T): T => {
    if (store.damage) throw new StoreUnavailable(store.damage);
    try {
      return call();
    } catch (error) {
      if (store.noteError(error)) throw new StoreUnavailable(store.damage!);
      outOfSpace.noteWriteError(error);
      throw error;
    }
  };
  const reading = <T>(call: () => T): T => {
    try {
      return call();
    } catch (error) {
      store.noteError(error);
      throw error;
    }
  };
  /** The named methods of a table object, each answering as a Promise (reads still work on a damaged file). */
  function promised<T extends object, K extends keyof T>(table: T, names: readonly K[], writes: readonly K[] = []): Async<Pick<T, K>> {
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const method = table[name] as unknown as (...args: unknown[]) => unknown;
      const run = writes.includes(name) ? guarded : reading;
      out[name as string] = async (...args: unknown[]) => run(() => method.apply(table, args));
    }
    return out as Async<Pick<T, K>>;
  }

  const outbox = promised(
    store.outbox,
    ['nextDue', 'get', 'list', 'retryNow', 'retryFailed', 'dueNow', 'cancelForChannel', 'cancelOrphans', 'counts', 'channelCounts'],
    ['retryNow', 'retryFailed', 'dueNow', 'cancelForChannel', 'cancelOrphans'],
  );
  const engine: SqliteEngine = {
    kind: 'sqlite',
    location: store.file,
    sync: store,
    events: promised(store.events, ['list', 'get', 'thread', 'forDelivery', 'getBySeq', 'recent', 'markRead', 'delete', 'counts', 'sourceStats', 'summariesOf', 'membersOf'], ['markRead', 'delete']),
    outbox: {
      ...outbox,
      // A manual retry or a channel fixed makes deliveries due now.
      retryNow: async (id, now) => {
        const delivery = await outbox.retryNow(id, now);
        if (delivery) deliveriesDue();
        return delivery;
      },
      retryFailed: async (channelId, now) => {
        const retried = await outbox.retryFailed(channelId, now);
        if (retried > 0) deliveriesDue();
        return retried;
      },
      dueNow: async (channelId, now) => {
        const moved = await outbox.dueNow(channelId, now);
        if (moved > 0) deliveriesDue();
        return moved;
      },
      renewLeases: async () => undefined,
      releaseOwnClaims: async () => 0,
    },
    health: promised(store.health, ['get', 'recordSuccess', 'recordFailure'], ['recordSuccess', 'recordFailure']),
    sourceState: promised(store.sourceState, ['get', 'clear'], ['clear']),
    digests: promised(store.digests, ['nextDue', 'due', 'waiting', 'held']),
    groups: promised(store.groups, ['nextDue', 'due', 'waiting', 'waitingFor', 'open', 'held']),
    mutes: promised(store.mutes, ['add', 'active', 'list', 'remove', 'purgeExpired', 'nextExpiry'], ['add', 'remove', 'purgeExpired']),
    board: promised(store.board, ['list', 'answer', 'items', 'keysMutedBy', 'prune', 'count', 'save'], ['prune', 'save']),

    async ingest(items, routing) {
      // Committed now, durable once the fsync below completes; the sender's 2xx waits for it.
      // The delivery worker may claim and send these deliveries in between: the rows are in
      // the OS's cache by then, which a crash of Herald does not lose — only a power loss or
      // a kernel crash in that window (the fsync: ~0.2–1 ms here) would, and then the sender,
      // never answered, sends again (at least once). Holding the claims until the fsync was
      // measured (bench:vs-alertmanager): end-to-end p50 3.4 → 4.9 ms, p99 12.0 → 16.6 ms
      // (medians of 5 runs), throughput unchanged — not kept.
      const outcomes: IngestOutcome[] = guarded(() => store.withoutFsync(() => store.commitIngest(items, routing.router, routing.now, routing.enrich)));
      outOfSpace.noteIngested();
      const synced = store.syncToDisk();
      // The board follows the committed events while the disk syncs them: its work is not
      // added to the sender's wait (bench/board-hub.mjs). Nothing reads the board in between:
      // this runs in the same synchronous step as the commit.
      store.followBoard(outcomes);
      try {
        await synced;
      } catch (error) {
        outOfSpace.noteWriteError(error);
        // Committed, not confirmed: the rows exist, so their deliveries go out all the same.
        deliveriesDue();
        throw new IngestNotConfirmed(`the disk did not confirm the write (${(error as Error).message})`);
      }
      if (outcomes.some((o) => o.status === 'accepted' && o.deliveries > 0)) deliveriesDue();
      return outcomes;
    },

    async closeDigest(window, build, options) {
      const closed = guarded(() => store.closeDigest(window, build, options));
      if (closed) deliveriesDue();
      return closed;
    },

    async sendGroup(group, build, options) {
      const sent = guarded(() => store.sendGroup(group, build, options));
      if (sent) deliveriesDue();
      return sent;
    },

    async deliveryTick(tick: DeliveryTick): Promise<DeliveryTickResult> {
      const { now } = tick;
      return guarded(() => {
        // The results and health in one commit (the outbox ends their claims once it succeeds);
        // nothing to record, no transaction (no commit) either.
        const transitions: HealthTransition[] =
          tick.record.length === 0 && tick.health.length === 0
            ? []
            : store.bookkeeping(() => {
                store.outbox.record(tick.record, now);
                return tick.health.map((h) =>
                  h.ok ? store.health.recordSuccess(h.kind, h.id, now) : store.health.recordFailure(h.kind, h.id, h.error, now, h.unhealthyAfter),
                );
              });
        // Claimed after the commit: a claim writes nothing on SQLite, so no commit can fail
        // after it and leave claims the worker never hears of ('sending' until a restart).
        let claimed: ClaimedDelivery[] = [];
        try {
          if (tick.claim.length > 0) claimed = store.outbox.claimDue(now, tick.claim);
        } catch (error) {
          // The results are committed: failing the tick would have the worker record them
          // again (a retry's attempt counted twice). Its next tick claims, and reports a failure.
          if (tick.record.length === 0 && tick.health.length === 0) throw error;
          store.noteError(error);
        }
        return { claimed, transitions };
      });
    },

    async enforceRetention(maxAgeDays, maxEvents, now) {
      return guarded(() => store.enforceRetention(maxAgeDays, maxEvents, now));
    },

    async sizeBytes() {
      return reading(() => store.sizeBytes());
    },

    get problem() {
      return store.damage ?? outOfSpace.current;
    },
    checkSpaceNow: () => outOfSpace.checkRoom(),
    onProblem(listener) {
      problemListeners.add(listener);
      return () => problemListeners.delete(listener);
    },
    onDeliveriesDue(listener) {
      dueListeners.add(listener);
      return () => dueListeners.delete(listener);
    },

    async close() {
      outOfSpace.stop();
      await hooks.beforeClose?.();
      problemListeners.clear();
      dueListeners.clear();
      store.close();
    },
  };
  return engine;
}

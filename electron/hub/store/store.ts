// The store: one SQLite file in the data dir, the tables' access objects (each writes its
// own table), and the transactions that combine them (ingest, closing a digest, sending a
// storm group, retention).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DigestWindows } from '../rules/digest-windows.js';
import { StormGroups } from '../rules/storm-groups.js';
import { ThrottleMemory } from '../rules/throttle-memory.js';
import { BoardStore } from './board.js';
import { EventStore } from './events.js';
import { HealthStore } from './health.js';
import { type IngestOutcome, IngestTransaction } from './ingest-transaction.js';
import { MuteStore } from './mutes.js';
import { AckedMark, DatabaseDamaged, findDamage, highestEventSeq, highestEventSeqReader, isCorruption, recoveryHint } from './integrity.js';
import { type Db, newDatabase, openDatabase, type OpenOptions } from './open.js';
import { Outbox } from './outbox.js';
import { SeenDeliveries } from './seen-deliveries.js';
import { SourceStateStore } from './source-state.js';
import { WalSync } from './wal-sync.js';

export interface Store {
  readonly db: Db;
  readonly file: string;
  /** better-sqlite3's binary when not node_modules' (other connections, the checkpoint thread, load it too). */
  readonly nativeBinding: string | undefined;
  readonly events: EventStore;
  readonly outbox: Outbox;
  readonly health: HealthStore;
  readonly sourceState: SourceStateStore;
  /** Digest rules' open windows. */
  readonly digests: DigestWindows;
  /** Grouping rules' open storm groups. */
  readonly groups: StormGroups;
  /** When each throttling rule last routed each dedupKey. */
  readonly throttle: ThrottleMemory;
  /** Muted pipelines. */
  readonly mutes: MuteStore;
  /** What has a state now (shared/board.ts), kept by the ingest transaction. */
  readonly board: BoardStore;
  /** Webhook delivery ids already stored. */
  readonly seenDeliveries: SeenDeliveries;
  /** Events, rule outcomes, deliveries, digest items and source state: one transaction; then the board follows them. */
  readonly ingest: IngestTransaction['ingest'];
  /** `ingest` in two steps: the transaction alone; `followBoard(outcomes)` must come next, in the same synchronous step. */
  readonly commitIngest: IngestTransaction['ingest'];
  /** The board follows what `commitIngest` committed (ingest-transaction.ts followBoard). */
  readonly followBoard: IngestTransaction['followBoard'];
  /** A digest window's herald.digest event and deliveries, and its items removed: one transaction. */
  readonly closeDigest: IngestTransaction['closeDigest'];
  /** A due storm group's herald.group event and deliveries, its items removed and its next due time: one transaction. */
  readonly sendGroup: IngestTransaction['sendGroup'];
  /**
   * Deletes events past the retention settings (never undelivered ones) and the dedup and
   * throttle memory older than the longest window they serve. Returns the events deleted.
   */
  enforceRetention(maxAgeDays: number, maxEvents: number, now?: Date): number;
  /** Runs fn in one transaction (nested calls join the outer one), on disk when it returns. */
  transaction<T>(fn: () => T): T;
  /**
   * A transaction for bookkeeping whose loss would only repeat work (delivery results:
   * a lost 'delivered' means one more send, never a lost event). Committed without
   * waiting for fsync; safe against a process crash, and the next durable commit
   * (an ingest) flushes it to disk as well.
   */
  bookkeeping<T>(fn: () => T): T;
  /** Runs fn (its own transaction) committed without fsync: the caller awaits `syncToDisk()` before relying on it. */
  withoutFsync<T>(fn: () => T): T;
  /** Resolves once every commit made so far is on disk (a group fdatasync of the WAL, off the event loop). */
  syncToDisk(): Promise<void>;
  /** Bytes on disk: the database and its WAL. */
  sizeBytes(): number;
  /** Set once SQLite reported the file damaged at run time (integrity.ts): ingest refuses from then on. */
  readonly damage: string | undefined;
  /** Tells the store about an error from it: a corruption error marks it damaged. Returns whether it did. */
  noteError(error: unknown): boolean;
  close(): void;
}

export const DB_FILE = 'herald.db';

/** An index rebuild at open this long (more than the one batch a crash leaves) is logged: it delays the start. */
const LOG_INDEXING_FROM = 1000;

export interface StoreOptions extends OpenOptions {
  /** Called once when the database is found damaged at run time. */
  onDamaged?: (problem: string) => void;
  /** Lines worth a log: a search index that cannot keep up, a long index rebuild at open. */
  log?: (line: string) => void;
  /**
   * Keep the board current in the ingest transaction (default). Off only for the
   * benchmarks that measure what the board costs an ingest (its saved rows are left alone).
   */
  board?: boolean;
  /** Events between the board's saves inside ingest (store/board.ts SAVE_EVERY); tests set fewer. */
  boardSaveEvery?: number;
}

export function openStore(dataDir: string, options: StoreOptions = {}): Store {
  const file = join(dataDir, DB_FILE);
  const { onDamaged, log, board: keepBoard, boardSaveEvery, ...openOptions } = options;
  // Checked before the hub's own connection opens it: that one would checkpoint and rewrite
  // the WAL, and a damaged database is to be left as it was found (integrity.ts).
  if (existsSync(file)) {
    const readOnly = (f: string) => newDatabase(f, { readonly: true, fileMustExist: true, ...openOptions });
    const problem = findDamage(file, readOnly);
    if (problem) throw new DatabaseDamaged(file, problem);
  }
  let db: Db;
  try {
    db = openDatabase(file, openOptions);
  } catch (error) {
    if (isCorruption(error)) throw new DatabaseDamaged(file, (error as Error).message);
    throw error;
  }
  // The board is saved before events are deleted: it replays the events after its last save at open.
  const keepsBoard = keepBoard !== false;
  let board: BoardStore | undefined;
  let outbox: Outbox | undefined;
  const events = new EventStore(db, {
    beforeDelete: () => {
      if (keepsBoard) board?.save();
      // Deleting events deletes their deliveries: the outbox's memory queues may name some.
      outbox?.forgetQueued();
    },
    unsynced: (fn) => withoutFsync(() => db.transaction(fn)()),
    // A damaged file is left as it was found (integrity.ts): not even the index is written.
    canWrite: () => damage === undefined,
    noteError: (error) => noteError(error),
    ...(log && { log }),
  });
  const mutes = new MuteStore(db);
  board = new BoardStore(db, { events, mutes, ...(boardSaveEvery !== undefined && { saveEvery: boardSaveEvery }), ...(log && { log }), unsynced: (fn) => withoutFsync(fn) });
  const tables = {
    events,
    outbox: (outbox = new Outbox(db)),
    sourceState: new SourceStateStore(db),
    seenDeliveries: new SeenDeliveries(db),
    throttle: new ThrottleMemory(db),
    digests: new DigestWindows(db),
    groups: new StormGroups(db),
    board,
    mutes,
  };
  const health = new HealthStore(db);
  // The outbox queues the deliveries a transaction enqueued once it commits, and ends the
  // claims its records finish then (claimed from memory, outbox.ts); a rollback undoes its
  // claims. A nested call is a savepoint of the outer transaction: the outbox forgets what
  // a nested call that threw did, and the outer one tells it of the commit.
  const transaction = <T>(fn: () => T): T => {
    if (db.inTransaction) {
      const savepoint = tables.outbox.savepoint();
      try {
        return db.transaction(fn)();
      } catch (error) {
        tables.outbox.rolledBackTo(savepoint);
        throw error;
      }
    }
    tables.outbox.begin();
    let result: T;
    try {
      result = db.transaction(fn)();
    } catch (error) {
      tables.outbox.rolledBack();
      // A success it coalesces may not have been written after all: the next one is.
      health.forgetWritten();
      throw error;
    }
    tables.outbox.committed();
    return result;
  };
  const ingest = new IngestTransaction({ ...tables, board: keepsBoard ? tables.board : undefined }, transaction);
  const wal = new WalSync(`${file}-wal`);
  const acked = new AckedMark(file);
  let damage: string | undefined;
  const noteError = (error: unknown) => {
    if (damage !== undefined || !isCorruption(error)) return false;
    damage = `the database ${file} is damaged (${(error as Error).message}): nothing more is accepted into it; ${recoveryHint(file)}`;
    onDamaged?.(damage);
    return true;
  };
  // Not a prepared statement run twice: SQLite applies `PRAGMA synchronous` when it
  // compiles the statement, so running a prepared one again changes nothing.
  const withoutFsync = <T>(fn: () => T): T => {
    db.pragma('synchronous = NORMAL');
    try {
      return fn();
    } finally {
      db.pragma('synchronous = FULL');
    }
  };
  // The commit stands whatever the board does: a failure here (a bug) is logged, never the
  // sender's error (which would make it send the stored event again); the next start replays it.
  const followBoard = (outcomes: readonly IngestOutcome[]) => {
    try {
      ingest.followBoard(outcomes);
    } catch (error) {
      log?.(`board: could not follow the events just stored (they are; the next start rebuilds the board from them): ${(error as Error).message}`);
    }
  };
  const eventSeq = highestEventSeqReader(db);
  // Events a crash (or a salvage) left out of the search index go in now, not at the first search.
  // After a salvage that is every event: the log says why the start takes longer.
  const waiting = events.waitingForIndex();
  const startedAt = Date.now();
  if (waiting >= LOG_INDEXING_FROM) log?.(`store: adding ${waiting} events to the search index before the hub starts (after a salvage or a crash)`);
  withoutFsync(() => {
    while (events.indexForSearch() > 0);
  });
  if (waiting >= LOG_INDEXING_FROM) log?.(`store: search index complete (${waiting} events added in ${Date.now() - startedAt} ms)`);
  return {
    db,
    file,
    nativeBinding: options.nativeBinding,
    ...tables,
    health,
    ingest: (items, router, now, enrich) => {
      const outcomes = ingest.ingest(items, router, now, enrich);
      followBoard(outcomes);
      return outcomes;
    },
    commitIngest: (items, router, now, enrich) => ingest.ingest(items, router, now, enrich),
    followBoard,
    closeDigest: (window, build, options) => ingest.closeDigest(window, build, options),
    sendGroup: (group, build, options) => ingest.sendGroup(group, build, options),
    enforceRetention: (maxAgeDays, maxEvents, now = new Date()) => {
      const deleted = tables.events.enforceRetention(maxAgeDays, maxEvents, now);
      // A sender redelivers within days; the longest throttle window is 30 days.
      tables.seenDeliveries.forgetBefore(now.getTime() - 7 * 86_400_000);
      tables.throttle.forgetBefore(now.getTime() - 31 * 86_400_000);
      return deleted;
    },
    transaction,
    bookkeeping: (fn) => withoutFsync(() => transaction(fn)),
    withoutFsync,
    // Once on disk, the events committed so far are acknowledged: recorded for the check at
    // the next open. The seq is read before the sync starts: it covers what is on disk then.
    syncToDisk: () => {
      const committed = eventSeq();
      return wal.sync().then(() => acked.record(committed));
    },
    sizeBytes: () => {
      const pages = db.pragma('page_count', { simple: true }) as number;
      const size = db.pragma('page_size', { simple: true }) as number;
      return pages * size;
    },
    get damage() {
      return damage;
    },
    noteError,
    close: () => {
      if (!damage && keepsBoard) tables.board.save();
      if (!damage) {
        withoutFsync(() => {
          while (events.indexForSearch() > 0);
        });
      }
      wal.close();
      db.pragma('wal_checkpoint(TRUNCATE)');
      if (!damage) acked.record(highestEventSeq(db));
      acked.close();
      db.close();
    },
  };
}

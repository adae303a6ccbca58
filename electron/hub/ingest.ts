// Group commit: requests that arrive while a commit is on its way to disk share the next
// transaction, and each gets its answer only once its transaction is on disk. The commit
// itself skips the fsync; the WAL is then fsynced on the thread pool (store/wal-sync.ts),
// so the event loop serves other requests while the disk works.
import type { Router } from './rules/router.js';
import type { Enricher, IngestItem, IngestOutcome } from './store/ingest-transaction.js';
import type { Store } from './store/store.js';

export interface IngestorDeps {
  store: Store;
  router: () => Router;
  /** Rewrites each item's events inside the transaction, with its source's state (pipeline streaks). */
  enrich?: Enricher;
  /** After commit: tell the UI, wake the delivery worker. */
  onCommitted: (outcomes: IngestOutcome[]) => void;
  /**
   * Committed, but the disk did not confirm: the senders are refused, yet the rows are in
   * the database and the worker must still find their deliveries (a redelivery is answered
   * "duplicate" and wakes nothing).
   */
  onUnconfirmed?: () => void;
  /** The hub's clock (tests move it: digest windows); default the system's. */
  now?: () => Date;
}

/** What a webhook's sender is told: the ids stored, or that it was a redelivery. */
export type IngestAck = { status: 'accepted'; ids: string[] } | { status: 'duplicate' };

export const ackOf = (outcome: IngestOutcome): IngestAck =>
  outcome.status === 'duplicate' ? outcome : { status: 'accepted', ids: outcome.events.map((e) => e.id) };

interface Pending {
  item: IngestItem;
  resolve: (outcome: IngestOutcome) => void;
  reject: (error: Error) => void;
}

/** Most items one transaction takes; bounds the event-loop pause of one commit. */
const MAX_BATCH = 500;

export class Ingestor {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Batches committed whose fsync has not finished yet. */
  private syncing = 0;

  constructor(private readonly deps: IngestorDeps) {}

  submit(item: IngestItem): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Nothing queued, scheduled or on its way to disk. */
  get idle(): boolean {
    return !this.scheduled && this.queue.length === 0 && this.syncing === 0;
  }

  /** Resolves once everything submitted so far is committed (or refused): for a clean stop. */
  async drain(): Promise<void> {
    while (this.scheduled || this.queue.length > 0 || this.syncing > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  private flush(): void {
    this.scheduled = false;
    // One transaction per fsync: while one is on its way to disk, requests gather for the
    // next. A transaction rewrites the last page of every table and index it touches, so
    // fewer, bigger ones cost less per event (and the fsync is shared all the same).
    while (this.queue.length > 0 && this.syncing === 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      const { store } = this.deps;
      const stored: Array<{ pending: Pending; outcome: IngestOutcome }> = [];
      this.commit(batch.map((p) => p.item)).forEach((result, i) => {
        if (result instanceof Error) batch[i]!.reject(new Error(`could not store the event: ${result.message}`));
        else stored.push({ pending: batch[i]!, outcome: result });
      });
      if (stored.length === 0) continue;
      this.syncing++;
      store
        .syncToDisk()
        .then(
          () => {
            for (const { pending, outcome } of stored) pending.resolve(outcome);
            // Only what is on disk is announced and delivered.
            this.deps.onCommitted(stored.map((s) => s.outcome));
          },
          (error: Error) => {
            // Committed but not confirmed on disk: the sender is told to retry (a redelivery
            // id drops the duplicate); the deliveries already stored go out all the same.
            const failure = new Error(`could not store the event: the disk did not confirm the write (${error.message})`);
            for (const { pending } of stored) pending.reject(failure);
            this.deps.onUnconfirmed?.();
          },
        )
        .finally(() => {
          this.syncing--;
          this.flush();
        });
    }
  }

  /**
   * One transaction for the batch (without fsync). If it fails, each item is tried in a
   * transaction of its own, so the one that cannot be stored (data too deep to serialize, a
   * value SQLite refuses) is refused alone and never costs the others their commit.
   */
  private commit(items: IngestItem[]): Array<IngestOutcome | Error> {
    const { store } = this.deps;
    // A database SQLite found damaged takes nothing more: a 202 would promise what it may not keep.
    if (store.damage) return items.map(() => new Error(store.damage));
    const ingest = (some: IngestItem[]) => store.withoutFsync(() => store.ingest(some, this.deps.router(), this.deps.now?.(), this.deps.enrich));
    try {
      return ingest(items);
    } catch (error) {
      if (store.noteError(error)) return items.map(() => new Error(store.damage));
      if (items.length === 1) return [error as Error];
      return items.map((item) => {
        try {
          return ingest([item])[0]!;
        } catch (itemError) {
          return itemError as Error;
        }
      });
    }
  }
}

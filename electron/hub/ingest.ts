// Group commit: requests that arrive while a commit is on its way to disk share the next
// transaction, and each gets its answer only once its transaction is durable. The store's
// engine makes it so (store/engine.ts): SQLite commits without fsync and resolves after
// fsyncing the WAL on the thread pool, PostgreSQL after its COMMIT; either way the event
// loop serves other requests meanwhile, and those gather for the next transaction.
import type { Router } from './rules/router.js';
import { IngestNotConfirmed, type StoreEngine, StoreUnavailable } from './store/engine.js';
import type { Enricher, IngestItem, IngestOutcome } from './store/ingest-transaction.js';

export interface IngestorDeps {
  store: Pick<StoreEngine, 'ingest'>;
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
  /** Batches on their way to the store (committing, or their fsync not finished). */
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
    // One transaction at a time: while one is on its way to disk, requests gather for the
    // next. A transaction rewrites the last page of every table and index it touches, so
    // fewer, bigger ones cost less per event (and the fsync is shared all the same).
    if (this.queue.length === 0 || this.syncing > 0) return;
    const batch = this.queue.splice(0, MAX_BATCH);
    this.syncing++;
    this.commit(batch)
      .catch((error: Error) => {
        for (const pending of batch) pending.reject(new Error(`could not store the event: ${error.message}`));
      })
      .finally(() => {
        this.syncing--;
        this.flush();
      });
  }

  /**
   * One transaction for the batch. If it fails, each item is tried in a transaction of its
   * own, so the one that cannot be stored (data too deep to serialize, a value the database
   * refuses) is refused alone and never costs the others their commit.
   */
  private async commit(batch: Pending[]): Promise<void> {
    const ingest = (items: IngestItem[]) => this.deps.store.ingest(items, { router: this.deps.router(), ...this.routingExtras() });
    let results: Array<IngestOutcome | Error>;
    try {
      results = await ingest(batch.map((p) => p.item));
    } catch (error) {
      if (error instanceof IngestNotConfirmed) {
        // Committed but not confirmed on disk: the sender is told to retry (a redelivery id
        // drops the duplicate); the deliveries already stored go out all the same.
        for (const { reject } of batch) reject(new Error(`could not store the event: ${error.message}`));
        this.deps.onUnconfirmed?.();
        return;
      }
      // The store takes nothing now (damaged, unreachable): every sender hears why.
      if (error instanceof StoreUnavailable || batch.length === 1) throw error;
      results = [];
      for (const pending of batch) {
        try {
          results.push((await ingest([pending.item]))[0]!);
        } catch (itemError) {
          if (itemError instanceof IngestNotConfirmed) this.deps.onUnconfirmed?.();
          results.push(itemError as Error);
        }
      }
    }
    const stored: IngestOutcome[] = [];
    results.forEach((result, i) => {
      if (result instanceof Error) batch[i]!.reject(new Error(`could not store the event: ${result.message}`));
      else {
        batch[i]!.resolve(result);
        stored.push(result);
      }
    });
    // Only what is durable is announced. (A delivery may already have been claimed and sent:
    // the delivery worker claims what is committed, and its fsync may still be on its way —
    // see sqlite-engine.ts ingest.)
    if (stored.length > 0) this.deps.onCommitted(stored);
  }

  private routingExtras() {
    const now = this.deps.now?.();
    return { ...(this.deps.enrich && { enrich: this.deps.enrich }), ...(now && { now }) };
  }
}

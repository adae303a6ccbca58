// The delivery outbox: enqueue (in the ingest transaction), claim due deliveries, record the
// attempts' results in batches, manual retry.
// A claim is not written (one process owns the SQLite file): the claimed ids are kept here
// and shown as 'sending'. A row is written twice in its life — inserted 'pending' with its
// event, updated once with its result — not three times with index moves for 'sending'.
// A crash mid-send leaves it 'pending': sent again (at least once). Rows a version before
// this one left in 'sending' are put back to 'pending' on open.
// Claims of just-committed deliveries come from memory: while every pending row of a
// channel is known here (queued by this process since its queue last ran dry, none
// retrying), the channel's new rows are queued in memory at commit and claimed without a
// query. Anything else that makes a row pending (a retry, a shutdown's requeue, a manual
// retry, a channel edit) or takes rows away behind the worker's back (a cancel, a deleted
// event) sends the channel back to the query until its due rows are drained again.
// The memory follows the transactions the store tells it of (store.ts: begin, committed,
// rolledBack, savepoints): a record's releases take effect at its commit, a claim made in a
// transaction that rolls back is undone, so a failed commit (a full disk) leaves the claims
// as they were before it.
import type { Delivery } from '../../../shared/api.js';
import type { Db } from './open.js';

/** A deliveries row as both engines read it (with its event's id). */
export interface DeliveryRow {
  id: number;
  event_seq: number;
  event_id: string;
  channel_id: string;
  rule_id: string;
  status: Delivery['status'];
  attempts: number;
  next_attempt_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** What became of one claimed delivery's attempt, recorded with the others of a tick by `record`. */
export type DeliveryOutcome =
  | { id: number; result: 'delivered' }
  /** Back to the queue, due at `at`, the attempt counted. */
  | { id: number; result: 'retry'; at: number; error: string }
  | { id: number; result: 'failed'; error: string }
  /** Cut off by shutdown: back to the queue, the attempt not counted. */
  | { id: number; result: 'requeue' };

export interface ClaimedDelivery {
  id: number;
  eventSeq: number;
  channelId: string;
  ruleId: string;
  /** Counting this one. */
  attempt: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `sending`: claimed by this process but not written so (SQLite keeps its claims in memory). */
export function rowToDelivery(row: DeliveryRow, sending = false): Delivery {
  const status = sending && row.status === 'pending' ? 'sending' : row.status;
  return {
    id: String(row.id),
    eventId: row.event_id,
    channelId: row.channel_id,
    ruleId: row.rule_id,
    status,
    attempts: row.attempts,
    nextAttemptAt: status === 'pending' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    deliveredAt: iso(row.delivered_at),
  };
}

const SELECT_DELIVERY = `SELECT d.*, e.id AS event_id FROM deliveries d JOIN events e ON e.seq = d.event_seq`;

/** A delivery inserted by this process, pending, not yet attempted. */
interface Fresh {
  id: number;
  eventSeq: number;
  channelId: string;
  ruleId: string;
  /** Its next_attempt_at. */
  at: number;
}

/** Where a nested transaction started (Outbox.savepoint), to cut back to if it rolls back. */
export interface OutboxSavepoint {
  readonly uncommitted: number;
  readonly atCommit: number;
  readonly atRollback: number;
}

/** A channel queued in memory with more than this many goes back to the query (a disabled or rate-limited channel's backlog stays on disk). */
const MEMORY_QUEUE_MAX = 10_000;

export class Outbox {
  private readonly insertPending;
  private readonly selectDueForChannel;
  private readonly markDelivered;
  private readonly markRetry;
  private readonly markFailed;
  private readonly selectOne;
  private readonly nextDueAt;
  private readonly pendingIds;
  /** Claimed and not yet recorded: the sends in flight, by id → their channel and when they were due. */
  private readonly claimed = new Map<number, { channelId: string; at: number }>();
  private readonly claimedPerChannel = new Map<string, number>();
  /**
   * Channels claimed from memory, each with its queue of committed, unclaimed deliveries
   * (oldest first). For these, every pending row on disk is in the queue or claimed. A
   * channel not here is claimed by a query.
   */
  private readonly queues = new Map<string, Fresh[]>();
  /** Inserted by the transaction in progress: queued when it commits (store.ts calls committed/rolledBack). */
  private uncommitted: Fresh[] = [];
  /** A transaction the store told of (`begin`) is open: memory changes wait for its end. */
  private inTransaction = false;
  /** What the open transaction's records change in memory (claims released, channels back to the query): done at its commit. */
  private atCommit: Array<() => void> = [];
  /** How to undo the claims made in the open transaction, should it roll back. */
  private atRollback: Array<() => void> = [];

  constructor(private readonly db: Db) {
    this.insertPending = db.prepare(`INSERT INTO deliveries (event_seq, channel_id, rule_id, status, attempts, next_attempt_at, created_at, updated_at)
      VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`);
    this.selectDueForChannel = db.prepare(
      `SELECT id, event_seq, channel_id, rule_id, attempts, next_attempt_at FROM deliveries
       WHERE status = 'pending' AND channel_id = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    );
    // `status = 'pending'`: a delivery cancelled while its send ran (its channel deleted) stays
    // cancelled whatever the send said. One row per run: one `UPDATE … WHERE id IN (…)` for a
    // tick's rows cost 2–3× more per row here (SQLite updates a set of rows in two passes).
    this.markDelivered = db.prepare(
      `UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, updated_at = ?, last_error = NULL, next_attempt_at = NULL
       WHERE id = ? AND status = 'pending'`,
    );
    this.markRetry = db.prepare(
      `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
    );
    this.markFailed = db.prepare(
      `UPDATE deliveries SET status = 'failed', attempts = attempts + 1, next_attempt_at = NULL, last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`,
    );
    this.selectOne = db.prepare(`${SELECT_DELIVERY} WHERE d.id = ?`);
    // Per channel, so the (channel_id, next_attempt_at) index answers each in one step even with a backlog.
    this.nextDueAt = db.prepare(`SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' AND channel_id = ?`).pluck();
    this.pendingIds = db.prepare(`SELECT id FROM deliveries WHERE status = 'pending' AND channel_id = ? LIMIT ?`).pluck();
    // Rows an earlier version left in 'sending' when it died: send them again (at least once).
    db.prepare(`UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE status = 'sending'`).run(Date.now());
  }

  /** A new delivery of an event to a channel, due now. Join the transaction that stores the event. */
  enqueue(eventSeq: number, channelId: string, ruleId: string, now: number): void {
    const id = Number(this.insertPending.run(eventSeq, channelId, ruleId, now, now, now).lastInsertRowid);
    this.uncommitted.push({ id, eventSeq, channelId, ruleId, at: now });
  }

  /**
   * The store's outermost transaction starts. Entries enqueued earlier where no commit or
   * rollback was told (a raw db.transaction) are not this transaction's: whether their rows
   * exist is unknown, so their channels go back to the query rather than queue them here
   * (an id reissued after a rollback would otherwise be queued twice).
   */
  begin(): void {
    this.forgetUntold();
    this.atCommit = [];
    this.atRollback = [];
    this.inTransaction = true;
  }

  /** The transaction committed: its records' releases take effect, its deliveries are due and claimable from memory. */
  committed(): void {
    const effects = this.atCommit;
    this.inTransaction = false;
    this.atCommit = [];
    this.atRollback = [];
    for (const effect of effects) effect();
    for (const fresh of this.uncommitted) {
      const queue = this.queues.get(fresh.channelId);
      if (!queue) continue; // claimed by the query: it finds the row
      queue.push(fresh);
      if (queue.length > MEMORY_QUEUE_MAX) this.queues.delete(fresh.channelId);
    }
    this.uncommitted = [];
  }

  /** The transaction rolled back: its rows are gone, its records did not happen, its claims are undone. */
  rolledBack(): void {
    this.inTransaction = false;
    this.atCommit = [];
    this.undoClaims(0);
    // To be safe, the channels of its rows go back to the query.
    this.forgetUntold();
  }

  /** A nested transaction (a savepoint) starts: where to cut back to if it rolls back. */
  savepoint(): OutboxSavepoint {
    return { uncommitted: this.uncommitted.length, atCommit: this.atCommit.length, atRollback: this.atRollback.length };
  }

  /** The nested transaction rolled back to its savepoint: what it did is forgotten (its rows are gone). */
  rolledBackTo(mark: OutboxSavepoint): void {
    this.uncommitted.length = Math.min(this.uncommitted.length, mark.uncommitted);
    this.atCommit.length = Math.min(this.atCommit.length, mark.atCommit);
    this.undoClaims(mark.atRollback);
  }

  private undoClaims(downTo: number): void {
    while (this.atRollback.length > downTo) this.atRollback.pop()!();
  }

  /** Enqueued outside any transaction told of: their channels go back to the query, which finds the rows if they exist. */
  private forgetUntold(): void {
    for (const { channelId } of this.uncommitted) this.queues.delete(channelId);
    this.uncommitted = [];
  }

  /** How many committed deliveries of the channel wait in its memory queue; undefined while the channel is claimed by a query. */
  queuedInMemory(channelId: string): number | undefined {
    return this.queues.get(channelId)?.length;
  }

  /** Rows may have left the queue behind its back (events deleted, their deliveries with them): every channel back to the query. */
  forgetQueued(): void {
    this.queues.clear();
  }

  /**
   * Claims due deliveries of each given channel, up to the number it can take now. Nothing
   * is written: the claims are kept here until `record` (get/list show them 'sending').
   * Asking per channel keeps a backlog on one busy channel from being read again on every tick.
   * All or nothing: the reads come first, the claims are taken once every read answered.
   */
  claimDue(now: number, wants: ReadonlyArray<readonly [channelId: string, count: number]>): ClaimedDelivery[] {
    // Enqueued where no commit or rollback was told (outside the store's transaction): let the query find them.
    if (!this.inTransaction && this.uncommitted.length > 0) this.forgetUntold();
    const claimed: ClaimedDelivery[] = [];
    /** Each claim's next_attempt_at (nextDue answers from it). */
    const dueAts: number[] = [];
    const fromQueue: Array<[channelId: string, taken: number]> = [];
    const toMemory: string[] = [];
    for (const [channelId, count] of wants) {
      if (count <= 0) continue;
      const queue = this.queues.get(channelId);
      let taken = 0;
      if (queue) {
        while (taken < count && taken < queue.length && queue[taken]!.at <= now) {
          const fresh = queue[taken++]!;
          claimed.push({ id: fresh.id, eventSeq: fresh.eventSeq, channelId, ruleId: fresh.ruleId, attempt: 1 });
          dueAts.push(fresh.at);
        }
        if (taken > 0) fromQueue.push([channelId, taken]);
      } else {
        // The channel's sends in flight are still 'pending' rows at the head of its queue: read past them.
        const limit = count + (this.claimedPerChannel.get(channelId) ?? 0);
        const rows = this.selectDueForChannel.all(channelId, now, limit) as Pick<DeliveryRow, 'id' | 'event_seq' | 'channel_id' | 'rule_id' | 'attempts' | 'next_attempt_at'>[];
        const takenIds = new Set<number>();
        for (const row of rows) {
          if (taken === count) break;
          if (this.claimed.has(row.id)) continue;
          taken++;
          takenIds.add(row.id);
          claimed.push({ id: row.id, eventSeq: row.event_seq, channelId: row.channel_id, ruleId: row.rule_id, attempt: row.attempts + 1 });
          dueAts.push(row.next_attempt_at!);
        }
        // Nothing due left unclaimed, and the pending rows are exactly the claims in flight (no
        // retry waiting, no claim whose row went away): from now on the channel's new deliveries
        // are claimed from memory. (Reading one past the claims tells whether more are pending.)
        if (rows.length < limit) {
          const inFlight = (this.claimedPerChannel.get(channelId) ?? 0) + taken;
          const pending = this.pendingIds.all(channelId, inFlight + 1) as number[];
          if (pending.length === inFlight && pending.every((id) => this.claimed.has(id) || takenIds.has(id))) toMemory.push(channelId);
        }
      }
    }
    // Every read answered: take the claims.
    for (const [channelId, taken] of fromQueue) this.queues.get(channelId)!.splice(0, taken);
    for (const channelId of toMemory) this.queues.set(channelId, []);
    claimed.forEach((claim, i) => {
      this.claimed.set(claim.id, { channelId: claim.channelId, at: dueAts[i]! });
      this.claimedPerChannel.set(claim.channelId, (this.claimedPerChannel.get(claim.channelId) ?? 0) + 1);
    });
    // Claimed in a transaction that may yet roll back (it reads rows it may have written): undone if it does.
    if (this.inTransaction && claimed.length > 0) {
      const ids = claimed.map((c) => c.id);
      const channels = new Set(claimed.map((c) => c.channelId));
      this.atRollback.push(() => {
        for (const id of ids) this.release(id);
        // Those taken from a memory queue are pending and no longer queued: their channels go back to the query.
        for (const channelId of channels) this.queues.delete(channelId);
      });
    }
    return claimed;
  }

  /**
   * The results of claimed deliveries' attempts, in one go (the worker calls it once a
   * tick, inside one bookkeeping transaction): one commit for all of them.
   */
  record(outcomes: readonly DeliveryOutcome[], now: number): void {
    const backToQuery: number[] = [];
    for (const outcome of outcomes) {
      if (outcome.result === 'delivered') this.markDelivered.run(now, now, outcome.id);
      else if (outcome.result === 'failed') this.markFailed.run(outcome.error, now, outcome.id);
      else {
        if (outcome.result === 'retry') this.markRetry.run(outcome.at, outcome.error, now, outcome.id);
        // 'requeue': the row was never changed by the claim; releasing the claim puts it back.
        // Either way it is pending again and not in the memory queue: the channel goes back to the query.
        backToQuery.push(outcome.id);
      }
    }
    // The claims end once the results are on disk: a commit that fails (a full disk) leaves
    // them claimed, 'sending', while the worker retries the record — not claimable for a second send.
    const release = () => {
      for (const id of backToQuery) {
        const claim = this.claimed.get(id);
        if (claim) this.queues.delete(claim.channelId);
      }
      for (const { id } of outcomes) this.release(id);
    };
    if (this.inTransaction) this.atCommit.push(release);
    else release(); // each statement committed on its own (or a raw transaction no one tells of)
  }

  private release(id: number): void {
    const channelId = this.claimed.get(id)?.channelId;
    if (channelId === undefined) return;
    this.claimed.delete(id);
    const left = (this.claimedPerChannel.get(channelId) ?? 1) - 1;
    if (left > 0) this.claimedPerChannel.set(channelId, left);
    else this.claimedPerChannel.delete(channelId);
  }

  /** Pending deliveries to channels that no longer exist will never be sent: cancel them. */
  cancelOrphans(channelIds: readonly string[], now: number): number {
    this.queues.clear();
    const placeholders = channelIds.map(() => '?').join(',');
    return this.db
      .prepare(
        `UPDATE deliveries SET status = 'cancelled', last_error = 'the channel was removed', next_attempt_at = NULL, updated_at = ?
         WHERE status IN ('pending','sending') ${channelIds.length ? `AND channel_id NOT IN (${placeholders})` : ''}`,
      )
      .run(now, ...channelIds).changes;
  }

  /** When the channel's next pending delivery is due (epoch ms): the worker sleeps until then. */
  nextDue(channelId: string): number | undefined {
    const queue = this.queues.get(channelId);
    if (!queue) return (this.nextDueAt.get(channelId) as number | null) ?? undefined;
    // A channel on memory: its pending rows are its queue and its claims, so no query is needed.
    let due = queue[0]?.at;
    if (this.claimedPerChannel.has(channelId)) {
      for (const claim of this.claimed.values()) if (claim.channelId === channelId && (due === undefined || claim.at < due)) due = claim.at;
    }
    return due;
  }

  get(id: number): Delivery | undefined {
    const row = this.selectOne.get(id) as DeliveryRow | undefined;
    return row && rowToDelivery(row, this.claimed.has(row.id));
  }

  list(filter: { eventId?: string; status?: Delivery['status']; limit: number }): Delivery[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.eventId) {
      where.push('e.id = ?');
      params.push(filter.eventId);
    }
    if (filter.status) {
      // In flight is 'pending' on disk and claimed here.
      where.push(filter.status === 'sending' ? `d.status = 'pending' AND d.id IN (SELECT value FROM json_each(?))` : 'd.status = ?');
      params.push(filter.status === 'sending' ? JSON.stringify([...this.claimed.keys()]) : filter.status);
      if (filter.status === 'pending') {
        where.push('d.id NOT IN (SELECT value FROM json_each(?))');
        params.push(JSON.stringify([...this.claimed.keys()]));
      }
    }
    const sql = `${SELECT_DELIVERY} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit) as DeliveryRow[]).map((row) => rowToDelivery(row, this.claimed.has(row.id)));
  }

  /** Manual retry of a failed or cancelled delivery: a fresh series of attempts, due now. */
  retryNow(id: number, now: number): Delivery | undefined {
    // Pending again, and not in any memory queue.
    this.queues.clear();
    this.db
      .prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status IN ('failed','cancelled')`)
      .run(now, now, id);
    return this.get(id);
  }

  /**
   * Every failed delivery of a channel, a fresh series of attempts, due now: what an expired
   * token or a wrong URL failed at once (a 4xx is not retried) goes out after the fix,
   * without retrying each from its event. Cancelled ones stay (their channel was deleted).
   */
  retryFailed(channelId: string, now: number): number {
    this.queues.delete(channelId);
    return this.db
      .prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE channel_id = ? AND status = 'failed'`)
      .run(now, now, channelId).changes;
  }

  /** A channel edited: its queued deliveries are tried now rather than after their backoff or Retry-After. */
  dueNow(channelId: string, now: number): number {
    this.queues.delete(channelId);
    return this.db
      .prepare(`UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE channel_id = ? AND status = 'pending' AND next_attempt_at > ?`)
      .run(now, now, channelId, now).changes;
  }

  /** A deleted channel's queued deliveries will never be sent: say so instead of retrying forever. */
  cancelForChannel(channelId: string, reason: string, now: number): number {
    this.queues.delete(channelId);
    return this.db
      .prepare(`UPDATE deliveries SET status = 'cancelled', last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE channel_id = ? AND status IN ('pending','sending')`)
      .run(reason, now, channelId).changes;
  }

  counts(): { pending: number; failed: number } {
    const row = this.db
      .prepare(`SELECT sum(status IN ('pending','sending')) AS pending, sum(status = 'failed') AS failed FROM deliveries`)
      .get() as { pending: number | null; failed: number | null };
    return { pending: row.pending ?? 0, failed: row.failed ?? 0 };
  }

  channelCounts(channelId: string): { pending: number; failed: number } {
    const row = this.db
      .prepare(`SELECT sum(status IN ('pending','sending')) AS pending, sum(status = 'failed') AS failed FROM deliveries WHERE channel_id = ?`)
      .get(channelId) as { pending: number | null; failed: number | null };
    return { pending: row.pending ?? 0, failed: row.failed ?? 0 };
  }
}

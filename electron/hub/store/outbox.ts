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

  /** The transaction that enqueued deliveries committed: they are due, and claimable from memory. */
  committed(): void {
    for (const fresh of this.uncommitted) {
      const queue = this.queues.get(fresh.channelId);
      if (!queue) continue; // claimed by the query: it finds the row
      queue.push(fresh);
      if (queue.length > MEMORY_QUEUE_MAX) this.queues.delete(fresh.channelId);
    }
    this.uncommitted = [];
  }

  /** The transaction rolled back: its rows are gone. To be safe, their channels go back to the query. */
  rolledBack(): void {
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
   */
  claimDue(now: number, wants: ReadonlyArray<readonly [channelId: string, count: number]>): ClaimedDelivery[] {
    // Enqueued where no commit or rollback was told (outside the store's transaction): let the query find them.
    if (this.uncommitted.length > 0) this.rolledBack();
    const claimed: ClaimedDelivery[] = [];
    for (const [channelId, count] of wants) {
      if (count <= 0) continue;
      const queue = this.queues.get(channelId);
      let taken = 0;
      if (queue) {
        while (taken < count && taken < queue.length && queue[taken]!.at <= now) {
          const fresh = queue[taken++]!;
          this.claimed.set(fresh.id, { channelId, at: fresh.at });
          claimed.push({ id: fresh.id, eventSeq: fresh.eventSeq, channelId, ruleId: fresh.ruleId, attempt: 1 });
        }
        queue.splice(0, taken);
      } else {
        // The channel's sends in flight are still 'pending' rows at the head of its queue: read past them.
        const limit = count + (this.claimedPerChannel.get(channelId) ?? 0);
        const rows = this.selectDueForChannel.all(channelId, now, limit) as Pick<DeliveryRow, 'id' | 'event_seq' | 'channel_id' | 'rule_id' | 'attempts' | 'next_attempt_at'>[];
        for (const row of rows) {
          if (taken === count) break;
          if (this.claimed.has(row.id)) continue;
          this.claimed.set(row.id, { channelId, at: row.next_attempt_at! });
          taken++;
          claimed.push({ id: row.id, eventSeq: row.event_seq, channelId: row.channel_id, ruleId: row.rule_id, attempt: row.attempts + 1 });
        }
        // Nothing due left unclaimed, and the pending rows are exactly the claims in flight (no
        // retry waiting, no claim whose row went away): from now on the channel's new deliveries
        // are claimed from memory. (Reading one past the claims tells whether more are pending.)
        if (rows.length < limit) {
          const inFlight = (this.claimedPerChannel.get(channelId) ?? 0) + taken;
          const pending = this.pendingIds.all(channelId, inFlight + 1) as number[];
          if (pending.length === inFlight && pending.every((id) => this.claimed.has(id))) this.queues.set(channelId, []);
        }
      }
      if (taken > 0) this.claimedPerChannel.set(channelId, (this.claimedPerChannel.get(channelId) ?? 0) + taken);
    }
    return claimed;
  }

  /**
   * The results of claimed deliveries' attempts, in one go (the worker calls it once a
   * tick, inside one bookkeeping transaction): one commit for all of them.
   */
  record(outcomes: readonly DeliveryOutcome[], now: number): void {
    for (const outcome of outcomes) {
      if (outcome.result === 'delivered') this.markDelivered.run(now, now, outcome.id);
      else if (outcome.result === 'failed') this.markFailed.run(outcome.error, now, outcome.id);
      else {
        if (outcome.result === 'retry') this.markRetry.run(outcome.at, outcome.error, now, outcome.id);
        // 'requeue': the row was never changed by the claim; releasing the claim puts it back.
        // Either way it is pending again and not in the memory queue: the channel goes back to the query.
        const claim = this.claimed.get(outcome.id);
        if (claim) this.queues.delete(claim.channelId);
      }
    }
    for (const { id } of outcomes) this.release(id);
  }

  /**
   * The claim ends with its record. (If the bookkeeping transaction then fails, the row is
   * claimable again while the worker retries the record: at worst one more send.)
   */
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

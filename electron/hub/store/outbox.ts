// The delivery outbox: enqueue (in the ingest transaction), claim due deliveries, record each attempt's result, manual retry.
// Rows in 'sending' when the process died are put back to 'pending' on open (at least once).
import type { Delivery } from '../../../shared/api.js';
import type { Db } from './open.js';

interface DeliveryRow {
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

export interface ClaimedDelivery {
  id: number;
  eventSeq: number;
  channelId: string;
  ruleId: string;
  /** Counting this one. */
  attempt: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function rowToDelivery(row: DeliveryRow): Delivery {
  return {
    id: String(row.id),
    eventId: row.event_id,
    channelId: row.channel_id,
    ruleId: row.rule_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    deliveredAt: iso(row.delivered_at),
  };
}

const SELECT_DELIVERY = `SELECT d.*, e.id AS event_id FROM deliveries d JOIN events e ON e.seq = d.event_seq`;

export class Outbox {
  private readonly insertPending;
  private readonly selectDueForChannel;
  private readonly markSending;
  private readonly markDelivered;
  private readonly markRetry;
  private readonly markFailed;
  private readonly selectOne;
  private readonly nextDueAt;
  private readonly markRequeued;

  constructor(private readonly db: Db) {
    this.insertPending = db.prepare(`INSERT INTO deliveries (event_seq, channel_id, rule_id, status, attempts, next_attempt_at, created_at, updated_at)
      VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`);
    this.selectDueForChannel = db.prepare(
      `SELECT id, event_seq, channel_id, rule_id, attempts FROM deliveries
       WHERE status = 'pending' AND channel_id = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
    );
    this.markSending = db.prepare(`UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = 'pending'`);
    this.markDelivered = db.prepare(
      `UPDATE deliveries SET status = 'delivered', delivered_at = ?, updated_at = ?, last_error = NULL, next_attempt_at = NULL WHERE id = ? AND status = 'sending'`,
    );
    this.markRetry = db.prepare(`UPDATE deliveries SET status = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND status = 'sending'`);
    this.markFailed = db.prepare(`UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, last_error = ?, updated_at = ? WHERE id = ? AND status = 'sending'`);
    this.selectOne = db.prepare(`${SELECT_DELIVERY} WHERE d.id = ?`);
    // Per channel, so the (channel_id, next_attempt_at) index answers each in one step even with a backlog.
    this.nextDueAt = db.prepare(`SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' AND channel_id = ?`).pluck();
    this.markRequeued = db.prepare(
      `UPDATE deliveries SET status = 'pending', attempts = max(0, attempts - 1), next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = 'sending'`,
    );
    // A crash mid-send leaves rows in 'sending': send them again (at least once).
    db.prepare(`UPDATE deliveries SET status = 'pending', next_attempt_at = ? WHERE status = 'sending'`).run(Date.now());
  }

  /** A new delivery of an event to a channel, due now. Join the transaction that stores the event. */
  enqueue(eventSeq: number, channelId: string, ruleId: string, now: number): void {
    this.insertPending.run(eventSeq, channelId, ruleId, now, now, now);
  }

  /**
   * Claims due deliveries of each given channel, up to the number it can take now,
   * marking them 'sending' so the UI shows them in flight. Asking per channel keeps a
   * backlog on one busy channel from being read again on every tick.
   */
  claimDue(now: number, wants: ReadonlyArray<readonly [channelId: string, count: number]>): ClaimedDelivery[] {
    return this.db.transaction(() => {
      const claimed: ClaimedDelivery[] = [];
      for (const [channelId, count] of wants) {
        if (count <= 0) continue;
        const rows = this.selectDueForChannel.all(channelId, now, count) as Pick<DeliveryRow, 'id' | 'event_seq' | 'channel_id' | 'rule_id' | 'attempts'>[];
        for (const row of rows) {
          if (this.markSending.run(now, row.id).changes === 1) {
            claimed.push({ id: row.id, eventSeq: row.event_seq, channelId: row.channel_id, ruleId: row.rule_id, attempt: row.attempts + 1 });
          }
        }
      }
      return claimed;
    })();
  }

  /** Pending deliveries to channels that no longer exist will never be sent: cancel them. */
  cancelOrphans(channelIds: readonly string[], now: number): number {
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
    return (this.nextDueAt.get(channelId) as number | null) ?? undefined;
  }

  /** A send cut off by shutdown: back in the queue, the attempt not counted. */
  requeue(id: number, now: number): void {
    this.markRequeued.run(now, now, id);
  }

  delivered(id: number, now: number): void {
    this.markDelivered.run(now, now, id);
  }

  retryAt(id: number, at: number, error: string, now: number): void {
    this.markRetry.run(at, error, now, id);
  }

  failed(id: number, error: string, now: number): void {
    this.markFailed.run(error, now, id);
  }

  get(id: number): Delivery | undefined {
    const row = this.selectOne.get(id) as DeliveryRow | undefined;
    return row && rowToDelivery(row);
  }

  list(filter: { eventId?: string; status?: Delivery['status']; limit: number }): Delivery[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.eventId) {
      where.push('e.id = ?');
      params.push(filter.eventId);
    }
    if (filter.status) {
      where.push('d.status = ?');
      params.push(filter.status);
    }
    const sql = `${SELECT_DELIVERY} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, filter.limit) as DeliveryRow[]).map(rowToDelivery);
  }

  /** Manual retry of a failed or cancelled delivery: a fresh series of attempts, due now. */
  retryNow(id: number, now: number): Delivery | undefined {
    this.db
      .prepare(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status IN ('failed','cancelled')`)
      .run(now, now, id);
    return this.get(id);
  }

  /** A channel edited: its queued deliveries are tried now rather than after their backoff or Retry-After. */
  dueNow(channelId: string, now: number): number {
    return this.db
      .prepare(`UPDATE deliveries SET next_attempt_at = ?, updated_at = ? WHERE channel_id = ? AND status = 'pending' AND next_attempt_at > ?`)
      .run(now, now, channelId, now).changes;
  }

  /** A deleted channel's queued deliveries will never be sent: say so instead of retrying forever. */
  cancelForChannel(channelId: string, reason: string, now: number): number {
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

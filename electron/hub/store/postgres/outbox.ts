// The delivery outbox on PostgreSQL, shared by every replica. A claim takes due rows with
// FOR UPDATE SKIP LOCKED (two replicas never claim the same row, and neither waits for the
// other) and leases them: claimed_by names the replica, lease_until says until when. A
// replica that dies mid-send stops renewing; once its lease has passed the row is due again
// and another replica sends it (at least once: a send may repeat within its lease).
// A result is recorded only while the row is still this replica's claim.
//
// Leases are set and compared on the database's clock (as the leadership leases are): with
// each replica's own clock, one running a minute ahead took over the live claims of the
// others (a second send of each), and one behind kept a dead replica's claims for as long.
// The `now` each method takes is the replica's clock, for what only this replica reads: its
// due times, the claim's `leaseUntil` the worker renews by, and nextDue's answer.
import type { Delivery } from '../../../../shared/api.js';
import type { DeliveryOutcome } from '../engine.js';
import { type ClaimedDelivery, type DeliveryRow, rowToDelivery } from '../outbox.js';
import type { Sql } from './sql.js';

const SELECT_DELIVERY = `SELECT d.id, d.event_seq, d.channel_id, d.rule_id, d.status, d.attempts, d.next_attempt_at, d.last_error,
  d.created_at, d.updated_at, d.delivered_at, e.id AS event_id FROM deliveries d JOIN events e ON e.seq = d.event_seq`;

/** The NOTIFY channel told when deliveries become due; the payload is the replica that made them due. */
export const DUE_CHANNEL = 'herald_deliveries_due';
/**
 * The NOTIFY channel told when a replica changed what open UIs show — events stored, read or
 * deleted (`events`: the history and the board), mutes (`mutes`); the payload is
 * `<replica> <what>`. The other replicas push a reload to their UIs (engine.ts onOtherReplicaChanged).
 */
export const CHANGES_CHANNEL = 'herald_changes';
export type ReplicaChange = 'events' | 'mutes';

/** The database's clock in epoch ms (clock_timestamp: the time now, not the transaction's start). */
const DB_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';


export class PgOutbox {
  constructor(
    private readonly sql: Sql,
    /** This replica's name in claimed_by. */
    readonly replica: string,
    /** How long a claim holds without renewal (ms). */
    readonly leaseMs: number,
  ) {}

  /** New deliveries of an event, due now. Run inside the ingest transaction. */
  async enqueue(sql: Sql, eventSeq: number, channelIds: readonly string[], ruleId: string, now: number): Promise<void> {
    if (channelIds.length === 0) return;
    await sql(
      `INSERT INTO deliveries (event_seq, channel_id, rule_id, status, attempts, next_attempt_at, created_at, updated_at)
       SELECT $1, channel, $3, 'pending', 0, $4, $4, $4 FROM unnest($2::text[]) AS channel`,
      [eventSeq, channelIds, ruleId, now],
    );
  }

  /**
   * Tells every replica's LISTEN that deliveries are due, and/or what changed for their UIs —
   * one statement; sent when the transaction commits.
   */
  async notifyDue(sql: Sql, changed?: ReplicaChange, due = true): Promise<void> {
    if (due && changed) await sql('SELECT pg_notify($1, $2), pg_notify($3, $4)', [DUE_CHANNEL, this.replica, CHANGES_CHANNEL, `${this.replica} ${changed}`]);
    else if (due) await sql('SELECT pg_notify($1, $2)', [DUE_CHANNEL, this.replica]);
    else if (changed) await sql('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, `${this.replica} ${changed}`]);
  }

  /**
   * Claims due deliveries of each channel, up to the count it can take, for this replica's
   * lease. Rows another replica holds locked are skipped, not waited for; rows whose lease
   * has passed (their replica died) are due again first.
   */
  async claimDue(sql: Sql, now: number, wants: ReadonlyArray<readonly [channelId: string, count: number]>): Promise<Array<ClaimedDelivery & { leaseUntil: number }>> {
    await this.releaseExpired(sql, now);
    // What the worker renews by, on its clock; the row's lease is on the database's.
    const leaseUntil = now + this.leaseMs;
    const claimed: Array<ClaimedDelivery & { leaseUntil: number }> = [];
    for (const [channelId, count] of wants) {
      if (count <= 0) continue;
      const { rows } = await sql<{ id: number; event_seq: number; channel_id: string; rule_id: string; attempts: number }>(
        `UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, claimed_by = $4, lease_until = ${DB_NOW_MS} + $5, updated_at = $2
         FROM (SELECT id FROM deliveries WHERE status = 'pending' AND channel_id = $1 AND next_attempt_at <= $2
               ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) due
         WHERE d.id = due.id
         RETURNING d.id, d.event_seq, d.channel_id, d.rule_id, d.attempts`,
        [channelId, now, count, this.replica, this.leaseMs],
      );
      rows.sort((a, b) => a.id - b.id);
      for (const row of rows) claimed.push({ id: row.id, eventSeq: row.event_seq, channelId: row.channel_id, ruleId: row.rule_id, attempt: row.attempts, leaseUntil });
    }
    return claimed;
  }

  /**
   * This replica is starting (and the lease table found no other process under its id):
   * nothing is in flight here yet, so claims under its name are from before a crash (a
   * restarted container keeps its hostname and pid 1, so its default id) — due again at
   * once, as SQLite's 'sending' rows are at open. Left alone they would wait for a claim
   * after their lease, which an idle hub never makes: nextDue leaves out this replica's own
   * claims, being sent as it thinks. Their attempt stays counted.
   */
  async releaseOwnClaims(now: number): Promise<number> {
    const { rowCount } = await this.sql(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = $1, claimed_by = NULL, lease_until = NULL, updated_at = $1
       WHERE status = 'sending' AND claimed_by = $2`,
      [now, this.replica],
    );
    return rowCount ?? 0;
  }

  /** Claims whose lease has passed go back to pending, due at once (their attempt stays counted). */
  async releaseExpired(sql: Sql, now: number): Promise<number> {
    const { rowCount } = await sql(
      `UPDATE deliveries d SET status = 'pending', next_attempt_at = $1, claimed_by = NULL, lease_until = NULL, updated_at = $1
       FROM (SELECT id FROM deliveries WHERE status = 'sending' AND lease_until <= ${DB_NOW_MS} FOR UPDATE SKIP LOCKED) expired
       WHERE d.id = expired.id`,
      [now],
    );
    return rowCount ?? 0;
  }

  /** Extends this replica's leases on deliveries still being sent (`now`: unused, the lease runs from the database's clock). */
  async renewLeases(ids: readonly number[], _now: number, sql: Sql = this.sql): Promise<void> {
    if (ids.length === 0) return;
    await sql(`UPDATE deliveries SET lease_until = ${DB_NOW_MS} + $1 WHERE id = ANY($2::bigint[]) AND status = 'sending' AND claimed_by = $3`, [this.leaseMs, ids, this.replica]);
  }

  /**
   * Records finished sends (the worker's tick), one statement per kind; only rows this replica
   * still holds: a result that comes after its lease passed and another replica claimed the row is
   * dropped (that replica's send counts). The attempt was counted by the claim; a requeue (a send
   * cut off by shutdown) takes it back.
   */
  async record(sql: Sql, outcomes: readonly DeliveryOutcome[], now: number): Promise<void> {
    const of = <R extends DeliveryOutcome['result']>(result: R) => outcomes.filter((o): o is Extract<DeliveryOutcome, { result: R }> => o.result === result);
    const requeued = of('requeue');
    if (requeued.length > 0) {
      await sql(
        // Cut off by shutdown: due again at once (outbox.ts DeliveryOutcome carries no time for a requeue).
        `UPDATE deliveries SET status = 'pending', attempts = greatest(0, attempts - 1), next_attempt_at = $1, updated_at = $1, claimed_by = NULL, lease_until = NULL
         WHERE id = ANY($2::bigint[]) AND status = 'sending' AND claimed_by = $3`,
        [now, requeued.map((r) => r.id), this.replica],
      );
    }
    const delivered = of('delivered');
    if (delivered.length > 0) {
      await sql(
        `UPDATE deliveries SET status = 'delivered', delivered_at = $1, updated_at = $1, last_error = NULL, next_attempt_at = NULL, claimed_by = NULL, lease_until = NULL
         WHERE id = ANY($2::bigint[]) AND status = 'sending' AND claimed_by = $3`,
        [now, delivered.map((d) => d.id), this.replica],
      );
    }
    const retries = of('retry');
    if (retries.length > 0) {
      await sql(
        `UPDATE deliveries d SET status = 'pending', next_attempt_at = r.at, last_error = r.error, updated_at = $1, claimed_by = NULL, lease_until = NULL
         FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS r(id, at, error)
         WHERE d.id = r.id AND d.status = 'sending' AND d.claimed_by = $5`,
        [now, retries.map((r) => r.id), retries.map((r) => r.at), retries.map((r) => r.error), this.replica],
      );
    }
    const failures = of('failed');
    if (failures.length > 0) {
      await sql(
        `UPDATE deliveries d SET status = 'failed', next_attempt_at = NULL, last_error = f.error, updated_at = $1, claimed_by = NULL, lease_until = NULL
         FROM unnest($2::bigint[], $3::text[]) AS f(id, error)
         WHERE d.id = f.id AND d.status = 'sending' AND d.claimed_by = $4`,
        [now, failures.map((f) => f.id), failures.map((f) => f.error), this.replica],
      );
    }
  }

  /** Pending deliveries to channels that no longer exist will never be sent: cancel them. */
  async cancelOrphans(channelIds: readonly string[], now: number): Promise<number> {
    const { rowCount } = await this.sql(
      `UPDATE deliveries SET status = 'cancelled', last_error = 'the channel was removed', next_attempt_at = NULL, updated_at = $1, claimed_by = NULL, lease_until = NULL
       WHERE status IN ('pending','sending') AND NOT (channel_id = ANY($2::text[]))`,
      [now, channelIds],
    );
    return rowCount ?? 0;
  }

  /**
   * When the channel's next pending delivery is due, or another replica's claim's lease ends
   * (epoch ms on this replica's clock: the lease, on the database's, is moved by the difference).
   */
  async nextDue(channelId: string, now = Date.now()): Promise<number | undefined> {
    const { rows } = await this.sql<{ at: number | null }>(
      `SELECT least((SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' AND channel_id = $1),
                    (SELECT min(lease_until) - ${DB_NOW_MS} + $3 FROM deliveries WHERE status = 'sending' AND channel_id = $1 AND claimed_by <> $2)) AS at`,
      [channelId, this.replica, now],
    );
    return rows[0]?.at ?? undefined;
  }

  async get(id: number): Promise<Delivery | undefined> {
    const { rows } = await this.sql<DeliveryRow>(`${SELECT_DELIVERY} WHERE d.id = $1`, [id]);
    return rows[0] && rowToDelivery(rows[0]);
  }

  async list(filter: { eventId?: string; status?: Delivery['status']; limit: number }): Promise<Delivery[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.eventId) where.push(`e.id = $${values.push(filter.eventId)}`);
    if (filter.status) where.push(`d.status = $${values.push(filter.status)}`);
    const { rows } = await this.sql<DeliveryRow>(
      `${SELECT_DELIVERY} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT $${values.push(filter.limit)}`,
      values,
    );
    return rows.map((row) => rowToDelivery(row));
  }

  /** Manual retry of a failed or cancelled delivery: a fresh series of attempts, due now. */
  async retryNow(id: number, now: number): Promise<Delivery | undefined> {
    await this.sql(`UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 WHERE id = $2 AND status IN ('failed','cancelled')`, [now, id]);
    return this.get(id);
  }

  /** Every failed delivery of a channel, a fresh series of attempts, due now (store/outbox.ts retryFailed). */
  async retryFailed(channelId: string, now: number): Promise<number> {
    const { rowCount } = await this.sql(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 WHERE channel_id = $2 AND status = 'failed'`,
      [now, channelId],
    );
    return rowCount ?? 0;
  }

  /** A channel edited: its queued deliveries are tried now rather than after their backoff. */
  async dueNow(channelId: string, now: number): Promise<number> {
    const { rowCount } = await this.sql(
      `UPDATE deliveries SET next_attempt_at = $1, updated_at = $1 WHERE channel_id = $2 AND status = 'pending' AND next_attempt_at > $1`,
      [now, channelId],
    );
    return rowCount ?? 0;
  }

  /** A deleted channel's queued deliveries will never be sent: say so. */
  async cancelForChannel(channelId: string, reason: string, now: number): Promise<number> {
    const { rowCount } = await this.sql(
      `UPDATE deliveries SET status = 'cancelled', last_error = $1, next_attempt_at = NULL, updated_at = $2, claimed_by = NULL, lease_until = NULL
       WHERE channel_id = $3 AND status IN ('pending','sending')`,
      [reason, now, channelId],
    );
    return rowCount ?? 0;
  }

  async counts(): Promise<{ pending: number; failed: number }> {
    const { rows } = await this.sql<{ pending: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status IN ('pending','sending')) AS pending, count(*) FILTER (WHERE status = 'failed') AS failed FROM deliveries`,
    );
    return rows[0]!;
  }

  async channelCounts(channelId: string): Promise<{ pending: number; failed: number }> {
    const { rows } = await this.sql<{ pending: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status IN ('pending','sending')) AS pending, count(*) FILTER (WHERE status = 'failed') AS failed
       FROM deliveries WHERE channel_id = $1`,
      [channelId],
    );
    return rows[0]!;
  }
}

// Webhook delivery ids and tool occurrences already stored (store/seen-deliveries.ts), on
// PostgreSQL: the primary key decides, so of two replicas given the same redelivery at once
// exactly one stores it (the other's INSERT waits for that commit, then finds the row).
import { occurrenceScope } from '../seen-deliveries.js';
import { lockName, lockNames, type Sql } from './sql.js';

export class PgSeenDeliveries {
  constructor(private readonly sql: Sql) {}

  /** Records the id; false when it was recorded before (a redelivery). Inside the ingest transaction. */
  async firstTime(sql: Sql, sourceId: string, deliveryId: string, nowMs: number): Promise<boolean> {
    const { rowCount } = await sql(
      'INSERT INTO seen_deliveries (source_id, delivery_id, received_at) VALUES ($1, $2, $3) ON CONFLICT (source_id, delivery_id) DO NOTHING',
      [sourceId, deliveryId, nowMs],
    );
    return rowCount === 1;
  }

  /** Whether another source of the same tool stored this occurrence already (then false); see store/seen-deliveries.ts. */
  async firstOccurrence(sql: Sql, sourceKind: string, sourceId: string, occurrence: string, nowMs: number): Promise<boolean> {
    const scope = occurrenceScope(sourceKind);
    const own = ` ${sourceId}`;
    const prefix = `${occurrence} `;
    // Two replicas looking at the same occurrence from two sources: one after the other.
    await lockNames(sql, [lockName('occurrence', scope, occurrence)]);
    const { rows } = await sql<{ delivery_id: string }>(
      'SELECT delivery_id FROM seen_deliveries WHERE source_id = $1 AND delivery_id >= $2 AND delivery_id < $3 LIMIT 8',
      [scope, prefix, `${prefix}\uffff`],
    );
    if (rows.some((row) => row.delivery_id.slice(occurrence.length) !== own)) return false;
    if (rows.length === 0) {
      await sql('INSERT INTO seen_deliveries (source_id, delivery_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [scope, `${occurrence}${own}`, nowMs]);
    }
    return true;
  }

  async forgetBefore(ms: number): Promise<number> {
    return (await this.sql('DELETE FROM seen_deliveries WHERE received_at < $1', [ms])).rowCount ?? 0;
  }
}

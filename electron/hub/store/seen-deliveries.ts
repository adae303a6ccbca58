// Webhook delivery ids already stored (X-GitHub-Delivery, X-Herald-Delivery…): a sender's
// redelivery with the same id is answered "duplicate" and stored once. The same table
// remembers occurrences per tool (a run by webhook and by poll), under
// `occurrence:<tool>`, one row `<occurrence> <source id>` per source.
import type { Db } from './open.js';

export class SeenDeliveries {
  private readonly insert;
  private readonly select;
  private readonly removeBefore;
  private readonly selectOccurrences;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO seen_deliveries (source_id, delivery_id, received_at) VALUES (?, ?, ?)');
    this.select = db.prepare('SELECT 1 FROM seen_deliveries WHERE source_id = ? AND delivery_id = ?').pluck();
    this.removeBefore = db.prepare('DELETE FROM seen_deliveries WHERE received_at < ?');
    this.selectOccurrences = db.prepare('SELECT delivery_id FROM seen_deliveries WHERE source_id = ? AND delivery_id >= ? AND delivery_id < ? LIMIT 8').pluck();
  }

  /** Records the id; false when it was recorded before (a redelivery). Call inside the ingest transaction. */
  firstTime(sourceId: string, deliveryId: string, nowMs: number): boolean {
    if (this.select.get(sourceId, deliveryId)) return false;
    this.insert.run(sourceId, deliveryId, nowMs);
    return true;
  }

  /**
   * Whether another source of the same tool stored this occurrence already (then false);
   * else it is remembered for this source (kept 7 days, as delivery ids). Within one
   * source nothing changes: its own resends are told apart by delivery ids or its state.
   */
  firstOccurrence(sourceKind: string, sourceId: string, occurrence: string, nowMs: number): boolean {
    const scope = occurrenceScope(sourceKind);
    const own = ` ${sourceId}`;
    const prefix = `${occurrence} `;
    const storedBy = this.selectOccurrences.all(scope, prefix, `${prefix}\uffff`) as string[];
    if (storedBy.some((row) => row.slice(occurrence.length) !== own)) return false;
    if (storedBy.length === 0) this.insert.run(scope, `${occurrence}${own}`, nowMs);
    return true;
  }

  /** Forgets ids received before `ms` (retention: a redelivery comes within days, not weeks). */
  forgetBefore(ms: number): number {
    return this.removeBefore.run(ms).changes;
  }
}

/** The tool a source kind reads from (`github-actions` and `github` → `github`): occurrences are unique per tool. */
export function occurrenceScope(kind: string): string {
  return `occurrence:${kind.split('-')[0]}`;
}

// Webhook delivery ids already stored (X-GitHub-Delivery, X-Herald-Delivery…): a sender's
// redelivery with the same id is answered "duplicate" and stored once.
import type { Db } from './open.js';

export class SeenDeliveries {
  private readonly insert;
  private readonly select;
  private readonly removeBefore;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO seen_deliveries (source_id, delivery_id, received_at) VALUES (?, ?, ?)');
    this.select = db.prepare('SELECT 1 FROM seen_deliveries WHERE source_id = ? AND delivery_id = ?').pluck();
    this.removeBefore = db.prepare('DELETE FROM seen_deliveries WHERE received_at < ?');
  }

  /** Records the id; false when it was recorded before (a redelivery). Call inside the ingest transaction. */
  firstTime(sourceId: string, deliveryId: string, nowMs: number): boolean {
    if (this.select.get(sourceId, deliveryId)) return false;
    this.insert.run(sourceId, deliveryId, nowMs);
    return true;
  }

  /** Forgets ids received before `ms` (retention: a redelivery comes within days, not weeks). */
  forgetBefore(ms: number): number {
    return this.removeBefore.run(ms).changes;
  }
}

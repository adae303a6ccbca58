// Throttle memory: when a rule last routed an event with a given dedupKey. The router
// (shared/rules.ts) asks it for throttling rules; the ingest transaction records a routing.
import type { Db } from '../store/open.js';

export class ThrottleMemory {
  private readonly select;
  private readonly upsert;
  private readonly removeBefore;

  constructor(db: Db) {
    this.select = db.prepare('SELECT routed_at FROM throttle WHERE rule_id = ? AND dedup_key = ?').pluck();
    this.upsert = db.prepare(
      'INSERT INTO throttle (rule_id, dedup_key, routed_at) VALUES (?, ?, ?) ON CONFLICT (rule_id, dedup_key) DO UPDATE SET routed_at = excluded.routed_at',
    );
    this.removeBefore = db.prepare('DELETE FROM throttle WHERE routed_at < ?');
  }

  lastRoutedAt(ruleId: string, dedupKey: string): number | undefined {
    return this.select.get(ruleId, dedupKey) as number | undefined;
  }

  remember(ruleId: string, dedupKey: string, atMs: number): void {
    this.upsert.run(ruleId, dedupKey, atMs);
  }

  /** Forgets routings before `ms` (retention: older than the longest throttle window). */
  forgetBefore(ms: number): number {
    return this.removeBefore.run(ms).changes;
  }
}

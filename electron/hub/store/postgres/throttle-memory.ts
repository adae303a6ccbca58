// Throttle memory on PostgreSQL (rules/throttle-memory.ts): when a rule last routed a
// dedupKey. Shared by every replica: reading a key takes an advisory lock on it first, so
// of two replicas routing the same key at once the second waits and sees the first's
// routing (one notification, as on one hub), never each its own memory.
import { lockName, lockNames, type Sql } from './sql.js';

export class PgThrottleMemory {
  constructor(private readonly sql: Sql) {}

  /** Inside the ingest transaction: locks the key until commit, then reads it. */
  async lastRoutedAt(sql: Sql, ruleId: string, dedupKey: string): Promise<number | undefined> {
    await lockNames(sql, [lockName('throttle', ruleId, dedupKey)]);
    const { rows } = await sql<{ routed_at: number }>('SELECT routed_at FROM throttle WHERE rule_id = $1 AND dedup_key = $2', [ruleId, dedupKey]);
    return rows[0]?.routed_at;
  }

  async remember(sql: Sql, ruleId: string, dedupKey: string, atMs: number): Promise<void> {
    await sql(
      'INSERT INTO throttle (rule_id, dedup_key, routed_at) VALUES ($1, $2, $3) ON CONFLICT (rule_id, dedup_key) DO UPDATE SET routed_at = excluded.routed_at',
      [ruleId, dedupKey, atMs],
    );
  }

  async forgetBefore(ms: number): Promise<number> {
    return (await this.sql('DELETE FROM throttle WHERE routed_at < $1', [ms])).rowCount ?? 0;
  }
}

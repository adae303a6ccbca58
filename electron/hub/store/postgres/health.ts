// Channel and source health on PostgreSQL (store/health.ts). A result is read and written
// under an advisory lock on its channel or source, so two replicas failing the same channel
// count two failures and one of them reports the transition.
import type { HealthState } from '../../../../shared/api.js';
import type { HealthKind, HealthTransition } from '../health.js';
import { lockName, lockNames, type Sql } from './sql.js';

interface HealthRow {
  healthy: boolean;
  consecutive_failures: number;
  last_error: string | null;
  last_success_at: number | null;
  last_failure_at: number | null;
}

const HEALTHY: HealthState = { healthy: true, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null };
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const SELECT = 'SELECT healthy, consecutive_failures, last_error, last_success_at, last_failure_at FROM health WHERE kind = $1 AND id = $2';
const UPSERT = `INSERT INTO health (kind, id, healthy, consecutive_failures, last_error, last_success_at, last_failure_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (kind, id) DO UPDATE SET healthy = excluded.healthy, consecutive_failures = excluded.consecutive_failures,
    last_error = excluded.last_error, last_success_at = excluded.last_success_at, last_failure_at = excluded.last_failure_at`;

export class PgHealthStore {
  /** When a healthy item's success was last written: repeated successes are written once a second at most. */
  private readonly healthySince = new Map<string, number>();

  constructor(private readonly sql: Sql) {}

  /** A transaction that wrote successes rolled back: the next success of each is written. */
  forgetWritten(): void {
    this.healthySince.clear();
  }

  async get(kind: HealthKind, id: string): Promise<HealthState> {
    const { rows } = await this.sql<HealthRow>(SELECT, [kind, id]);
    const row = rows[0];
    if (!row) return HEALTHY;
    return {
      healthy: row.healthy,
      consecutiveFailures: row.consecutive_failures,
      lastError: row.last_error,
      lastSuccessAt: iso(row.last_success_at),
      lastFailureAt: iso(row.last_failure_at),
    };
  }

  private async locked(sql: Sql, kind: HealthKind, id: string): Promise<HealthRow | undefined> {
    await lockNames(sql, [lockName('health', kind, id)]);
    return (await sql<HealthRow>(SELECT, [kind, id])).rows[0];
  }

  async recordSuccess(kind: HealthKind, id: string, now: number, sql: Sql = this.sql): Promise<HealthTransition> {
    const key = `${kind}:${id}`;
    const lastWritten = this.healthySince.get(key);
    if (lastWritten !== undefined && now - lastWritten < 1000) return undefined;
    const row = await this.locked(sql, kind, id);
    this.healthySince.set(key, now);
    await sql(UPSERT, [kind, id, true, 0, row?.last_error ?? null, now, row?.last_failure_at ?? null]);
    return row && !row.healthy ? 'recovered' : undefined;
  }

  async recordFailure(kind: HealthKind, id: string, error: string, now: number, unhealthyAfter: number, sql: Sql = this.sql): Promise<HealthTransition> {
    this.healthySince.delete(`${kind}:${id}`);
    const row = await this.locked(sql, kind, id);
    const failures = (row?.consecutive_failures ?? 0) + 1;
    const wasHealthy = row ? row.healthy : true;
    const healthy = wasHealthy && failures < unhealthyAfter;
    await sql(UPSERT, [kind, id, healthy, failures, error, row?.last_success_at ?? null, now]);
    return wasHealthy && !healthy ? 'became_unhealthy' : undefined;
  }
}

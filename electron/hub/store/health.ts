// Health of channels and sources: consecutive failures, last error, last success.
// Kept in the store so a restart remembers that a channel was failing.
import type { HealthState } from '../../../shared/api.js';
import type { Db } from './open.js';

export type HealthKind = 'channel' | 'source';

interface HealthRow {
  healthy: number;
  consecutive_failures: number;
  last_error: string | null;
  last_success_at: number | null;
  last_failure_at: number | null;
}

const HEALTHY: HealthState = { healthy: true, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null };
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What a recorded result changed: the hub emits health events on transitions only. */
export type HealthTransition = 'became_unhealthy' | 'recovered' | undefined;

export class HealthStore {
  private readonly select;
  private readonly upsert;
  /** When a healthy item's success was last written (epoch ms): repeated successes are coalesced. */
  private readonly healthySince = new Map<string, number>();

  constructor(db: Db) {
    this.select = db.prepare('SELECT healthy, consecutive_failures, last_error, last_success_at, last_failure_at FROM health WHERE kind = ? AND id = ?');
    this.upsert = db.prepare(`INSERT INTO health (kind, id, healthy, consecutive_failures, last_error, last_success_at, last_failure_at)
      VALUES (@kind, @id, @healthy, @consecutive_failures, @last_error, @last_success_at, @last_failure_at)
      ON CONFLICT (kind, id) DO UPDATE SET healthy = excluded.healthy, consecutive_failures = excluded.consecutive_failures,
        last_error = excluded.last_error, last_success_at = excluded.last_success_at, last_failure_at = excluded.last_failure_at`);
  }

  /** The transaction that wrote successes rolled back: what was written is no longer known, so the next success of each is written. */
  forgetWritten(): void {
    this.healthySince.clear();
  }

  get(kind: HealthKind, id: string): HealthState {
    const row = this.select.get(kind, id) as HealthRow | undefined;
    if (!row) return HEALTHY;
    return {
      healthy: row.healthy === 1,
      consecutiveFailures: row.consecutive_failures,
      lastError: row.last_error,
      lastSuccessAt: iso(row.last_success_at),
      lastFailureAt: iso(row.last_failure_at),
    };
  }

  recordSuccess(kind: HealthKind, id: string, now: number): HealthTransition {
    // The common case on the delivery hot path: healthy already. Only the time of the last
    // success changes; write it at most once a second rather than on every send.
    const key = `${kind}:${id}`;
    const lastWritten = this.healthySince.get(key);
    if (lastWritten !== undefined && now - lastWritten < 1000) return undefined;
    const row = this.select.get(kind, id) as HealthRow | undefined;
    this.healthySince.set(key, now);
    this.upsert.run({
      kind,
      id,
      healthy: 1,
      consecutive_failures: 0,
      last_error: row?.last_error ?? null,
      last_success_at: now,
      last_failure_at: row?.last_failure_at ?? null,
    });
    return row && row.healthy === 0 ? 'recovered' : undefined;
  }

  recordFailure(kind: HealthKind, id: string, error: string, now: number, unhealthyAfter: number): HealthTransition {
    this.healthySince.delete(`${kind}:${id}`);
    const row = this.select.get(kind, id) as HealthRow | undefined;
    const failures = (row?.consecutive_failures ?? 0) + 1;
    const wasHealthy = row ? row.healthy === 1 : true;
    const healthy = wasHealthy && failures < unhealthyAfter;
    this.upsert.run({
      kind,
      id,
      healthy: healthy ? 1 : 0,
      consecutive_failures: failures,
      last_error: error,
      last_success_at: row?.last_success_at ?? null,
      last_failure_at: now,
    });
    return wasHealthy && !healthy ? 'became_unhealthy' : undefined;
  }
}

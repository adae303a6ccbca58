// Leases in a PostgreSQL table, for replicas sharing one database. Why a table and not
// session advisory locks: an advisory lock lives as long as its connection, so (1) it needs
// one pinned connection per replica outside the pool (a pooler in transaction mode breaks
// it), (2) a replica cut off from the database cannot tell whether it still holds it — the
// server frees it only when it notices the dead socket, which may take minutes, while the
// replica keeps polling — and (3) nothing records who holds what for the health view.
// A lease row has an expiry both sides reason about with a time bound:
//
// - every `renewEveryMs` (3 s) ONE statement renews the names this replica holds and takes
//   the expired ones it wants: `expires_at = now() + ttl` (10 s) where the holder is this
//   replica or the lease has expired. The database's clock alone sets and compares
//   expiries, so the replicas' clocks need not agree.
// - this replica counts a lease held until (local monotonic time when that statement was
//   SENT) + ttl − margin (2 s): always before the row expires in the database, so another
//   replica can only take it after this one has stopped counting it held. A replica that
//   cannot reach the database loses its leases locally within 8 s and stops the work.
// - a dead replica's leases are taken within ttl + renewEveryMs (13 s) of its last renewal.
import { performance } from 'node:perf_hooks';
import type { Lease, Leadership, LeaseView } from './leadership.js';

/** The part of pg's Pool (or a Client) used here. */
export interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export const LEASE_TABLE = 'herald_leases';

/** The table; pgstore's migrations create it too (this is for a database they have not migrated). */
export const LEASE_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${LEASE_TABLE} (
  name text PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  acquired_at timestamptz NOT NULL,
  ran_at timestamptz
)`;

export interface LeaseTableOptions {
  db: Queryable;
  replicaId: string;
  ttlMs?: number;
  renewEveryMs?: number;
  /** Counted lost this long before the database's expiry. */
  marginMs?: number;
  log?: (line: string) => void;
  /** Monotonic ms (tests never need another; injectable all the same). */
  clock?: () => number;
}

export const LEASE_TIMING = { ttlMs: 10_000, renewEveryMs: 3_000, marginMs: 2_000 } as const;

interface State {
  lease: Lease;
  wanted: boolean;
  /** Local monotonic time until which the lease counts held; 0 = not held. */
  heldUntil: number;
  /** Whether listeners were last told held. */
  told: boolean;
  /** Local monotonic time of the last run any replica noted, when known. */
  ranAt: number | undefined;
  listeners: Set<(held: boolean) => void>;
}

/** Another live process runs under this replica id: both would count every lease theirs. */
export class ReplicaIdInUse extends Error {
  override readonly name = 'ReplicaIdInUse';
}

/**
 * The replica id is the leases' holder, so two live processes under one id (the README's
 * `HERALD_REPLICA_ID=herald-a` copied to both machines) would both run every poller and
 * scheduler. At start, leases still held under this id — a crashed predecessor's, or another
 * process's — are waited out (at most one lease lifetime); if one of them was renewed
 * meanwhile, another process uses the id, and this one refuses to start.
 */
async function refuseReplicaIdInUse(db: Queryable, replicaId: string, log: (line: string) => void): Promise<void> {
  const heldUnderId = async () =>
    (
      await db.query<{ left_ms: number | null; renewed_ms: number | null }>(
        `SELECT (extract(epoch FROM max(expires_at) - now()) * 1000)::float8 AS left_ms,
                (extract(epoch FROM max(expires_at)) * 1000)::float8 AS renewed_ms
           FROM ${LEASE_TABLE} WHERE holder = $1 AND expires_at > now()`,
        [replicaId],
      )
    ).rows[0];
  const first = await heldUnderId();
  if (first?.left_ms == null || first.renewed_ms == null) return;
  log(`leases: replica "${replicaId}" still holds leases for ${(first.left_ms / 1000).toFixed(1)} s (a restart after a crash, or another process with this id?); waiting them out`);
  await new Promise((resolve) => setTimeout(resolve, first.left_ms! + 250));
  const after = await heldUnderId();
  if (after?.renewed_ms != null && after.renewed_ms > first.renewed_ms) {
    throw new ReplicaIdInUse(
      `another process runs as replica "${replicaId}" on this database (it renewed its leases while this one waited): give each replica its own HERALD_REPLICA_ID, or leave it unset (default hostname:pid)`,
    );
  }
}

export async function startLeaseTable(options: LeaseTableOptions): Promise<Leadership> {
  const { db, replicaId } = options;
  const ttlMs = options.ttlMs ?? LEASE_TIMING.ttlMs;
  const renewEveryMs = options.renewEveryMs ?? LEASE_TIMING.renewEveryMs;
  const marginMs = options.marginMs ?? LEASE_TIMING.marginMs;
  if (!(marginMs < ttlMs && renewEveryMs < ttlMs - marginMs)) {
    throw new RangeError(`lease timing: renewal every ${renewEveryMs} ms must come before a lease counts lost (ttl ${ttlMs} − margin ${marginMs} ms)`);
  }
  const clock = options.clock ?? (() => performance.now());
  const log = options.log ?? (() => undefined);
  await db.query(LEASE_TABLE_SQL);
  await refuseReplicaIdInUse(db, replicaId, log);

  const states = new Map<string, State>();
  const anyChange = new Set<(name: string, held: boolean) => void>();
  let stopped = false;
  let renewing: Promise<void> | undefined;
  /** A name was added during a renewal: renew again right after it. */
  let again = false;
  let renewTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let failing = false;

  const held = (state: State) => !stopped && state.wanted && clock() < state.heldUntil;

  /** Tells listeners of every change since they were last told; re-arms the local expiry check. */
  function settle(): void {
    for (const state of states.values()) {
      const now = held(state);
      if (now === state.told) continue;
      state.told = now;
      if (!now && state.wanted && !stopped) log(`leases: lost "${state.lease.name}" (not renewed in time); its work stops here`);
      const listeners = [...state.listeners, (held: boolean) => anyChange.forEach((listener) => listener(state.lease.name, held))];
      for (const listener of listeners) {
        try {
          listener(now);
        } catch (error) {
          log(`leases: a listener of "${state.lease.name}" failed: ${(error as Error).message}`);
        }
      }
    }
    if (expiryTimer) clearTimeout(expiryTimer);
    expiryTimer = undefined;
    if (stopped) return;
    const next = Math.min(...[...states.values()].filter((s) => s.told).map((s) => s.heldUntil));
    if (Number.isFinite(next)) {
      expiryTimer = setTimeout(settle, Math.max(0, next - clock()) + 1);
      expiryTimer.unref();
    }
  }

  async function renew(): Promise<void> {
    const names = [...states.values()].filter((s) => s.wanted).map((s) => s.lease.name).sort();
    if (names.length === 0) return;
    const sentAt = clock();
    try {
      // Sorted names: two replicas upserting the same rows lock them in the same order.
      const { rows } = await db.query<{ name: string; ran_ago_ms: number | null }>(
        `INSERT INTO ${LEASE_TABLE} AS l (name, holder, expires_at, acquired_at)
           SELECT n, $2, now() + $3 * interval '1 millisecond', now() FROM unnest($1::text[]) AS n ORDER BY n
         ON CONFLICT (name) DO UPDATE
           SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
               acquired_at = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.acquired_at ELSE now() END
           WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now()
         RETURNING name, (extract(epoch FROM now() - ran_at) * 1000)::float8 AS ran_ago_ms`,
        [names, replicaId, ttlMs],
      );
      const answeredAt = clock();
      const won = new Map(rows.map((row) => [row.name, row.ran_ago_ms]));
      for (const name of names) {
        const state = states.get(name);
        if (!state?.wanted) continue;
        if (won.has(name)) {
          const gained = state.heldUntil <= sentAt;
          state.heldUntil = sentAt + ttlMs - marginMs;
          const ranAgo = won.get(name);
          // Measured at the database during the round trip: counted from its end, the wait is never too short.
          if (gained && ranAgo !== null && ranAgo !== undefined) state.ranAt = answeredAt - ranAgo;
        } else {
          state.heldUntil = 0;
        }
      }
      if (failing) log('leases: the database answers again');
      failing = false;
    } catch (error) {
      // Held leases run out on their own (settle's timer): nothing held is extended here.
      if (!failing) log(`leases: could not renew (${(error as Error).message}); held leases end within ${Math.round((ttlMs - marginMs) / 1000)} s unless renewed`);
      failing = true;
    }
    settle();
  }

  function renewSoon(delayMs: number): void {
    if (stopped) return;
    if (renewTimer) clearTimeout(renewTimer);
    renewTimer = setTimeout(() => {
      renewTimer = undefined;
      if (stopped) return;
      // One renewal at a time: a slow database delays the next one, it does not pile them up.
      if (renewing) {
        again = true;
        return;
      }
      renewing = renew().finally(() => {
        renewing = undefined;
        const soon = again;
        again = false;
        renewSoon(soon ? 0 : renewEveryMs);
      });
    }, delayMs);
    renewTimer.unref();
  }

  async function giveUp(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await db.query(`UPDATE ${LEASE_TABLE} SET expires_at = now() WHERE holder = $1 AND name = ANY($2::text[])`, [replicaId, names]);
  }

  const leadership: Leadership = {
    replicaId,
    kind: 'lease-table',
    lease(name) {
      const existing = states.get(name);
      if (existing) {
        if (!existing.wanted) {
          existing.wanted = true;
          renewSoon(0);
        }
        return existing.lease;
      }
      const state: State = { wanted: true, heldUntil: 0, told: false, ranAt: undefined, listeners: new Set(), lease: undefined as unknown as Lease };
      state.lease = {
        name,
        held: () => held(state),
        onChange(listener) {
          state.listeners.add(listener);
          return () => state.listeners.delete(listener);
        },
        ranAgoMs: () => (state.ranAt === undefined ? undefined : clock() - state.ranAt),
        noteRun() {
          state.ranAt = clock();
          db.query(`UPDATE ${LEASE_TABLE} SET ran_at = now() WHERE name = $1 AND holder = $2`, [name, replicaId]).catch((error: Error) =>
            log(`leases: could not note a run of "${name}": ${error.message}`),
          );
        },
        release() {
          if (!state.wanted) return;
          const wasHeld = held(state);
          state.wanted = false;
          state.heldUntil = 0;
          settle();
          if (wasHeld) giveUp([name]).catch((error: Error) => log(`leases: could not give up "${name}" (it expires on its own): ${error.message}`));
        },
      };
      states.set(name, state);
      // A new name is contended for at once, not at the next renewal.
      renewSoon(0);
      return state.lease;
    },
    onChange(listener) {
      anyChange.add(listener);
      return () => anyChange.delete(listener);
    },
    async view(): Promise<LeaseView[]> {
      const { rows } = await db.query<{ name: string; holder: string; expires_at: Date; live: boolean }>(
        `SELECT name, holder, expires_at, expires_at > now() AS live FROM ${LEASE_TABLE} ORDER BY name`,
      );
      return rows.map((row) => ({
        name: row.name,
        holder: row.live ? row.holder : null,
        expiresAt: new Date(row.expires_at).toISOString(),
        mine: row.live && row.holder === replicaId,
      }));
    },
    async stop() {
      if (stopped) return;
      const mine = [...states.values()].filter((s) => held(s)).map((s) => s.lease.name);
      stopped = true;
      if (renewTimer) clearTimeout(renewTimer);
      await renewing;
      settle();
      // Given up at once so a replica that stops cleanly hands over without waiting for the expiry.
      await giveUp(mine).catch((error: Error) => log(`leases: could not give up leases at stop (they expire on their own): ${error.message}`));
    },
  };
  return leadership;
}

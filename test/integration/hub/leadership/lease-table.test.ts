// Leases in a real PostgreSQL table (electron/hub/leadership/lease-table.ts): exactly one of
// two replicas holds a lease; the other takes it within ttl + renewal after the holder stops
// renewing (a replica that died) or at once after a clean stop; a holder cut off from the
// database counts its lease lost before the row expires; the last run is handed over.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Leadership } from '../../../../electron/hub/leadership/leadership.js';
import { ReplicaIdInUse, startLeaseTable } from '../../../../electron/hub/leadership/lease-table.js';
import { type PostgresCluster, sharedPostgresCluster } from '../../../helpers/postgres-cluster.js';
import { waitFor } from '../../../helpers/hub-process.js';

const TIMING = { ttlMs: 1_500, renewEveryMs: 300, marginMs: 400 };

let cluster: PostgresCluster;
let release: () => Promise<void>;
let url: string;
const pools: pg.Pool[] = [];
const started: Leadership[] = [];

beforeAll(async () => {
  ({ cluster, release } = await sharedPostgresCluster());
});
afterAll(async () => {
  await release?.();
});
afterEach(async () => {
  for (const leadership of started.splice(0)) await leadership.stop().catch(() => {});
  for (const pool of pools.splice(0)) await pool.end().catch(() => {});
});

async function replica(id: string, options: { pool?: pg.Pool } = {}): Promise<Leadership> {
  const pool = options.pool ?? new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => {});
  pools.push(pool);
  const leadership = await startLeaseTable({ db: pool, replicaId: id, ...TIMING });
  started.push(leadership);
  return leadership;
}

describe('a lease table shared by two replicas', () => {
  beforeAll(async () => {
    url = await cluster.createDatabase();
  });

  it('gives each lease to exactly one replica, and the health view says which', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const leasesA = ['poll:x', 'poll:y', 'digests'].map((name) => a.lease(name));
    await waitFor(() => leasesA.every((l) => l.held()), 5_000, 'a to hold its leases');
    const leasesB = ['poll:x', 'poll:y', 'digests'].map((name) => b.lease(name));
    // Several renewals of b: it never gets one a holds.
    const changes: boolean[] = [];
    for (const lease of leasesB) lease.onChange((held) => changes.push(held));
    await new Promise((r) => setTimeout(r, TIMING.renewEveryMs * 4));
    expect(leasesB.map((l) => l.held())).toEqual([false, false, false]);
    expect(changes).toEqual([]);
    expect(leasesA.every((l) => l.held())).toBe(true);
    expect((await b.view()).map((v) => [v.name, v.holder, v.mine])).toEqual([
      ['digests', 'a', false],
      ['poll:x', 'a', false],
      ['poll:y', 'a', false],
    ]);
  });

  it('a holder that stops renewing (died) loses the lease to the other within ttl + one renewal, never both at once', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const leaseA = a.lease('retention');
    await waitFor(() => leaseA.held(), 5_000, 'a to hold');
    const leaseB = b.lease('retention');
    // Watch both every 20 ms: at no sample do both count themselves holders.
    let overlap = false;
    const watch = setInterval(() => {
      if (leaseA.held() && leaseB.held()) overlap = true;
    }, 20);
    // "Dies": its pool ends, so renewals fail (as with a SIGKILL, nothing is given up).
    const lostAt = Date.now();
    const lost = new Promise<number>((resolve) => leaseA.onChange((held) => !held && resolve(Date.now())));
    await pools[0]!.end();
    const lostLocally = await lost;
    await waitFor(() => leaseB.held(), 5_000, 'b to take over');
    const tookOver = Date.now();
    clearInterval(watch);
    expect(overlap).toBe(false);
    // a counted it lost within ttl − margin of its last renewal; b got it after the row expired.
    expect(lostLocally - lostAt).toBeLessThanOrEqual(TIMING.ttlMs - TIMING.marginMs + 200);
    expect(tookOver - lostAt).toBeLessThanOrEqual(TIMING.ttlMs + TIMING.renewEveryMs + 500);
    expect(tookOver).toBeGreaterThanOrEqual(lostLocally);
  });

  it('a clean stop hands the lease over at once, and the last run goes with it', async () => {
    const a = await replica('a');
    const b = await replica('b');
    const leaseA = a.lease('poll:z');
    await waitFor(() => leaseA.held(), 5_000, 'a to hold');
    leaseA.noteRun();
    const leaseB = b.lease('poll:z');
    await new Promise((r) => setTimeout(r, 200));
    await a.stop();
    expect(leaseA.held()).toBe(false);
    const since = Date.now();
    await waitFor(() => leaseB.held(), 3_000, 'b to take over');
    // Well before the ttl: given up, not expired.
    expect(Date.now() - since).toBeLessThan(TIMING.ttlMs);
    expect(leaseB.ranAgoMs()).toBeGreaterThanOrEqual(200);
    expect(leaseB.ranAgoMs()).toBeLessThan(5_000);
  });

  it('released leases are contended for again when asked for again', async () => {
    const a = await replica('a');
    const lease = a.lease('grouping');
    await waitFor(() => lease.held(), 5_000, 'a to hold');
    lease.release();
    expect(lease.held()).toBe(false);
    // The database hears of the release on its own connection, after release() returns (and after a renewal
    // that may have been in flight): the view shows nobody within a bound, not at once.
    let holder: string | null | undefined;
    await waitFor(async () => {
      holder = (await a.view()).find((v) => v.name === 'grouping')?.holder;
      return holder === null;
    }, 5_000, `the view to show nobody holding "grouping" (it shows ${holder})`);
    expect(a.lease('grouping')).toBe(lease);
    await waitFor(() => lease.held(), 5_000, 'a to hold again');
  });

  it('a second live process under the same replica id is refused at start, naming the id; it waits at most one lease lifetime to tell', async () => {
    const first = await replica('same-id');
    const lease = first.lease('poll:dup');
    await waitFor(() => lease.held(), 5_000, 'the first process to hold its lease');
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pools.push(pool);
    const lines: string[] = [];
    const startedAt = Date.now();
    await expect(startLeaseTable({ db: pool, replicaId: 'same-id', ...TIMING, log: (line) => lines.push(line) })).rejects.toThrow(
      new ReplicaIdInUse('another process runs as replica "same-id" on this database (it renewed its leases while this one waited): give each replica its own HERALD_REPLICA_ID, or leave it unset (default hostname:pid)'),
    );
    expect(Date.now() - startedAt).toBeLessThan(TIMING.ttlMs + 1_000);
    expect(lines).toEqual([expect.stringMatching(/^leases: replica "same-id" still holds leases for \d+\.\d s \(a restart after a crash, or another process with this id\?\); waiting them out$/)]);
    // The first one is untouched.
    expect(lease.held()).toBe(true);
  });

  it('a restart under the same id after a crash waits the dead process\'s leases out, then starts and takes them', async () => {
    const crashedPool = new pg.Pool({ connectionString: url, max: 2 });
    crashedPool.on('error', () => {});
    const crashed = await startLeaseTable({ db: crashedPool, replicaId: 'restarted', ...TIMING });
    const lease = crashed.lease('poll:restart');
    await waitFor(() => lease.held(), 5_000, 'the process to hold its lease');
    // Killed: it renews no more and releases nothing (its connections are gone).
    await crashedPool.end();
    const again = await replica('restarted');
    const taken = again.lease('poll:restart');
    await waitFor(() => taken.held(), 5_000, 'the restarted process to take its lease');
    await crashed.stop().catch(() => {});
  });

  it('refuses timing where a renewal would come after the lease counts lost', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pools.push(pool);
    await expect(startLeaseTable({ db: pool, replicaId: 'x', ttlMs: 1000, renewEveryMs: 900, marginMs: 200 })).rejects.toThrow(/renewal every 900 ms/);
  });
});

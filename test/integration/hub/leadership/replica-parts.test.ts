// openReplicaParts on the real PostgreSQL engine (store/postgres/engine.ts: its pool and its
// LISTEN connection): two engines on one database share the config (a change through one is
// heard by the other) and the leases (one holder); without a database the hub keeps
// config.json and holds every lease itself.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { upsertItem } from '../../../../electron/hub/config/config-store.js';
import { openReplicaParts } from '../../../../electron/hub/leadership/replica-parts.js';
import { openPostgresEngine } from '../../../../electron/hub/store/postgres/engine.js';
import { tempDir, waitFor } from '../../../helpers/hub-process.js';
import { type PostgresCluster, sharedPostgresCluster } from '../../../helpers/postgres-cluster.js';

let cluster: PostgresCluster;
let release: () => Promise<void>;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  ({ cluster, release } = await sharedPostgresCluster());
});
afterAll(async () => {
  await release?.();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

async function replica(url: string, id: string) {
  const engine = await openPostgresEngine(url, { replica: id });
  closers.push(() => engine.close());
  const parts = await openReplicaParts({ database: engine, replicaId: id, dataDir: tempDir('herald-parts-'), log: () => {} });
  closers.push(() => parts.config.close(), () => parts.leadership.stop());
  return parts;
}

describe('replica parts', () => {
  it('on PostgreSQL: the config and the leases are shared through the engine', async () => {
    const url = await cluster.createDatabase();
    const a = await replica(url, 'a');
    const b = await replica(url, 'b');
    expect(a.leadership.kind).toBe('lease-table');
    await upsertItem(a.config, 'channels', { id: 'ops', kind: 'webhook', name: 'Ops', url: 'http://127.0.0.1:9/ops' }, 'create');
    await waitFor(() => b.config.get().channels.some((c) => c.id === 'ops'), 5_000, 'b to hear of the channel');
    const leaseA = a.leadership.lease('retention');
    await waitFor(() => leaseA.held(), 5_000, 'a to hold retention');
    const leaseB = b.leadership.lease('retention');
    await new Promise((r) => setTimeout(r, 500));
    expect(leaseB.held()).toBe(false);
    expect((await b.leadership.view()).find((l) => l.name === 'retention')).toMatchObject({ holder: 'a', mine: false });
  });

  it('without a database: config.json and every lease held', async () => {
    const dataDir = tempDir('herald-parts-');
    const parts = await openReplicaParts({ database: undefined, replicaId: 'solo', dataDir, log: () => {} });
    expect(parts.leadership.kind).toBe('single');
    expect(parts.leadership.lease('poll:x').held()).toBe(true);
    expect(parts.config.path).toBe(`${dataDir}/config.json`);
  });
});

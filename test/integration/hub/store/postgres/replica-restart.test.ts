// A replica on PostgreSQL killed mid-send and started again under the same id (a container
// keeps its hostname and pid 1, so the default `hostname:pid`): what it was sending goes out
// as it starts — not after its one-minute lease, and not only once the next event makes the
// worker claim. Before, an idle team hub left those deliveries 'sending' for good.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../../../helpers/hub-process.js';
import { type Sink, startSink } from '../../../../helpers/http-sink.js';
import { type PostgresCluster, startPostgresCluster } from '../../../../helpers/postgres-cluster.js';

const SECRET = 'pg-restart-secret';

describe('a replica killed mid-send and started again under the same id', () => {
  let cluster: PostgresCluster;
  let sink: Sink;
  let hub: HubProcess | undefined;
  beforeAll(async () => {
    [cluster, sink] = await Promise.all([startPostgresCluster(), startSink()]);
  });
  afterAll(async () => {
    await hub?.kill('SIGKILL');
    await sink?.close();
    await cluster?.destroy();
  });

  it('sends what was in flight at once, with no new event and long before the lease ends', async () => {
    const url = await cluster.createDatabase();
    const dir = tempDir();
    const configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_PG_RESTART_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `${sink.url}/in`, template: '{"title": "{{title}}"}', timeoutMs: 30_000 }],
      rules: [{ id: 'all', name: 'Everything', channels: ['sink'] }],
    });
    const env = { HERALD_PG_RESTART_SECRET: SECRET, HERALD_DATABASE_URL: url, HERALD_REPLICA_ID: 'herald-0', HERALD_DELIVERY_LEASE_MS: '60000' };
    hub = await startHubProcess({ dataDir: `${dir}/data`, configFile, env });
    sink.respond(0); // stall: the sends are in flight when the replica dies
    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify([1, 2, 3].map((i) => ({ type: 'pipeline.failed', title: `in flight ${i}` }))),
    });
    expect(res.status).toBe(202);
    await waitFor(async () => (await hub!.api<unknown[]>('deliveries.list', { status: 'sending' })).length === 3, 10_000, 'three sends in flight');
    expect(await hub.kill('SIGKILL')).toBeNull();

    sink.respond(200, 'ok');
    const restartedAt = Date.now();
    hub = await startHubProcess({ dataDir: `${dir}/data`, configFile, env });
    await waitFor(() => sink.received.length === 3, 20_000, 'the three sends that were in flight');
    // The replica's leases of its earlier life are waited out at start (~10 s): still far inside the minute's delivery lease.
    expect(Date.now() - restartedAt).toBeLessThan(40_000);
    expect(sink.received.map((r) => (r.json as { title: string }).title).sort()).toEqual(['in flight 1', 'in flight 2', 'in flight 3']);
    expect(hub.output()).toContain('store: 3 deliveries replica herald-0 was sending when it stopped are due again');
    await waitFor(async () => (await hub!.api<{ counts: { pendingDeliveries: number } }>('hub.status')).counts.pendingDeliveries === 0, 5_000, 'nothing pending');
  }, 60_000);
});

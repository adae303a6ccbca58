// A headless hub on PostgreSQL (HERALD_DATABASE_URL) while its database goes away and comes
// back: webhooks are refused with 503 and one line naming the database (no password) while
// it is down, accepted again once it is back, and every event that got a 202 is stored and
// delivered — none lost, none half-written. Meanwhile the UI's status names the problem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../../../helpers/hub-process.js';
import { type Sink, startSink } from '../../../../helpers/http-sink.js';
import { type PostgresCluster, startPostgresCluster } from '../../../../helpers/postgres-cluster.js';

const SECRET = 'pg-outage-secret';

describe('the hub on PostgreSQL while PostgreSQL goes away and comes back', () => {
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

  it('refuses with 503 while down, takes events again once back, loses nothing acknowledged', async () => {
    const url = await cluster.createDatabase();
    const dir = tempDir();
    const configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_PG_OUTAGE_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `${sink.url}/in`, template: '{"title": "{{title}}"}', timeoutMs: 2000 }],
      rules: [{ id: 'all', name: 'Everything', channels: ['sink'] }],
      settings: { delivery: { baseDelayMs: 50, maxDelayMs: 400, maxAttempts: 50, unhealthyAfter: 100 } },
    });
    hub = await startHubProcess({ dataDir: `${dir}/data`, configFile, env: { HERALD_PG_OUTAGE_SECRET: SECRET, HERALD_DATABASE_URL: url } });
    expect(hub.output()).not.toContain(cluster.info.password);

    const accepted: string[] = [];
    const post = async (title: string) => {
      const res = await fetch(`${hub!.ingressUrl}/hooks/ci`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
        body: JSON.stringify({ type: 'pipeline.failed', title }),
      });
      const body = await res.text();
      if (res.status === 202) accepted.push(title);
      return { status: res.status, body };
    };
    for (let i = 0; i < 5; i++) expect((await post(`before ${i}`)).status).toBe(202);
    await waitFor(() => sink.received.length >= 5, 15_000, 'the first five delivered');

    // An open UI has read the status before the database goes.
    expect((await hub.api<{ counts: { events: number } }>('hub.status')).counts.events).toBe(5);
    await cluster.stop('fast');
    const refused = await post('while down');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+|nothing accepts connections at 127\.0\.0\.1:\d+/);
    expect(refused.body).not.toContain(cluster.info.password);
    // A load balancer's health check on the webhook port says so too (the problem reaches the ingress thread as a message).
    const health = async () => {
      const res = await fetch(`${hub!.ingressUrl}/healthz`);
      return { status: res.status, body: await res.text() };
    };
    const down = await waitFor(async () => {
      const answer = await health();
      return answer.status === 503 ? answer : undefined;
    }, 5_000, 'GET /healthz answering 503 while PostgreSQL is down');
    expect(down.body).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+|nothing accepts connections at 127\.0\.0\.1:\d+/);
    expect(down.body).not.toContain(cluster.info.password);
    // The UI's status still answers — it is where the sidebar names the database's problem —
    // with the counts last read; reads that need the database answer 503 with the same line.
    const status = await hub.api<{ database: { ok: boolean; problem?: string }; counts: { events: number } }>('hub.status');
    expect(status.database.ok).toBe(false);
    expect(status.database.problem).toMatch(/nothing accepts connections at 127\.0\.0\.1:\d+/);
    expect(status.counts.events).toBe(5);
    await expect(hub.api('events.list', { limit: 10 })).rejects.toThrow(/^events\.list: HTTP 503: nothing accepts connections at/);

    await cluster.start();
    // The sender retries what was refused: within a few seconds the pool has reconnected.
    await waitFor(async () => (await post('while down')).status === 202 || undefined, 20_000, 'the hub accepting again');
    for (let i = 0; i < 5; i++) expect((await post(`after ${i}`)).status).toBe(202);
    await waitFor(async () => (await health()).status === 200 || undefined, 5_000, 'GET /healthz answering 200 once PostgreSQL is back');
    expect((await hub.api<{ database: { ok: boolean } }>('hub.status')).database).toEqual({ ok: true });

    await waitFor(() => sink.received.length >= accepted.length || undefined, 20_000, 'every accepted event delivered');
    const delivered = sink.received.map((r) => (r.json as { title: string }).title);
    expect(new Set(delivered)).toEqual(new Set(accepted));
    const listed = await hub.api<{ items: Array<{ title: string }> }>('events.list', { limit: 100 });
    expect(listed.items.map((e) => e.title).sort()).toEqual([...accepted].sort());
  });
});

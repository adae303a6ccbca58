// The real headless hub (a child process) on each store engine, end to end: a webhook in →
// a rule → a delivery to a loopback sink → History search finds the event → the api lists
// its delivery, delivered. On PostgreSQL the hub is given the database by
// $HERALD_DATABASE_URL with the password as a secret reference ($HERALD_DATABASE_PASSWORD =
// env:…), on a throwaway real cluster; a wrong password stops it with one line that names
// the problem and never the password. The api answers the same on either engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../helpers/hub-process.js';
import { type Sink, startSink } from '../../helpers/http-sink.js';
import { type PostgresCluster, startPostgresCluster } from '../../helpers/postgres-cluster.js';

const SECRET = 'generic-secret-for-engine-tests';

type Page = { items: Array<{ id: string; title: string }>; total?: number };
type Detail = { event: { id: string; title: string }; deliveries: Array<{ status: string; channelId: string; attempts: number }> };

describe.each(['sqlite', 'postgres'] as const)('the headless hub on %s', (engine) => {
  let pg: PostgresCluster | undefined;
  let sink: Sink;
  let hub: HubProcess;
  let configFile: string;
  /** The database as the hub is given it on PostgreSQL: the URL without its password, the password by reference. */
  let databaseEnv: Record<string, string> = {};

  beforeAll(async () => {
    sink = await startSink();
    if (engine === 'postgres') {
      pg = await startPostgresCluster();
      const url = new URL(await pg.createDatabase());
      url.password = '';
      databaseEnv = { HERALD_DATABASE_URL: url.toString(), HERALD_DATABASE_PASSWORD: 'env:HERALD_TEST_DB_PASSWORD', HERALD_TEST_DB_PASSWORD: pg.info.password };
    }
    configFile = writeConfig(tempDir('herald-engines-config-'), {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI server', secret: 'env:HERALD_TEST_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Loopback sink', url: `${sink.url}/hook`, template: '{"text": "{{title}}", "type": "{{type}}"}' }],
      rules: [{ id: 'failures', name: 'Failures', match: { types: 'pipeline.failed' }, channels: ['sink'] }],
      settings: { delivery: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 5, unhealthyAfter: 3 } },
    });
    hub = await startHubProcess({ configFile, env: { HERALD_TEST_SECRET: SECRET, ...databaseEnv } });
  }, 60_000);

  afterAll(async () => {
    await hub?.kill();
    await sink?.close();
    await pg?.destroy();
  });

  const post = (body: unknown) =>
    fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify(body),
    });

  it('says which engine it runs on, and the database is healthy', async () => {
    expect(hub.output()).toMatch(engine === 'postgres' ? /database: PostgreSQL postgres:\/\/\w+@127\.0\.0\.1:\d+\/\S+/ : /database: SQLite \S+herald\.db/);
    if (pg) expect(hub.output()).not.toContain(pg.info.password);
    const status = await hub.api<{ database: { ok: boolean } }>('hub.status');
    expect(status.database).toEqual({ ok: true });
  });

  it('webhook in → rule → delivered to the sink → History search finds it → the api lists its delivery', async () => {
    const answer = await post({ type: 'pipeline.failed', title: 'Deploy of zephyr-orbit broke', subject: { project: 'acme/api', branch: 'main' } });
    expect(answer.status).toBe(202);
    const [id] = ((await answer.json()) as { ids: string[] }).ids;
    // Not routed: kept in history only.
    expect((await post({ type: 'pipeline.succeeded', title: 'zephyr-orbit is fine again' })).status).toBe(202);

    await waitFor(() => sink.received.length >= 1, 15_000, 'the sink to receive the failure');
    expect(sink.received.map((r) => r.json)).toEqual([{ text: 'Deploy of zephyr-orbit broke', type: 'pipeline.failed' }]);

    // History search: both events mention zephyr-orbit; the word "broke" only the failure.
    const search = await hub.api<Page>('events.list', { text: 'zephyr-orbit broke', limit: 10 });
    expect(search.items.map((e) => e.id)).toEqual([id]);
    expect((await hub.api<Page>('events.list', { text: 'zephyr', limit: 10 })).items).toHaveLength(2);

    // The delivery is recorded after the send: wait for it, bounded.
    const detail = await waitFor<Detail | undefined>(
      async () => {
        const d = await hub.api<Detail>('events.get', { id });
        return d.deliveries[0]?.status === 'delivered' ? d : undefined;
      },
      10_000,
      'the delivery to be recorded as delivered',
    );
    expect(detail.deliveries).toEqual([expect.objectContaining({ channelId: 'sink', status: 'delivered', attempts: 1 })]);
    const listed = await hub.api<Array<{ eventId: string; status: string }>>('deliveries.list', { limit: 10 });
    expect(listed).toEqual([expect.objectContaining({ eventId: id, status: 'delivered' })]);
    const status = await hub.api<{ counts: { events: number; pendingDeliveries: number; failedDeliveries: number } }>('hub.status');
    expect(status.counts).toMatchObject({ events: 2, pendingDeliveries: 0, failedDeliveries: 0 });
    expect(sink.received).toHaveLength(1);
  });

  it.runIf(engine === 'postgres')('a wrong database password stops the hub with one line naming the problem, never the password', async () => {
    const wrong = 'not-the-password-9f3k';
    const start = startHubProcess({ configFile, env: { HERALD_TEST_SECRET: SECRET, ...databaseEnv, HERALD_TEST_DB_PASSWORD: wrong }, timeoutMs: 20_000 });
    const error = await start.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/hub exited with 1/);
    const lines = error!.message.split('\n').filter((l) => l.startsWith('herald: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/refused the password for user/);
    expect(error!.message).not.toContain(wrong);
    expect(error!.message).not.toContain(pg!.info.password);
  });
});

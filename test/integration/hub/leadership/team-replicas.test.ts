// Two real hub processes (dist/electron/headless.js) sharing one real PostgreSQL database, a
// team deployment: events posted to both are all delivered when one replica is SIGKILLed
// while its sends are open (repeats only of what was in flight then); a polled source is
// polled by one replica at a time, never twice in one interval, and by the other within
// 30 s of the first one's death; the killed replica restarts and takes part again; a config
// change through one replica's api is seen by the other's api and pushed to its update stream,
// and so are events stored and mutes made through the other (its open UIs reload).
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHoldingSink, type HoldingSink, tcpPortsOf } from '../../../helpers/holding-sink.js';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';
import { type PostgresCluster, sharedPostgresCluster } from '../../../helpers/postgres-cluster.js';

const SECRET = 'team-replicas-secret-0123456789';
const POLL_INTERVAL_S = 10;
/** Each send is held this long by the sink: a kill lands while sends are open. */
const HOLD_MS = 1_500;
/** The PostgreSQL outbox's claim lease in these replicas (a dead replica's claims are taken again after it). */
const DELIVERY_LEASE_MS = 5_000;

/** A cctray feed that counts GETs (a CI server's API being polled). */
async function startCountingFeed(): Promise<{ url: string; polls: number[]; close(): Promise<void> }> {
  const polls: number[] = [];
  const xml = `<?xml version="1.0"?><Projects><Project name="api :: build" activity="Sleeping" lastBuildStatus="Success" lastBuildLabel="7" lastBuildTime="2026-12-01T10:00:00Z" webUrl="http://ci.example/api/7"/></Projects>`;
  const server: Server = createServer((_req, res) => {
    polls.push(Date.now());
    res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/cctray.xml`,
    polls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The api's update stream (server-sent events) of one replica, collected. */
async function followUpdates(hub: HubProcess): Promise<{ updates: Array<{ type: string; what?: string }>; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(`${hub.apiUrl}/api/updates`, { headers: { authorization: `Bearer ${hub.token}` }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`update stream: HTTP ${res.status}`);
  const updates: Array<{ type: string; what?: string }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (data) updates.push(JSON.parse(data) as { type: string; what?: string });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { updates, close: () => controller.abort() };
}

async function post(hub: HubProcess, title: string): Promise<void> {
  const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
    body: JSON.stringify({ type: 'pipeline.failed', severity: 'critical', title }),
  });
  if (res.status >= 300) throw new Error(`POST to ${hub.ingressUrl}: HTTP ${res.status} ${await res.text()}`);
}

describe('a team hub: two replicas on one PostgreSQL database', () => {
  let cluster: PostgresCluster;
  let release: () => Promise<void>;
  let sink: HoldingSink;
  let feed: Awaited<ReturnType<typeof startCountingFeed>>;
  let databaseUrl: string;
  const dirs = { a: tempDir('herald-team-a-'), b: tempDir('herald-team-b-') };
  let a: HubProcess | undefined;
  let b: HubProcess | undefined;
  let killedAt = 0;

  const env = (replica: string) => ({
    HERALD_DATABASE_URL: databaseUrl,
    HERALD_REPLICA_ID: replica,
    HERALD_DELIVERY_LEASE_MS: String(DELIVERY_LEASE_MS),
    TEAM_SECRET: SECRET,
  });
  const startA = (configFile?: string) => startHubProcess({ dataDir: dirs.a, env: env('replica-a'), ...(configFile && { configFile }), timeoutMs: 30_000 });
  const startB = () => startHubProcess({ dataDir: dirs.b, env: env('replica-b'), timeoutMs: 30_000 });

  beforeAll(async () => {
    ({ cluster, release } = await sharedPostgresCluster());
    databaseUrl = await cluster.createDatabase();
    sink = await startHoldingSink(HOLD_MS);
    feed = await startCountingFeed();
    // Only replica A is given the config: it seeds the database; B reads it from there.
    const configFile = writeConfig(dirs.a, {
      sources: [
        { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:TEAM_SECRET' },
        { id: 'feed', kind: 'cctray', name: 'Feed', url: feed.url, pollIntervalSeconds: POLL_INTERVAL_S },
      ],
      channels: [{ id: 'hook', kind: 'webhook', name: 'Hook', url: sink.url, concurrency: 4 }],
      rules: [{ id: 'all', name: 'Everything', channels: ['hook'], match: { sources: ['ci'] } }],
    });
    a = await startA(configFile);
    b = await startB();
  }, 120_000);

  afterAll(async () => {
    await a?.kill('SIGKILL');
    await b?.kill('SIGKILL');
    await sink?.close();
    await feed?.close();
    await release?.();
  });

  it('B runs on A\'s config from the database, and both name who holds which lease', async () => {
    const sources = await b!.api<Array<{ config: { id: string } }>>('sources.list');
    expect(sources.map((s) => s.config.id).sort()).toEqual(['ci', 'feed']);
    type Status = { replica: { id: string; engine: string; leases: Array<{ name: string; holder: string | null }> } };
    const status = await waitFor(async () => {
      const s = await b!.api<Status>('hub.status');
      return s.replica.leases.find((l) => l.name === 'poll:feed' && l.holder) ? s : undefined;
    }, 20_000, 'the feed\'s lease to be held');
    expect(status.replica).toMatchObject({ id: 'replica-b', engine: 'lease-table' });
    expect(['replica-a', 'replica-b']).toContain(status.replica.leases.find((l) => l.name === 'poll:feed')!.holder);
  });

  it('a config change through A is seen by B\'s api and pushed to B\'s update stream', async () => {
    const stream = await followUpdates(b!);
    try {
      await a!.api('settings.update', { settings: { retention: { maxAgeDays: 12, maxEvents: 50_000 } } });
      await waitFor(() => stream.updates.some((u) => u.type === 'config.changed' && u.what === 'settings'), 10_000, 'B\'s stream to push the change');
      const settings = await b!.api<{ retention: { maxAgeDays: number } }>('settings.get');
      expect(settings.retention.maxAgeDays).toBe(12);
    } finally {
      stream.close();
    }
  });

  it('what A stores or mutes reaches B\'s open UIs: B\'s update stream says to reload the history, the counts, the board and the mutes', async () => {
    const stream = await followUpdates(b!);
    try {
      const before = (await b!.api<{ counts: { events: number } }>('hub.status')).counts.events;
      await post(a!, 'stored through A');
      await waitFor(() => ['events.changed', 'health.changed', 'board.changed'].every((type) => stream.updates.some((u) => u.type === type)), 10_000, 'B\'s stream to say the history and the board changed');
      expect((await b!.api<{ counts: { events: number } }>('hub.status')).counts.events).toBe(before + 1);
      // B's own views would have heard nothing of A's event or of a mute made on A.
      expect(stream.updates.some((u) => u.type === 'mutes.changed')).toBe(false);
      await a!.api('mutes.add', { pipeline: { sourceId: 'ci', project: 'acme', pipeline: 'build', branch: 'main' }, minutes: 60 });
      await waitFor(() => stream.updates.some((u) => u.type === 'mutes.changed'), 10_000, 'B\'s stream to say the mutes changed');
      expect((await b!.api<{ items: unknown[] }>('mutes.list')).items).toHaveLength(1);
    } finally {
      stream.close();
    }
  });

  it('every accepted event is delivered when A is SIGKILLed mid-send; repeats only of sends A made under a claim still leased when it died', async () => {
    const titles = Array.from({ length: 40 }, (_, i) => `team event ${i % 2 === 0 ? 'A' : 'B'}-${i}`);
    await Promise.all(titles.map((title, i) => post(i % 2 === 0 ? a! : b!, title)));
    // Kill A while the sink holds requests A sent.
    const aPorts = () => tcpPortsOf(a!.child.pid!);
    const inFlightFromA = await waitFor(() => {
      const ports = aPorts();
      const open = sink.open().filter((request) => ports.has(request.peerPort));
      return open.length > 0 ? open : undefined;
    }, 20_000, 'A to have sends open');
    await a!.kill('SIGKILL');
    killedAt = Date.now();
    a = undefined;
    expect(inFlightFromA.length).toBeGreaterThan(0);

    // B delivers the rest, and A's claims once their lease has run out.
    await waitFor(() => titles.every((t) => sink.count(t) >= 1), 60_000 + DELIVERY_LEASE_MS, 'every event delivered');
    // A repeat is a send A made (or was making) under a claim still leased when it died, sent again after the lease.
    const repeated = titles.filter((t) => sink.count(t) > 1);
    for (const title of repeated) {
      const [first, ...again] = sink.acceptedAt(title);
      expect(first!, `${title}: first delivered within a lease of the kill`).toBeGreaterThanOrEqual(killedAt - DELIVERY_LEASE_MS - HOLD_MS);
      for (const at of again) expect(at, `${title}: repeated after the kill`).toBeGreaterThan(killedAt);
    }
  }, 120_000);

  it('the feed is polled by one replica at a time, never twice in one interval, and by B within 30 s of A\'s death', async () => {
    // A was killed in the test before: whoever polled before, B polls within 30 s of the kill.
    expect(killedAt).toBeGreaterThan(0);
    const firstAfterKill = await waitFor(() => feed.polls.find((at) => at > killedAt), Math.max(1_000, killedAt + 30_000 - Date.now()), 'B to poll the feed');
    expect(firstAfterKill - killedAt).toBeLessThan(30_000);
    const status = await b!.api<{ replica: { leases: Array<{ name: string; holder: string | null }> } }>('hub.status');
    expect(status.replica.leases.find((l) => l.name === 'poll:feed')?.holder).toBe('replica-b');
    // ±10 % jitter: consecutive polls at least 0.9 intervals apart, whichever replica polled.
    const gaps = feed.polls.slice(1).map((at, i) => at - feed.polls[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(POLL_INTERVAL_S * 1000 * 0.9 - 250);
  }, 90_000);

  it('the killed replica restarts and takes part again: it takes the feed over when B stops', async () => {
    a = await startA();
    await post(a, 'team event after restart');
    await waitFor(() => sink.count('team event after restart') >= 1, 30_000, 'the event posted to the restarted A to be delivered');
    const stoppedAt = Date.now();
    await b!.kill('SIGTERM');
    b = undefined;
    await waitFor(async () => {
      const s = await a!.api<{ replica: { leases: Array<{ name: string; holder: string | null }> } }>('hub.status');
      return s.replica.leases.find((l) => l.name === 'poll:feed')?.holder === 'replica-a';
    }, 30_000, 'A to hold the feed\'s lease');
    const pollsAfter = feed.polls.length;
    await waitFor(() => feed.polls.length > pollsAfter, POLL_INTERVAL_S * 1000 * 1.2 + 5_000, 'A to poll the feed');
    expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    const gaps = feed.polls.slice(1).map((at, i) => at - feed.polls[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(POLL_INTERVAL_S * 1000 * 0.9 - 250);
  }, 90_000);
});

// What only the PostgreSQL engine has to get right, on a real cluster: several replicas on one
// database (claims never overlap, a dead replica's claims come back after its lease, kept on
// the database's clock whatever the replicas' clocks say, a redelivery or a throttled key
// counted once across replicas, NOTIFY wakes the others),
// migrations (run once when replicas start together, a newer schema refused), and bad input:
// a wrong URL, password, database or port, and PostgreSQL going away and coming back.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuleOutcome } from '../../../../../shared/api.js';
import { RuleSchema } from '../../../../../shared/config.js';
import { routeEvent } from '../../../../../shared/rules.js';
import { type EngineRouter, StoreUnavailable } from '../../../../../electron/hub/store/engine.js';
import type { IngestItem } from '../../../../../electron/hub/store/ingest-transaction.js';
import { openPostgresEngine, type PostgresEngine } from '../../../../../electron/hub/store/postgres/engine.js';
import { PG_SCHEMA_VERSION } from '../../../../../electron/hub/store/postgres/migrations.js';
import { lockName } from '../../../../../electron/hub/store/postgres/sql.js';
import { type PostgresCluster, startPostgresCluster } from '../../../../helpers/postgres-cluster.js';

let cluster: PostgresCluster;
const opened: PostgresEngine[] = [];
const open = async (url: string, options: Parameters<typeof openPostgresEngine>[1] = {}) => {
  const engine = await openPostgresEngine(url, { connectTimeoutMs: 3_000, ...options });
  opened.push(engine);
  return engine;
};
beforeAll(async () => {
  cluster = await startPostgresCluster();
});
afterAll(async () => {
  for (const engine of opened) await engine.close().catch(() => {});
  await cluster?.destroy();
});

const source = { kind: 'generic', id: 'ci', name: 'CI' };
const T0 = Date.parse('2026-02-01T10:00:00Z');
const routedTo =
  (channels: string[]): EngineRouter =>
  () => [{ ruleId: 'r', ruleName: 'R', outcome: 'routed', channels, heldBack: [], reason: 't' } satisfies RuleOutcome];
const events = (n: number, prefix = 'e'): IngestItem[] => Array.from({ length: n }, (_, i) => ({ source, inputs: [{ type: 'pipeline.failed', title: `${prefix}${i}` }] }));
/** Resolves on the next call of the listener onDeliveriesDue registers (or rejects after `ms`). */
const nextDue = (engine: PostgresEngine, ms = 5_000) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no deliveries-due signal within ${ms} ms`))), ms);
    const off = engine.onDeliveriesDue(() => (clearTimeout(timer), off(), resolve()));
  });

describe('two replicas on one database', () => {
  let a: PostgresEngine;
  let b: PostgresEngine;
  beforeAll(async () => {
    const url = await cluster.createDatabase();
    // Started together on an empty database: the migration runs once, under its lock.
    [a, b] = await Promise.all([open(url, { replica: 'replica-a', leaseMs: 2_000 }), open(url, { replica: 'replica-b', leaseMs: 2_000 })]);
  });

  it('migrated once', async () => {
    const { rows } = await a.query<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: PG_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('a delivery committed by one replica wakes the other (LISTEN/NOTIFY), not the committer twice', async () => {
    const woken = nextDue(b);
    let ownSignals = 0;
    const off = a.onDeliveriesDue(() => ownSignals++);
    await a.ingest(events(1, 'wake'), { router: routedTo(['hook']), now: new Date(T0) });
    await woken;
    off();
    expect(ownSignals).toBe(1);
  });

  it('claims at once never overlap (FOR UPDATE SKIP LOCKED), and together they take everything due', async () => {
    await a.ingest(events(60, 'claim'), { router: routedTo(['sink']), now: new Date(T0) });
    const claim = (engine: PostgresEngine) => engine.deliveryTick({ now: T0 + 1, record: [], health: [], claim: [['sink', 25]] });
    const results = await Promise.all([claim(a), claim(b), claim(a), claim(b)]);
    const ids = results.flatMap((r) => r.claimed.map((c) => c.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
    const rows = await a.query<{ claimed_by: string; n: number }>(`SELECT claimed_by, count(*)::int AS n FROM deliveries WHERE channel_id = 'sink' AND status = 'sending' GROUP BY claimed_by ORDER BY claimed_by`);
    expect(rows.rows.reduce((n, r) => n + r.n, 0)).toBe(60);
    // Each replica settles its own; a result for a row the other holds changes nothing.
    const mineA = results.filter((_, i) => i % 2 === 0).flatMap((r) => r.claimed);
    const mineB = results.filter((_, i) => i % 2 === 1).flatMap((r) => r.claimed);
    await b.deliveryTick({ now: T0 + 2, record: mineA.map((c) => ({ id: c.id, result: 'failed' as const, error: 'not mine' })), health: [], claim: [] });
    expect((await a.outbox.counts()).failed).toBe(0);
    await a.deliveryTick({ now: T0 + 2, record: mineA.map((c) => ({ id: c.id, result: 'delivered' as const })), health: [], claim: [] });
    await b.deliveryTick({ now: T0 + 2, record: mineB.map((c) => ({ id: c.id, result: 'delivered' as const })), health: [], claim: [] });
    expect(await a.outbox.channelCounts('sink')).toEqual({ pending: 0, failed: 0 });
  });

  it("a replica that dies mid-send: its claims are claimed again once the lease passes on the database's clock, and its late result is ignored", async () => {
    const [outcome] = await a.ingest(events(1, 'lease'), { router: routedTo(['lease']), now: new Date(T0) });
    expect(outcome).toMatchObject({ deliveries: 1 });
    const claim = [['lease', 5]] as const;
    const tickAt = Date.now();
    const first = await a.deliveryTick({ now: tickAt, record: [], health: [], claim: [...claim] });
    expect(first.claimed).toHaveLength(1);
    const claimed = first.claimed[0]!;
    // What a renews by, on a's clock.
    expect(claimed.leaseUntil).toBe(tickAt + 2_000);
    // Within the lease b gets nothing — even with its clock a minute ahead: a replica's clock
    // says nothing of another's lease (with replica clocks, b took the live claim: a second send).
    const minuteAhead = () => Date.now() + 60_000;
    expect((await b.deliveryTick({ now: minuteAhead(), record: [], health: [], claim: [...claim] })).claimed).toEqual([]);
    // b looks again when the lease ends, on b's clock.
    const due = (await b.outbox.nextDue('lease'))!;
    expect(due).toBeGreaterThan(Date.now());
    expect(due).toBeLessThanOrEqual(Date.now() + 2_000);
    const dueAhead = (await b.outbox.nextDue('lease', minuteAhead()))!;
    expect(Math.abs(dueAhead - due - 60_000)).toBeLessThan(1_000);
    // a renews while its send is slow: still a's.
    const beforeRenewal = Date.now();
    await a.outbox.renewLeases([claimed.id], beforeRenewal);
    expect((await b.deliveryTick({ now: minuteAhead(), record: [], health: [], claim: [...claim] })).claimed).toEqual([]);
    // a stops renewing (killed): once the renewed lease has passed, b claims it, as the second attempt.
    let second: Awaited<ReturnType<typeof b.deliveryTick>>['claimed'] = [];
    for (const deadline = Date.now() + 10_000; second.length === 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 100));
      second = (await b.deliveryTick({ now: Date.now(), record: [], health: [], claim: [...claim] })).claimed;
    }
    expect(Date.now() - beforeRenewal).toBeGreaterThanOrEqual(2_000);
    expect(second.map((c) => [c.id, c.attempt])).toEqual([[claimed.id, 2]]);
    await a.deliveryTick({ now: Date.now(), record: [{ id: claimed.id, result: 'failed', error: 'late result of a dead send' }], health: [], claim: [] });
    expect(await b.outbox.get(claimed.id)).toMatchObject({ status: 'sending', attempts: 2 });
    await b.deliveryTick({ now: Date.now(), record: [{ id: claimed.id, result: 'delivered' }], health: [], claim: [] });
    expect(await a.outbox.get(claimed.id)).toMatchObject({ status: 'delivered', attempts: 2, lastError: null });
  });

  it('the same webhook delivery posted to both replicas at once is stored once', async () => {
    const item = (title: string): IngestItem => ({ source, deliveryId: 'X-GitHub-Delivery-42', inputs: [{ type: 'pipeline.failed', title }] });
    for (let round = 0; round < 5; round++) {
      const itemFor = (engine: string) => ({ ...item(`${engine}${round}`), deliveryId: `race-${round}` });
      const outcomes = (await Promise.all([a.ingest([itemFor('a')], { router: routedTo(['hook']) }), b.ingest([itemFor('b')], { router: routedTo(['hook']) })])).flat();
      expect(outcomes.map((o) => o.status).sort()).toEqual(['accepted', 'duplicate']);
    }
  });

  it('throttle memory is shared: the same key routed by both replicas at once notifies once', async () => {
    const rules = [RuleSchema.parse({ id: 'thr', name: 'Throttled', channels: ['slack'], throttle: { windowSeconds: 600 } })];
    const router: EngineRouter = (event, lookups) =>
      routeEvent(event, rules, { now: new Date(event.receivedAt), lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k), channelKinds: new Map([['slack', 'slack']]), settings: {} });
    for (let round = 0; round < 5; round++) {
      const item: IngestItem = { source, inputs: [{ type: 'pipeline.failed', title: 'flapping', dedupKey: `flap-${round}` }] };
      const outcomes = (await Promise.all([a.ingest([item], { router, now: new Date(T0) }), b.ingest([item], { router, now: new Date(T0) })])).flat();
      expect(outcomes.map((o) => (o.status === 'accepted' ? o.deliveries : -1)).sort()).toEqual([0, 1]);
    }
  });

  it('a digest window closed by both replicas at once is sent once', async () => {
    const rules = [RuleSchema.parse({ id: 'dig', name: 'Digest', channels: ['mail'], digest: { windowSeconds: 60 } })];
    const router: EngineRouter = (event, lookups) =>
      routeEvent(event, rules, { now: new Date(event.receivedAt), lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k), channelKinds: new Map([['mail', 'email']]), settings: {} });
    await Promise.all([a.ingest(events(3, 'da'), { router, now: new Date(T0) }), b.ingest(events(3, 'db'), { router, now: new Date(T0 + 1) })]);
    // One window for the rule, though two replicas opened it at once.
    const [window, ...others] = await a.digests.due(T0 + 61_000);
    expect(others).toEqual([]);
    expect(await b.digests.waiting('dig')).toBe(6);
    const { buildDigestEvent, digestReason } = await import('../../../../../electron/hub/delivery/digests.js');
    const build = (w: typeof window & object, evs: Parameters<typeof buildDigestEvent>[1], channels: string[]) => ({ event: buildDigestEvent(w, evs, T0 + 62_000), reason: digestReason(w, evs.length, channels) });
    const closed = await Promise.all([a.closeDigest(window!, build, { now: T0 + 62_000 }), b.closeDigest(window!, build, { now: T0 + 62_000 })]);
    expect(closed.filter(Boolean)).toHaveLength(1);
    expect(closed.find(Boolean)).toMatchObject({ covered: 6, channels: ['mail'] });
  });

  it('a storm group sent by both replicas at once goes once, and stays open for its next interval', async () => {
    const rules = [RuleSchema.parse({ id: 'grp', name: 'Groups', channels: ['hook'], group: { by: ['project'], waitSeconds: 10, intervalSeconds: 300 } })];
    const router: EngineRouter = (event, lookups) =>
      routeEvent(event, rules, { now: new Date(event.receivedAt), lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k), channelKinds: new Map([['hook', 'webhook']]), settings: {} });
    const item = (i: number): IngestItem => ({ source, inputs: [{ type: 'pipeline.failed', title: `g${i}`, subject: { project: 'storm' } }] });
    await Promise.all([a.ingest([item(1)], { router, now: new Date(T0) }), b.ingest([item(2)], { router, now: new Date(T0) })]);
    const [group, ...others] = await a.groups.due(T0 + 10_000);
    expect(others).toEqual([]);
    const { buildGroupEvent } = await import('../../../../../electron/hub/rules/storm-group-sender.js');
    const make = (g: typeof group & object, evs: Parameters<typeof buildGroupEvent>[1]) => ({ event: buildGroupEvent(g, evs, T0 + 10_000), reason: 'due' });
    const sent = await Promise.all([a.sendGroup(group!, make, { now: T0 + 10_000 }), b.sendGroup(group!, make, { now: T0 + 10_000 })]);
    expect(sent.filter(Boolean)).toHaveLength(1);
    expect(sent.find(Boolean)).toMatchObject({ covered: 2 });
    expect(await b.groups.open('grp')).toMatchObject([{ messages: 1, dueAt: T0 + 310_000 }]);
  });

  it('the board moves one event after the other when both replicas ingest the same pipeline', async () => {
    const subject = { project: 'acme/api', pipeline: 'ci', branch: 'main' };
    // One occurredAt: the order the two replicas commit in does not matter to the streak.
    const fail = (i: number): IngestItem => ({ source, inputs: [{ type: 'pipeline.failed', title: `red ${i}`, subject, occurredAt: new Date(T0).toISOString() }] });
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).ingest([fail(i)], { router: routedTo([]) })));
    const [item] = await a.board.list({ project: 'acme/api' }, new Date(T0));
    expect(item).toMatchObject({ state: 'failing', streak: 10 });
  });
});

describe('a replica restarted under the same id', () => {
  it('sends what it had in flight when it died at once: not after its lease, and not only when the next event comes', async () => {
    const url = await cluster.createDatabase();
    // A container restarted keeps its hostname and pid 1: the default id (hostname:pid) is the same again.
    const before = await open(url, { replica: 'host:1', leaseMs: 60_000 });
    await before.ingest(events(3, 'crash'), { router: routedTo(['hook']), now: new Date() });
    const claimed = await before.deliveryTick({ now: Date.now(), record: [], health: [], claim: [['hook', 3]] });
    expect(claimed.claimed).toHaveLength(3);
    // kill -9: no result recorded; the rows stay 'sending' under its name, leased for a minute.
    await before.close();
    const after = await open(url, { replica: 'host:1', leaseMs: 60_000 });
    // What the hub does once the lease table found no other process under this id.
    expect(await after.outbox.releaseOwnClaims(Date.now())).toBe(3);
    const now = Date.now();
    expect(await after.outbox.nextDue('hook')).toBeLessThanOrEqual(now);
    const again = await after.deliveryTick({ now, record: [], health: [], claim: [['hook', 5]] });
    expect(again.claimed.map((c) => [c.id, c.attempt])).toEqual(claimed.claimed.map((c) => [c.id, 2]));
    // Another replica's claims are its own: a replica starting leaves them to their lease.
    const other = await open(url, { replica: 'host:2', leaseMs: 60_000 });
    expect(await other.outbox.releaseOwnClaims(Date.now())).toBe(0);
    expect(await other.outbox.counts()).toEqual({ pending: 3, failed: 0 });
    expect((await other.deliveryTick({ now: Date.now(), record: [], health: [], claim: [['hook', 5]] })).claimed).toEqual([]);
  });
});

describe('two replicas counting one pipeline\'s streak', () => {
  it('failures of one pipeline ingested by both replicas at once are counted one after the other: each streak number once', async () => {
    const url = await cluster.createDatabase();
    const [a, b] = await Promise.all([open(url, { replica: 'streak-a' }), open(url, { replica: 'streak-b' })]);
    const { enrichWithStreaks } = await import('../../../../../electron/hub/sources/streak-enricher.js');
    const subject = { project: 'acme', pipeline: 'build', branch: 'main' };
    const fail = (i: number): IngestItem => ({ source, inputs: [{ type: 'pipeline.failed', title: `red ${i}`, subject }] });
    const outcomes = (await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).ingest([fail(i)], { router: routedTo([]), enrich: enrichWithStreaks })))).flat();
    const streaks = outcomes.flatMap((o) => (o.status === 'accepted' ? o.events.map((e) => (e.data as { failureStreak?: number }).failureStreak) : []));
    expect(streaks.sort((x, y) => x! - y!)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});

describe('migrations', () => {
  it('a database of a newer schema version is refused, naming both versions', async () => {
    const url = await cluster.createDatabase();
    await (await open(url)).close();
    const db = new URL(url).pathname.slice(1);
    await cluster.query(`INSERT INTO schema_version (version, applied_at) VALUES (${PG_SCHEMA_VERSION + 3}, 0)`, [], db);
    await expect(openPostgresEngine(url)).rejects.toThrow(
      new RegExp(`schema version ${PG_SCHEMA_VERSION + 3} is newer than this Herald understands \\(${PG_SCHEMA_VERSION}\\)`),
    );
  });

  it('reopening a migrated database changes nothing and keeps the data', async () => {
    const url = await cluster.createDatabase();
    const first = await open(url);
    await first.ingest(events(3), { router: routedTo([]) });
    await first.close();
    const again = await open(url);
    expect((await again.events.counts()).events).toBe(3);
    const { rows } = await again.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_version');
    expect(rows[0]!.n).toBe(PG_SCHEMA_VERSION);
  });
});

describe('bad input: a clear error naming the problem, never the password', () => {
  const secret = 'hunter2-Secret';
  it.each<[string, () => string, RegExp]>([
    ['not a URL', () => 'localhost:5432/herald', /database URL: (not a URL|scheme "localhost" is not postgres)/],
    // The example shows no password: it goes in a secret reference (--database-password).
    ['another scheme', () => `mysql://u:${secret}@127.0.0.1/db`, /scheme "mysql" is not postgres; expected postgres:\/\/USER@HOST:5432\/DATABASE$/],
    ['no database name', () => `postgres://u:${secret}@127.0.0.1:5432`, /no database name/],
    ['a wrong password', () => cluster.url('postgres', { password: secret }), /refused the password for user "herald_test"/],
    ['an unknown user', () => cluster.url('postgres', { user: 'nobody', password: secret }), /refused the password for user "nobody"/],
    ['a database that does not exist', () => cluster.url('no_such_db'), /has no database "no_such_db"/],
    ['nothing listening on the port', () => `postgres://u:${secret}@127.0.0.1:1/db`, /nothing accepts connections at 127\.0\.0\.1:1/],
    ['an unknown host', () => `postgres://u:${secret}@no-such-host.invalid:5432/db`, /database host "no-such-host.invalid" not found/],
  ])('%s', async (_name, url, expected) => {
    const error = (await openPostgresEngine(url(), { connectTimeoutMs: 3_000 }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(expected);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(cluster.info.password);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('the password may come apart from the URL (a resolved secret reference)', async () => {
    const url = await cluster.createDatabase();
    const bare = new URL(url);
    bare.password = '';
    await expect(openPostgresEngine(bare.toString(), { password: 'wrong' })).rejects.toThrow(/refused the password/);
    const engine = await open(bare.toString(), { password: cluster.info.password });
    expect(engine.location).toBe(bare.toString());
    expect(engine.location).not.toContain(cluster.info.password);
  });
});

describe('PostgreSQL going away and coming back', () => {
  it('ingest refuses while it is down (StoreUnavailable, the problem told), nothing acknowledged is lost, the pool reconnects', async () => {
    const url = await cluster.createDatabase();
    const engine = await open(url, { connectTimeoutMs: 2_000 });
    const problems: Array<string | undefined> = [];
    engine.onProblem((p) => problems.push(p));
    const acknowledged: string[] = [];
    const accept = async (title: string) => {
      const [o] = await engine.ingest([{ source, deliveryId: title, inputs: [{ type: 'pipeline.failed', title }] }], { router: routedTo(['hook']) });
      if (o?.status === 'accepted') acknowledged.push(title);
    };
    for (let i = 0; i < 5; i++) await accept(`before-${i}`);

    await cluster.stop('fast');
    const refused = await accept('during').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(refused).toBeInstanceOf(StoreUnavailable);
    expect(refused!.message).toMatch(/^(nothing accepts connections at 127\.0\.0\.1:\d+|PostgreSQL at 127\.0\.0\.1:\d+ (closed the connection|is shutting down))/);
    expect(refused!.message).not.toContain(cluster.info.password);
    expect(engine.problem).toBe(refused!.message);
    await expect(engine.events.counts()).rejects.toBeInstanceOf(StoreUnavailable);

    const woken = nextDue(engine, 15_000);
    const cleared = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the problem was not cleared within 15 s of the restart')), 15_000);
      const off = engine.onProblem((p) => p === undefined && (clearTimeout(timer), off(), resolve()));
    });
    await cluster.start();
    // Back: told without waiting for a request (the LISTEN connection came back).
    await cleared;
    // The sender retries what was refused; the pool opens new connections on demand.
    await accept('during');
    for (let i = 0; i < 5; i++) await accept(`after-${i}`);
    expect(engine.problem).toBeUndefined();
    expect(problems.at(-1)).toBeUndefined();
    expect(problems.some((p) => p !== undefined)).toBe(true);
    const stored = (await engine.events.list({ limit: 100 })).items.map((e) => e.title).sort();
    expect(stored).toEqual([...acknowledged].sort());
    expect(stored).toHaveLength(11);
    // The LISTEN connection came back too: it looked for due deliveries once listening again.
    await woken;
  });

  it('a server killed mid-transaction: the ingest fails, nothing of it is stored, and the next one works', async () => {
    const url = await cluster.createDatabase();
    const engine = await open(url, { connectTimeoutMs: 2_000 });
    const rules = [RuleSchema.parse({ id: 'thr', name: 'Throttled', channels: ['slack'], throttle: { windowSeconds: 600 } })];
    const router: EngineRouter = (event, lookups) =>
      routeEvent(event, rules, { now: new Date(event.receivedAt), lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k), channelKinds: new Map([['slack', 'slack']]), settings: {} });
    // Another session holds the throttle key's lock: the ingest's transaction waits inside, half done.
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => {});
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockName('throttle', 'thr', 'held-key')]);
    const blocked = engine.ingest([{ source, deliveryId: 'half', inputs: [{ type: 'pipeline.failed', title: 'half', dedupKey: 'held-key' }] }], { router }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const deadline = Date.now() + 10_000;
    while ((await cluster.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0]!.n === 0) {
      if (Date.now() > deadline) throw new Error('the ingest never waited for the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    await cluster.kill();
    expect(await blocked).toBeInstanceOf(StoreUnavailable);
    await cluster.start();
    // Nothing of it was stored: not the event, not its delivery id (the sender's retry is accepted).
    const [retried] = await engine.ingest([{ source, deliveryId: 'half', inputs: [{ type: 'pipeline.failed', title: 'half', dedupKey: 'held-key' }] }], { router });
    expect(retried).toMatchObject({ status: 'accepted', deliveries: 1 });
    expect((await engine.events.list({ limit: 10 })).items.map((e) => e.title)).toEqual(['half']);
  });

  it('every wait is bounded: a statement longer than the statement timeout fails with a message', async () => {
    const url = await cluster.createDatabase();
    const engine = await open(url, { statementTimeoutMs: 300 });
    await expect(engine.query('SELECT pg_sleep(3)')).rejects.toThrow(/statement timeout/);
  });

  it('every connection busy is told as such, not as the database gone', async () => {
    const url = await cluster.createDatabase();
    const engine = await open(url, { maxConnections: 1, connectTimeoutMs: 300 });
    const slow = engine.query('SELECT pg_sleep(1.5)');
    const error = await engine.events.counts().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(StoreUnavailable);
    expect(error!.message).toMatch(/all 1 connections to PostgreSQL at 127\.0\.0\.1:\d+ stayed busy for 0\.3 s/);
    expect(engine.problem).toBeUndefined();
    await slow;
    expect((await engine.events.counts()).events).toBe(0);
  });

  it('every wait is bounded: an ingest waiting for a lock another session holds gives up after the lock timeout, storing nothing', async () => {
    const url = await cluster.createDatabase();
    const engine = await open(url, { lockTimeoutMs: 300 });
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => {});
    await holder.connect();
    const rules = [RuleSchema.parse({ id: 'thr', name: 'Throttled', channels: ['slack'], throttle: { windowSeconds: 600 } })];
    const router: EngineRouter = (event, lookups) =>
      routeEvent(event, rules, { now: new Date(event.receivedAt), lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k), channelKinds: new Map([['slack', 'slack']]), settings: {} });
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockName('throttle', 'thr', 'stuck')]);
    const started = Date.now();
    await expect(engine.ingest([{ source, inputs: [{ type: 'pipeline.failed', title: 'stuck', dedupKey: 'stuck' }] }], { router })).rejects.toThrow(/lock timeout/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await engine.events.counts()).events).toBe(0);
    await holder.end();
    expect(await engine.ingest([{ source, inputs: [{ type: 'pipeline.failed', title: 'free', dedupKey: 'stuck' }] }], { router })).toMatchObject([{ status: 'accepted', deliveries: 1 }]);
  });
});

describe('a full disk at the server', () => {
  it("says so as the store's problem while events cannot be stored, and not after the next one is", async () => {
    const url = await cluster.createDatabase();
    const engine = await open(url);
    const problems: Array<string | undefined> = [];
    engine.onProblem((p) => problems.push(p));
    // PostgreSQL's own error for a table it cannot extend (disk_full, 53100), raised as the
    // server raises it, by a trigger we switch (a real full disk needs a mount).
    await engine.query(`CREATE TABLE test_disk (full_now boolean NOT NULL); INSERT INTO test_disk VALUES (true);
      CREATE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF (SELECT full_now FROM test_disk) THEN RAISE EXCEPTION 'could not extend file "base/1/2": No space left on device' USING ERRCODE = '53100'; END IF;
        RETURN NEW; END $$;
      CREATE TRIGGER test_disk_full BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_disk_full();`);
    const ingest = (title: string) => engine.ingest([{ source, inputs: [{ type: 'pipeline.failed', title }] }], { router: routedTo(['hook']) });
    await expect(ingest('refused')).rejects.toThrow(/No space left on device/);
    expect(engine.problem).toMatch(/^PostgreSQL at 127\.0\.0\.1:\d+ has no disk space left \(could not extend file .*\): events are refused/);
    expect(problems).toEqual([engine.problem]);
    // A read works on a full disk: the problem stays (it is about storing events).
    expect(await engine.events.counts()).toEqual({ events: 0, unread: 0 });
    await expect(ingest('refused again')).rejects.toThrow(/No space left on device/);
    expect(problems).toHaveLength(1);
    await engine.query('UPDATE test_disk SET full_now = false');
    expect(await ingest('stored')).toMatchObject([{ status: 'accepted' }]);
    expect(engine.problem).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/no disk space left/), undefined]);
    expect((await engine.events.counts()).events).toBe(1);
  });
});

describe('a unix socket URL', () => {
  it('connects through the socket directory named by ?host=, and names it in the location without the password', async () => {
    const url = new URL(await cluster.createDatabase());
    const socket = `postgres://${url.username}:${url.password}@localhost/${url.pathname.slice(1)}?host=${encodeURIComponent(cluster.info.socketDir)}&port=${cluster.port}`;
    const engine = await open(socket);
    expect(engine.location).not.toContain(url.password);
    expect(engine.location).toContain(encodeURIComponent(cluster.info.socketDir));
    expect((await engine.ingest(events(1, 'sock'), { router: routedTo([]) }))[0]).toMatchObject({ status: 'accepted' });
    // No server address: the connection is a unix socket, not TCP.
    expect((await engine.query<{ addr: string | null }>('SELECT inet_server_addr() AS addr')).rows[0]!.addr).toBeNull();
  });
});

describe('text PostgreSQL cannot hold', () => {
  it('a NUL in a webhook title or payload is stored as U+FFFD instead of failing the request', async () => {
    const engine = await open(await cluster.createDatabase());
    const [o] = await engine.ingest(
      [{ source, deliveryId: 'nul\u0000id', rawStored: '{"a":"b\u0000c"}', inputs: [{ type: 'pipeline.failed', title: 'bad\u0000title', summary: 'x\u0000y', data: { k: 'v\u0000w' } }] }],
      { router: routedTo([]) },
    );
    expect(o).toMatchObject({ status: 'accepted' });
    const event = o!.status === 'accepted' ? o!.events[0]! : undefined;
    const found = (await engine.events.get(event!.id))!;
    expect(found.event.title).toBe('bad\uFFFDtitle');
    expect(found.event.data).toEqual({ k: 'v\u0000w' });
    expect((await engine.events.list({ text: 'bad title', limit: 5 })).items).toHaveLength(1);
  });
});

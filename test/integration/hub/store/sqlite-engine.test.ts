// The SQLite engine (store/sqlite-engine.ts) behind the engine-neutral interface
// (store/engine.ts), on a real file: an ingest resolves once durable and tells the worker
// deliveries are due; routing looks mutes and throttle up through the transaction's
// lookups; one worker tick records results and claims; a damaged file refuses writes with
// one line, a full disk likewise while it lasts; routeWithLoads re-runs a router whose
// lookup was not loaded yet.
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleOutcome } from '../../../../shared/api.js';
import { type EngineRouter, LookupMiss, routeWithLoads, StoreUnavailable } from '../../../../electron/hub/store/engine.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { ROOM_AGAIN_BYTES } from '../../../../electron/hub/store/out-of-space.js';
import { openSqliteEngine, type SqliteEngine, sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';
import { openStore } from '../../../../electron/hub/store/store.js';
import { tempDir } from '../../../helpers/hub-process.js';

const engines: SqliteEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});
const open = async () => {
  const engine = await openSqliteEngine(tempDir('herald-sqlite-engine-'), { checkpointIntervalMs: false });
  engines.push(engine);
  return engine;
};

const SOURCE = { kind: 'generic', id: 'ci', name: 'CI' };
const item = (title: string, extra: Partial<IngestItem['inputs'][number]> = {}): IngestItem => ({ source: SOURCE, inputs: [{ type: 'pipeline.failed', title, ...extra }] });
/** Routes every event to `sink` unless the throttle memory or a mute says otherwise. */
const toSink: EngineRouter = (event, lookups) => {
  const outcome = (o: Partial<RuleOutcome>): RuleOutcome => ({ ruleId: 'r', ruleName: 'R', outcome: 'routed', channels: ['sink'], heldBack: [], reason: 'test', ...o });
  if (lookups.activeMute('pipe', new Date(event.receivedAt))) return [outcome({ outcome: 'muted', channels: [] })];
  if (lookups.lastRoutedAt('r', event.dedupKey) !== undefined) return [outcome({ outcome: 'throttled', channels: [] })];
  return [outcome({})];
};

describe('the SQLite engine', () => {
  it('stores an ingest, tells of due deliveries once durable, and claims and records them in one tick', async () => {
    const engine = await open();
    let due = 0;
    engine.onDeliveriesDue(() => due++);
    const [outcome] = await engine.ingest([item('build broke', { dedupKey: 'k' })], { router: toSink });
    expect(outcome).toMatchObject({ status: 'accepted', deliveries: 1 });
    expect(due).toBe(1);
    // The throttle memory the first ingest wrote is what the second one's router sees.
    const [again] = await engine.ingest([item('build broke again', { dedupKey: 'k' })], { router: toSink });
    expect(again).toMatchObject({ status: 'accepted', deliveries: 0 });
    expect(due).toBe(1);

    const first = await engine.deliveryTick({ now: Date.now(), record: [], health: [], claim: [['sink', 10]] });
    expect(first.claimed).toHaveLength(1);
    const id = first.claimed[0]!.id;
    expect((await engine.events.forDelivery(first.claimed[0]!.eventSeq))?.title).toBe('build broke');
    const second = await engine.deliveryTick({
      now: Date.now(),
      record: [{ id, result: 'delivered' }],
      health: [{ kind: 'channel', id: 'sink', ok: false, error: 'x', unhealthyAfter: 1 }],
      claim: [['sink', 10]],
    });
    expect(second).toEqual({ claimed: [], transitions: ['became_unhealthy'] });
    expect((await engine.outbox.get(id))?.status).toBe('delivered');
    expect((await engine.health.get('channel', 'sink')).healthy).toBe(false);
    expect(await engine.events.counts()).toEqual({ events: 2, unread: 2 });
  });

  it('a failed fsync still lets the committed deliveries go out (the sender is told to retry)', async () => {
    const engine = await open();
    engine.sync.syncToDisk = async () => {
      throw new Error('EIO: i/o error, fdatasync');
    };
    await expect(engine.ingest([item('unconfirmed')], { router: toSink })).rejects.toThrow(/did not confirm the write/);
    expect(await engine.deliveryTick({ now: Date.now(), record: [], health: [], claim: [['sink', 10]] })).toMatchObject({ claimed: [{ channelId: 'sink' }] });
  });

  it('looks mutes up inside the ingest transaction: a success lifts an "until it passes" mute', async () => {
    const engine = await open();
    await engine.mutes.add({ sourceId: 'ci', project: 'p' }, { untilPasses: true }, Date.now());
    const [key] = (await engine.mutes.list(new Date())).map((m) => m.key);
    const lifting: EngineRouter = (event, lookups) => {
      if (event.type === 'pipeline.succeeded') lookups.liftMuteOnPass(key!);
      return lookups.activeMute(key!, new Date()) ? [] : toSink(event, { ...lookups, activeMute: () => undefined });
    };
    expect((await engine.ingest([item('muted')], { router: lifting }))[0]).toMatchObject({ deliveries: 0 });
    const [passed] = await engine.ingest([{ source: SOURCE, inputs: [{ type: 'pipeline.succeeded', title: 'passed' }] }], { router: lifting });
    expect(passed).toMatchObject({ deliveries: 1 });
    expect(await engine.mutes.list(new Date())).toEqual([]);
  });

  it('a mute lifted by an ingest that rolled back is still listed (the list kept in memory is not filled inside a transaction)', async () => {
    const engine = await open();
    await engine.mutes.add({ sourceId: 'ci', project: 'p' }, { untilPasses: true }, Date.now());
    const [key] = (await engine.mutes.list(new Date())).map((m) => m.key);
    const liftsThenFails: EngineRouter = (_event, lookups) => {
      lookups.liftMuteOnPass(key!);
      // Read while the lift is not committed: what this sees must not outlive the rollback.
      expect(engine.sync.mutes.list(new Date())).toEqual([]);
      throw new Error('router broke after the lift');
    };
    await expect(engine.ingest([{ source: SOURCE, inputs: [{ type: 'pipeline.succeeded', title: 'passed' }] }], { router: liftsThenFails })).rejects.toThrow('router broke after the lift');
    expect((await engine.mutes.list(new Date())).map((m) => m.key)).toEqual([key]);
  });

  it('refuses writes with one line once the file is found damaged, and says so as its problem', async () => {
    const engine = await open();
    const problems: Array<string | undefined> = [];
    engine.onProblem((p) => problems.push(p));
    expect(engine.problem).toBeUndefined();
    const corrupt = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    expect(engine.sync.noteError(corrupt)).toBe(true);
    expect(engine.problem).toMatch(/is damaged \(database disk image is malformed\)/);
    expect(problems).toEqual([engine.problem]);
    await expect(engine.ingest([item('x')], { router: toSink })).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(engine.mutes.add({ sourceId: 'ci', project: 'p' }, { untilPasses: true }, Date.now())).rejects.toThrow(/is damaged/);
    // Reads still answer: the history stays browsable.
    expect(await engine.events.counts()).toEqual({ events: 0, unread: 0 });
  });

  it('says the disk is full while events cannot be stored, and clears once they are or the disk has room', async () => {
    let free = 0;
    const engine = sqliteEngineOver(openStore(tempDir('herald-sqlite-full-')), { freeBytes: async () => free });
    engines.push(engine);
    const problems: Array<string | undefined> = [];
    engine.onProblem((p) => problems.push(p));
    await engine.ingest([item('before')], { router: toSink });
    // SQLite's own "database or disk is full": the file may not grow past the pages it has.
    const { db } = engine.sync;
    const fill = () => db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    fill();
    const big = (n: number) => Array.from({ length: n }, (_, i) => item(`storm ${i}`, { summary: 'x'.repeat(2_000) }));
    await expect(engine.ingest(big(50), { router: toSink })).rejects.toThrow(/database or disk is full/);
    expect(engine.problem).toMatch(/^the disk holding .*herald\.db is full \(database or disk is full\): events are refused/);
    expect(problems).toEqual([engine.problem]);
    // Still full: another refusal tells nothing new; the disk check finds no room.
    await expect(engine.ingest(big(50), { router: toSink })).rejects.toThrow(/database or disk is full/);
    await engine.checkSpaceNow();
    expect(problems).toHaveLength(1);
    // Room again on the file system: the check clears it without an event sent.
    free = ROOM_AGAIN_BYTES;
    await engine.checkSpaceNow();
    expect(engine.problem).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/is full/), undefined]);
    // Full again, then an ingest commits: events are taken, so the problem is gone.
    free = 0;
    await expect(engine.ingest(big(50), { router: toSink })).rejects.toThrow(/database or disk is full/);
    expect(engine.problem).toMatch(/is full/);
    db.pragma('max_page_count = 1073741823');
    await engine.ingest([item('after')], { router: toSink });
    expect(engine.problem).toBeUndefined();
    expect(problems).toHaveLength(4);
    expect((await engine.events.counts()).events).toBe(2);
  });
});

describe('routeWithLoads (an async engine answering synchronous lookups)', () => {
  it('loads what a lookup missed and calls again until none misses', async () => {
    const loaded = new Map<string, number>();
    const loads: string[] = [];
    const lookup = (key: string) => {
      if (!loaded.has(key)) {
        throw new LookupMiss(async () => {
          loads.push(key);
          loaded.set(key, key.length);
        });
      }
      return loaded.get(key)!;
    };
    let calls = 0;
    const result = await routeWithLoads(() => {
      calls++;
      return lookup('a') + lookup('bb');
    });
    expect(result).toBe(3);
    expect(loads).toEqual(['a', 'bb']);
    expect(calls).toBe(3);
  });

  it('gives up after a bound and passes other errors through', async () => {
    await expect(routeWithLoads(() => { throw new LookupMiss(async () => undefined); }, 5)).rejects.toBeInstanceOf(LookupMiss);
    await expect(routeWithLoads(() => { throw new Error('router bug'); })).rejects.toThrow('router bug');
  });
});

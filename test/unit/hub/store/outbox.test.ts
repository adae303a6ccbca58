// The SQLite outbox's claims against a real file: just-committed deliveries are claimed
// from memory once a channel's queue on disk is drained, and whatever else makes a row
// pending or takes it away (retry, requeue, rollback, manual retry, channel edit or
// removal, deleted events, an insert the outbox was not told about, a commit that fails)
// is still claimed exactly once, as the query over the table would.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleOutcome } from '../../../../shared/api.js';
import type { ClaimedDelivery, DeliveryOutcome } from '../../../../electron/hub/store/outbox.js';
import { commitGate } from '../../../helpers/commit-gate.js';
import { sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';

let store: Store;
afterEach(() => store?.close());

const source = { kind: 'generic', id: 's', name: 'S' };
const routedTo = (channels: string[]): RuleOutcome[] => [{ ruleId: 'r', ruleName: 'R', outcome: 'routed', channels, heldBack: [], reason: 't' }];

function open() {
  store = openStore(mkdtempSync(join(tmpdir(), 'herald-outbox-')));
  return store;
}

/** Stores `count` events routed to `channels` in one ingest transaction; `failOn` makes the router throw on that one (rolled back). */
function ingest(count: number, channels: string[], now: number, failOn?: number) {
  let n = 0;
  const router = () => {
    if (n++ === failOn) throw new Error('router broke');
    return routedTo(channels);
  };
  const items = Array.from({ length: count }, (_, i) => ({ source, inputs: [{ type: 'pipeline.failed', title: `t${i}` }] }));
  store.ingest(items, router, new Date(now));
}

const claim = (now: number, wants: [string, number][]) => store.bookkeeping(() => store.outbox.claimDue(now, wants));
const record = (outcomes: DeliveryOutcome[], now: number) => store.bookkeeping(() => store.outbox.record(outcomes, now));

describe('claims from memory', () => {
  it('a drained channel claims its next committed deliveries from memory, oldest first, each once, attempt 1', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(3, ['a'], t);
    expect(store.outbox.queuedInMemory('a')).toBeUndefined();
    const first = claim(t, [['a', 10]]);
    expect(first).toHaveLength(3);
    // Drained by the query, nothing else pending but in flight: from here on, memory.
    expect(store.outbox.queuedInMemory('a')).toBe(0);
    ingest(4, ['a'], t + 1);
    expect(store.outbox.queuedInMemory('a')).toBe(4);
    const next = claim(t + 1, [['a', 3]]);
    const last = claim(t + 1, [['a', 3]]);
    expect(next.map((c) => c.attempt)).toEqual([1, 1, 1]);
    expect(last).toHaveLength(1);
    const ids = [...first, ...next, ...last].map((c) => c.id);
    expect(new Set(ids).size).toBe(7);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(claim(t + 1, [['a', 3]])).toEqual([]);
    // Shown as sending while claimed, delivered once recorded.
    expect(store.outbox.get(last[0]!.id)?.status).toBe('sending');
    record(ids.map((id) => ({ id, result: 'delivered' })), t + 2);
    expect(store.outbox.counts()).toEqual({ pending: 0, failed: 0 });
  });

  it('a rolled-back ingest leaves nothing to claim, and its channel finds later deliveries', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(1, ['a'], t);
    claim(t, [['a', 5]]);
    expect(store.outbox.queuedInMemory('a')).toBe(0);
    expect(() => ingest(3, ['a'], t, 2)).toThrow(/router broke/);
    expect(claim(t, [['a', 5]])).toEqual([]);
    ingest(2, ['a'], t + 1);
    expect(claim(t + 1, [['a', 5]])).toHaveLength(2);
  });

  it('a retry goes back to the query: claimed again when due with its attempt counted, then memory again once drained', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(2, ['a'], t);
    const [x, y] = claim(t, [['a', 5]]) as [ClaimedDelivery, ClaimedDelivery];
    record([{ id: x.id, result: 'retry', at: t + 1_000, error: 'HTTP 503' }, { id: y.id, result: 'delivered' }], t + 1);
    expect(store.outbox.queuedInMemory('a')).toBeUndefined();
    ingest(1, ['a'], t + 2);
    const fresh = claim(t + 2, [['a', 5]]);
    expect(fresh.map((c) => c.attempt)).toEqual([1]);
    // The retry is pending on disk until it is due: not memory yet.
    expect(store.outbox.queuedInMemory('a')).toBeUndefined();
    const again = claim(t + 1_000, [['a', 5]]);
    expect(again).toEqual([{ ...x, attempt: 2 }]);
    expect(store.outbox.queuedInMemory('a')).toBe(0);
  });

  it('a send cut off by shutdown (requeue) is claimed again at once with the same attempt', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(1, ['a'], t);
    claim(t, [['a', 5]]);
    ingest(1, ['a'], t + 1);
    const [cut] = claim(t + 1, [['a', 5]]) as [ClaimedDelivery];
    record([{ id: cut.id, result: 'requeue' }], t + 2);
    expect(claim(t + 2, [['a', 5]])).toEqual([cut]);
  });

  it('a delivery inserted where the outbox was not told of its commit is still claimed (by the query)', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(1, ['a'], t);
    const [first] = claim(t, [['a', 5]]) as [ClaimedDelivery];
    expect(store.outbox.queuedInMemory('a')).toBe(0);
    store.db.transaction(() => store.outbox.enqueue(first.eventSeq, 'a', 'r', t + 1))();
    expect(claim(t + 1, [['a', 5]]).map((c) => c.channelId)).toEqual(['a']);
  });

  it('a channel with a retry waiting stays on the query even when a claimed row vanished (its event deleted mid-send)', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(2, ['a'], t);
    const [x, y] = claim(t, [['a', 5]]) as [ClaimedDelivery, ClaimedDelivery];
    record([{ id: y.id, result: 'retry', at: t + 100, error: 'HTTP 503' }], t);
    ingest(1, ['a'], t + 1);
    const eventOf = (id: number) => store.db.prepare('SELECT e.id FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.id = ?').pluck().get(id) as string;
    store.events.delete([eventOf(x.id)]);
    // One pending row in flight (the fresh one), one waiting to retry: not memory.
    expect(claim(t + 1, [['a', 5]])).toHaveLength(1);
    expect(store.outbox.queuedInMemory('a')).toBeUndefined();
    expect(claim(t + 100, [['a', 5]])).toEqual([{ ...y, attempt: 2 }]);
  });

  it('cancelled, deleted and manually retried deliveries are claimed as the table says', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(1, ['a', 'b'], t);
    const drained = claim(t, [['a', 5], ['b', 5]]);
    record(drained.map((c) => ({ id: c.id, result: 'failed', error: 'HTTP 400' })), t);
    ingest(2, ['a', 'b'], t + 1);
    expect(store.outbox.queuedInMemory('b')).toBe(2);
    // b removed: its queue is cancelled, not sent.
    expect(store.outbox.cancelForChannel('b', 'the channel was removed', t + 2)).toBe(2);
    // One of a's events deleted by the user: its delivery goes with it.
    const aQueued = store.db.prepare(`SELECT e.id FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.channel_id = 'a' AND d.status = 'pending' ORDER BY d.id`).pluck().all() as string[];
    store.events.delete([aQueued[0]!]);
    const left = claim(t + 3, [['a', 5], ['b', 5]]);
    expect(left.map((c) => c.channelId)).toEqual(['a']);
    // A failed one retried by hand is claimed again, a fresh series of attempts.
    const failedA = drained.find((c) => c.channelId === 'a')!;
    store.outbox.retryNow(failedA.id, t + 4);
    expect(claim(t + 4, [['a', 5], ['b', 5]])).toEqual([{ ...failedA, attempt: 1 }]);
  });
});

describe('claims across failed commits and rollbacks', () => {
  it('a delivery tick whose commit fails leaves the claims as before it: nothing stuck sending, nothing claimed twice, sent once the disk has room', async () => {
    open();
    const engine = sqliteEngineOver(store);
    const failCommits = commitGate(store.db);
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(3, ['a'], t);
    const first = (await engine.deliveryTick({ now: t, record: [], health: [], claim: [['a', 64]] })).claimed;
    expect(first).toHaveLength(3);
    ingest(2, ['a'], t + 1);
    expect(store.outbox.queuedInMemory('a')).toBe(2);
    const statuses = () => store.outbox.list({ limit: 10 }).map((d) => d.status);
    const before = statuses();
    expect(before).toEqual(['pending', 'pending', 'sending', 'sending', 'sending']);

    failCommits(true);
    const tick = {
      now: t + 2,
      record: first.map((c) => ({ id: c.id, result: 'delivered' as const })),
      health: [{ kind: 'channel' as const, id: 'a', ok: true as const }],
      claim: [['a', 64]] as [string, number][],
    };
    await expect(engine.deliveryTick(tick)).rejects.toThrow(/FOREIGN KEY/);
    // As before the tick: the three still in flight (their results not on disk), the two still queued, none of them claimed.
    expect(statuses()).toEqual(before);
    expect(store.outbox.queuedInMemory('a')).toBe(2);
    // The worker records the same results again: this time the disk takes them.
    failCommits(false);
    const retried = await engine.deliveryTick(tick);
    expect(retried.claimed.map((c) => c.id).sort()).toEqual(store.db.prepare(`SELECT id FROM deliveries WHERE status = 'pending' ORDER BY id`).pluck().all());
    expect(statuses()).toEqual(['sending', 'sending', 'delivered', 'delivered', 'delivered']);
    // The success the failed commit lost is written (its coalescing forgot the lost write).
    expect(store.health.get('channel', 'a').lastSuccessAt).toBe(new Date(t + 2).toISOString());
    const last = await engine.deliveryTick({ now: t + 3, record: retried.claimed.map((c) => ({ id: c.id, result: 'delivered' })), health: [], claim: [['a', 64]] });
    expect(last.claimed).toEqual([]);
    const ids = [...first, ...retried.claimed].map((c) => c.id);
    expect(new Set(ids).size).toBe(5);
    expect(store.outbox.counts()).toEqual({ pending: 0, failed: 0 });
  });

  it('claims made in a transaction that rolls back are undone: claimable again, not shown sending', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(2, ['a'], t);
    claim(t, [['a', 1]]);
    ingest(2, ['a'], t + 1);
    expect(() =>
      store.bookkeeping(() => {
        expect(store.outbox.claimDue(t + 1, [['a', 10]])).toHaveLength(3);
        throw new Error('disk full');
      }),
    ).toThrow(/disk full/);
    expect(store.outbox.list({ status: 'sending', limit: 10 })).toHaveLength(1);
    expect(claim(t + 1, [['a', 10]])).toHaveLength(3);
  });

  it('a delivery enqueued in a transaction that rolled back, untold, is not queued with the next commit (its id reissued)', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(1, ['a'], t);
    const [first] = claim(t, [['a', 5]]) as [ClaimedDelivery];
    expect(store.outbox.queuedInMemory('a')).toBe(0);
    expect(() =>
      store.db.transaction(() => {
        store.outbox.enqueue(first.eventSeq, 'a', 'r', t);
        throw new Error('rolled back');
      })(),
    ).toThrow(/rolled back/);
    ingest(1, ['a'], t + 1);
    const next = claim(t + 1, [['a', 5]]);
    expect(next).toHaveLength(1);
    expect(next[0]!.eventSeq).toBe(first.eventSeq + 1);
  });

  it('a nested transaction that throws takes its deliveries out of the outer one', () => {
    open();
    const t = Date.parse('2026-06-01T00:00:00Z');
    ingest(2, ['a'], t);
    const [x, y] = claim(t, [['a', 5]]) as [ClaimedDelivery, ClaimedDelivery];
    store.transaction(() => {
      expect(() =>
        store.transaction(() => {
          store.outbox.enqueue(x.eventSeq, 'a', 'r', t + 1);
          throw new Error('nested failed');
        }),
      ).toThrow(/nested failed/);
      store.outbox.enqueue(y.eventSeq, 'a', 'r', t + 1);
    });
    const next = claim(t + 1, [['a', 5]]);
    expect(next.map((c) => c.eventSeq)).toEqual([y.eventSeq]);
    expect(claim(t + 1, [['a', 5]])).toEqual([]);
  });
});

describe('claims match the table under any sequence of operations', () => {
  // Seed 12 found a channel put on memory while a retry waited (an in-flight row's event deleted made the counts agree).
  it.each([12, 15, 29])('a long random run (seed %i): every claim is due, pending and unclaimed; a large enough want takes all of them; nothing is left behind', (first) => {
    open();
    const failCommits = commitGate(store.db);
    let seed = first;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    let now = Date.parse('2026-06-01T00:00:00Z');
    const inFlight = new Map<number, ClaimedDelivery>();
    const due = (channel: string) =>
      (store.db.prepare(`SELECT id FROM deliveries WHERE status = 'pending' AND channel_id = ? AND next_attempt_at <= ?`).pluck().all(channel, now) as number[]).filter(
        (id) => !inFlight.has(id),
      );
    const nextDueInTable = (channel: string) =>
      (store.db.prepare(`SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending' AND channel_id = ?`).pluck().get(channel) as number | null) ?? undefined;
    const attempts = (id: number) => store.db.prepare('SELECT attempts FROM deliveries WHERE id = ?').pluck().get(id) as number;
    let claims = 0;
    let failedCommits = 0;
    for (let step = 0; step < 2_000; step++) {
      const op = random();
      if (op < 0.3) {
        const count = 1 + Math.floor(random() * 3);
        const channels = pick([['a'], ['b'], ['a', 'b']]);
        const failOn = random() < 0.1 ? count - 1 : undefined;
        try {
          ingest(count, channels, now, failOn);
        } catch {
          /* rolled back */
        }
      } else if (op < 0.6) {
        const wants: [string, number][] = [
          ['a', 1 + Math.floor(random() * 6)],
          ['b', 1 + Math.floor(random() * 6)],
        ];
        const before = { a: due('a'), b: due('b') };
        const claimed = claim(now, wants);
        for (const c of claimed) {
          expect(inFlight.has(c.id)).toBe(false);
          expect(before[c.channelId as 'a' | 'b']).toContain(c.id);
          expect(c.attempt).toBe(attempts(c.id) + 1);
          inFlight.set(c.id, c);
        }
        for (const [channel, count] of wants) {
          const got = claimed.filter((c) => c.channelId === channel).length;
          expect(got).toBe(Math.min(count, before[channel as 'a' | 'b'].length));
        }
        claims += claimed.length;
      } else if (op < 0.85 && inFlight.size > 0) {
        const outcomes: DeliveryOutcome[] = [];
        for (const c of [...inFlight.values()]) {
          if (random() < 0.5) continue;
          const r = random();
          outcomes.push(
            r < 0.6
              ? { id: c.id, result: 'delivered' }
              : r < 0.75
                ? { id: c.id, result: 'retry', at: now + Math.floor(random() * 4), error: 'HTTP 503' }
                : r < 0.85
                  ? { id: c.id, result: 'failed', error: 'HTTP 400' }
                  : { id: c.id, result: 'requeue' },
          );
        }
        // Some commits fail (a full disk): the results are not on disk and the claims stay in flight, to be recorded again.
        // (The gate fires on an update: a record of requeues only, or of rows gone with their events, writes nothing and commits.)
        const writes = outcomes.some((o) => o.result !== 'requeue' && store.db.prepare(`SELECT 1 FROM deliveries WHERE id = ? AND status = 'pending'`).get(o.id));
        const failing = writes && random() < 0.15;
        failCommits(failing);
        try {
          record(outcomes, now);
          expect(failing).toBe(false);
          for (const o of outcomes) inFlight.delete(o.id);
        } catch (error) {
          expect({ failing, error: (error as Error).message }).toMatchObject({ failing: true, error: expect.stringMatching(/FOREIGN KEY/) });
          failedCommits++;
        } finally {
          failCommits(false);
        }
      } else if (op < 0.9) {
        now += Math.floor(random() * 3);
      } else if (op < 0.92) {
        store.outbox.dueNow(pick(['a', 'b']), now);
      } else if (op < 0.94) {
        const failed = pick(store.db.prepare(`SELECT id FROM deliveries WHERE status = 'failed'`).pluck().all() as number[]) as number | undefined;
        if (failed !== undefined) store.outbox.retryNow(failed, now);
      } else if (op < 0.95) {
        const victim = pick(store.db.prepare(`SELECT e.id FROM events e JOIN deliveries d ON d.event_seq = e.seq WHERE d.status = 'pending'`).pluck().all() as string[]) as
          | string
          | undefined;
        // Deleting an event whose delivery is in flight: the send's record then finds no row, as before.
        if (victim !== undefined) store.events.delete([victim]);
      } else if (op < 0.96) {
        const seq = store.db.prepare('SELECT max(seq) FROM events').pluck().get() as number | null;
        if (seq !== null) store.db.transaction(() => store.outbox.enqueue(seq, pick(['a', 'b']), 'r', now))();
      } else if (op < 0.98) {
        // A claim in a transaction that then fails: undone, as if never made.
        try {
          store.bookkeeping(() => {
            store.outbox.claimDue(now, [['a', 1 + Math.floor(random() * 6)], ['b', 1 + Math.floor(random() * 6)]]);
            throw new Error('rolled back');
          });
        } catch {
          /* rolled back */
        }
      } else if (op < 0.99) {
        // An enqueue in an untold transaction that rolls back: its id is issued again by the next insert.
        const seq = store.db.prepare('SELECT max(seq) FROM events').pluck().get() as number | null;
        try {
          if (seq !== null)
            store.db.transaction(() => {
              store.outbox.enqueue(seq, pick(['a', 'b']), 'r', now);
              throw new Error('rolled back');
            })();
        } catch {
          /* rolled back */
        }
      }
      // When each channel is next due, answered from memory or the table: the table's answer.
      for (const channel of ['a', 'b']) expect(store.outbox.nextDue(channel)).toBe(nextDueInTable(channel));
    }
    expect(claims).toBeGreaterThan(600);
    expect(failedCommits).toBeGreaterThan(20);
    // Drain: everything pending is claimed and delivered in the end.
    record([...inFlight.values()].map((c) => ({ id: c.id, result: 'delivered' })), now);
    inFlight.clear();
    now += 10;
    const rest = claim(now, [['a', 100_000], ['b', 100_000]]);
    record(rest.map((c) => ({ id: c.id, result: 'delivered' })), now);
    expect(store.outbox.counts().pending).toBe(0);
  });
});

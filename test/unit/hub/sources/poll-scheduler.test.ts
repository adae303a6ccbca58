// The poll scheduler with an injected clock, timers and randomness: jitter bounds,
// exponential backoff (growth, cap, reset), health results, one commit per poll, and
// sources added, removed, paused and edited at runtime.
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceConfig } from '../../../../shared/config.js';
import type { EventInput } from '../../../../shared/event.js';
import { PollError } from '../../../../electron/hub/sources/poll-http.js';
import {
  backoffMs,
  jittered,
  type PollHealth,
  type PollScheduler,
  startPollScheduler,
  testPollingSource,
} from '../../../../electron/hub/sources/poller.js';
import type { PollContext, PollingSource } from '../../../../electron/hub/sources/source.js';
import type { Lease } from '../../../../electron/hub/leadership/leadership.js';

/** Timers that fire only when the test advances the clock. */
class FakeClock {
  t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  armed = 0;
  private nextId = 1;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.armed++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimer = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  /** Runs every timer due up to now + ms, in order, letting async polls finish between. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

const source = (id: string, extra: Record<string, unknown> = {}) =>
  ({ id, name: `Source ${id}`, kind: 'secobserve', enabled: true, url: 'https://so.example', token: 'env:T', pollIntervalSeconds: 60, ...extra }) as unknown as SourceConfig;

interface Harness {
  clock: FakeClock;
  scheduler: PollScheduler;
  sources: SourceConfig[];
  polls: Array<{ id: string; at: number; lastState: unknown }>;
  commits: Array<{ id: string; events: EventInput[]; state: unknown }>;
  health: Array<{ id: string; result: PollHealth }>;
  behaviour: Map<string, (ctx: PollContext) => Promise<{ events: EventInput[]; state: unknown }>>;
}

let current: Harness | undefined;
afterEach(async () => {
  await current?.scheduler.stop();
  current = undefined;
});

function harness(
  initial: SourceConfig[],
  options: { random?: () => number; maxBackoffMs?: number; concurrency?: number; lease?: (sourceId: string) => Lease } = {},
): Harness {
  const clock = new FakeClock();
  const sources = [...initial];
  const states = new Map<string, unknown>();
  const h: Harness = { clock, sources, polls: [], commits: [], health: [], behaviour: new Map(), scheduler: undefined as unknown as PollScheduler };
  const poller: PollingSource = {
    kind: 'secobserve',
    defaultIntervalSeconds: 300,
    async poll(ctx, lastState) {
      h.polls.push({ id: ctx.config.id, at: clock.now(), lastState });
      const custom = h.behaviour.get(ctx.config.id);
      if (custom) return custom(ctx);
      const n = ((lastState as { n?: number } | undefined)?.n ?? 0) + 1;
      return { events: [{ type: 'herald.test', title: `poll ${n} of ${ctx.config.id}` }], state: { n } };
    },
  };
  h.scheduler = startPollScheduler({
    sources: () => h.sources,
    pollerFor: (kind) => (kind === 'secobserve' ? poller : undefined),
    resolveSecrets: async () => ({ token: 't' }),
    loadState: (id) => states.get(id),
    commit: async (s, events, state) => {
      h.commits.push({ id: s.id, events, state });
      states.set(s.id, state);
    },
    recordHealth: (s, result) => {
      h.health.push({ id: s.id, result });
    },
    now: clock.now,
    random: options.random ?? (() => 0.5),
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
    ...(options.maxBackoffMs !== undefined && { maxBackoffMs: options.maxBackoffMs }),
    ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
    ...(options.lease && { lease: options.lease }),
  });
  current = h;
  return h;
}

describe('jitter and backoff arithmetic', () => {
  it('keeps every jittered interval within ±10 %, reaching both bounds', () => {
    expect(jittered(60_000, () => 0)).toBe(54_000);
    expect(jittered(60_000, () => 0.5)).toBe(60_000);
    expect(jittered(60_000, () => 0.999999)).toBe(66_000);
    for (let i = 0; i < 1000; i++) {
      const value = jittered(60_000, Math.random);
      expect(value).toBeGreaterThanOrEqual(54_000);
      expect(value).toBeLessThanOrEqual(66_000);
    }
  });

  it.each([
    [0, 0],
    [1, 60_000],
    [2, 120_000],
    [3, 240_000],
    [4, 300_000],
    [10, 300_000],
    [1000, 300_000],
  ])('after %i failures waits %i ms (interval 60 s, cap 5 min)', (failures, expected) => {
    expect(backoffMs(60_000, failures, 300_000)).toBe(expected);
  });

  it('never caps below the interval itself', () => {
    expect(backoffMs(3_600_000, 3, 300_000)).toBe(3_600_000);
  });
});

describe('poll scheduler', () => {
  it('polls a source at once, then every interval with jitter, committing events and state together', async () => {
    const h = harness([source('a')], { random: () => 0 });
    await h.clock.advance(0);
    expect(h.polls).toHaveLength(1);
    expect(h.commits).toEqual([{ id: 'a', events: [{ type: 'herald.test', title: 'poll 1 of a' }], state: { n: 1 } }]);
    expect(h.health).toEqual([{ id: 'a', result: { ok: true } }]);
    const startedAt = h.polls[0]!.at;
    // random 0 → the low bound: 60 s − 10 % = 54 s.
    expect(h.scheduler.states().a?.nextPollAt).toBe(startedAt + 54_000);
    await h.clock.advance(53_999);
    expect(h.polls).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.polls).toHaveLength(2);
    expect(h.polls[1]!.lastState).toEqual({ n: 1 });
    expect(h.commits[1]!.state).toEqual({ n: 2 });
  });

  it('uses the poller default interval when the source sets none', async () => {
    const h = harness([source('a', { pollIntervalSeconds: undefined })]);
    await h.clock.advance(0);
    expect(h.scheduler.states().a?.nextPollAt).toBe(h.polls[0]!.at + 300_000);
  });

  it('backs off exponentially on errors up to the cap, reports each failure, and resets on success', async () => {
    const h = harness([source('a')], { maxBackoffMs: 300_000 });
    let failing = true;
    h.behaviour.set('a', async () => {
      if (failing) throw new PollError('refused', 'connection refused by so.example:443 (ECONNREFUSED): is the server running on that port?');
      return { events: [], state: { ok: true } };
    });
    await h.clock.advance(0);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const state = h.scheduler.states().a!;
      delays.push(state.backoffMs);
      expect(state.nextPollAt).toBe(h.clock.now() + state.backoffMs); // random 0.5: no jitter
      await h.clock.advance(state.backoffMs);
    }
    expect(delays).toEqual([60_000, 120_000, 240_000, 300_000, 300_000]);
    expect(h.health).toHaveLength(6);
    expect(h.health.every((r) => !r.result.ok && r.result.error.includes('ECONNREFUSED'))).toBe(true);
    expect(h.scheduler.states().a?.lastError).toContain('connection refused');
    expect(h.commits).toHaveLength(0);

    failing = false;
    await h.clock.advance(h.scheduler.states().a!.backoffMs);
    const state = h.scheduler.states().a!;
    expect(state.backoffMs).toBe(0);
    expect(state.consecutiveFailures).toBe(0);
    expect(state.lastError).toBeNull();
    expect(h.health.at(-1)).toEqual({ id: 'a', result: { ok: true } });
    expect(state.nextPollAt).toBe(h.clock.now() + 60_000);
  });

  it('starts polling a source added at runtime, stops a removed or paused one, restarts an edited one', async () => {
    const h = harness([source('a')]);
    await h.clock.advance(0);
    expect(h.polls.map((p) => p.id)).toEqual(['a']);

    h.sources.push(source('b'));
    h.scheduler.refresh();
    await h.clock.advance(0);
    expect(h.polls.map((p) => p.id)).toEqual(['a', 'b']);

    h.sources.splice(0, 1); // remove a
    h.scheduler.refresh();
    expect(Object.keys(h.scheduler.states())).toEqual(['b']);
    await h.clock.advance(10 * 60_000);
    expect(h.polls.filter((p) => p.id === 'a')).toHaveLength(1);

    const pollsOfB = h.polls.filter((p) => p.id === 'b').length;
    h.sources[0] = source('b', { enabled: false }); // pause b
    h.scheduler.refresh();
    expect(h.scheduler.states()).toEqual({});
    await h.clock.advance(10 * 60_000);
    expect(h.polls.filter((p) => p.id === 'b')).toHaveLength(pollsOfB);

    h.sources[0] = source('b', { enabled: true, pollIntervalSeconds: 120 }); // resume with an edit
    h.scheduler.refresh();
    await h.clock.advance(0);
    expect(h.polls.filter((p) => p.id === 'b')).toHaveLength(pollsOfB + 1);
    expect(h.scheduler.states().b?.nextPollAt).toBe(h.clock.now() + 120_000);
  });

  it('runs at most `concurrency` polls at once; the others start as slots free up, without spinning', async () => {
    const h = harness(['a', 'b', 'c', 'd'].map((id) => source(id)), { concurrency: 2 });
    const release = new Map<string, () => void>();
    for (const id of ['a', 'b', 'c', 'd']) {
      h.behaviour.set(id, () => new Promise((resolve) => release.set(id, () => resolve({ events: [], state: { id } }))));
    }
    await h.clock.advance(0);
    const running = () => Object.entries(h.scheduler.states()).filter(([, s]) => s.running).map(([id]) => id);
    expect(running()).toEqual(['a', 'b']);
    const armedWhileBusy = h.clock.armed;
    await h.clock.advance(0);
    expect(h.clock.armed).toBe(armedWhileBusy);
    release.get('a')!();
    await settle();
    expect(running()).toEqual(['b', 'c']);
    release.get('b')!();
    release.get('c')!();
    await settle();
    expect(running()).toEqual(['d']);
    release.get('d')!();
    await settle();
    expect(h.commits.map((c) => c.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('never polls webhook kinds', async () => {
    const h = harness([{ id: 'g', name: 'G', kind: 'generic', enabled: true, secret: 'env:S' } as SourceConfig]);
    await h.clock.advance(60 * 60_000);
    expect(h.polls).toHaveLength(0);
    expect(h.scheduler.states()).toEqual({});
  });

  it('does not commit a poll that was in flight when its source was removed', async () => {
    const h = harness([source('a')]);
    let release!: () => void;
    let sawAbort = false;
    h.behaviour.set('a', (ctx) => {
      ctx.signal.addEventListener('abort', () => (sawAbort = true));
      return new Promise((resolve) => {
        release = () => resolve({ events: [{ type: 'herald.test', title: 'late' }], state: { late: true } });
      });
    });
    await h.clock.advance(0);
    expect(h.scheduler.states().a?.running).toBe(true);
    h.sources.length = 0;
    h.scheduler.refresh();
    expect(sawAbort).toBe(true);
    release();
    await settle();
    expect(h.commits).toHaveLength(0);
    expect(h.health).toHaveLength(0);
  });

  it('fails a poll whose source produced an invalid event, naming the event and field', async () => {
    const h = harness([source('a')]);
    h.behaviour.set('a', async () => ({ events: [{ type: 'Not A Type', title: '' } as EventInput], state: {} }));
    await h.clock.advance(0);
    const last = h.health.at(-1)!.result;
    expect(last.ok).toBe(false);
    expect(!last.ok && last.error).toMatch(/invalid event 0 \(Not A Type\): type: .*; title: /);
    expect(h.commits).toHaveLength(0);
  });

  it('pollNow polls at once and answers the outcome; unknown, paused and webhook sources are refused', async () => {
    const h = harness([source('a'), source('p', { enabled: false }), { id: 'g', name: 'G', kind: 'generic', enabled: true, secret: 'env:S' } as SourceConfig]);
    await h.clock.advance(0);
    expect(await h.scheduler.pollNow('a')).toEqual({ ok: true, events: 1 });
    expect(h.polls).toHaveLength(2);
    expect(await h.scheduler.pollNow('nope')).toEqual({ ok: false, events: 0, error: 'cannot poll "nope": no such source' });
    expect(await h.scheduler.pollNow('p')).toEqual({ ok: false, events: 0, error: 'cannot poll "p": the source is paused' });
    expect(await h.scheduler.pollNow('g')).toEqual({ ok: false, events: 0, error: 'cannot poll "g": generic sources are not polled' });
  });

  it('stop() aborts running polls and waits for them', async () => {
    const h = harness([source('a')]);
    h.behaviour.set('a', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))));
    await h.clock.advance(0);
    expect(h.scheduler.states().a?.running).toBe(true);
    await h.scheduler.stop();
    expect(h.health).toHaveLength(0);
    expect(h.scheduler.states()).toEqual({});
  });

  it('skips the write when a poll changed neither events nor state', async () => {
    const h = harness([source('a')]);
    h.behaviour.set('a', async () => ({ events: [], state: { same: 1 } }));
    await h.clock.advance(0);
    await h.clock.advance(60_000);
    await h.clock.advance(60_000);
    expect(h.polls).toHaveLength(3);
    expect(h.commits).toHaveLength(1);
  });
});

describe('testPollingSource', () => {
  const poller = (poll: PollingSource['poll']): PollingSource => ({ kind: 'secobserve', defaultIntervalSeconds: 60, poll });
  const deps = (p: PollingSource) => ({ pollerFor: () => p, resolveSecrets: async () => ({ token: 't' }) });

  it('answers ok after one poll without committing', async () => {
    const result = await testPollingSource(source('a'), deps(poller(async () => ({ events: [], state: {} }))));
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(/^connected/);
  });

  it('says how many events a poll with the saved state would raise', async () => {
    const result = await testPollingSource(source('a'), {
      ...deps(poller(async () => ({ events: [{ type: 'herald.test', title: 'x' }, { type: 'herald.test', title: 'y' }], state: {} }))),
      loadState: () => ({ n: 1 }),
    });
    expect(result).toEqual({ ok: true, detail: 'connected: the API answered as expected; 2 new events would be raised now (not committed by the test)' });
  });

  it('passes the exact failure through', async () => {
    const result = await testPollingSource(
      source('a'),
      deps(poller(async () => {
        throw new PollError('auth', 'HTTP 401 from https://so.example/api/products/: token rejected — check the API token and its permissions');
      })),
    );
    expect(result).toEqual({ ok: false, detail: 'HTTP 401 from https://so.example/api/products/: token rejected — check the API token and its permissions' });
  });

  it('reports an unavailable secret', async () => {
    const result = await testPollingSource(source('a'), {
      pollerFor: () => poller(async () => ({ events: [], state: {} })),
      resolveSecrets: async () => {
        throw new Error('env:T is not set');
      },
    });
    expect(result).toEqual({ ok: false, detail: 'secret unavailable: env:T is not set' });
  });
});

/** A lease the test hands out and takes away, as the lease table would. */
class TestLease implements Lease {
  private isHeld: boolean;
  private listeners = new Set<(held: boolean) => void>();
  runs = 0;
  released = false;
  constructor(
    readonly name: string,
    held: boolean,
    private ranAgo: number | undefined = undefined,
  ) {
    this.isHeld = held;
  }
  held = () => this.isHeld;
  onChange = (listener: (held: boolean) => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  ranAgoMs = () => this.ranAgo;
  noteRun = () => void this.runs++;
  release = () => void (this.released = true);
  set(held: boolean, ranAgo?: number) {
    this.isHeld = held;
    this.ranAgo = ranAgo;
    for (const listener of this.listeners) listener(held);
  }
}

describe('polling under a lease (team hub replicas)', () => {
  it('polls only while it holds the source\'s lease, and says so in the schedule', async () => {
    const lease = new TestLease('poll:a', false);
    const h = harness([source('a')], { lease: () => lease });
    await h.clock.advance(5 * 60_000);
    expect(h.polls).toHaveLength(0);
    expect(h.scheduler.states().a).toMatchObject({ polledHere: false, nextPollAt: null });
    expect(await h.scheduler.pollNow('a')).toMatchObject({ ok: false, error: expect.stringContaining('another replica') });
    expect(h.polls).toHaveLength(0);

    lease.set(true);
    await h.clock.advance(0);
    expect(h.polls).toHaveLength(1);
    expect(lease.runs).toBe(1);
    expect(h.scheduler.states().a!.polledHere).toBeUndefined();
  });

  it('a replica taking over waits out the interval its predecessor\'s last poll started', async () => {
    const lease = new TestLease('poll:a', false);
    const h = harness([source('a')], { lease: () => lease });
    // The other replica polled 20 s ago; the interval is 60 s.
    lease.set(true, 20_000);
    await h.clock.advance(39_999);
    expect(h.polls).toHaveLength(0);
    await h.clock.advance(1);
    expect(h.polls).toHaveLength(1);
  });

  it('a lease lost mid-poll aborts the poll and commits nothing; no further polls', async () => {
    const lease = new TestLease('poll:a', true);
    const h = harness([source('a')], { lease: () => lease });
    let aborted = false;
    h.behaviour.set(
      'a',
      (ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ events: [{ type: 'herald.test', title: 'late' }], state: { n: 1 } });
          });
        }),
    );
    await h.clock.advance(0);
    expect(h.polls).toHaveLength(1);
    lease.set(false);
    await h.clock.advance(0);
    expect(aborted).toBe(true);
    expect(h.commits).toHaveLength(0);
    await h.clock.advance(10 * 60_000);
    expect(h.polls).toHaveLength(1);
  });

  it('releases the lease of a removed source, keeps it across an edit', async () => {
    const lease = new TestLease('poll:a', true);
    const h = harness([source('a')], { lease: () => lease });
    await h.clock.advance(0);
    h.sources[0] = source('a', { pollIntervalSeconds: 120 });
    h.scheduler.refresh();
    expect(lease.released).toBe(false);
    h.sources.length = 0;
    h.scheduler.refresh();
    expect(lease.released).toBe(true);
  });
});

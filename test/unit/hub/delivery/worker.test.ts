// The delivery worker's policy, against a real SQLite store and a scripted channel:
// per-channel concurrency and rate, Retry-After, bounded attempts, health transitions,
// and what a crash leaves behind.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelConfig, Settings } from '../../../../shared/config.js';
import { SettingsSchema, WebhookChannelSchema } from '../../../../shared/config.js';
import type { Channel, SendResult } from '../../../../electron/hub/channels/channel.js';
import { backoffDelay } from '../../../../electron/hub/delivery/backoff.js';
import { RateLimiter } from '../../../../electron/hub/delivery/rate-limit.js';
import { DeliveryWorker } from '../../../../electron/hub/delivery/worker.js';
import { waitForIdle } from '../../../../electron/hub/idle-signal.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';
import { sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';
import type { DeliveryTick } from '../../../../electron/hub/store/engine.js';
import { commitGate } from '../../../helpers/commit-gate.js';

const stores: Store[] = [];
const workers: DeliveryWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop(100);
  for (const s of stores.splice(0)) s.close();
});

function channel(overrides: Partial<ChannelConfig> = {}): ChannelConfig {
  return { ...WebhookChannelSchema.parse({ id: 'c', kind: 'webhook', name: 'C', url: 'http://127.0.0.1:9/' }), ...overrides } as ChannelConfig;
}

function setup(opts: {
  send: (n: number) => Promise<SendResult> | SendResult;
  config?: Partial<ChannelConfig>;
  delivery?: Partial<Settings['delivery']>;
  rate?: { ratePerSecond: number; burst?: number };
  dir?: string;
  /** The worker's clock and timers (default: the system's). */
  now?: () => number;
  /** Its pacing clock (default: `now` when injected). */
  monotonic?: () => number;
  timers?: { setTimer: (fn: () => void, ms: number) => unknown; clearTimer: (handle: unknown) => void };
  /** Sees every deliveryTick the worker asks of the engine. */
  onTick?: (tick: DeliveryTick) => void;
}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'herald-worker-'));
  const store = openStore(dir);
  stores.push(store);
  const config = channel(opts.config);
  const settings = SettingsSchema.parse({ delivery: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 4, unhealthyAfter: 2, ...opts.delivery } });
  const sends: Array<{ at: number; title: string }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  const fake: Channel = {
    kind: 'webhook',
    async send(message) {
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      sends.push({ at: Date.now(), title: message.event.title });
      try {
        return await opts.send(calls);
      } finally {
        inFlight--;
      }
    },
  };
  const transitions: string[] = [];
  const worker = new DeliveryWorker({
    store: (() => {
      const engine = sqliteEngineOver(store);
      const deliveryTick = engine.deliveryTick.bind(engine);
      return { ...engine, deliveryTick: (tick: DeliveryTick) => (opts.onTick?.(tick), deliveryTick(tick)) };
    })(),
    channel: (id) => (id === config.id ? config : undefined),
    channels: () => [config],
    settings: () => settings,
    channelFor: () => fake,
    resolveSecrets: async () => ({}),
    ...(opts.rate && { limits: () => opts.rate }),
    onHealthTransition: (_c, t) => transitions.push(t),
    ...(opts.now && { now: opts.now }),
    ...(opts.monotonic && { monotonic: opts.monotonic }),
    ...opts.timers,
  });
  workers.push(worker);
  const ingest = (count: number, at?: Date) =>
    store.ingest(
      Array.from({ length: count }, (_, i) => ({ source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title: `e${i}` }] })),
      () => [{ ruleId: 'r', ruleName: 'R', outcome: 'routed', channels: [config.id], heldBack: [], reason: 'test' }],
      at,
    );
  const statuses = () => store.db.prepare('SELECT status, attempts, last_error AS lastError FROM deliveries ORDER BY id').all() as Array<{ status: string; attempts: number; lastError: string | null }>;
  const settle = async (pred: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`not settled: ${JSON.stringify(statuses())}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { store, worker, sends, ingest, statuses, settle, transitions, stats: () => ({ maxInFlight, calls }) };
}

describe('delivery worker', () => {
  it('never runs more sends to one channel at once than its concurrency', async () => {
    const t = setup({ send: () => new Promise((r) => setTimeout(() => r({ kind: 'ok' }), 30)), config: { concurrency: 2 } });
    t.ingest(7);
    t.worker.start();
    await t.settle(() => t.statuses().every((d) => d.status === 'delivered'));
    expect(t.stats().maxInFlight).toBe(2);
    expect(t.stats().calls).toBe(7);
  });

  it('spaces sends by the kind rate limit after the burst', async () => {
    const t = setup({ send: () => ({ kind: 'ok' }), rate: { ratePerSecond: 10, burst: 2 } });
    t.ingest(5);
    t.worker.start();
    await t.settle(() => t.statuses().every((d) => d.status === 'delivered'));
    // Two at once (the burst: claimed in one tick), then one per ~100 ms.
    expect(t.sends[1]!.at - t.sends[0]!.at).toBeLessThan(80);
    expect(t.sends[4]!.at - t.sends[1]!.at).toBeGreaterThanOrEqual(270);
    // The token-bucket invariant over every window: sends i..j fit in burst + rate × span.
    // Not per gap: a worker stalled by a busy machine legitimately finds the bucket refilled
    // and sends two back to back. Send start times lag their claims, hence the 30 ms slack.
    for (let i = 0; i < t.sends.length; i++) {
      for (let j = i + 1; j < t.sends.length; j++) {
        const span = t.sends[j]!.at - t.sends[i]!.at;
        expect(j - i + 1, `sends ${i}..${j} within ${span} ms`).toBeLessThanOrEqual(2 + (10 * (span + 30)) / 1000);
      }
    }
  });

  it('honours Retry-After for the whole channel, then delivers', async () => {
    const t = setup({ send: (n) => (n === 1 ? { kind: 'retry', reason: 'HTTP 429', afterMs: 300 } : { kind: 'ok' }), config: { concurrency: 1 } });
    t.ingest(2);
    t.worker.start();
    await t.settle(() => t.statuses().every((d) => d.status === 'delivered'));
    // Nothing went to the channel during the 300 ms it asked for, not even the other delivery.
    expect(t.sends[1]!.at - t.sends[0]!.at).toBeGreaterThanOrEqual(290);
    expect(t.statuses().map((d) => d.attempts).sort()).toEqual([1, 2]);
  });

  it('a channel edited while paused by a long Retry-After is tried again at once', async () => {
    const t = setup({ send: (n) => (n === 1 ? { kind: 'retry', reason: 'HTTP 503', afterMs: 86_400_000 } : { kind: 'ok' }), config: { concurrency: 1 } });
    t.ingest(1);
    t.worker.start();
    await t.settle(() => t.statuses()[0]!.attempts === 1 && t.statuses()[0]!.status === 'pending');
    // Idle with the delivery due: the worker waits out the day it was asked to, it does not send again.
    await waitForIdle([() => t.worker.busy()]);
    expect(t.stats().calls).toBe(1);
    // The channel's status says so, and why: its backlog would wait a day unexplained.
    const paused = t.worker.channelState(channel({ concurrency: 1 }));
    expect(paused.pausedBy).toBe('HTTP 503');
    expect(paused.pausedUntil! - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    // What the hub does when the channel's settings change (hub.ts, config.onChange).
    expect(t.store.outbox.dueNow('c', Date.now())).toBe(1);
    t.worker.channelChanged('c');
    expect(t.worker.channelState(channel({ concurrency: 1 })).pausedUntil).toBeUndefined();
    await t.settle(() => t.statuses()[0]!.status === 'delivered', 3_000);
    expect(t.statuses()[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('a 503 halves the channel\'s concurrency limit; editing the channel starts it again at 4 (perhaps another endpoint)', async () => {
    const t = setup({ send: (n) => (n === 1 ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' }), config: { concurrency: 8 } });
    const config = channel({ concurrency: 8 });
    expect(t.worker.channelState(config)).toMatchObject({ limit: 4, max: 8, inFlight: 0 });
    t.ingest(1);
    t.worker.start();
    await t.settle(() => t.statuses()[0]!.attempts === 1);
    expect(t.worker.channelState(config)).toMatchObject({ limit: 2, lastDecrease: { reason: 'overload' } });
    t.worker.channelChanged('c');
    expect(t.worker.channelState(config)).toMatchObject({ limit: 4, lastDecrease: undefined });
  });

  it('a Retry-After of 0 (or a date already past) still backs off: it is a floor, not the delay', async () => {
    const t = setup({ send: (n) => (n <= 3 ? { kind: 'retry', reason: 'HTTP 503', afterMs: 0 } : { kind: 'ok' }), config: { concurrency: 1 } });
    t.ingest(1);
    t.worker.start();
    await t.settle(() => t.statuses()[0]!.status === 'delivered');
    // Backoff with base 20 ms and jitter in [half, full]: at least 10 + 20 + 40 ms over the three retries.
    expect(t.sends[3]!.at - t.sends[0]!.at).toBeGreaterThanOrEqual(65);
    expect(t.statuses()[0]).toMatchObject({ status: 'delivered', attempts: 4 });
  });

  it('gives up after maxAttempts with the last error, and fails at once when a retry cannot help', async () => {
    const t = setup({ send: () => ({ kind: 'retry', reason: 'HTTP 503: down' }) });
    t.ingest(1);
    t.worker.start();
    await t.settle(() => t.statuses()[0]!.status === 'failed');
    expect(t.statuses()[0]).toEqual({ status: 'failed', attempts: 4, lastError: 'gave up after 4 attempts: HTTP 503: down' });
    const once = setup({ send: () => ({ kind: 'retry', reason: 'HTTP 502: bad gateway' }), delivery: { maxAttempts: 1 } });
    once.ingest(1);
    once.worker.start();
    await once.settle(() => once.statuses()[0]!.status === 'failed');
    expect(once.statuses()[0]).toEqual({ status: 'failed', attempts: 1, lastError: 'gave up after 1 attempt: HTTP 502: bad gateway' });

    const f = setup({ send: () => ({ kind: 'fail', reason: 'HTTP 404: channel_not_found' }) });
    f.ingest(1);
    f.worker.start();
    await f.settle(() => f.statuses()[0]!.status === 'failed');
    expect(f.statuses()[0]).toEqual({ status: 'failed', attempts: 1, lastError: 'HTTP 404: channel_not_found' });
  });

  it('turns a channel unhealthy after N consecutive failures, once, and reports recovery', async () => {
    const t = setup({ send: (n) => (n <= 3 ? { kind: 'retry', reason: 'HTTP 500' } : { kind: 'ok' }), config: { concurrency: 1 } });
    t.ingest(1);
    t.worker.start();
    await t.settle(() => t.statuses()[0]!.status === 'delivered');
    expect(t.transitions).toEqual(['became_unhealthy', 'recovered']);
    expect(t.store.health.get('channel', 'c')).toMatchObject({ healthy: true, consecutiveFailures: 0, lastError: 'HTTP 500' });
  });

  it('a disabled channel keeps its deliveries queued; a crash mid-send leaves them to be sent again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-worker-'));
    const paused = setup({ send: () => ({ kind: 'ok' }), config: { enabled: false }, dir });
    paused.ingest(2);
    paused.worker.start();
    await waitForIdle([() => paused.worker.busy()]);
    expect(paused.stats().calls).toBe(0);
    expect(paused.statuses().map((d) => d.status)).toEqual(['pending', 'pending']);
    // A crash while sending under an earlier version, which wrote claims: rows left in 'sending'.
    paused.store.db.prepare(`UPDATE deliveries SET status = 'sending'`).run();
    await paused.worker.stop(10);
    workers.splice(workers.indexOf(paused.worker), 1);
    paused.store.close();
    stores.splice(stores.indexOf(paused.store), 1);

    const again = setup({ send: () => ({ kind: 'ok' }), dir });
    expect(again.statuses().map((d) => d.status)).toEqual(['pending', 'pending']);
    again.worker.start();
    await again.settle(() => again.statuses().every((d) => d.status === 'delivered'));
  });
});

describe('delivery worker with several channels', () => {
  it('a channel paused by a long Retry-After does not hold up another channel\'s retry', async () => {
    const store = openStore(mkdtempSync(join(tmpdir(), 'herald-worker-')));
    stores.push(store);
    const paused = channel({ id: 'paused', concurrency: 1 });
    const other = channel({ id: 'other', concurrency: 1 });
    const configs = [paused, other];
    const settings = SettingsSchema.parse({ delivery: { baseDelayMs: 20, maxDelayMs: 200, maxAttempts: 4 } });
    let otherCalls = 0;
    const sends: Array<{ channel: string; at: number }> = [];
    const fake: Channel = {
      kind: 'webhook',
      async send(_message, config) {
        sends.push({ channel: config.id, at: Date.now() });
        // The paused channel asks for ten minutes; the other fails once, then works.
        if (config.id === 'paused') return { kind: 'retry', reason: 'HTTP 429', afterMs: 600_000 };
        return ++otherCalls === 1 ? { kind: 'retry', reason: 'HTTP 500' } : { kind: 'ok' };
      },
    };
    const worker = new DeliveryWorker({
      store: sqliteEngineOver(store),
      channel: (id) => configs.find((c) => c.id === id),
      channels: () => configs,
      settings: () => settings,
      channelFor: () => fake,
      resolveSecrets: async () => ({}),
    });
    workers.push(worker);
    // Two events to both channels: the paused channel keeps one delivery due behind its pause.
    store.ingest(
      [0, 1].map((i) => ({ source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title: `e${i}` }] })),
      () => [{ ruleId: 'r', ruleName: 'R', outcome: 'routed', channels: ['paused', 'other'], heldBack: [], reason: 'test' }],
    );
    const status = (channelId: string) =>
      (store.db.prepare('SELECT status FROM deliveries WHERE channel_id = ? ORDER BY id').pluck().all(channelId) as string[]).join(',');
    const started = Date.now();
    worker.start();
    const end = Date.now() + 5_000;
    while (status('other') !== 'delivered,delivered' && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(status('other')).toBe('delivered,delivered');
    expect(Date.now() - started).toBeLessThan(3_000);
    // The paused channel got one send, then nothing during its pause.
    expect(sends.filter((s) => s.channel === 'paused')).toHaveLength(1);
    expect(status('paused')).toBe('pending,pending');
  });
});

describe('delivery worker at shutdown and after cancellation', () => {
  it('a send cut off by stop() goes back to the queue uncounted, and the channel stays healthy', async () => {
    const t = setup({ send: () => new Promise<SendResult>((resolve) => setTimeout(() => resolve({ kind: 'retry', reason: 'aborted' }), 400)), delivery: { maxAttempts: 1, unhealthyAfter: 1 } });
    t.ingest(1);
    t.worker.start();
    // In flight: claimed in memory, shown as 'sending' (the row stays 'pending' on disk).
    await t.settle(() => t.store.outbox.list({ limit: 1 })[0]!.status === 'sending');
    await t.worker.stop(20);
    expect(t.statuses()[0]).toEqual({ status: 'pending', attempts: 0, lastError: null });
    expect(t.transitions).toEqual([]);
    expect(t.store.health.get('channel', 'c').consecutiveFailures).toBe(0);
  });

  it('a delivery cancelled while its send runs stays cancelled whatever the send says', async () => {
    let release!: () => void;
    const t = setup({ send: () => new Promise<SendResult>((resolve) => (release = () => resolve({ kind: 'retry', reason: 'HTTP 503' }))) });
    t.ingest(1);
    t.worker.start();
    // In flight: claimed in memory, shown as 'sending' (the row stays 'pending' on disk).
    await t.settle(() => t.store.outbox.list({ limit: 1 })[0]!.status === 'sending');
    t.store.outbox.cancelForChannel('c', 'channel "c" was deleted', Date.now());
    release();
    await waitForIdle([() => t.worker.busy()]);
    expect(t.statuses()[0]).toMatchObject({ status: 'cancelled', lastError: 'channel "c" was deleted' });
  });
});

describe('delivery worker when a commit fails', () => {
  it('a tick whose commit fails (a full disk) leaves nothing stuck sending: each delivery is sent once, recorded once the disk takes it', async () => {
    let failCommits: (on: boolean) => void = () => undefined;
    let recordTicks = 0;
    let failedTicks = 0;
    const t = setup({
      send: () => new Promise((r) => setTimeout(() => r({ kind: 'ok' }), 5)),
      // The first tick that records fails at its commit, with more due to claim; the next succeeds.
      onTick: (tick) => {
        if (tick.record.length === 0) return;
        failCommits(recordTicks++ === 0);
        if (recordTicks === 1) {
          expect(tick.claim.length).toBeGreaterThan(0);
          failedTicks++;
        }
      },
    });
    failCommits = commitGate(t.store.db);
    t.ingest(6);
    t.worker.start();
    await t.settle(() => t.statuses().every((d) => d.status === 'delivered'));
    await waitForIdle([() => t.worker.busy()], 5_000);
    expect(failedTicks).toBe(1);
    expect(t.stats().calls).toBe(6);
    expect(t.sends.map((s) => s.title).sort()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    expect(t.statuses().every((d) => d.attempts === 1)).toBe(true);
  });
});

describe('backoff and rate tokens', () => {
  it('doubles up to the cap with jitter in [half, full]', () => {
    expect([1, 2, 3, 4, 8].map((a) => backoffDelay(a, 1000, 5000, () => 0))).toEqual([500, 1000, 2000, 2500, 2500]);
    expect([1, 2, 3, 4, 8].map((a) => backoffDelay(a, 1000, 5000, () => 1))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('counts whole tokens, refills at the rate, and says when the next one comes', () => {
    const limiter = new RateLimiter();
    expect(limiter.available('k', 2, 3, 0)).toEqual({ count: 3, nextAt: 0 });
    limiter.consume('k', 3, 0);
    expect(limiter.available('k', 2, 3, 0)).toEqual({ count: 0, nextAt: 500 });
    expect(limiter.available('k', 2, 3, 500).count).toBe(1);
    expect(limiter.available('k', 2, 3, 10_000).count).toBe(3);
  });
});

describe('delivery worker on injected timers and clock', () => {
  /** Timers that fire only when the test moves the clock and asks: no wall-clock waiting. */
  function manualTimers(clock: () => number) {
    const timers: Array<{ fn: () => void; at: number; done: boolean }> = [];
    const flush = async () => {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    return {
      setTimer: (fn: () => void, ms: number) => {
        const timer = { fn, at: clock() + ms, done: false };
        timers.push(timer);
        return timer;
      },
      clearTimer: (handle: unknown) => {
        (handle as { done: boolean }).done = true;
      },
      /** Fires every timer due by now (and those they set that are due), until none is. */
      async runDue() {
        for (let round = 0; round < 100; round++) {
          await flush();
          const due = timers.filter((t) => !t.done && t.at <= clock());
          if (due.length === 0) return;
          for (const t of due) {
            t.done = true;
            t.fn();
          }
        }
        throw new Error('timers kept firing');
      },
      pending: () => timers.filter((t) => !t.done).map((t) => t.at - clock()),
    };
  }

  it('waits out a Retry-After on its own timers: nothing is sent until the clock passes it', async () => {
    let clock = Date.now();
    const timers = manualTimers(() => clock);
    const t = setup({
      send: (n) => (n === 1 ? { kind: 'retry', reason: 'HTTP 429', afterMs: 120_000 } : { kind: 'ok' }),
      config: { concurrency: 1 },
      now: () => clock,
      timers,
    });
    t.ingest(1);
    clock = Date.now(); // the delivery is due from its ingest time on
    t.worker.start();
    await timers.runDue();
    // Ticks are MIN_TICK_MS apart: the result is recorded on the next one.
    clock += 5;
    await timers.runDue();
    expect(t.stats().calls).toBe(1);
    expect(t.statuses()[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 429' });
    // Its sleep is capped at a minute, so a clock jump is seen; waking then sends nothing.
    expect(Math.min(...timers.pending())).toBe(60_000);
    clock += 60_000;
    await timers.runDue();
    expect(t.stats().calls).toBe(1);
    expect(t.worker.busy()).toBeUndefined();
    clock += 61_000;
    await timers.runDue();
    clock += 5;
    await timers.runDue();
    expect(t.stats().calls).toBe(2);
    expect(t.statuses()[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });
  it('records sends that went through together (one commit per RECORD_EVERY_MS), a retry at the next tick, each once', async () => {
    let clock = Date.now();
    const timers = manualTimers(() => clock);
    const recorded: DeliveryTick['record'][] = [];
    let claimOnly = 0;
    const t = setup({
      send: (n) => (n === 9 ? { kind: 'retry', reason: 'HTTP 503' } : { kind: 'ok' }),
      now: () => clock,
      timers,
      onTick: (tick) => void (tick.record.length > 0 ? recorded.push(tick.record) : claimOnly++),
    });
    // Batches of 4: the channel's adaptive limit starts at 4.
    t.ingest(4, new Date(clock));
    t.worker.start();
    await timers.runDue();
    clock += 2;
    await timers.runDue();
    // Nothing recorded for a while: the first results go at once.
    expect(recorded.map((r) => r.length)).toEqual([4]);
    t.ingest(4, new Date(clock));
    t.worker.wake();
    clock += 2;
    await timers.runDue();
    clock += 2;
    await timers.runDue();
    // Within RECORD_EVERY_MS of the last record: these four wait (claimed, shown as sending), and the ticks only claim.
    expect(t.stats().calls).toBe(8);
    expect(recorded.map((r) => r.length)).toEqual([4]);
    expect(claimOnly).toBeGreaterThan(1);
    expect(t.statuses().filter((d) => d.status === 'delivered')).toHaveLength(4);
    expect(t.worker.busy()).toBe('a tick pending');
    t.ingest(1, new Date(clock));
    t.worker.wake();
    clock += 2;
    await timers.runDue();
    clock += 2;
    await timers.runDue();
    // A retry is not held back: recorded at the next tick, with the four waiting.
    expect(recorded.map((r) => r.length)).toEqual([4, 5]);
    expect(t.statuses().map((d) => d.status)).toEqual([...Array(8).fill('delivered'), 'pending']);
    expect(t.statuses()[8]).toMatchObject({ attempts: 1, lastError: 'HTTP 503' });
    const ids = recorded.flat().map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('paces itself on the monotonic clock: a wall clock set back an hour neither leaves a send unrecorded nor puts the worker to sleep', async () => {
    let wall = Date.now();
    let mono = 1_000;
    const timers = manualTimers(() => mono);
    const t = setup({ send: () => ({ kind: 'ok' }), now: () => wall, monotonic: () => mono, timers });
    t.ingest(1, new Date(wall));
    t.worker.start();
    await timers.runDue();
    mono += 2;
    await timers.runDue();
    expect(t.statuses().map((d) => d.status)).toEqual(['delivered']);
    // The system clock is set back an hour (NTP, a user): the next event is due at the new time.
    wall -= 3_600_000;
    t.ingest(1, new Date(wall));
    t.worker.wake();
    mono += 2;
    await timers.runDue();
    mono += 2;
    await timers.runDue();
    expect(t.stats().calls).toBe(2);
    mono += 10;
    await timers.runDue();
    expect(t.statuses().map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect(t.worker.busy()).toBeUndefined();
  });

  it('records a lone result by RECORD_EVERY_MS at the latest, on its own timer', async () => {
    let clock = Date.now();
    const timers = manualTimers(() => clock);
    const t = setup({ send: () => ({ kind: 'ok' }), now: () => clock, timers });
    t.ingest(1, new Date(clock));
    t.worker.start();
    await timers.runDue();
    clock += 2;
    await timers.runDue();
    t.ingest(1, new Date(clock));
    t.worker.wake();
    clock += 2;
    await timers.runDue();
    clock += 2;
    await timers.runDue();
    expect(t.statuses().map((d) => d.status)).toEqual(['delivered', 'pending']);
    clock += 6;
    await timers.runDue();
    expect(t.statuses().map((d) => d.status)).toEqual(['delivered', 'delivered']);
    expect(t.worker.busy()).toBeUndefined();
  });
});

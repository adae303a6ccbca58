// The outbox worker: sends due deliveries through their channels. It owns the policy
// every channel shares (written once, as Alertmanager's retry stage): per-channel
// concurrency (adaptive, within the channel's declared limit: adaptive-concurrency.ts) and
// rate, exponential backoff with jitter, Retry-After, a bounded number of attempts,
// channel health. Channels only say ok / retry / fail.
import type { Delivery } from '../../../shared/api.js';
import type { ChannelConfig, Settings } from '../../../shared/config.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { type Channel, type ResolvedSecrets, type SendResult, withoutSecrets } from '../channels/channel.js';
import { redactSecrets } from '../secret-redaction.js';
import type { HealthTransition } from '../store/health.js';
import type { DeliveryOutcome, DeliveryTickResult, HealthRecord, StoreEngine } from '../store/engine.js';
import { AdaptiveLimit, type AdaptiveLimitView } from './adaptive-concurrency.js';
import { backoffDelay, MAX_RETRY_AFTER_MS } from './backoff.js';
import { RateLimiter } from './rate-limit.js';

export interface DeliveryWorkerDeps {
  /** The store's engine: one deliveryTick per tick (record, then claim), the event of a claim, a delivery for the UI. */
  store: Pick<StoreEngine, 'deliveryTick' | 'events' | 'outbox'>;
  channel: (id: string) => ChannelConfig | undefined;
  /** Every configured channel: the worker claims per channel. */
  channels: () => Iterable<ChannelConfig>;
  settings: () => Settings;
  /** The channel instance that sends for a configured channel. */
  channelFor: (config: ChannelConfig) => Channel;
  resolveSecrets: (config: ChannelConfig) => Promise<ResolvedSecrets>;
  /**
   * A channel kind's declared limits (channels/limits.ts): the most sends at once (the
   * channel's own `concurrency` may lower it), sends per second (Slack ~1) and the burst;
   * absent = the channel's `concurrency`, no rate.
   */
  limits?: (kind: ChannelConfig['kind']) => { maxConcurrency?: number; ratePerSecond?: number; burst?: number } | undefined;
  /** The rule a delivery came from, for the message's "why" (cheap: from config, not the store). */
  rule?: (id: string) => { id: string; name: string } | undefined;
  /** The channel config as sent for this rule: a rule's email recipients, the default sender. */
  adjustConfig?: (config: ChannelConfig, ruleId: string) => ChannelConfig;
  /** A delivery changed; `get` reads it only if someone is listening. */
  onDeliveryUpdated?: (get: () => Promise<Delivery | undefined>) => void;
  onHealthTransition?: (channel: ChannelConfig, transition: Exclude<HealthTransition, undefined>, lastError: string | null) => void;
  /** Wall time (epoch ms): what is stored (due times, results) and compared with it. */
  now?: () => number;
  /**
   * A clock that never steps (ms): the worker's pacing (ticks MIN_TICK_MS apart, results
   * recorded every RECORD_EVERY_MS), so a wall clock set back neither leaves sends
   * unrecorded nor puts the worker to sleep for the jump. Default performance.now(); a
   * test that injects only `now` paces on it.
   */
  monotonic?: () => number;
  random?: () => number;
  log?: (message: string) => void;
  /** Timers, injectable for tests (as the poll scheduler's): the worker's sleeps, wake-ups and send timeouts. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

type ClaimedDelivery = DeliveryTickResult['claimed'][number];
type Outcome = { claimed: ClaimedDelivery; config: ChannelConfig | undefined; result: SendResult; interrupted?: boolean };
type Transition = { config: ChannelConfig; transition: Exclude<HealthTransition, undefined>; error: string | null };

/** What a channel's delivery is doing now, for its status in the UI. */
export interface ChannelDeliveryState extends AdaptiveLimitView {
  inFlight: number;
  /** The service asked the channel to wait (a 429/503's Retry-After): no sends before this time (epoch ms). */
  pausedUntil?: number;
  /** The answer that asked for the pause ("HTTP 429: slow down"). */
  pausedBy?: string;
}

const CLAIM_BATCH = 64;
/** Leases (PostgreSQL) are renewed when this much of their time is left. */
const LEASE_RENEW_FRACTION = 0.5;
const MIN_TICK_MS = 2;
/**
 * Sends that went through wait up to this long, or until this many finished, to be recorded
 * together: one bookkeeping commit for all of them, while the ticks between only claim (no
 * commit). Anything else (a retry, a failure, a send cut off) is recorded at the next tick.
 */
const RECORD_EVERY_MS = 10;
const RECORD_BATCH = 64;
const DEFAULT_TIMEOUT_MS = 30_000;

export class DeliveryWorker {
  private readonly inFlight = new Map<string, number>();
  /** Each channel's adaptive concurrency limit, made on its first use. */
  private readonly limiters = new Map<string, AdaptiveLimit>();
  /** A channel told to wait (429) or rate-limited: no sends before this time. */
  private readonly notBefore = new Map<string, number>();
  /** The pauses the services asked for (Retry-After), for the channel's status: a rate limit's short waits are not shown. */
  private readonly asked = new Map<string, { until: number; by: string }>();
  private readonly rates = new RateLimiter();
  private readonly running = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  /** Sends that finished since the last tick: recorded together, one commit for all. */
  private finished: Outcome[] = [];
  private timer: unknown;
  private wakeScheduled = false;
  /** A tick is running (its transaction awaited): a wake-up meanwhile ticks again after it. */
  private ticking: Promise<void> | undefined;
  private tickAgain = false;
  /** Each enabled channel's next due delivery as of the last tick (busy() answers from it). */
  private dueAt = new Map<string, number>();
  /** Leased claims in flight (PostgreSQL): id → when the lease ends, renewed while the send runs. */
  private readonly leases = new Map<number, { until: number; length: number }>();
  private leaseTimer: unknown;
  /** When the last tick ran, on the monotonic clock (MIN_TICK_MS). */
  private lastTickAt = -Infinity;
  /** When results were last recorded, on the monotonic clock (RECORD_EVERY_MS). */
  private lastRecordAt = -Infinity;
  /** Set when stop() aborts the sends still running after its grace period. */
  private shuttingDown = false;
  private stopped = true;
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly random: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.now = deps.now ?? Date.now;
    this.monotonic = deps.monotonic ?? deps.now ?? (() => performance.now());
    this.random = deps.random ?? Math.random;
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimer ?? ((handle) => clearTimeout(handle as NodeJS.Timeout));
  }

  /** A timer that does not keep the process alive by itself (where the system's timers are used). */
  private background(fn: () => void, ms: number): unknown {
    const handle = this.setTimer(fn, ms);
    (handle as { unref?: () => void } | undefined)?.unref?.();
    return handle;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /**
   * New deliveries exist (ingest, manual retry) or sends finished: tick soon rather than
   * at the next timer. Ticks are at least MIN_TICK_MS apart, so under load one tick
   * claims many sends (and records many results: RECORD_EVERY_MS).
   */
  wake(): void {
    if (this.wakeScheduled || (this.stopped && this.finished.length === 0)) return;
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.wakeScheduled = true;
    const run = () => {
      this.wakeScheduled = false;
      void this.tick();
    };
    const wait = this.lastTickAt + MIN_TICK_MS - this.monotonic();
    if (wait > 0) this.setTimer(run, wait);
    else if (this.deps.setTimer) this.setTimer(run, 0);
    else setImmediate(run);
  }

  /**
   * A channel's settings changed (a URL fixed, a token replaced): a pause its old endpoint
   * asked for (429/503 Retry-After) no longer applies, nor the concurrency it was found to
   * sustain (the limit starts again at 4). The caller moves its queued
   * deliveries to now (outbox.dueNow).
   */
  channelChanged(channelId: string): void {
    this.notBefore.delete(channelId);
    this.asked.delete(channelId);
    // Perhaps another endpoint now: what the old one sustained says nothing about it.
    this.limiters.delete(channelId);
    this.wake();
  }

  /** Waits up to graceMs for in-flight sends; whatever has not finished stays queued in the store. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clearTimer(this.timer);
    const all = Promise.allSettled([...this.running]);
    const timeout = new Promise<void>((resolve) => this.background(resolve, graceMs));
    await Promise.race([all, timeout]);
    this.shuttingDown = true;
    for (const controller of this.aborts) controller.abort(new Error('Herald is shutting down'));
    await Promise.race([Promise.allSettled([...this.running]), new Promise<void>((r) => this.background(r, 1_000))]);
    if (this.leaseTimer) this.clearTimer(this.leaseTimer);
    this.leaseTimer = undefined;
    // Record what finished, so a restart does not send it again.
    await this.ticking;
    await this.tick();
  }

  /** What it is busy with, or undefined when quiet: no send in flight, no result unrecorded, no tick pending, nothing due it could claim. */
  busy(): string | undefined {
    if (this.running.size > 0) return `${this.running.size} sends in flight`;
    if (this.finished.length > 0 || this.wakeScheduled || this.ticking || this.tickAgain) return 'a tick pending';
    const now = this.now();
    for (const config of this.deps.channels()) {
      if (!config.enabled || (this.notBefore.get(config.id) ?? 0) > now) continue;
      const due = this.dueAt.get(config.id);
      if (due !== undefined && due <= now) return `deliveries due for channel ${config.id}`;
    }
    return undefined;
  }

  get inFlightCount(): number {
    return this.running.size;
  }

  /** A channel's concurrency now: the adaptive limit, its ceiling, the sends in flight. */
  channelState(config: ChannelConfig): ChannelDeliveryState {
    const state: ChannelDeliveryState = { ...this.limiterFor(config).view(), inFlight: this.inFlight.get(config.id) ?? 0 };
    const asked = this.asked.get(config.id);
    if (asked && asked.until > this.now()) {
      state.pausedUntil = asked.until;
      state.pausedBy = asked.by;
    } else if (asked) this.asked.delete(config.id);
    return state;
  }

  /** The channel's limiter, its ceiling kept equal to the declared limit (an edit may have changed it). */
  private limiterFor(config: ChannelConfig): AdaptiveLimit {
    const declared = this.deps.limits?.(config.kind)?.maxConcurrency;
    const max = Math.min(config.concurrency, declared ?? config.concurrency);
    let limiter = this.limiters.get(config.id);
    if (!limiter) this.limiters.set(config.id, (limiter = new AdaptiveLimit({ max })));
    else if (limiter.max !== max) limiter.setMax(max);
    return limiter;
  }

  /** How many deliveries each enabled channel can take now: free concurrency, rate tokens, no 429 pause. */
  private wants(now: number): Array<readonly [string, number]> {
    const wants: Array<readonly [string, number]> = [];
    for (const config of this.deps.channels()) {
      if (!config.enabled || (this.notBefore.get(config.id) ?? 0) > now) continue;
      let free = this.limiterFor(config).limit - (this.inFlight.get(config.id) ?? 0);
      const limit = this.deps.limits?.(config.kind);
      if (free > 0 && limit?.ratePerSecond) {
        const tokens = this.rates.available(config.id, limit.ratePerSecond, limit.burst ?? 1, now);
        if (tokens.count < 1) this.notBefore.set(config.id, tokens.nextAt);
        free = Math.min(free, tokens.count);
      }
      if (free > 0) wants.push([config.id, Math.min(free, CLAIM_BATCH)]);
    }
    return wants;
  }

  /** Count what was claimed against concurrency and rate, before the sends start. */
  private taken(claimed: ClaimedDelivery[], now: number): void {
    for (const delivery of claimed) {
      this.inFlight.set(delivery.channelId, (this.inFlight.get(delivery.channelId) ?? 0) + 1);
      const config = this.deps.channel(delivery.channelId);
      const limit = config && this.deps.limits?.(config.kind);
      if (limit?.ratePerSecond) this.rates.consume(delivery.channelId, 1, now);
    }
  }

  /**
   * One engine.deliveryTick per tick: the results to record now (recordNow: every
   * RECORD_EVERY_MS under load, at once after a quiet spell or for a retry) in one commit
   * with the channels' health, then what is due claimed. Under load ticks are MIN_TICK_MS
   * apart, so each claims many. One tick at a time; a wake-up during one ticks again after it.
   */
  private tick(): Promise<void> {
    const run = this.runTick().finally(() => {
      this.ticking = undefined;
      if (this.tickAgain) {
        this.tickAgain = false;
        this.wake();
      }
    });
    this.ticking = run;
    return run;
  }

  private async runTick(): Promise<void> {
    if (this.timer) this.clearTimer(this.timer);
    this.timer = undefined;
    const now = this.now();
    const startedAt = this.monotonic();
    const results = this.recordNow(startedAt) ? this.finished.splice(0) : [];
    const outcomes: DeliveryOutcome[] = [];
    const health: HealthRecord[] = [];
    const healthOf: ChannelConfig[] = [];
    for (const r of results) {
      // Cut off by shutdown: not the channel's fault, and not an attempt.
      if (r.interrupted) {
        outcomes.push({ id: r.claimed.id, result: 'requeue' });
        continue;
      }
      const { outcome, channelHealth } = this.record(r.claimed, r.config, r.result, now);
      outcomes.push(outcome);
      if (channelHealth) {
        health.push(channelHealth);
        healthOf.push(r.config!);
      }
    }
    let answer: DeliveryTickResult;
    try {
      answer = await this.deps.store.deliveryTick({ now, record: outcomes, health, claim: this.stopped ? [] : this.wants(now) });
    } catch (error) {
      this.deps.log?.(`delivery: could not update the outbox: ${(error as Error).message}`);
      this.finished.unshift(...results);
      this.schedule(1_000);
      return;
    }
    for (const r of results) this.leases.delete(r.claimed.id);
    if (results.length > 0) this.lastRecordAt = startedAt;
    const { claimed } = answer;
    this.taken(claimed, now);
    this.lastTickAt = startedAt;
    for (const r of results) this.updated(r.claimed.id);
    answer.transitions.forEach((transition, i) => {
      if (transition) this.deps.onHealthTransition?.(healthOf[i]!, transition, health[i]!.ok ? null : (health[i] as { error: string }).error);
    });
    for (const delivery of claimed) {
      if (delivery.leaseUntil !== undefined) this.leases.set(delivery.id, { until: delivery.leaseUntil, length: Math.max(1, delivery.leaseUntil - now) });
      const task = this.send(delivery).then((outcome) => {
        this.finished.push(outcome);
        const left = (this.inFlight.get(delivery.channelId) ?? 1) - 1;
        if (left > 0) this.inFlight.set(delivery.channelId, left);
        else this.inFlight.delete(delivery.channelId);
        this.running.delete(task);
        this.wake();
      });
      this.running.add(task);
    }
    this.scheduleLeaseRenewal();
    if (!this.stopped) await this.scheduleNext();
  }

  /** Whether this tick records the finished sends, or leaves sends that went through for a later tick to record with more. */
  private recordNow(at: number): boolean {
    if (this.finished.length === 0) return false;
    if (this.stopped || this.finished.length >= RECORD_BATCH || at - this.lastRecordAt >= RECORD_EVERY_MS) return true;
    return this.finished.some((r) => r.interrupted || r.result.kind !== 'ok');
  }

  /**
   * A claim's lease (PostgreSQL) must outlive its send: renewed when half of it is left, so
   * another replica claims it again only when this one stopped renewing (it died).
   */
  private scheduleLeaseRenewal(): void {
    if (this.leaseTimer || this.leases.size === 0) return;
    const now = this.now();
    let at = Infinity;
    for (const lease of this.leases.values()) at = Math.min(at, lease.until - lease.length * LEASE_RENEW_FRACTION);
    this.leaseTimer = this.background(() => void this.renewLeases(), Math.max(0, at - now));
  }

  private async renewLeases(): Promise<void> {
    const now = this.now();
    const due = [...this.leases].filter(([, lease]) => lease.until - lease.length * LEASE_RENEW_FRACTION <= now).map(([id]) => id);
    try {
      if (due.length > 0) await this.deps.store.outbox.renewLeases(due, now);
      for (const id of due) {
        const lease = this.leases.get(id);
        if (lease) lease.until = now + lease.length;
      }
    } catch (error) {
      this.deps.log?.(`delivery: could not renew the leases of ${due.length} sends: ${(error as Error).message}`);
    }
    this.leaseTimer = undefined;
    if (!this.shuttingDown) this.scheduleLeaseRenewal();
  }

  /**
   * When to look again, channel by channel: one channel held back (a 429's pause, its
   * rate, its sends all in flight) must not hold up another channel's due work.
   */
  private async scheduleNext(): Promise<void> {
    const now = this.now();
    let next: number | undefined;
    let overdue = false;
    const dueAt = new Map<string, number>();
    for (const config of this.deps.channels()) {
      if (!config.enabled) continue;
      let due: number | undefined;
      try {
        due = await this.deps.store.outbox.nextDue(config.id, now);
      } catch (error) {
        this.deps.log?.(`delivery: could not read the outbox: ${(error as Error).message}`);
        this.schedule(1_000);
        return;
      }
      if (due === undefined) continue;
      dueAt.set(config.id, due);
      // A full channel's sends wake the worker as they finish.
      if ((this.inFlight.get(config.id) ?? 0) >= this.limiterFor(config).limit) continue;
      const at = Math.max(due, this.notBefore.get(config.id) ?? 0);
      if (at <= now) overdue = true;
      else next = Math.min(next ?? at, at);
    }
    this.dueAt = dueAt;
    // Sends that went through and wait to be recorded with more: recorded by then at the latest.
    if (this.finished.length > 0) next = Math.min(next ?? Infinity, now + Math.max(0, this.lastRecordAt + RECORD_EVERY_MS - this.monotonic()));
    // Due now but not claimed (more than one claim batch): in-flight sends wake us as they
    // finish; with none running, poll rather than spin.
    if (overdue && this.running.size === 0) next = Math.min(next ?? now + 250, now + 250);
    if (next !== undefined) this.schedule(next - now);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) this.clearTimer(this.timer);
    // Cap the sleep so a clock jump or an external change to the store is seen within a minute.
    this.timer = this.background(() => this.wake(), Math.min(ms, 60_000));
  }

  private async send(claimed: ClaimedDelivery): Promise<Outcome> {
    const config = this.deps.channel(claimed.channelId);
    let event: HeraldEvent | undefined;
    try {
      event = await this.deps.store.events.forDelivery(claimed.eventSeq);
    } catch (error) {
      // The store could not answer (PostgreSQL away): not the channel's fault, a retry will do.
      return { claimed, config, result: { kind: 'retry', reason: `could not read the event: ${(error as Error).message}` } };
    }
    if (!config) return { claimed, config, result: { kind: 'fail', reason: `channel "${claimed.channelId}" no longer exists` } };
    if (!event) return { claimed, config, result: { kind: 'fail', reason: 'the event was deleted' } };
    const limiter = this.limiterFor(config);
    const started = { startedAt: this.now(), inFlight: this.inFlight.get(config.id) ?? 1, generation: limiter.generation };
    const result = await this.attempt(config, event, claimed);
    const interrupted = this.shuttingDown;
    // What the endpoint said about its load: a taken message or a push-back (429, 5xx, timeout,
    // refused). A `fail` (a 4xx, a bad config) says nothing about load.
    if (!interrupted && result.kind !== 'fail') limiter.sample({ ...started, finishedAt: this.now(), outcome: result.kind === 'ok' ? 'ok' : 'overload' });
    return { claimed, config, result, interrupted };
  }

  private async attempt(config: ChannelConfig, event: HeraldEvent, claimed: ClaimedDelivery): Promise<SendResult> {
    const controller = new AbortController();
    this.aborts.add(controller);
    const timeoutMs = 'timeoutMs' in config && typeof config.timeoutMs === 'number' ? config.timeoutMs : DEFAULT_TIMEOUT_MS;
    const timer = this.setTimer(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs + 1_000);
    let secrets: ResolvedSecrets = {};
    try {
      try {
        secrets = await this.deps.resolveSecrets(config);
      } catch (error) {
        return { kind: 'fail', reason: `secret unavailable: ${(error as Error).message}` };
      }
      const rule = this.deps.rule?.(claimed.ruleId);
      const message = { event, ...(rule && { rule }) };
      const sendConfig = this.deps.adjustConfig?.(config, claimed.ruleId) ?? config;
      // A reason quoting the service may quote the request back: no secret goes into the
      // delivery's error, the channel's health, or the unhealthy event other channels send.
      return withoutSecrets(await this.deps.channelFor(config).send(message, sendConfig, secrets, controller.signal), secrets);
    } catch (error) {
      // A channel should not throw; if it does, a retry may help (it is our bug or a blip).
      return { kind: 'retry', reason: redactSecrets(`channel error: ${(error as Error).message}`, secrets) };
    } finally {
      this.clearTimer(timer);
      this.aborts.delete(controller);
    }
  }

  /** What to write for one result, and what it means for the channel's health (recorded in the same transaction). */
  private record(claimed: ClaimedDelivery, config: ChannelConfig | undefined, result: SendResult, now: number): { outcome: DeliveryOutcome; channelHealth?: HealthRecord } {
    const settings = this.deps.settings().delivery;
    const id = claimed.id;
    if (!config) return { outcome: { id, result: 'failed', error: result.kind === 'ok' ? 'channel removed' : result.reason } };
    if (result.kind === 'ok') return { outcome: { id, result: 'delivered' }, channelHealth: { kind: 'channel', id: config.id, ok: true } };
    const reason = result.reason;
    // Retry-After is a floor, not a replacement for backoff: a `0` or a date already past
    // (the sender's clock behind) must not spend every attempt in a few milliseconds.
    const askedMs = result.kind === 'retry' && result.afterMs !== undefined ? Math.min(Math.max(0, result.afterMs), MAX_RETRY_AFTER_MS) : 0;
    // The service asked the whole channel to wait (429): hold every send to it, not just this
    // one — also when this delivery has no attempt left, the others have.
    if (askedMs > 0) {
      const until = Math.max(this.notBefore.get(config.id) ?? 0, now + askedMs);
      this.notBefore.set(config.id, until);
      // Shown on the channel: its backlog waiting, maybe for hours, is otherwise unexplained.
      if (until > (this.asked.get(config.id)?.until ?? 0)) this.asked.set(config.id, { until, by: reason });
    }
    let outcome: DeliveryOutcome;
    if (result.kind === 'retry' && claimed.attempt < settings.maxAttempts) {
      const delay = Math.max(askedMs, backoffDelay(claimed.attempt, settings.baseDelayMs, settings.maxDelayMs, this.random));
      outcome = { id, result: 'retry', at: now + delay, error: reason };
    } else {
      const final = result.kind === 'retry' ? `gave up after ${claimed.attempt === 1 ? '1 attempt' : `${claimed.attempt} attempts`}: ${reason}` : reason;
      outcome = { id, result: 'failed', error: final };
    }
    return { outcome, channelHealth: { kind: 'channel', id: config.id, ok: false, error: reason, unhealthyAfter: settings.unhealthyAfter } };
  }

  private updated(id: number): void {
    this.deps.onDeliveryUpdated?.(() => this.deps.store.outbox.get(id));
  }
}

// The outbox worker: sends due deliveries through their channels. It owns the policy
// every channel shares (written once, as Alertmanager's retry stage): per-channel
// concurrency and rate, exponential backoff with jitter, Retry-After, a bounded number
// of attempts, channel health. Channels only say ok / retry / fail.
import type { Delivery } from '../../../shared/api.js';
import type { ChannelConfig, Settings } from '../../../shared/config.js';
import type { HeraldEvent } from '../../../shared/event.js';
import type { Channel, ResolvedSecrets, SendResult } from '../channels/channel.js';
import type { HealthTransition } from '../store/health.js';
import type { ClaimedDelivery } from '../store/outbox.js';
import type { Store } from '../store/store.js';
import { backoffDelay, MAX_RETRY_AFTER_MS } from './backoff.js';
import { RateLimiter } from './rate-limit.js';

export interface DeliveryWorkerDeps {
  store: Store;
  channel: (id: string) => ChannelConfig | undefined;
  settings: () => Settings;
  channelFor: (kind: ChannelConfig['kind']) => Channel;
  resolveSecrets: (config: ChannelConfig) => Promise<ResolvedSecrets>;
  /** Sends per second a channel kind allows (Slack ~1) and its burst; absent = unlimited. */
  rateLimit?: (kind: ChannelConfig['kind']) => { ratePerSecond?: number; burst?: number } | undefined;
  onDeliveryUpdated?: (delivery: Delivery) => void;
  onHealthTransition?: (channel: ChannelConfig, transition: Exclude<HealthTransition, undefined>, lastError: string | null) => void;
  now?: () => number;
  random?: () => number;
  log?: (message: string) => void;
}

const CLAIM_BATCH = 64;
const DEFAULT_TIMEOUT_MS = 30_000;

export class DeliveryWorker {
  private readonly inFlight = new Map<string, number>();
  /** A channel told to wait (429) or rate-limited: no sends before this time. */
  private readonly notBefore = new Map<string, number>();
  private readonly rates = new RateLimiter();
  private readonly running = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private timer: NodeJS.Timeout | undefined;
  private wakeScheduled = false;
  private stopped = true;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly deps: DeliveryWorkerDeps) {
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** New deliveries exist (ingest, manual retry): look now rather than at the next timer. */
  wake(): void {
    if (this.stopped || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.pump();
    });
  }

  /** Waits up to graceMs for in-flight sends; whatever has not finished stays queued in the store. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = Promise.allSettled([...this.running]);
    const timeout = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([all, timeout]);
    for (const controller of this.aborts) controller.abort(new Error('Herald is shutting down'));
    await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, 1_000).unref())]);
  }

  get inFlightCount(): number {
    return this.running.size;
  }

  private canTake = (channelId: string): boolean => {
    const config = this.deps.channel(channelId);
    if (!config || !config.enabled) return config === undefined; // unknown: claim it to cancel; disabled: leave queued
    const now = this.now();
    if ((this.notBefore.get(channelId) ?? 0) > now) return false;
    if ((this.inFlight.get(channelId) ?? 0) >= config.concurrency) return false;
    const limit = this.deps.rateLimit?.(config.kind);
    if (limit?.ratePerSecond) {
      const token = this.rates.take(channelId, limit.ratePerSecond, limit.burst ?? 1, now);
      if (!token.ok) {
        this.notBefore.set(channelId, token.at);
        return false;
      }
    }
    // Count the claim now so one batch cannot exceed the channel's concurrency.
    this.inFlight.set(channelId, (this.inFlight.get(channelId) ?? 0) + 1);
    return true;
  };

  private pump(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    let claimed: ClaimedDelivery[];
    try {
      claimed = this.deps.store.outbox.claimDue(now, CLAIM_BATCH, this.canTake);
    } catch (error) {
      this.deps.log?.(`delivery: could not read the outbox: ${(error as Error).message}`);
      this.schedule(1_000);
      return;
    }
    for (const delivery of claimed) {
      const task = this.send(delivery).finally(() => {
        this.running.delete(task);
        const left = (this.inFlight.get(delivery.channelId) ?? 1) - 1;
        if (left > 0) this.inFlight.set(delivery.channelId, left);
        else this.inFlight.delete(delivery.channelId);
        this.wake();
      });
      this.running.add(task);
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const now = this.now();
    const due = this.deps.store.outbox.nextDue();
    const blocked = [...this.notBefore.values()].filter((t) => t > now);
    let next = due;
    // Due work held back by a rate limit: look again when the earliest channel frees up.
    if (due !== undefined && due <= now) next = blocked.length ? Math.min(...blocked) : undefined;
    if (next === undefined) {
      // Nothing due now, or all due work waits on in-flight sends (their completion wakes us).
      if (due !== undefined && due > now) this.schedule(due - now);
      else if (due !== undefined && this.running.size === 0) this.schedule(250);
      return;
    }
    this.schedule(Math.max(0, next - now));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    // Cap the sleep so a clock jump or an external change to the store is seen within a minute.
    this.timer = setTimeout(() => this.pump(), Math.min(ms, 60_000));
    this.timer.unref?.();
  }

  private async send(claimed: ClaimedDelivery): Promise<void> {
    const { store } = this.deps;
    const config = this.deps.channel(claimed.channelId);
    const event = store.events.getBySeq(claimed.eventSeq);
    if (!config || !event) {
      const reason = !config ? `channel "${claimed.channelId}" no longer exists` : 'the event was deleted';
      store.outbox.failed(claimed.id, reason, this.now());
      this.updated(claimed.id);
      return;
    }
    const result = await this.attempt(config, event, claimed);
    this.record(config, claimed, result);
  }

  private async attempt(config: ChannelConfig, event: HeraldEvent, claimed: ClaimedDelivery): Promise<SendResult> {
    const controller = new AbortController();
    this.aborts.add(controller);
    const timeoutMs = 'timeoutMs' in config && typeof config.timeoutMs === 'number' ? config.timeoutMs : DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs + 1_000);
    try {
      let secrets: ResolvedSecrets;
      try {
        secrets = await this.deps.resolveSecrets(config);
      } catch (error) {
        return { kind: 'fail', reason: `secret unavailable: ${(error as Error).message}` };
      }
      const rule = this.deps.store.events.get(event.id)?.matches.find((m) => m.ruleId === claimed.ruleId);
      const message = { event, ...(rule && { rule: { id: rule.ruleId, name: rule.ruleName } }) };
      return await this.deps.channelFor(config.kind).send(message, config, secrets, controller.signal);
    } catch (error) {
      // A channel should not throw; if it does, a retry may help (it is our bug or a blip).
      return { kind: 'retry', reason: `channel error: ${(error as Error).message}` };
    } finally {
      clearTimeout(timer);
      this.aborts.delete(controller);
    }
  }

  private record(config: ChannelConfig, claimed: ClaimedDelivery, result: SendResult): void {
    const { store } = this.deps;
    const settings = this.deps.settings().delivery;
    const now = this.now();
    let transition: HealthTransition;
    if (result.kind === 'ok') {
      store.outbox.delivered(claimed.id, now);
      transition = store.health.recordSuccess('channel', config.id, now);
    } else {
      const reason = result.reason;
      const retryable = result.kind === 'retry' && claimed.attempt < settings.maxAttempts;
      if (retryable) {
        const delay =
          result.afterMs !== undefined
            ? Math.min(result.afterMs, MAX_RETRY_AFTER_MS)
            : backoffDelay(claimed.attempt, settings.baseDelayMs, settings.maxDelayMs, this.random);
        store.outbox.retryAt(claimed.id, now + delay, reason, now);
        // The service asked the whole channel to wait (429): hold every send to it, not just this one.
        if (result.afterMs !== undefined) this.notBefore.set(config.id, Math.max(this.notBefore.get(config.id) ?? 0, now + delay));
      } else {
        const final = result.kind === 'retry' ? `gave up after ${claimed.attempt} attempts: ${reason}` : reason;
        store.outbox.failed(claimed.id, final, now);
      }
      transition = store.health.recordFailure('channel', config.id, reason, now, settings.unhealthyAfter);
    }
    this.updated(claimed.id);
    if (transition) this.deps.onHealthTransition?.(config, transition, result.kind === 'ok' ? null : result.reason);
  }

  private updated(id: number): void {
    const delivery = this.deps.store.outbox.get(id);
    if (delivery) this.deps.onDeliveryUpdated?.(delivery);
  }
}

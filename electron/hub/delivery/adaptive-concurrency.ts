// How many sends one channel may have in flight, adapted to what its endpoint sustains.
// After TCP congestion control as Netflix's concurrency-limits (AIMD, Gradient2) and
// Envoy's adaptive concurrency filter apply it to requests:
//   - Overload (a 429, a 5xx, a timeout, a refused connection: every `retry`) halves the
//     limit, once per round trip: sends that started before the cut were sent at the old
//     limit, so their outcomes are not counted against the new one (TCP's one decrease per
//     window; a generation number, not the clock, tells them apart).
//   - Latency is judged per window (as many completions as the limit: each slot used once,
//     about one round trip). While the window's mean latency holds near the baseline, the
//     limit grows — doubling until the first overload or latency rise (slow start), then
//     by one per window — but only while the sends actually fill it: an idle channel's
//     limit does not creep up on sends that never queued.
//   - A window slower than the baseline × tolerance shrinks the limit by the latency
//     gradient (baseline·tolerance / latency, at most halving): queueing at the endpoint
//     shows in its latency before it shows in errors.
//   - The baseline follows a quicker endpoint at once and a slower one by a tenth of the
//     gap per window (a long average, as Gradient2's): a host that stays busy (the round
//     trip includes our own event loop) or an endpoint that got slower for good becomes
//     the new normal within some windows, while a sudden rise is still cut. At the floor
//     (the limit at its minimum) a window's latency is the endpoint's own, not queueing
//     we caused, so it becomes the baseline at once (Envoy re-measures its minRTT at low
//     concurrency for the same reason).
// The limit stays within [min, max]: max is the channel's declared limit (its kind's
// maximum and the user's `concurrency`, the lower), never exceeded. Rate (sends a second)
// and Retry-After are enforced beside it by the worker (rate-limit.ts, notBefore).

/** How far the baseline moves toward a slower window's mean, per window. */
const BASELINE_RISE = 0.1;

export interface AdaptiveLimitOptions {
  /** The most sends at once this channel may ever have: its declared limit. */
  max: number;
  /** The limit at start (clamped to [min, max]); default 4. */
  initial?: number;
  /** Default 1. */
  min?: number;
  /** A window is "slow" beyond baseline × tolerance … (default 2) */
  tolerance?: number;
  /** … and beyond baseline + slackMs (default 50): tens of ms on a loopback endpoint are our own event loop, not queueing. */
  slackMs?: number;
  /** The factor an overload multiplies the limit by (default 0.5). */
  backoff?: number;
}

export type SendSample = {
  /** When the send started and finished (the worker's clock). */
  startedAt: number;
  finishedAt: number;
  /** Sends in flight to this channel when this one started, itself included. */
  inFlight: number;
  /** `generation` when the send started. */
  generation: number;
  /** `overload`: the endpoint pushed back (429, 5xx, timeout, connection refused); `ok`: it took the message. */
  outcome: 'ok' | 'overload';
};

export interface AdaptiveLimitView {
  /** Sends allowed at once now. */
  limit: number;
  /** The declared limit it stays under. */
  max: number;
  /** The latency the limit is judged against (a long average of the windows' means), ms; undefined before the first window. */
  baselineMs: number | undefined;
  /** Mean latency of the last complete window, ms. */
  lastWindowMs: number | undefined;
  /** Why the limit last went down, and when (epoch ms). */
  lastDecrease: { reason: 'overload' | 'latency'; at: number } | undefined;
}

export class AdaptiveLimit {
  private value: number;
  private maxLimit: number;
  private readonly min: number;
  private readonly tolerance: number;
  private readonly slackMs: number;
  private readonly backoff: number;
  private slowStart = true;
  private baseline: number | undefined;
  private lastWindow: number | undefined;
  private lastDecrease: AdaptiveLimitView['lastDecrease'];
  /** Counts the decreases: a send started in an earlier generation was sent at a limit since cut, so it is no evidence about the new one. */
  private decreases = 0;
  private window = { count: 0, totalMs: 0, filled: false };

  constructor(options: AdaptiveLimitOptions) {
    this.min = Math.max(1, options.min ?? 1);
    this.maxLimit = Math.max(this.min, options.max);
    this.tolerance = options.tolerance ?? 2;
    this.slackMs = options.slackMs ?? 50;
    this.backoff = options.backoff ?? 0.5;
    this.value = this.clamp(options.initial ?? 4);
  }

  /** Sends allowed at once now (whole). */
  get limit(): number {
    return Math.floor(this.value);
  }

  get max(): number {
    return this.maxLimit;
  }

  /** The declared limit changed (the channel was edited): the limit follows it down at once. */
  setMax(max: number): void {
    this.maxLimit = Math.max(this.min, max);
    this.value = this.clamp(this.value);
  }

  view(): AdaptiveLimitView {
    return { limit: this.limit, max: this.maxLimit, baselineMs: this.baseline, lastWindowMs: this.lastWindow, lastDecrease: this.lastDecrease };
  }

  /** Stamp a send with this when it starts; pass it back in its sample. */
  get generation(): number {
    return this.decreases;
  }

  /** One finished send. */
  sample(sample: SendSample): void {
    if (sample.generation < this.decreases) return;
    if (sample.outcome === 'overload') {
      this.decrease(this.backoff, 'overload', sample.finishedAt);
      return;
    }
    const w = this.window;
    w.count++;
    w.totalMs += Math.max(0, sample.finishedAt - sample.startedAt);
    // Used: the sends filled at least half the limit at some point in the window (Netflix's AIMD test).
    if (sample.inFlight * 2 >= this.limit) w.filled = true;
    if (w.count >= this.limit) this.closeWindow(sample.finishedAt);
  }

  private closeWindow(now: number): void {
    const { count, totalMs, filled } = this.window;
    this.window = { count: 0, totalMs: 0, filled: false };
    const mean = totalMs / count;
    this.lastWindow = mean;
    if (this.baseline === undefined || mean < this.baseline || this.limit <= this.min) this.baseline = mean;
    const slowAbove = Math.max(this.baseline * this.tolerance, this.baseline + this.slackMs);
    this.baseline += (mean - this.baseline) * BASELINE_RISE;
    if (mean > slowAbove) {
      this.decrease(Math.max(this.backoff, slowAbove / mean), 'latency', now);
    } else if (filled) {
      this.value = this.clamp(this.slowStart ? this.value * 2 : this.value + 1);
    }
  }

  private decrease(factor: number, reason: 'overload' | 'latency', now: number): void {
    this.slowStart = false;
    this.value = this.clamp(this.value * factor);
    this.decreases++;
    this.lastDecrease = { reason, at: now };
    this.window = { count: 0, totalMs: 0, filled: false };
  }

  private clamp(value: number): number {
    return Math.min(this.maxLimit, Math.max(this.min, value));
  }
}

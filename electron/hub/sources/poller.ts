// The poll scheduler: polls every enabled polled source on its own jittered interval,
// commits each poll's events and new state in one transaction, backs off exponentially
// while a source fails, and reports every result as source health. Sources added,
// removed, paused or edited at runtime start, stop or restart polling on refresh().
// On a team hub each source is polled only by the replica holding its lease (`poll:<id>`):
// a replica that loses it aborts its poll and commits nothing; one that takes it over waits
// out the interval its predecessor's last poll started.
import type { RateLimitView } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import { describeZodError, type EventInput, EventInputSchema } from '../../../shared/event.js';
import type { Lease } from '../leadership/leadership.js';
import { describePollError, PollError } from './poll-http.js';
import { redactSecrets } from '../secret-redaction.js';
import type { PollingSource, PollReport } from './source.js';

export type PollHealth = { ok: true } | { ok: false; error: string };

export interface PollSchedulerDeps {
  /** The current config; read again on every refresh() and wake-up. */
  sources: () => SourceConfig[];
  pollerFor: (kind: SourceConfig['kind']) => PollingSource | undefined;
  resolveSecrets: (source: SourceConfig) => Promise<Record<string, string>>;
  /** The source's last committed state (the store answers asynchronously). */
  loadState: (sourceId: string) => Promise<unknown> | unknown;
  /** Stores the events and the new state in ONE transaction. */
  commit: (source: SourceConfig, events: EventInput[], state: unknown) => Promise<void>;
  /** Counts the poll's result (awaited: the poll is done once its health is recorded). */
  recordHealth: (source: SourceConfig, result: PollHealth) => Promise<void> | void;
  now?: () => number;
  random?: () => number;
  log?: (line: string) => void;
  /** Timers, injectable for tests. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Longest wait between polls of a failing source; default 30 min (or the interval, if longer). */
  maxBackoffMs?: number;
  /** A whole poll (all its requests) is aborted after this long; default 5 min. */
  pollTimeoutMs?: number;
  /** Polls running at once, over all sources; default 4. */
  concurrency?: number;
  /** The lease a source is polled under (leadership.ts); default: always held (one hub). */
  lease?: (sourceId: string) => Lease;
}

export interface PollOutcome {
  ok: boolean;
  /** Events committed by this poll. */
  events: number;
  error?: string;
}

export interface SourcePollStatus {
  nextPollAt: number | null;
  lastPollAt: number | null;
  lastError: string | null;
  /** The current backoff delay (0 while healthy). */
  backoffMs: number;
  consecutiveFailures: number;
  running: boolean;
  /** The API's request budget as last reported by the source. */
  rateLimit?: RateLimitView;
  /** What the source says about its pace ("slowed down…", "paused until…"). */
  notice?: string;
  /** False on a team hub replica that does not hold this source's lease: another replica polls it. */
  polledHere?: boolean;
}

export interface PollScheduler {
  /** Re-read the config: start, stop or restart polling of changed sources. */
  refresh(): void;
  /** Poll one source now (waits for a running poll of it first); reschedules after. */
  pollNow(sourceId: string): Promise<PollOutcome>;
  states(): Record<string, SourcePollStatus>;
  stop(): Promise<void>;
}

/** ±10 % around the interval, so sources added together do not poll together forever. */
export const JITTER = 0.1;
export const DEFAULT_MAX_BACKOFF_MS = 30 * 60_000;

export function jittered(ms: number, random: () => number): number {
  return Math.round(ms * (1 + (random() * 2 - 1) * JITTER));
}

/** Delay after `failures` consecutive failures: the interval, doubled per failure after the first, capped. */
export function backoffMs(intervalMs: number, failures: number, capMs: number): number {
  if (failures <= 0) return 0;
  const cap = Math.max(capMs, intervalMs);
  return Math.min(cap, intervalMs * 2 ** Math.min(failures - 1, 30));
}

export function intervalMsOf(source: SourceConfig, poller: PollingSource): number {
  const configured = (source as { pollIntervalSeconds?: number }).pollIntervalSeconds;
  return (configured ?? poller.defaultIntervalSeconds) * 1000;
}

interface Entry {
  source: SourceConfig;
  poller: PollingSource;
  /** The config as polled: an edit restarts the schedule. */
  fingerprint: string;
  nextPollAt: number;
  lastPollAt: number | null;
  lastError: string | null;
  failures: number;
  backoffMs: number;
  running: Promise<PollOutcome> | null;
  abort: AbortController | null;
  /** Bumped when the entry is replaced or removed: a poll of an old generation commits nothing. */
  generation: number;
  rateLimit?: RateLimitView;
  notice?: string;
}

const ALWAYS_HELD: Omit<Lease, 'name'> = {
  held: () => true,
  onChange: () => () => undefined,
  ranAgoMs: () => undefined,
  noteRun: () => undefined,
  release: () => undefined,
};

export function startPollScheduler(deps: PollSchedulerDeps): PollScheduler {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? (() => undefined);
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms).unref());
  const clearTimer = deps.clearTimer ?? ((handle: unknown) => clearTimeout(handle as NodeJS.Timeout));
  const maxBackoff = deps.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
  const pollTimeoutMs = deps.pollTimeoutMs ?? 5 * 60_000;
  const concurrency = deps.concurrency ?? 4;

  const entries = new Map<string, Entry>();
  /** Each polled source's lease and the subscription to it: kept across edits, released when the source goes. */
  const leases = new Map<string, { lease: Lease; unsubscribe: () => void }>();
  const leaseOf = (sourceId: string): Lease => {
    let held = leases.get(sourceId);
    if (!held) {
      const lease = deps.lease?.(sourceId) ?? { name: sourceId, ...ALWAYS_HELD };
      held = { lease, unsubscribe: lease.onChange((now) => leaseChanged(sourceId, now)) };
      leases.set(sourceId, held);
    }
    return held.lease;
  };
  const polledHere = (entry: Entry) => leaseOf(entry.source.id).held();
  let generation = 0;
  let timer: unknown = null;
  let timerAt = Infinity;
  let stopped = false;
  let active = 0;

  function reconcile(): void {
    const wanted = new Map<string, { source: SourceConfig; poller: PollingSource }>();
    for (const source of deps.sources()) {
      if (!source.enabled) continue;
      const poller = deps.pollerFor(source.kind);
      if (poller) wanted.set(source.id, { source, poller });
    }
    for (const [id, entry] of entries) {
      const next = wanted.get(id);
      if (!next || JSON.stringify(next.source) !== entry.fingerprint) {
        entry.generation = -1;
        entry.abort?.abort();
        entries.delete(id);
        log(`poll: ${id} ${next ? 'changed; restarting its schedule' : 'removed or paused; polling stopped'}`);
      }
    }
    for (const [id, held] of leases) {
      if (wanted.has(id)) continue;
      held.unsubscribe();
      held.lease.release();
      leases.delete(id);
    }
    for (const [id, { source, poller }] of wanted) {
      if (entries.has(id)) continue;
      entries.set(id, {
        source,
        poller,
        fingerprint: JSON.stringify(source),
        nextPollAt: now(),
        lastPollAt: null,
        lastError: null,
        failures: 0,
        backoffMs: 0,
        running: null,
        abort: null,
        generation: ++generation,
      });
    }
  }

  /** Now, unless another replica polled this source less than an interval ago: then when that interval ends. */
  function firstPollAt(sourceId: string, intervalMs: number): number {
    const ranAgo = leaseOf(sourceId).ranAgoMs();
    return ranAgo === undefined ? now() : now() + Math.max(0, intervalMs - ranAgo);
  }

  /** Gained: the schedule starts after the predecessor's interval. Lost: the running poll is abandoned. */
  function leaseChanged(sourceId: string, held: boolean): void {
    if (stopped) return;
    const entry = entries.get(sourceId);
    if (!entry) return;
    if (held) {
      entry.nextPollAt = Math.max(entry.nextPollAt, firstPollAt(sourceId, intervalMsOf(entry.source, entry.poller)));
      log(`poll: ${sourceId} is polled by this replica now`);
    } else {
      entry.abort?.abort(new PollError('timeout', 'this replica lost the lease of this source; another replica polls it'));
      log(`poll: ${sourceId} is no longer polled by this replica (lease lost)`);
    }
    arm();
  }

  function arm(): void {
    if (stopped) return;
    // Every slot busy: a finishing poll wakes the scheduler (run() re-arms), no timer needed.
    if (active >= concurrency) {
      if (timer !== null) clearTimer(timer);
      timer = null;
      timerAt = Infinity;
      return;
    }
    let earliest = Infinity;
    for (const entry of entries.values()) if (!entry.running && polledHere(entry)) earliest = Math.min(earliest, entry.nextPollAt);
    if (earliest === Infinity) {
      if (timer !== null) clearTimer(timer);
      timer = null;
      timerAt = Infinity;
      return;
    }
    if (timer !== null && timerAt <= earliest) return;
    if (timer !== null) clearTimer(timer);
    timerAt = earliest;
    timer = setTimer(wake, Math.max(0, earliest - now()));
  }

  function wake(): void {
    if (timer !== null) clearTimer(timer);
    timer = null;
    timerAt = Infinity;
    if (stopped) return;
    reconcile();
    const due = [...entries.values()].filter((e) => !e.running && e.nextPollAt <= now() && polledHere(e)).sort((a, b) => a.nextPollAt - b.nextPollAt);
    for (const entry of due) {
      if (active >= concurrency) break;
      void run(entry);
    }
    // Due polls beyond the concurrency limit wait for a running one to finish.
    arm();
  }

  function run(entry: Entry): Promise<PollOutcome> {
    const promise = pollOnce(entry).finally(() => {
      entry.running = null;
      entry.abort = null;
      active--;
      if (!stopped) {
        if (active < concurrency && [...entries.values()].some((e) => !e.running && e.nextPollAt <= now() && polledHere(e))) setImmediate(wake);
        arm();
      }
    });
    active++;
    entry.running = promise;
    return promise;
  }

  async function pollOnce(entry: Entry): Promise<PollOutcome> {
    const { source, poller } = entry;
    const myGeneration = entry.generation;
    const controller = new AbortController();
    entry.abort = controller;
    const timeout = setTimeout(() => controller.abort(new PollError('timeout', `the whole poll took longer than ${pollTimeoutMs / 1000} s`)), pollTimeoutMs);
    const startedAt = now();
    const lease = leaseOf(source.id);
    // A poll commits only while this replica still holds the lease: one that lost it mid-poll leaves the state to the new holder.
    const current = () => entry.generation === myGeneration && !stopped && lease.held();
    lease.noteRun();
    let secrets: Record<string, string> = {};
    try {
      try {
        secrets = await deps.resolveSecrets(source);
      } catch (error) {
        throw new Error(`secret unavailable: ${describePollError(error)}`);
      }
      const lastState = await deps.loadState(source.id);
      const report = (r: PollReport) => {
        if (!current()) return;
        if (r.rateLimit) entry.rateLimit = r.rateLimit;
        if (r.notice !== undefined) entry.notice = r.notice ?? undefined;
      };
      const result = await poller.poll({ config: source, secrets, signal: controller.signal, now: new Date(startedAt), report }, lastState);
      if (!current()) return { ok: false, events: 0, error: 'polling was stopped' };
      const events = checkEvents(result.events);
      if (events.length > 0 || JSON.stringify(result.state) !== JSON.stringify(lastState)) {
        await deps.commit(source, events, result.state);
      }
      entry.lastPollAt = startedAt;
      entry.lastError = null;
      entry.failures = 0;
      entry.backoffMs = 0;
      // The source may ask for a longer wait (its API's budget runs low), never a shorter one.
      entry.nextPollAt = now() + Math.max(jittered(intervalMsOf(source, poller), random), result.nextPollInMs ?? 0);
      await deps.recordHealth(source, { ok: true });
      return { ok: true, events: events.length };
    } catch (error) {
      if (!current()) return { ok: false, events: 0, error: 'polling was stopped' };
      // A server's message may quote the token back: it goes to health, the log and the unhealthy event without it.
      const reason = redactSecrets(describePollError(controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : error), secrets);
      entry.lastPollAt = startedAt;
      entry.lastError = reason;
      entry.failures++;
      const failure = controller.signal.aborted ? undefined : error;
      if (failure instanceof PollError && failure.retryAfterMs !== undefined) {
        // The server said when to come back (a secondary rate limit): exactly then, no jitter, no doubling.
        entry.backoffMs = Math.max(failure.retryAfterMs, 1000);
        entry.nextPollAt = now() + entry.backoffMs;
      } else {
        entry.backoffMs = backoffMs(intervalMsOf(source, poller), entry.failures, maxBackoff);
        entry.nextPollAt = now() + jittered(entry.backoffMs, random);
      }
      log(`poll: ${source.id} (${source.kind}) failed (${entry.failures} in a row, next try in ${Math.round(entry.backoffMs / 1000)} s): ${reason}`);
      await deps.recordHealth(source, { ok: false, error: reason });
      return { ok: false, events: 0, error: reason };
    } finally {
      clearTimeout(timeout);
    }
  }

  reconcile();
  arm();

  return {
    refresh() {
      if (stopped) return;
      reconcile();
      arm();
    },

    async pollNow(sourceId) {
      if (stopped) return { ok: false, events: 0, error: 'the poll scheduler is stopped' };
      reconcile();
      const entry = entries.get(sourceId);
      if (!entry) {
        const source = deps.sources().find((s) => s.id === sourceId);
        const why = !source ? 'no such source' : !source.enabled ? 'the source is paused' : `${source.kind} sources are not polled`;
        return { ok: false, events: 0, error: `cannot poll "${sourceId}": ${why}` };
      }
      if (!polledHere(entry)) return { ok: false, events: 0, error: `cannot poll "${sourceId}" here: another replica of this hub holds its lease and polls it` };
      // Two callers may be waiting: each waits until no poll runs, so they never poll from the same state.
      while (entry.running) await entry.running.catch(() => undefined);
      if (entries.get(sourceId) !== entry) return { ok: false, events: 0, error: 'the source changed while waiting' };
      return run(entry);
    },

    states() {
      const out: Record<string, SourcePollStatus> = {};
      for (const [id, e] of entries) {
        out[id] = {
          nextPollAt: e.running || !polledHere(e) ? null : e.nextPollAt,
          lastPollAt: e.lastPollAt,
          lastError: e.lastError,
          backoffMs: e.backoffMs,
          consecutiveFailures: e.failures,
          running: e.running !== null,
          ...(!polledHere(e) && { polledHere: false }),
          ...(e.rateLimit && { rateLimit: e.rateLimit }),
          ...(e.notice && { notice: e.notice }),
        };
      }
      return out;
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      const running = [...entries.values()].map((e) => {
        e.abort?.abort();
        return e.running;
      });
      await Promise.allSettled(running);
      entries.clear();
      for (const held of leases.values()) held.unsubscribe();
      leases.clear();
    },
  };
}

/** Sources are code we trust less than the schema: an invalid event fails the poll, naming it. */
function checkEvents(events: EventInput[]): EventInput[] {
  return events.map((event, i) => {
    const check = EventInputSchema.safeParse(event);
    if (!check.success) throw new Error(`the source produced an invalid event ${i} (${String(event.type)}): ${describeZodError(check.error)}`);
    return check.data;
  });
}

export interface TestPollDeps {
  pollerFor: (kind: SourceConfig['kind']) => PollingSource | undefined;
  resolveSecrets: (source: SourceConfig) => Promise<Record<string, string>>;
  loadState?: (sourceId: string) => unknown;
  timeoutMs?: number;
}

/**
 * "Test connection": one real poll, nothing committed, answered with what failed
 * (DNS, TLS, refused, timeout, token rejected, wrong URL, bad JSON, unexpected shape).
 */
export async function testPollingSource(source: SourceConfig, deps: TestPollDeps): Promise<{ ok: boolean; detail: string }> {
  const poller = deps.pollerFor(source.kind);
  if (!poller) return { ok: false, detail: `${source.kind} sources are not polled` };
  let secrets: Record<string, string>;
  try {
    secrets = await deps.resolveSecrets(source);
  } catch (error) {
    return { ok: false, detail: `secret unavailable: ${describePollError(error)}` };
  }
  const answer = await testPollWith(poller, source, secrets, deps);
  return answer.ok ? answer : { ok: false, detail: redactSecrets(answer.detail, secrets) };
}

async function testPollWith(poller: PollingSource, source: SourceConfig, secrets: Record<string, string>, deps: TestPollDeps): Promise<{ ok: boolean; detail: string }> {
  const signal = AbortSignal.timeout(deps.timeoutMs ?? 60_000);
  if (poller.test) {
    try {
      return await poller.test({ config: source, secrets, signal, now: new Date() });
    } catch (error) {
      return { ok: false, detail: describePollError(error) };
    }
  }
  try {
    const lastState = await deps.loadState?.(source.id);
    const result = await poller.poll({ config: source, secrets, signal, now: new Date() }, lastState);
    checkEvents(result.events);
    const pending = result.events.length;
    return {
      ok: true,
      detail:
        lastState === undefined
          ? 'connected: the API answered as expected (a first poll records the current state and raises nothing)'
          : `connected: the API answered as expected; ${pending} new event${pending === 1 ? '' : 's'} would be raised now (not committed by the test)`,
    };
  } catch (error) {
    return { ok: false, detail: describePollError(error) };
  }
}

// The digest scheduler: closes each digest window when it ends. A digest rule's events
// wait in the store (added at ingest, in the ingest transaction); when the window ends,
// the store turns them into ONE herald.digest event with one delivery per channel, in one
// transaction, and the outbox worker sends it like any event.
//
// Windows are fixed and start with the first event: an event arriving when the rule has
// no open window opens one of `windowSeconds`; later events join it until it ends; the
// next event after that opens the next window. Quiet periods send nothing.
import { randomUUID } from 'node:crypto';
import { completeEvent, EventInputSchema, describeZodError, type EventInput, type HeraldEvent } from '../../../shared/event.js';
import { formatDuration } from '../../../shared/duration.js';
import { formatDigest } from '../channels/digest.js';
import type { ClosedDigest, DigestWindow } from '../rules/digest-windows.js';
import type { StoreEngine } from '../store/engine.js';
import type { OutboundEvent } from '../../../shared/template-variables.js';

/** `data` of an event must stay small (EventInputSchema): at most this many bytes of JSON. */
const MAX_DATA_CHARS = 16 * 1024;

/**
 * Pure: the stored herald.digest event for a window's events. Its `data.digest` carries
 * the count, the window, the severities, the first events and their ids (as many as fit).
 */
export function buildDigestEvent(window: DigestWindow, events: HeraldEvent[], now: number, id: string = randomUUID()): HeraldEvent {
  const message = formatDigest(events, { start: new Date(window.start), end: new Date(window.end) }, { id: window.ruleId, name: window.ruleName });
  const formatted = message.event;
  const digest = (formatted.data?.digest ?? {}) as Record<string, unknown> & { events?: unknown[] };
  const sorted = [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  let listed = digest.events ?? [];
  let eventIds = sorted.map((e) => e.id);
  return storedSummaryEvent(formatted, {
    data: () => ({
      digest: { ...digest, events: listed, eventIds, windowSeconds: Math.round((window.end - window.start) / 1000), ruleId: window.ruleId },
    }),
    // Thousands of events in one window: list fewer, then name fewer ids; `count` stays the total.
    shrink: () => {
      if (listed.length > 5) listed = listed.slice(0, Math.floor(listed.length / 2));
      else if (eventIds.length > 1) eventIds = eventIds.slice(0, Math.floor(eventIds.length / 2));
      else return false;
      return true;
    },
    now,
    id,
    what: `the digest of rule ${window.ruleId}`,
  });
}

/**
 * A formatted summary (a digest, a storm group's message) as the event the store keeps:
 * `data()` made smaller by `shrink()` until it fits MAX_DATA_CHARS, the summary cut to the
 * schema's length, and checked like any event from outside, so the api can return it.
 */
export function storedSummaryEvent(
  formatted: OutboundEvent,
  fit: { data: () => Record<string, unknown>; shrink: () => boolean; now: number; id: string; what: string },
): HeraldEvent {
  let data = fit.data();
  while (JSON.stringify(data).length > MAX_DATA_CHARS && fit.shrink()) data = fit.data();
  const input: EventInput = {
    type: formatted.type,
    severity: formatted.severity,
    title: formatted.title,
    ...(formatted.summary !== undefined && { summary: formatted.summary.slice(0, 10_000) }),
    subject: formatted.subject,
    occurredAt: formatted.occurredAt,
    dedupKey: formatted.dedupKey,
    data,
  };
  const parsed = EventInputSchema.safeParse(input);
  if (!parsed.success) throw new Error(`${fit.what} is not a valid event: ${describeZodError(parsed.error)}`);
  return { ...completeEvent(parsed.data, formatted.source, new Date(fit.now)), id: fit.id, read: false };
}

/** Why the digest was sent, for the event detail. */
export function digestReason(window: DigestWindow, covered: number, channels: string[]): string {
  const seconds = Math.round((window.end - window.start) / 1000);
  return `the ${formatDuration(seconds * 1000, 'adjective')} digest of ${covered} event${covered === 1 ? '' : 's'} (${new Date(window.start).toISOString()} – ${new Date(window.end).toISOString()}), sent to ${channels.join(', ')}`;
}

export interface DigestSchedulerDeps {
  store: Pick<StoreEngine, 'digests' | 'closeDigest'>;
  /** The rule's current name (it may have been renamed since its window opened). */
  ruleName?: (ruleId: string) => string | undefined;
  /**
   * Whether a channel gets the digest of a rule's window closing at `now`: not one deleted
   * since its events were collected, nor a desktop one while popups are held back then
   * (quiet hours, snooze).
   */
  sendsDigest: (channelId: string, ruleId: string, now: number) => boolean;
  /** After commit: tell the UI, wake the delivery worker. */
  onClosed: (digest: ClosedDigest) => void;
  now?: () => number;
  /** Longest sleep between looks at the store (a clock jump, a window opened elsewhere); default 60 s. */
  maxSleepMs?: number;
  log?: (line: string) => void;
}

export class DigestScheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** A look at the store is scheduled now or running (hub.idle() waits for it). */
  private looking = false;
  private running: Promise<void> | undefined;
  /** When the next window ends, as of the last look. */
  private nextDueAt: number | undefined;
  private readonly now: () => number;
  private readonly maxSleepMs: number;

  constructor(private readonly deps: DigestSchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.maxSleepMs = deps.maxSleepMs ?? 60_000;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stops the timer; resolves once a look still running has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** A window may have opened (or the clock moved): close what is due, then sleep until the next end. */
  wake(): void {
    if (this.stopped) return;
    this.looking = true;
    if (this.running) return; // the running look reads the store again when done
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), 0);
    this.timer.unref?.();
  }

  /** What it is busy with, or undefined: a look pending or running, or a window due by the hub's clock. */
  busy(): string | undefined {
    if (this.looking || this.running) return 'a look at the digest windows pending';
    if (!this.stopped && (this.nextDueAt ?? Infinity) <= this.now()) return 'a digest window due';
    return undefined;
  }

  /** Closes every window that has ended by now; returns the digests stored. */
  async closeDue(): Promise<ClosedDigest[]> {
    const now = this.now();
    const closed: ClosedDigest[] = [];
    for (const window of await this.deps.store.digests.due(now)) {
      const named = { ...window, ruleName: this.deps.ruleName?.(window.ruleId) ?? window.ruleName };
      try {
        const digest = await this.deps.store.closeDigest(
          named,
          (w, events, channels) => ({ event: buildDigestEvent(w, events, now), reason: digestReason(w, events.length, channels) }),
          { now, keepChannel: (channelId) => this.deps.sendsDigest(channelId, window.ruleId, now) },
        );
        if (digest) closed.push(digest);
      } catch (error) {
        // Rolled back: the window stays and is tried again at the next look.
        this.deps.log?.(`digest: could not close the window of rule ${window.ruleId}: ${(error as Error).message}`);
      }
    }
    for (const digest of closed) this.deps.onClosed(digest);
    return closed;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) {
      this.looking = false;
      return;
    }
    let done!: () => void;
    this.running = new Promise((resolve) => (done = resolve));
    let sleep = this.maxSleepMs;
    try {
      // Woken while looking: look again (a window may have opened after the read).
      while (this.looking && !this.stopped) {
        this.looking = false;
        await this.closeDue();
        this.nextDueAt = await this.deps.store.digests.nextDue();
      }
      if (this.nextDueAt !== undefined) sleep = Math.min(this.maxSleepMs, Math.max(0, this.nextDueAt - this.now()));
      // A window that could not be closed is due at once: do not spin on it.
      if (sleep === 0) sleep = Math.min(this.maxSleepMs, 1_000);
    } catch (error) {
      this.deps.log?.(`digest: could not read the digest windows: ${(error as Error).message}`);
      sleep = Math.min(this.maxSleepMs, 5_000);
    } finally {
      this.looking = false;
      this.running = undefined;
      done();
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.looking = true;
      void this.run();
    }, sleep);
    this.timer.unref?.();
  }
}

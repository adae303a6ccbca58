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
import { DueTimer } from './due-timer.js';
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
  private readonly timer: DueTimer;
  private readonly now: () => number;

  constructor(private readonly deps: DigestSchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.timer = new DueTimer({
      name: 'digest window',
      runDue: () => this.closeDue(),
      nextDue: () => this.deps.store.digests.nextDue(),
      now: this.now,
      ...(deps.maxSleepMs !== undefined && { maxSleepMs: deps.maxSleepMs }),
      ...(deps.log && { log: deps.log }),
    });
  }

  start(): void {
    this.timer.start();
  }

  /** Stops the timer; resolves once a look still running has finished. */
  stop(): Promise<void> {
    return this.timer.stop();
  }

  /** A window may have opened (or the clock moved): close what is due, then sleep until the next end. */
  wake(): void {
    this.timer.wake();
  }

  /** What it is busy with, or undefined: a look pending or running, or a window due by the hub's clock. */
  busy(): string | undefined {
    return this.timer.busy();
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
}

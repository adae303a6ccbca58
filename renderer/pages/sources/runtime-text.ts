// What the running hub knows about a source (its relay client, its poll schedule, the last
// request it ignored), as the short lines the Sources page shows. Pure: `now` is passed in,
// so the page can tick and the tests can pin the clock.
import type { PollView, RejectedRequest, RelayView, SubscriptionView } from '../../../shared/api.js';
import { formatDuration } from '../../../shared/duration.js';
import { formatAgo, formatUntil } from '../../lib/time.js';

export type Tone = 'ok' | 'warn' | 'bad' | 'muted';

export interface RelayLine {
  tone: Tone;
  /** "connected", "reconnecting in 8 s"… */
  state: string;
  /** What it has done: "3 relayed · last 2 min ago". */
  detail?: string;
  /** Why it is not connected; while connected, the last delivery problem (shown quieter). */
  error?: string;
}

/**
 * @param receivedAt when this view came from the hub: `retryInMs` counts from about then.
 */
export function describeRelay(relay: RelayView, now: number, receivedAt: number): RelayLine {
  const error = relay.lastError ?? undefined;
  const activity =
    relay.delivered > 0
      ? `${relay.delivered.toLocaleString('en-US')} relayed${relay.lastEventAt ? ` · last ${formatAgo(relay.lastEventAt, now)}` : ''}`
      : 'nothing relayed yet';
  switch (relay.state) {
    case 'connected':
      return { tone: 'ok', state: 'connected', detail: activity, ...(error && { error }) };
    case 'connecting':
      return { tone: 'warn', state: 'connecting…', ...(error && { error }) };
    case 'reconnecting': {
      const when = relay.retryInMs === undefined ? 'soon' : formatUntil(receivedAt + relay.retryInMs, now);
      return { tone: 'bad', state: `reconnecting ${when}`, ...(error && { error }) };
    }
    case 'stopped':
      return { tone: 'muted', state: 'stopped', ...(error && { error }) };
    default:
      return { tone: 'muted', state: String(relay.state) };
  }
}

export interface PollLine {
  tone: Tone;
  /** "polls every 60 s · last 12 s ago · next in 48 s" */
  schedule: string;
  /** While failing: how long it waits between tries now. */
  backoff?: string;
  error?: string;
  /** The API's request budget: "4,812 of 5,000 requests left, resets 09:14". */
  budget?: string;
  /** What the source does about its pace or its repositories: "slowed down…", "2 of 40 repositories failed…". */
  notice?: string;
}

/** 09:14 in the viewer's time (or the zone given, for tests). */
export function formatClock(iso: string, timeZone?: string): string {
  return new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', ...(timeZone && { timeZone }) });
}

export function describePoll(poll: PollView, intervalSeconds: number | undefined, now: number, timeZone?: string): PollLine {
  const extra = {
    ...(poll.rateLimit && {
      budget: `${poll.rateLimit.remaining.toLocaleString('en-US')} of ${poll.rateLimit.limit.toLocaleString('en-US')} requests left, resets ${formatClock(poll.rateLimit.resetAt, timeZone)}`,
    }),
    ...(poll.notice && { notice: poll.notice }),
  };
  const line = describeSchedule(poll, intervalSeconds, now);
  return { ...line, ...extra, ...(extra.notice && line.tone === 'ok' && { tone: 'warn' as const }) };
}

function describeSchedule(poll: PollView, intervalSeconds: number | undefined, now: number): PollLine {
  const parts = [intervalSeconds === undefined ? 'polls on a schedule' : `polls every ${formatDuration(intervalSeconds * 1000, 'exact')}`];
  parts.push(poll.lastPollAt ? `last ${formatAgo(poll.lastPollAt, now)}` : 'not polled yet');
  // The scheduler reports no next time while a poll runs.
  parts.push(poll.nextPollAt === null ? 'polling now…' : `next ${formatUntil(Date.parse(poll.nextPollAt), now)}`);
  const schedule = parts.join(' · ');
  if (poll.lastError === null) return { tone: poll.lastPollAt ? 'ok' : 'muted', schedule };
  const failures = poll.consecutiveFailures;
  const backoff =
    poll.backoffMs > 0
      ? `backing off: ${failures} failed ${failures === 1 ? 'poll' : 'polls'} in a row, now ${formatDuration(poll.backoffMs)} between tries`
      : undefined;
  return { tone: 'bad', schedule, ...(backoff && { backoff }), error: poll.lastError };
}

export function describeIgnored(ignored: { at: string; reason: string }, now: number): string {
  return `last ignored: ${ignored.reason} — ${formatAgo(ignored.at, now)}`;
}

/** "last refused: 401 signature or token missing or wrong — 2 min ago · 14 in the last hour" */
export function describeRejected(rejected: RejectedRequest, lastHour: number | undefined, now: number): string {
  const count = lastHour ? ` · ${lastHour.toLocaleString('en-US')} in the last hour` : '';
  return `last refused: ${rejected.status} ${rejected.reason} — ${formatAgo(rejected.at, now)}${count}`;
}

/** Default poll intervals of the kinds whose schema leaves it optional (see the `polled` fields in shared/config.ts). */
export const DEFAULT_POLL_SECONDS: Record<string, number> = { kosli: 60, secobserve: 300, defectdojo: 300, cctray: 60, 'devtron-poll': 60 };

/** Refetch once a poll is due (when its outcome is known), while one runs, and otherwise now and then. */
export const RUNTIME_REFRESH = { afterDueMs: 1500, whileRunningMs: 2000, maxMs: 30_000 };

/**
 * How long until the page should ask the hub again. The hub announces health transitions and
 * relay state changes, but not a poll that went as expected or a request it ignored.
 */
export function nextRefreshDelay(polls: Array<PollView | undefined>, now: number): number {
  let delay = RUNTIME_REFRESH.maxMs;
  for (const poll of polls) {
    if (!poll) continue;
    // A poll already due but not yet reported running is asked about like a running one.
    const due = poll.nextPollAt === null ? now : Date.parse(poll.nextPollAt) + RUNTIME_REFRESH.afterDueMs;
    if (!Number.isNaN(due)) delay = Math.min(delay, Math.max(due - now, RUNTIME_REFRESH.whileRunningMs));
  }
  return delay;
}

/** Kinds that hold a connection to a message queue (no ingress URL, no poll schedule). */
export const SUBSCRIBED_KINDS: ReadonlySet<string> = new Set(['chainloop-audit']);

/** "connected · 12 received · last 2 min ago", or why not and when it tries again. */
export function describeSubscription(sub: SubscriptionView, now: number, receivedAt: number): RelayLine {
  const error = sub.lastError ?? undefined;
  const activity = [
    sub.received > 0 ? `${sub.received.toLocaleString('en-US')} received${sub.lastEventAt ? ` · last ${formatAgo(sub.lastEventAt, now)}` : ''}` : 'nothing received yet',
    sub.dropped > 0 ? `${sub.dropped} dropped` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  switch (sub.state) {
    case 'connected':
      return { tone: 'ok', state: `connected${sub.detail ? ` (${sub.detail})` : ''}`, detail: activity, ...(error && { error }) };
    case 'connecting':
      return { tone: 'warn', state: 'connecting…', ...(error && { error }) };
    case 'reconnecting': {
      const when = sub.retryInMs === undefined ? '' : ` ${formatUntil(receivedAt + sub.retryInMs, now)}`;
      return { tone: 'bad', state: `reconnecting${when}`, ...(error && { error }) };
    }
    default:
      return { tone: 'muted', state: 'stopped', ...(error && { error }) };
  }
}

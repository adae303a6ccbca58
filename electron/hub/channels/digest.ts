// A digest: one message standing for every event a rule matched in a window (instead of
// one message each). It is an ordinary `herald.digest` event, so every channel can send
// it as it is; the delivery worker decides when a window closes.
import { formatDuration } from '../../../shared/duration.js';
import { SEVERITY_RANK, SUBJECT_FIELDS, type Severity, type Subject } from '../../../shared/event.js';
import { outboundEvent, type OutboundEvent } from '../../../shared/template-variables.js';
import { truncateText } from '../../../shared/text-escaping.js';
import type { Message } from './channel.js';
import { formatTime, headline } from './format.js';

/** Lines listed in the summary; the rest are counted. Chat limits make more pointless. */
export const DIGEST_MAX_LINES = 25;
/** Events listed in `data.digest.events` for templates (data must stay small). */
export const DIGEST_MAX_DATA_EVENTS = 50;

export interface DigestWindow {
  start: Date | string;
  end: Date | string;
}

/** Subject fields every event shares (a digest of one project says so). */
export function commonSubject(events: OutboundEvent[]): Subject {
  const subject: Subject = {};
  for (const field of SUBJECT_FIELDS) {
    const first = events[0]?.subject[field];
    if (first && events.every((e) => e.subject[field] === first)) subject[field] = first;
  }
  return subject;
}

/**
 * One line per event (`08:00 UTC · 🔴 build failed`), at most DIGEST_MAX_LINES and then a
 * count of the rest. A project every event shares is said once, in the message's subject,
 * not on every line. Plain text: each channel escapes it for where it lands.
 */
export function summaryLines(events: readonly OutboundEvent[], common: Subject): string[] {
  // A title's control characters (a terminal escape, a bell) would reach plain-text parts as they are: spaces instead.
  const line = (e: OutboundEvent) => truncateText(headline(e, { project: !common.project }).replace(/[\u0000-\u001f\u007f]+/g, ' '), 200);
  const lines = events.slice(0, DIGEST_MAX_LINES).map((e) => `${formatTime(e.occurredAt).slice(11)} · ${line(e)}`);
  if (events.length > DIGEST_MAX_LINES) lines.push(`…and ${events.length - DIGEST_MAX_LINES} more`);
  return lines;
}

/**
 * `12 failures`, `3 findings`, `2 events`: a storm group of `*.failed` events counts
 * failures (`failures: true`); a group or digest of `finding.*` events counts findings, as
 * DefectDojo says "new findings"; anything else counts events.
 */
export function countNoun(events: readonly Pick<OutboundEvent, 'type'>[], options: { failures?: boolean } = {}): string {
  const n = events.length;
  const all = (test: (type: string) => boolean) => events.every((e) => test(e.type));
  const noun = options.failures && all((t) => t.endsWith('.failed')) ? 'failure' : all((t) => t.startsWith('finding.')) ? 'finding' : 'event';
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Pure: the digest message for `events` (oldest first after sorting) in `window`. */
export function formatDigest(events: OutboundEvent[], window: DigestWindow, rule?: { id: string; name: string }): Message {
  if (!events.length) throw new Error('a digest needs at least one event');
  const start = new Date(window.start).toISOString();
  const end = new Date(window.end).toISOString();
  const sorted = [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const counts: Partial<Record<Severity, number>> = {};
  let worst: Severity = 'info';
  for (const e of sorted) {
    counts[e.severity] = (counts[e.severity] ?? 0) + 1;
    if (SEVERITY_RANK[e.severity] > SEVERITY_RANK[worst]) worst = e.severity;
  }
  const seconds = Math.max(1, Math.round((Date.parse(end) - Date.parse(start)) / 1000));
  const breakdown = (['critical', 'warning', 'success', 'info'] as const)
    .filter((s) => counts[s])
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');
  const n = sorted.length;
  const subject = commonSubject(sorted);
  const lines = summaryLines(sorted, subject);

  const event: OutboundEvent = {
    id: `digest:${rule?.id ?? 'all'}:${end}`,
    source: { kind: 'herald', id: 'herald', name: 'Herald' },
    type: 'herald.digest',
    severity: worst,
    subject,
    title: `${countNoun(sorted)} in the last ${formatDuration(seconds * 1000, 'noun')}${breakdown ? ` (${breakdown})` : ''}`,
    summary: lines.join('\n'),
    occurredAt: end,
    receivedAt: end,
    dedupKey: `digest:${rule?.id ?? 'all'}:${start}`,
    data: {
      digest: {
        count: n,
        start,
        end,
        bySeverity: counts,
        events: sorted.slice(0, DIGEST_MAX_DATA_EVENTS).map((e) => {
          const { id, type, severity, title, url, occurredAt } = outboundEvent(e);
          return { id, type, severity, title: truncateText(title, 200), url, occurredAt };
        }),
      },
    },
  };
  return { event: { ...event, read: false }, rule };
}

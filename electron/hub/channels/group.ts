// A storm group's message: one message standing for the events of one group of a grouping
// rule ("12 failures in acme/api"), a line per event. Like a digest it is an ordinary event
// (`herald.group`), so every channel sends it as it is: chat channels show the lines,
// the desktop one popup, and webhook templates read the list from `data.group`
// (template-variables.ts: group.count, group.items, group.first, group.last, group.by).
import { SEVERITY_RANK, type Severity } from '../../../shared/event.js';
import { groupItemOf, type OutboundEvent } from '../../../shared/template-variables.js';
import type { Message } from './channel.js';
import { commonSubject, countNoun, DIGEST_MAX_DATA_EVENTS, summaryLines } from './digest.js';

export interface GroupFacts {
  ruleId: string;
  ruleName: string;
  /** The group's subject values (shared/rules.ts groupValues). */
  by: Record<string, string>;
  /** This message's number within the group: 1 for the first. */
  message: number;
}

/** Pure: the message for a group's events, listed in the order they came (`events` as given). */
export function formatGroup(events: readonly OutboundEvent[], facts: GroupFacts, at: Date | string): Message {
  if (!events.length) throw new Error('a group message needs at least one event');
  const counts: Partial<Record<Severity, number>> = {};
  let worst: Severity = 'info';
  for (const e of events) {
    counts[e.severity] = (counts[e.severity] ?? 0) + 1;
    if (SEVERITY_RANK[e.severity] > SEVERITY_RANK[worst]) worst = e.severity;
  }
  const kinds = Object.keys(counts).length;
  const breakdown = kinds > 1 ? ` (${(['critical', 'warning', 'success', 'info'] as const).filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(', ')})` : '';
  const values = Object.values(facts.by);
  const where = values.length > 0 ? ` in ${values.join(' · ')}` : ` for rule ${facts.ruleName}`;
  const subject = { ...commonSubject([...events]), ...facts.by };
  const end = new Date(at).toISOString();
  const items = events.map(groupItemOf);
  const event: OutboundEvent = {
    id: `group:${facts.ruleId}:${end}`,
    source: { kind: 'herald', id: 'herald', name: 'Herald' },
    type: 'herald.group',
    severity: worst,
    subject,
    title: `${countNoun(events, { failures: true })}${where}${breakdown}`,
    summary: summaryLines(events, subject).join('\n'),
    occurredAt: end,
    receivedAt: end,
    dedupKey: `group:${facts.ruleId}:${JSON.stringify(facts.by)}`,
    data: {
      group: {
        count: events.length,
        by: facts.by,
        ruleId: facts.ruleId,
        message: facts.message,
        bySeverity: counts,
        items: items.slice(0, DIGEST_MAX_DATA_EVENTS),
        first: items[0],
        last: items[items.length - 1],
      },
    },
  };
  return { event: { ...event, read: false }, rule: { id: facts.ruleId, name: facts.ruleName } };
}

// Sends storm groups when they are due (Alertmanager's aggregation group timer): a
// grouping rule's events wait in the store (added at ingest, in the ingest transaction);
// when their group is due, the store turns them into ONE herald.group event with one
// delivery per channel, in one transaction, and the outbox worker sends it like any event.
//
// Timing, as Alertmanager's dispatcher: a group's first event waits `waitSeconds` for
// company (group_wait); then the message lists every event that joined; the group is due
// again `intervalSeconds` later (group_interval) and sends what joined meanwhile; due with
// nothing new, it ends. Unlike Alertmanager, the wait counts from when Herald received the
// first event, not from when it occurred: CI events are often minutes old on arrival
// (polls, a run's start time), and counting from then would skip the wait in a storm.
import { randomUUID } from 'node:crypto';
import type { HeraldEvent } from '../../../shared/event.js';
import { describeGroup } from '../../../shared/rules.js';
import type { GroupItem } from '../../../shared/template-variables.js';
import { formatGroup } from '../channels/group.js';
import { storedSummaryEvent } from '../delivery/digests.js';
import { DueTimer } from '../delivery/due-timer.js';
import type { StoreEngine } from '../store/engine.js';
import type { SentGroup, StormGroup } from './storm-groups.js';

/** Pure: the stored herald.group event for a group's waiting events (in the order they came). */
export function buildGroupEvent(group: StormGroup, events: HeraldEvent[], now: number, id: string = randomUUID()): HeraldEvent {
  const formatted = formatGroup(events, { ruleId: group.ruleId, ruleName: group.ruleName, by: group.by, message: group.messages + 1 }, new Date(now)).event;
  const data = (formatted.data?.group ?? {}) as Record<string, unknown> & { items: GroupItem[] };
  let items = data.items;
  let eventIds = events.map((e) => e.id);
  return storedSummaryEvent(formatted, {
    data: () => ({ group: { ...data, items, eventIds, waitSeconds: group.waitSeconds, intervalSeconds: group.intervalSeconds } }),
    // A huge storm: list fewer, then name fewer ids; `count`, `first` and `last` stay.
    shrink: () => {
      if (items.length > 5) items = items.slice(0, Math.floor(items.length / 2));
      else if (eventIds.length > 1) eventIds = eventIds.slice(0, Math.floor(eventIds.length / 2));
      else return false;
      return true;
    },
    now,
    id,
    what: `the group message of rule ${group.ruleId}`,
  });
}

/** Why the group's message was sent, for the event detail. */
export function groupReason(group: StormGroup, covered: number, channels: string[]): string {
  const which = group.messages === 0 ? `after waiting ${group.waitSeconds} s for company` : `message ${group.messages + 1}, ${group.intervalSeconds} s after the last`;
  return `${describeGroup(group.by, Object.keys(group.by))} of ${covered} event${covered === 1 ? '' : 's'} (${which}), sent to ${channels.join(', ')}`;
}

export interface StormGroupSenderDeps {
  store: Pick<StoreEngine, 'sendGroup'> & { groups: Pick<StoreEngine['groups'], 'due' | 'nextDue'> };
  /** The rule's current name (it may have been renamed since the group opened). */
  ruleName?: (ruleId: string) => string | undefined;
  /**
   * Whether a channel gets a rule's group message sent at `now`: not one deleted since its
   * events joined, nor a desktop one while popups are held back then (quiet hours, snooze).
   */
  sendsGroup: (channelId: string, ruleId: string, now: number) => boolean;
  /** After commit: tell the UI, wake the delivery worker. */
  onSent: (group: SentGroup) => void;
  now?: () => number;
  /** Longest sleep between looks at the store (a clock jump); default 60 s. */
  maxSleepMs?: number;
  log?: (line: string) => void;
}

export interface StormGroupSender {
  /** A group may have opened (or the clock moved): send what is due, then sleep until the next. */
  wake(): void;
  /** Sends every group due by now; resolves to the messages stored. */
  sendDue(): Promise<SentGroup[]>;
  /** A look pending or running, or a group due: for hub.idle(). */
  busy(): string | undefined;
  /** Resolves once a look still running has finished. */
  stop(): Promise<void>;
  /** Looks again after a stop (a team hub replica that gained the grouping lease). */
  start(): void;
}

export function startStormGroupSender(deps: StormGroupSenderDeps): StormGroupSender {
  const now = deps.now ?? Date.now;
  const sendDue = async (): Promise<SentGroup[]> => {
    const at = now();
    const sent: SentGroup[] = [];
    for (const due of await deps.store.groups.due(at)) {
      const group = { ...due, ruleName: deps.ruleName?.(due.ruleId) ?? due.ruleName };
      try {
        const message = await deps.store.sendGroup(
          group,
          (g, events, channels) => ({ event: buildGroupEvent(g, events, at), reason: groupReason(g, events.length, channels) }),
          { now: at, keepChannel: (channelId) => deps.sendsGroup(channelId, group.ruleId, at) },
        );
        if (message) sent.push(message);
      } catch (error) {
        // Rolled back: the group stays due and is tried again at the next look.
        deps.log?.(`group: could not send ${describeGroup(group.by, Object.keys(group.by))} of rule ${group.ruleId}: ${(error as Error).message}`);
      }
    }
    for (const message of sent) deps.onSent(message);
    return sent;
  };
  const timer = new DueTimer({
    runDue: sendDue,
    nextDue: () => deps.store.groups.nextDue(),
    now,
    ...(deps.maxSleepMs !== undefined && { maxSleepMs: deps.maxSleepMs }),
    name: 'storm group',
    ...(deps.log && { log: deps.log }),
  });
  return { wake: () => timer.wake(), sendDue, busy: () => timer.busy(), stop: () => timer.stop(), start: () => timer.start() };
}

// Storm groups (a rule's `group` option; Alertmanager's aggregation groups): the open
// groups and the events waiting in each, per channel. Ingest adds a grouping rule's events
// here in the ingest transaction (store/ingest-transaction.ts); when a group is due, the
// same module sends it in one transaction (its herald.group event, one delivery per
// channel, the items removed, the next due time), so a crash neither loses a group's
// message nor sends it twice, and a group waiting at a restart goes at its due time after.
//
// A group opens with its first event and is due `waitSeconds` later (group_wait). Each
// time it is due with events waiting, one message lists them and the group is due again
// `intervalSeconds` later (group_interval); due with none waiting, it ends, and the next
// event opens a new group.
import { SUBJECT_FIELDS } from '../../../shared/event.js';
import type { HeraldEvent } from '../../../shared/event.js';
import type { Db } from '../store/open.js';

/** One open group of a rule. */
export interface StormGroup {
  ruleId: string;
  /** The rule's name when its last event joined. */
  ruleName: string;
  /** The JSON of `by`: identifies the group within its rule. */
  key: string;
  /** The group's subject values (fields the events lack are left out). */
  by: Record<string, string>;
  waitSeconds: number;
  intervalSeconds: number;
  /** Epoch ms. */
  openedAt: number;
  /** When its next message goes (epoch ms). */
  dueAt: number;
  /** Messages sent so far: 0 while the first event still waits for company. */
  messages: number;
}

/** What a grouping rule holds back now: events waiting, in how many groups, the next message due (epoch ms). */
export interface GroupsHeld {
  ruleId: string;
  waiting: number;
  groups: number;
  nextAt: number;
}
export type HeldRow = { rule_id: string; waiting: number; groups: number; next_at: number };
export const groupsHeldOf = (r: HeldRow): GroupsHeld => ({ ruleId: r.rule_id, waiting: r.waiting, groups: r.groups, nextAt: r.next_at });
/** Both engines' query for held(): only groups with events waiting (one due with none only ends). */
export const HELD_IN_GROUPS = `SELECT i.rule_id, count(DISTINCT i.event_seq) AS waiting, count(DISTINCT i.group_key) AS groups, min(g.due_at) AS next_at
  FROM storm_group_items i JOIN storm_groups g ON g.rule_id = i.rule_id AND g.group_key = i.group_key GROUP BY i.rule_id`;

/** An event waiting in a storm group for a channel: its group's message is due at `dueAt` (epoch ms). */
export interface GroupWait {
  ruleId: string;
  channelId: string;
  dueAt: number;
}

export const groupWaitOf = (r: { rule_id: string; channel_id: string; due_at: number | string }): GroupWait => ({ ruleId: r.rule_id, channelId: r.channel_id, dueAt: Number(r.due_at) });

/** What one routed outcome of a grouping rule adds. */
export interface GroupedOutcome {
  ruleId: string;
  ruleName: string;
  channels: readonly string[];
  group: { by: Record<string, string>; waitSeconds: number; intervalSeconds: number };
}

export interface SentGroup {
  /** The stored herald.group event. */
  event: HeraldEvent;
  /** Channels that got a delivery, by id. */
  channels: string[];
  /** Events the message lists. */
  covered: number;
}

/** Builds the group's message (pure: formatGroup) and says why it was sent. */
export type GroupBuilder = (group: StormGroup, events: HeraldEvent[], channels: string[]) => { event: HeraldEvent; reason: string };

/** The same values give the same key whatever the order of `by` in the rule. */
export function groupKey(by: Readonly<Record<string, string>>): string {
  return JSON.stringify(SUBJECT_FIELDS.filter((f) => by[f] !== undefined).map((f) => [f, by[f]]));
}

function valuesOf(key: string): Record<string, string> {
  return Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
}

/** A storm_groups row as both engines read it. */
export interface GroupRow {
  rule_id: string;
  group_key: string;
  rule_name: string;
  wait_seconds: number;
  interval_seconds: number;
  opened_at: number;
  due_at: number;
  messages: number;
}

export const groupFromRow = (r: GroupRow): StormGroup => ({
  ruleId: r.rule_id,
  ruleName: r.rule_name,
  key: r.group_key,
  by: valuesOf(r.group_key),
  waitSeconds: r.wait_seconds,
  intervalSeconds: r.interval_seconds,
  openedAt: r.opened_at,
  dueAt: r.due_at,
  messages: r.messages,
});

export class StormGroups {
  private readonly upsertGroup;
  private readonly insertItem;
  private readonly selectNextDue;
  private readonly selectDue;
  private readonly selectOne;
  private readonly selectItems;
  private readonly deleteItems;
  private readonly markSent;
  private readonly deleteGroup;
  private readonly countWaiting;
  private readonly selectWaitingFor;
  private readonly selectOpen;
  private readonly selectHeld;

  constructor(db: Db) {
    // A new group is due after its wait; one already open keeps its due time (its name and
    // interval follow the rule's edits, from its next message on).
    this.upsertGroup = db.prepare(
      `INSERT INTO storm_groups (rule_id, group_key, rule_name, wait_seconds, interval_seconds, opened_at, due_at, messages) VALUES (?, ?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT (rule_id, group_key) DO UPDATE SET rule_name = excluded.rule_name, interval_seconds = excluded.interval_seconds`,
    );
    this.insertItem = db.prepare('INSERT OR IGNORE INTO storm_group_items (rule_id, group_key, event_seq, channel_id) VALUES (?, ?, ?, ?)');
    this.selectNextDue = db.prepare('SELECT min(due_at) FROM storm_groups').pluck();
    this.selectDue = db.prepare('SELECT * FROM storm_groups WHERE due_at <= ? ORDER BY due_at, rule_id, group_key');
    this.selectOne = db.prepare('SELECT * FROM storm_groups WHERE rule_id = ? AND group_key = ?');
    this.selectItems = db.prepare('SELECT channel_id, event_seq FROM storm_group_items WHERE rule_id = ? AND group_key = ? ORDER BY event_seq, channel_id');
    this.deleteItems = db.prepare('DELETE FROM storm_group_items WHERE rule_id = ? AND group_key = ?');
    this.markSent = db.prepare('UPDATE storm_groups SET messages = messages + 1, due_at = ? WHERE rule_id = ? AND group_key = ?');
    this.deleteGroup = db.prepare('DELETE FROM storm_groups WHERE rule_id = ? AND group_key = ?');
    this.countWaiting = db.prepare('SELECT count(DISTINCT event_seq) FROM storm_group_items WHERE rule_id = ?').pluck();
    this.selectWaitingFor = db.prepare(
      `SELECT i.rule_id, i.channel_id, g.due_at FROM storm_group_items i JOIN storm_groups g ON g.rule_id = i.rule_id AND g.group_key = i.group_key
       WHERE i.event_seq = (SELECT seq FROM events WHERE id = ?) ORDER BY i.rule_id, i.channel_id`,
    );
    this.selectOpen = db.prepare('SELECT * FROM storm_groups WHERE rule_id = ? ORDER BY opened_at, group_key');
    this.selectHeld = db.prepare(HELD_IN_GROUPS);
  }

  /** Adds an event to its group for the outcome's channels, opening the group (due after its wait) if none is open. */
  add(outcome: GroupedOutcome, eventSeq: number, nowMs: number): void {
    const key = groupKey(outcome.group.by);
    const { waitSeconds, intervalSeconds } = outcome.group;
    this.upsertGroup.run(outcome.ruleId, key, outcome.ruleName, waitSeconds, intervalSeconds, nowMs, nowMs + waitSeconds * 1000);
    for (const channelId of outcome.channels) this.insertItem.run(outcome.ruleId, key, eventSeq, channelId);
  }

  /** When the earliest open group is due (epoch ms), if any. */
  nextDue(): number | undefined {
    return (this.selectNextDue.get() as number | null) ?? undefined;
  }

  /** Groups due by `now`, earliest first. */
  due(now: number): StormGroup[] {
    return (this.selectDue.all(now) as GroupRow[]).map(groupFromRow);
  }

  /** One group as stored now (undefined once it ended). */
  get(ruleId: string, key: string): StormGroup | undefined {
    const row = this.selectOne.get(ruleId, key) as GroupRow | undefined;
    return row && groupFromRow(row);
  }

  /** A rule's open groups (tests, the UI). */
  open(ruleId: string): StormGroup[] {
    return (this.selectOpen.all(ruleId) as GroupRow[]).map(groupFromRow);
  }

  /** Events waiting in a rule's groups. */
  waiting(ruleId: string): number {
    return this.countWaiting.get(ruleId) as number;
  }

  /** Per rule with events waiting: how many, in how many groups, and when the first group's message is due (the Rules page). */
  held(): GroupsHeld[] {
    return (this.selectHeld.all() as HeldRow[]).map(groupsHeldOf);
  }

  /** Where an event waits in a group (the event's detail): per rule and channel, when its group's message is due. */
  waitingFor(eventId: string): GroupWait[] {
    return (this.selectWaitingFor.all(eventId) as Array<{ rule_id: string; channel_id: string; due_at: number }>).map(groupWaitOf);
  }

  /** A group's waiting items: which event waits for which channel. */
  items(group: Pick<StormGroup, 'ruleId' | 'key'>): Array<{ channelId: string; eventSeq: number }> {
    return (this.selectItems.all(group.ruleId, group.key) as Array<{ channel_id: string; event_seq: number }>).map((r) => ({
      channelId: r.channel_id,
      eventSeq: r.event_seq,
    }));
  }

  /** Its message was stored: the items go, and the group is due again at `nextDueAt`. */
  sent(group: Pick<StormGroup, 'ruleId' | 'key'>, nextDueAt: number): void {
    this.deleteItems.run(group.ruleId, group.key);
    this.markSent.run(nextDueAt, group.ruleId, group.key);
  }

  /** Due with nothing waiting (a whole interval without events): the group ends. */
  end(group: Pick<StormGroup, 'ruleId' | 'key'>): void {
    this.deleteItems.run(group.ruleId, group.key);
    this.deleteGroup.run(group.ruleId, group.key);
  }
}

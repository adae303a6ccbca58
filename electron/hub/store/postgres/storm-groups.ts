// Storm groups on PostgreSQL (rules/storm-groups.ts): a grouping rule's open groups and the
// events waiting in each, per channel. Adding is an upsert (two replicas opening the same
// group at once share it); sending takes the group's advisory lock and re-reads it, so of two
// replicas sending a due group at once the second finds it sent (due again later) and leaves it.
import {
  groupFromRow,
  groupKey,
  type GroupedOutcome,
  type GroupRow,
  type GroupsHeld,
  type GroupWait,
  groupsHeldOf,
  groupWaitOf,
  HELD_IN_GROUPS,
  type HeldRow,
  type StormGroup,
} from '../../rules/storm-groups.js';
import { lockName, lockNames, type Sql } from './sql.js';

export class PgStormGroups {
  constructor(private readonly sql: Sql) {}

  /** Adds an event to its group for the outcome's channels, opening the group (due after its wait). In the ingest transaction. */
  async add(sql: Sql, outcome: GroupedOutcome, eventSeq: number, nowMs: number): Promise<void> {
    const key = groupKey(outcome.group.by);
    const { waitSeconds, intervalSeconds } = outcome.group;
    await sql(
      `INSERT INTO storm_groups (rule_id, group_key, rule_name, wait_seconds, interval_seconds, opened_at, due_at, messages) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
       ON CONFLICT (rule_id, group_key) DO UPDATE SET rule_name = excluded.rule_name, interval_seconds = excluded.interval_seconds`,
      [outcome.ruleId, key, outcome.ruleName, waitSeconds, intervalSeconds, nowMs, nowMs + waitSeconds * 1000],
    );
    await sql(
      `INSERT INTO storm_group_items (rule_id, group_key, event_seq, channel_id) SELECT $1, $2, $3, channel FROM unnest($4::text[]) AS channel ON CONFLICT DO NOTHING`,
      [outcome.ruleId, key, eventSeq, outcome.channels],
    );
  }

  async nextDue(): Promise<number | undefined> {
    const { rows } = await this.sql<{ at: number | null }>('SELECT min(due_at) AS at FROM storm_groups');
    return rows[0]?.at ?? undefined;
  }

  async due(now: number): Promise<StormGroup[]> {
    const { rows } = await this.sql<GroupRow>('SELECT * FROM storm_groups WHERE due_at <= $1 ORDER BY due_at, rule_id COLLATE "C", group_key COLLATE "C"', [now]);
    return rows.map(groupFromRow);
  }

  async open(ruleId: string): Promise<StormGroup[]> {
    const { rows } = await this.sql<GroupRow>('SELECT * FROM storm_groups WHERE rule_id = $1 ORDER BY opened_at, group_key COLLATE "C"', [ruleId]);
    return rows.map(groupFromRow);
  }

  /** Where an event waits in a group (rules/storm-groups.ts waitingFor). */
  async waitingFor(eventId: string): Promise<GroupWait[]> {
    const { rows } = await this.sql<{ rule_id: string; channel_id: string; due_at: number }>(
      `SELECT i.rule_id, i.channel_id, g.due_at FROM storm_group_items i JOIN storm_groups g ON g.rule_id = i.rule_id AND g.group_key = i.group_key
       WHERE i.event_seq = (SELECT seq FROM events WHERE id = $1) ORDER BY i.rule_id COLLATE "C", i.channel_id COLLATE "C"`,
      [eventId],
    );
    return rows.map(groupWaitOf);
  }

  async held(): Promise<GroupsHeld[]> {
    const { rows } = await this.sql<HeldRow>(HELD_IN_GROUPS);
    return rows.map(groupsHeldOf);
  }

  async waiting(ruleId: string): Promise<number> {
    const { rows } = await this.sql<{ n: number }>('SELECT count(DISTINCT event_seq) AS n FROM storm_group_items WHERE rule_id = $1', [ruleId]);
    return rows[0]!.n;
  }

  /**
   * In the sending transaction: locks the group and takes its waiting items. 'not due' when
   * the group is gone or no longer due at `now` (another replica sent it meanwhile).
   */
  async take(sql: Sql, group: Pick<StormGroup, 'ruleId' | 'key'>, now: number): Promise<Array<{ channelId: string; eventSeq: number }> | 'not due'> {
    await lockNames(sql, [lockName('group', group.ruleId, group.key)]);
    const { rows: current } = await sql<{ due_at: number }>('SELECT due_at FROM storm_groups WHERE rule_id = $1 AND group_key = $2', [group.ruleId, group.key]);
    if (!current[0] || current[0].due_at > now) return 'not due';
    const { rows } = await sql<{ channel_id: string; event_seq: number }>(
      'DELETE FROM storm_group_items WHERE rule_id = $1 AND group_key = $2 RETURNING channel_id, event_seq',
      [group.ruleId, group.key],
    );
    return rows
      .map((r) => ({ channelId: r.channel_id, eventSeq: r.event_seq }))
      .sort((a, b) => a.eventSeq - b.eventSeq || (a.channelId < b.channelId ? -1 : a.channelId > b.channelId ? 1 : 0));
  }

  /** Its message was stored: due again at `nextDueAt`. */
  async sent(sql: Sql, group: Pick<StormGroup, 'ruleId' | 'key'>, nextDueAt: number): Promise<void> {
    await sql('UPDATE storm_groups SET messages = messages + 1, due_at = $1 WHERE rule_id = $2 AND group_key = $3', [nextDueAt, group.ruleId, group.key]);
  }

  /** Due with nothing waiting: the group ends. */
  async end(sql: Sql, group: Pick<StormGroup, 'ruleId' | 'key'>): Promise<void> {
    await sql('DELETE FROM storm_group_items WHERE rule_id = $1 AND group_key = $2', [group.ruleId, group.key]);
    await sql('DELETE FROM storm_groups WHERE rule_id = $1 AND group_key = $2', [group.ruleId, group.key]);
  }
}

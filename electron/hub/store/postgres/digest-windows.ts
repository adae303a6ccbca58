// Digest rules' windows on PostgreSQL (rules/digest-windows.ts). Opening a window takes an
// advisory lock on the rule, so two replicas adding to a rule at once share one window; the
// primary key keeps an event in a window once per channel.
import { type DigestHeld, type DigestHeldRow, type DigestWindow, digestHeldOf, HELD_IN_DIGESTS } from '../../rules/digest-windows.js';
import { lockName, lockNames, type Sql } from './sql.js';

export class PgDigestWindows {
  constructor(private readonly sql: Sql) {}

  /** Adds an event to its rule's open window, or opens one. Inside the ingest transaction. */
  async add(sql: Sql, rule: { ruleId: string; ruleName: string; channels: readonly string[] }, windowSeconds: number, eventSeq: number, nowMs: number): Promise<void> {
    await lockNames(sql, [lockName('digest', rule.ruleId)]);
    const { rows } = await sql<{ window_start: number; window_end: number }>(
      'SELECT window_start, window_end FROM digest_items WHERE rule_id = $1 AND window_end > $2 ORDER BY window_end DESC LIMIT 1',
      [rule.ruleId, nowMs],
    );
    const start = rows[0]?.window_start ?? nowMs;
    const end = rows[0]?.window_end ?? nowMs + windowSeconds * 1000;
    await sql(
      `INSERT INTO digest_items (rule_id, rule_name, channel_id, event_seq, window_start, window_end)
       SELECT $1, $2, channel, $4, $5, $6 FROM unnest($3::text[]) AS channel ON CONFLICT DO NOTHING`,
      [rule.ruleId, rule.ruleName, rule.channels, eventSeq, start, end],
    );
  }

  async nextDue(): Promise<number | undefined> {
    const { rows } = await this.sql<{ at: number | null }>('SELECT min(window_end) AS at FROM digest_items');
    return rows[0]?.at ?? undefined;
  }

  async due(now: number): Promise<DigestWindow[]> {
    const { rows } = await this.sql<{ rule_id: string; rule_name: string; window_start: number; window_end: number }>(
      `SELECT rule_id, max(rule_name) AS rule_name, window_start, max(window_end) AS window_end FROM digest_items
       WHERE window_end <= $1 GROUP BY rule_id, window_start ORDER BY max(window_end), rule_id COLLATE "C"`,
      [now],
    );
    return rows.map((r) => ({ ruleId: r.rule_id, ruleName: r.rule_name, start: r.window_start, end: r.window_end }));
  }

  async held(): Promise<DigestHeld[]> {
    const { rows } = await this.sql<DigestHeldRow>(HELD_IN_DIGESTS);
    return rows.map(digestHeldOf);
  }

  async waiting(ruleId: string): Promise<number> {
    const { rows } = await this.sql<{ n: number }>('SELECT count(DISTINCT event_seq) AS n FROM digest_items WHERE rule_id = $1', [ruleId]);
    return rows[0]!.n;
  }

  /**
   * A window's items, its rows locked: of two replicas closing the same window, the second
   * waits and then finds it gone (the first removed its items), so it is sent once.
   */
  async takeItems(sql: Sql, window: DigestWindow): Promise<Array<{ channelId: string; eventSeq: number }>> {
    await lockNames(sql, [lockName('digest', window.ruleId)]);
    const { rows } = await sql<{ channel_id: string; event_seq: number }>(
      'SELECT channel_id, event_seq FROM digest_items WHERE rule_id = $1 AND window_start = $2 ORDER BY event_seq, channel_id',
      [window.ruleId, window.start],
    );
    await sql('DELETE FROM digest_items WHERE rule_id = $1 AND window_start = $2', [window.ruleId, window.start]);
    return rows.map((r) => ({ channelId: r.channel_id, eventSeq: r.event_seq }));
  }
}

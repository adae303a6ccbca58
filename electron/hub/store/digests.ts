// Digest windows in the store. Ingest adds a digest rule's events to the rule's open
// window (store/events.ts); here a due window is closed: its herald.digest event, one
// delivery per channel and the removal of its items are ONE transaction, so a crash
// neither loses a digest nor sends it twice.
import type { RuleOutcome } from '../../../shared/api.js';
import type { HeraldEvent } from '../../../shared/event.js';
import type { EventStore } from './events.js';
import type { Db } from './open.js';

/** One rule's window: [start, end) in epoch ms. */
export interface DigestWindow {
  ruleId: string;
  /** The rule's name when its last event joined. */
  ruleName: string;
  start: number;
  end: number;
}

export interface ClosedDigest {
  /** The stored herald.digest event. */
  event: HeraldEvent;
  /** Channels that got a delivery, by id. */
  channels: string[];
  /** Events the digest covers. */
  covered: number;
}

/** Builds the digest event for a window (pure: formatDigest) and says why it was sent. */
export type DigestBuilder = (window: DigestWindow, events: HeraldEvent[], channels: string[]) => { event: HeraldEvent; reason: string };

export class DigestStore {
  private readonly selectNextDue;
  private readonly selectDue;
  private readonly selectItems;
  private readonly deleteItems;
  private readonly countOpen;

  constructor(
    private readonly db: Db,
    private readonly events: EventStore,
  ) {
    this.selectNextDue = db.prepare('SELECT min(window_end) FROM digest_items').pluck();
    this.selectDue = db.prepare(
      `SELECT rule_id, max(rule_name) AS rule_name, window_start, max(window_end) AS window_end FROM digest_items
       WHERE window_end <= ? GROUP BY rule_id, window_start ORDER BY window_end, rule_id`,
    );
    this.selectItems = db.prepare('SELECT channel_id, event_seq FROM digest_items WHERE rule_id = ? AND window_start = ? ORDER BY event_seq, channel_id');
    this.deleteItems = db.prepare('DELETE FROM digest_items WHERE rule_id = ? AND window_start = ?');
    this.countOpen = db.prepare('SELECT count(DISTINCT event_seq) FROM digest_items WHERE rule_id = ?').pluck();
  }

  /** When the earliest open window ends (epoch ms), if any. */
  nextDue(): number | undefined {
    return (this.selectNextDue.get() as number | null) ?? undefined;
  }

  /** Windows that have ended by `now`, oldest first. */
  due(now: number): DigestWindow[] {
    return (this.selectDue.all(now) as Array<{ rule_id: string; rule_name: string; window_start: number; window_end: number }>).map((r) => ({
      ruleId: r.rule_id,
      ruleName: r.rule_name,
      start: r.window_start,
      end: r.window_end,
    }));
  }

  /** Events waiting in a rule's open windows (for tests and the UI). */
  waiting(ruleId: string): number {
    return this.countOpen.get(ruleId) as number;
  }

  /**
   * Closes one window, all or nothing: reads its events, stores the digest `build` makes
   * with one delivery per channel `keepChannel` accepts, and removes the window's items.
   * Undefined when there is nothing to send (closed already, its events deleted, or no
   * channel left); the items are removed then too.
   */
  close(window: DigestWindow, build: DigestBuilder, options: { now: number; keepChannel?: (id: string) => boolean }): ClosedDigest | undefined {
    return this.db.transaction(() => {
      const rows = this.selectItems.all(window.ruleId, window.start) as Array<{ channel_id: string; event_seq: number }>;
      if (rows.length === 0) return undefined;
      this.deleteItems.run(window.ruleId, window.start);
      const named = [...new Set(rows.map((r) => r.channel_id))].sort();
      const channels = named.filter((id) => options.keepChannel?.(id) ?? true);
      const events = [...new Set(rows.map((r) => r.event_seq))]
        .map((seq) => this.events.getBySeq(seq))
        .filter((e): e is HeraldEvent => e !== undefined);
      if (events.length === 0 || channels.length === 0) return undefined;
      const { event, reason } = build(window, events, channels);
      const outcome: RuleOutcome = {
        ruleId: window.ruleId,
        ruleName: window.ruleName,
        outcome: 'routed',
        channels,
        heldBack: named.filter((id) => !channels.includes(id)),
        reason,
        digest: { windowSeconds: Math.round((window.end - window.start) / 1000) },
      };
      this.events.insertOwnEvent(
        event,
        [outcome],
        channels.map((channelId) => ({ channelId, ruleId: window.ruleId })),
        options.now,
      );
      return { event, channels, covered: events.length };
    })();
  }
}

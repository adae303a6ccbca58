// Digest rules' windows: the events waiting in each rule's open window, per channel.
// Ingest adds a digest rule's events to the rule's open window (store/ingest-transaction.ts);
// when a window ends, the same module closes it in one transaction (its herald.digest
// event, one delivery per channel, the removal of its items), so a crash neither loses a
// digest nor sends it twice. Windows are fixed and start with the first event.
import type { HeraldEvent } from '../../../shared/event.js';
import type { Db } from '../store/open.js';

/** One rule's window: [start, end) in epoch ms. */
export interface DigestWindow {
  ruleId: string;
  /** The rule's name when its last event joined. */
  ruleName: string;
  start: number;
  end: number;
}

/** What a digest rule holds back now: events waiting, and when its open window's digest is due (epoch ms). */
export interface DigestHeld {
  ruleId: string;
  waiting: number;
  nextAt: number;
}
export type DigestHeldRow = { rule_id: string; waiting: number; next_at: number };
export const digestHeldOf = (r: DigestHeldRow): DigestHeld => ({ ruleId: r.rule_id, waiting: r.waiting, nextAt: r.next_at });
/** Both engines' query for held(). */
export const HELD_IN_DIGESTS = 'SELECT rule_id, count(DISTINCT event_seq) AS waiting, min(window_end) AS next_at FROM digest_items GROUP BY rule_id';

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

export class DigestWindows {
  private readonly selectNextDue;
  private readonly selectDue;
  private readonly selectItems;
  private readonly deleteItems;
  private readonly countOpen;
  private readonly selectOpen;
  private readonly insertItem;
  private readonly selectHeld;

  constructor(db: Db) {
    this.selectNextDue = db.prepare('SELECT min(window_end) FROM digest_items').pluck();
    this.selectDue = db.prepare(
      `SELECT rule_id, max(rule_name) AS rule_name, window_start, max(window_end) AS window_end FROM digest_items
       WHERE window_end <= ? GROUP BY rule_id, window_start ORDER BY window_end, rule_id`,
    );
    this.selectItems = db.prepare('SELECT channel_id, event_seq FROM digest_items WHERE rule_id = ? AND window_start = ? ORDER BY event_seq, channel_id');
    this.deleteItems = db.prepare('DELETE FROM digest_items WHERE rule_id = ? AND window_start = ?');
    this.countOpen = db.prepare('SELECT count(DISTINCT event_seq) FROM digest_items WHERE rule_id = ?').pluck();
    this.selectOpen = db.prepare(
      'SELECT window_start, window_end FROM digest_items WHERE rule_id = ? AND window_end > ? ORDER BY window_end DESC LIMIT 1',
    );
    this.insertItem = db.prepare(
      'INSERT OR IGNORE INTO digest_items (rule_id, rule_name, channel_id, event_seq, window_start, window_end) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.selectHeld = db.prepare(HELD_IN_DIGESTS);
  }

  /**
   * Adds an event to its rule's open window, or opens one: windows are fixed, from the
   * first event after the previous window ended, and shared by the rule's channels.
   */
  add(rule: { ruleId: string; ruleName: string; channels: readonly string[] }, windowSeconds: number, eventSeq: number, nowMs: number): void {
    const open = this.selectOpen.get(rule.ruleId, nowMs) as { window_start: number; window_end: number } | undefined;
    const start = open?.window_start ?? nowMs;
    const end = open?.window_end ?? nowMs + windowSeconds * 1000;
    for (const channelId of rule.channels) this.insertItem.run(rule.ruleId, rule.ruleName, channelId, eventSeq, start, end);
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

  /** Per rule with events waiting: how many, and when the earliest window's digest is due (the Rules page). */
  held(): DigestHeld[] {
    return (this.selectHeld.all() as DigestHeldRow[]).map(digestHeldOf);
  }

  /** A window's items: which event waits for which channel. */
  items(window: DigestWindow): Array<{ channelId: string; eventSeq: number }> {
    return (this.selectItems.all(window.ruleId, window.start) as Array<{ channel_id: string; event_seq: number }>).map((r) => ({
      channelId: r.channel_id,
      eventSeq: r.event_seq,
    }));
  }

  /** Removes a window's items (it was closed). */
  remove(window: DigestWindow): void {
    this.deleteItems.run(window.ruleId, window.start);
  }
}

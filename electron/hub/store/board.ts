// The board table: one row per thing that has a state (shared/board.ts decides what a
// thing is and how an event moves it). `apply` runs inside the ingest transaction, one
// primary-key read and one write per stateful event, so the board is current the moment
// its events are committed and never needs a scan of history. Reads join the pipeline
// mutes (store/mutes.ts) by their key, so a mute shows on its board item.
import { type BoardItem, type BoardQuery, type BoardRow, BOARD_STATE_RANK, type BoardState, boardVerdict, nextBoardRow } from '../../../shared/board.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { mutedUntil } from '../../../shared/mutes.js';
import type Database from 'better-sqlite3';
import type { Db } from './open.js';
import { whereIn } from './sql-filter.js';

/** What one event did to the board: a row written, or a thing removed. */
export type BoardChange = { row: BoardRow } | { removed: string };

interface BoardDbRow {
  key: string;
  kind: BoardRow['kind'];
  source_id: string;
  source_kind: string;
  source_name: string;
  subject: string;
  state: BoardState;
  running: number;
  since: string;
  streak: number;
  last_event_id: string;
  last_event_at: string;
  title: string;
  url: string | null;
  commit_sha: string | null;
  actor: string | null;
  broken_by: string | null;
  mute_key: string | null;
  mute_until?: number | null;
  mute_until_passes?: number | null;
}

const COLUMNS =
  'b.key, b.kind, b.source_id, b.source_kind, b.source_name, b.subject, b.state, b.running, b.since, b.streak, b.last_event_id, b.last_event_at, b.title, b.url, b.commit_sha, b.actor, b.broken_by, b.mute_key';

function toRow(r: BoardDbRow): BoardRow {
  return {
    key: r.key,
    kind: r.kind,
    source: { id: r.source_id, kind: r.source_kind, name: r.source_name },
    subject: JSON.parse(r.subject) as Record<string, string>,
    state: r.state,
    running: r.running === 1,
    since: r.since,
    streak: r.streak,
    lastEventId: r.last_event_id,
    lastEventAt: r.last_event_at,
    title: r.title,
    ...(r.url !== null && { url: r.url }),
    ...(r.commit_sha !== null && { commit: r.commit_sha }),
    ...(r.actor !== null && { actor: r.actor }),
    ...(r.broken_by !== null && { brokenBy: JSON.parse(r.broken_by) as BoardRow['brokenBy'] }),
    ...(r.mute_key !== null && { muteKey: r.mute_key }),
  };
}

function toItem(r: BoardDbRow, now: Date): BoardItem {
  const row = toRow(r);
  const muted =
    r.mute_until_passes === null || r.mute_until_passes === undefined
      ? undefined
      : mutedUntil({ untilPasses: r.mute_until_passes === 1, ...(r.mute_until != null && { until: new Date(r.mute_until).toISOString() }) }, now);
  return muted === undefined ? row : { ...row, mutedUntil: muted };
}

export class BoardStore {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();
  private readonly selectOne;
  private readonly upsert;
  private readonly remove;

  constructor(private readonly db: Db) {
    this.selectOne = db.prepare(`SELECT ${COLUMNS} FROM board b WHERE b.key = ?`);
    this.upsert = db.prepare(`INSERT INTO board
      (key, kind, source_id, source_kind, source_name, project, subject, state, rank, running, since, streak,
       last_event_id, last_event_at, title, url, commit_sha, actor, broken_by, mute_key, updated_at)
      VALUES (@key, @kind, @source_id, @source_kind, @source_name, @project, @subject, @state, @rank, @running, @since, @streak,
       @last_event_id, @last_event_at, @title, @url, @commit_sha, @actor, @broken_by, @mute_key, @updated_at)
      ON CONFLICT (key) DO UPDATE SET source_kind = excluded.source_kind, source_name = excluded.source_name,
       project = excluded.project, subject = excluded.subject, state = excluded.state, rank = excluded.rank,
       running = excluded.running, since = excluded.since, streak = excluded.streak, last_event_id = excluded.last_event_id,
       last_event_at = excluded.last_event_at, title = excluded.title, url = excluded.url, commit_sha = excluded.commit_sha,
       actor = excluded.actor, broken_by = excluded.broken_by, mute_key = excluded.mute_key, updated_at = excluded.updated_at`);
    this.remove = db.prepare('DELETE FROM board WHERE key = ?');
  }

  /**
   * Moves the event's thing (if it has one) to its next state. Call inside the ingest
   * transaction: reads see earlier events of the same transaction. Undefined: no change.
   */
  apply(event: HeraldEvent, nowMs: number): BoardChange | undefined {
    const thing = boardVerdict(event)?.thing;
    if (!thing) return undefined;
    const previous = this.selectOne.get(thing.key) as BoardDbRow | undefined;
    const next = nextBoardRow(previous && toRow(previous), event);
    if (next === 'unchanged') return undefined;
    if ('remove' in next) {
      this.remove.run(next.remove);
      return { removed: next.remove };
    }
    const row = next.row;
    this.upsert.run({
      key: row.key,
      kind: row.kind,
      source_id: row.source.id,
      source_kind: row.source.kind,
      source_name: row.source.name,
      project: row.subject.project ?? row.subject.group ?? null,
      subject: JSON.stringify(row.subject),
      state: row.state,
      rank: BOARD_STATE_RANK[row.state],
      running: row.running ? 1 : 0,
      since: row.since,
      streak: row.streak,
      last_event_id: row.lastEventId,
      last_event_at: row.lastEventAt,
      title: row.title,
      url: row.url ?? null,
      commit_sha: row.commit ?? null,
      actor: row.actor ?? null,
      broken_by: row.brokenBy ? JSON.stringify(row.brokenBy) : null,
      mute_key: row.muteKey ?? null,
      updated_at: nowMs,
    });
    return { row };
  }

  /** Worst first, the longest-standing first within a state; each with its mute, if any holds at `now`. */
  list(query: BoardQuery, now: Date): BoardItem[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const inList = (column: string, values: readonly string[] | undefined) => whereIn(where, params, column, values);
    inList('b.state', query.states);
    inList('b.source_id', query.sources);
    if (query.project !== undefined) {
      where.push('b.project = ?');
      params.push(query.project);
    }
    const sql = `SELECT ${COLUMNS}, m.until AS mute_until, m.until_passes AS mute_until_passes
      FROM board b LEFT JOIN mutes m ON m.key = b.mute_key
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY b.rank, b.since, b.key`;
    return (this.prepared(sql).all(...params) as BoardDbRow[]).map((r) => toItem(r, now));
  }

  /** The items for these keys (after an ingest: what the UI is told changed). */
  items(keys: readonly string[], now: Date): BoardItem[] {
    if (keys.length === 0) return [];
    const select = this.prepared(`SELECT ${COLUMNS}, m.until AS mute_until, m.until_passes AS mute_until_passes
      FROM board b LEFT JOIN mutes m ON m.key = b.mute_key WHERE b.key = ?`);
    return keys.flatMap((key) => {
      const r = select.get(key) as BoardDbRow | undefined;
      return r ? [toItem(r, now)] : [];
    });
  }

  /** Items whose pipeline mute is this one (a mute added or lifted changes them). */
  keysMutedBy(muteKey: string): string[] {
    return this.prepared('SELECT key FROM board WHERE mute_key = ?').pluck().all(muteKey) as string[];
  }

  /** Removes the things `keep` says no longer exist (a deleted source's, a deleted channel's health); returns their keys. */
  prune(keep: (thing: { key: string; sourceId: string }) => boolean): string[] {
    const rows = this.prepared('SELECT key, source_id FROM board').all() as Array<{ key: string; source_id: string }>;
    const gone = rows.filter((r) => !keep({ key: r.key, sourceId: r.source_id })).map((r) => r.key);
    const remove = this.prepared('DELETE FROM board WHERE key = ?');
    this.db.transaction(() => gone.forEach((key) => remove.run(key)))();
    return gone;
  }

  count(): number {
    return this.prepared('SELECT count(*) FROM board').pluck().get() as number;
  }

  private prepared(sql: string) {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

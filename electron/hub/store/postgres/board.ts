// The board on PostgreSQL (store/board.ts): one row per thing with a state, moved by the
// ingest transaction. `apply` locks the thing first, so two replicas ingesting events of
// the same pipeline at once move it one after the other (no lost streak or state).
import { ApiError } from '../../../../shared/api.js';
import {
  BOARD_PAGE_DEFAULT,
  BOARD_STATE_RANK,
  BOARD_STATES,
  type BoardItem,
  type BoardPage,
  type BoardQuery,
  type BoardRow,
  type BoardState,
  boardItemOf,
  boardVerdict,
  decodeBoardCursor,
  emptyBoardCounts,
  encodeBoardCursor,
  nextBoardRow,
} from '../../../../shared/board.js';
import type { HeraldEvent } from '../../../../shared/event.js';
import { mutedUntil } from '../../../../shared/mutes.js';
import type { BoardChange } from '../board.js';
import { lockName, lockNames, Params, type Sql } from './sql.js';

interface BoardDbRow {
  key: string;
  kind: BoardRow['kind'];
  source_id: string;
  source_kind: string;
  source_name: string;
  subject: string;
  state: BoardState;
  running: boolean;
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
  mute_until_passes?: boolean | null;
}

const COLUMNS =
  'b.key, b.kind, b.source_id, b.source_kind, b.source_name, b.subject, b.state, b.running, b.since, b.streak, b.last_event_id, b.last_event_at, b.title, b.url, b.commit_sha, b.actor, b.broken_by, b.mute_key';
const MUTE_COLUMNS = 'm.until AS mute_until, m.until_passes AS mute_until_passes';
const WITH_MUTE = `SELECT ${COLUMNS}, ${MUTE_COLUMNS} FROM board b LEFT JOIN mutes m ON m.key = b.mute_key`;
/** WITH_MUTE with the rank, which orders a page made into JSON. */
const RANKED_WITH_MUTE = `SELECT b.rank, ${COLUMNS}, ${MUTE_COLUMNS} FROM board b LEFT JOIN mutes m ON m.key = b.mute_key`;

function toRow(r: BoardDbRow): BoardRow {
  return {
    key: r.key,
    kind: r.kind,
    source: { id: r.source_id, kind: r.source_kind, name: r.source_name },
    subject: JSON.parse(r.subject) as Record<string, string>,
    state: r.state,
    running: r.running,
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
      : mutedUntil({ untilPasses: r.mute_until_passes, ...(r.mute_until != null && { until: new Date(r.mute_until).toISOString() }) }, now);
  return boardItemOf(row, muted);
}

/** board.list's filters (state, source, project) as conditions. */
function filters(p: Params, query: BoardQuery): string[] {
  const where: string[] = [];
  p.anyOf(where, 'b.state', query.states);
  p.anyOf(where, 'b.source_id', query.sources);
  if (query.project !== undefined) where.push(`b.project = ${p.add(query.project)}`);
  return where;
}

const whereClause = (where: readonly string[]) => (where.length ? `WHERE ${where.join(' AND ')}` : '');

export class PgBoardStore {
  constructor(private readonly sql: Sql) {}

  /** Moves the event's thing (if any) to its next state, inside the ingest transaction. */
  async apply(sql: Sql, event: HeraldEvent, nowMs: number): Promise<BoardChange | undefined> {
    const thing = boardVerdict(event)?.thing;
    if (!thing) return undefined;
    await lockNames(sql, [lockName('board', thing.key)]);
    const { rows } = await sql<BoardDbRow>(`SELECT ${COLUMNS} FROM board b WHERE b.key = $1`, [thing.key]);
    const next = nextBoardRow(rows[0] && toRow(rows[0]), event);
    if (next === 'unchanged') return undefined;
    if ('remove' in next) {
      await sql('DELETE FROM board WHERE key = $1', [next.remove]);
      return { removed: next.remove };
    }
    const row = next.row;
    await sql(
      `INSERT INTO board
        (key, kind, source_id, source_kind, source_name, project, subject, state, rank, running, since, streak,
         last_event_id, last_event_at, title, url, commit_sha, actor, broken_by, mute_key, updated_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)
       ON CONFLICT (key) DO UPDATE SET source_kind = excluded.source_kind, source_name = excluded.source_name,
         project = excluded.project, subject = excluded.subject, state = excluded.state, rank = excluded.rank,
         running = excluded.running, since = excluded.since, streak = excluded.streak, last_event_id = excluded.last_event_id,
         last_event_at = excluded.last_event_at, title = excluded.title, url = excluded.url, commit_sha = excluded.commit_sha,
         actor = excluded.actor, broken_by = excluded.broken_by, mute_key = excluded.mute_key, updated_at = excluded.updated_at`,
      [
        row.key,
        row.kind,
        row.source.id,
        row.source.kind,
        row.source.name,
        row.subject.project ?? row.subject.group ?? null,
        JSON.stringify(row.subject),
        row.state,
        BOARD_STATE_RANK[row.state],
        row.running,
        row.since,
        row.streak,
        row.lastEventId,
        row.lastEventAt,
        row.title,
        row.url ?? null,
        row.commit ?? null,
        row.actor ?? null,
        row.brokenBy ? JSON.stringify(row.brokenBy) : null,
        row.muteKey ?? null,
        nowMs,
      ],
    );
    return { row };
  }

  /**
   * A page of board.list as the api answers it (the transport makes its JSON; SQLite's board
   * carries it ready, store/board.ts): the page by keyset on the board_order index (rank,
   * since, key; "C" collation, as the cursor compares), and the counts of all the filters
   * match, grouped — both in one statement, so in one snapshot: with a query each (on two
   * pooled connections) a thing changed between them was counted in one state and listed in
   * another ("3 failing" above two).
   */
  async answer(query: BoardQuery, now: Date): Promise<BoardPage> {
    const limit = query.limit ?? BOARD_PAGE_DEFAULT;
    const after = query.after === undefined ? undefined : decodeBoardCursor(query.after);
    if (query.after !== undefined && after === undefined) throw new ApiError('invalid_input', "after: is not a board cursor: pass the previous page's `next` as it is");
    const p = new Params();
    const pageOf = (where: string[]) => {
      if (after) where.push(`(b.rank, b.since, b.key) > (${p.add(BOARD_STATE_RANK[after.state])}, ${p.add(after.since)}, ${p.add(after.key)})`);
      return `(SELECT coalesce(json_agg(x ORDER BY x.rank, x.since, x.key), '[]'::json)
                 FROM (${RANKED_WITH_MUTE} ${whereClause(where)} ORDER BY b.rank, b.since, b.key LIMIT ${p.add(limit + 1)}) x)`;
    };
    // Counts only (limit 0): no page, and none of its parameters (PostgreSQL refuses unused ones).
    const page = limit === 0 ? `'[]'::json` : pageOf(filters(p, query));
    const countWhere = filters(p, query);
    const held = `(m.until_passes OR m.until > ${p.add(now.getTime())})`;
    const counted = `(SELECT coalesce(json_agg(c), '[]'::json) FROM (
        SELECT b.state, count(*)::int AS n,
               count(*) FILTER (WHERE b.state = 'failing' AND ${held})::int AS muted_failing,
               count(*) FILTER (WHERE b.running AND b.state <> 'running')::int AS rebuilding
          FROM board b LEFT JOIN mutes m ON m.key = b.mute_key ${whereClause(countWhere)} GROUP BY b.state) c)`;
    const { rows: answered } = await this.sql<{ page: BoardDbRow[]; counted: Array<{ state: BoardState; n: number; muted_failing: number; rebuilding: number }> }>(
      `SELECT ${page} AS page, ${counted} AS counted`,
      p.values,
    );
    const { page: rows, counted: groups } = answered[0]!;
    const counts = emptyBoardCounts();
    for (const r of groups) {
      if (!(BOARD_STATES as readonly string[]).includes(r.state)) continue;
      counts[r.state] = r.n;
      counts.mutedFailing += r.muted_failing;
      counts.rebuilding += r.rebuilding;
    }
    const items = rows.slice(0, limit).map((r) => toItem(r, now));
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, next: encodeBoardCursor(last), counts } : { items, counts };
  }

  /** Nothing to save: `apply` writes the row in the ingest transaction (SQLite's board saves in batches). */
  async save(): Promise<void> {}

  /** Every item the filters match (no paging), worst first. */
  async list(query: BoardQuery, now: Date): Promise<BoardItem[]> {
    const p = new Params();
    const where = filters(p, query);
    const { rows } = await this.sql<BoardDbRow>(`${WITH_MUTE} ${whereClause(where)} ORDER BY b.rank, b.since, b.key`, p.values);
    return rows.map((r) => toItem(r, now));
  }

  async items(keys: readonly string[], now: Date): Promise<BoardItem[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.sql<BoardDbRow>(`${WITH_MUTE} WHERE b.key = ANY($1::text[])`, [keys]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return keys.flatMap((key) => {
      const r = byKey.get(key);
      return r ? [toItem(r, now)] : [];
    });
  }

  async keysMutedBy(muteKey: string): Promise<string[]> {
    const { rows } = await this.sql<{ key: string }>('SELECT key FROM board WHERE mute_key = $1', [muteKey]);
    return rows.map((r) => r.key);
  }

  async prune(keep: (thing: { key: string; sourceId: string }) => boolean): Promise<string[]> {
    const { rows } = await this.sql<{ key: string; source_id: string }>('SELECT key, source_id FROM board');
    const gone = rows.filter((r) => !keep({ key: r.key, sourceId: r.source_id })).map((r) => r.key);
    if (gone.length > 0) await this.sql('DELETE FROM board WHERE key = ANY($1::text[])', [gone]);
    return gone;
  }

  async count(): Promise<number> {
    const { rows } = await this.sql<{ n: number }>('SELECT count(*) AS n FROM board');
    return rows[0]!.n;
  }
}

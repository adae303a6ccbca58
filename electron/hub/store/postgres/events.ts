// The events table on PostgreSQL: the SQLite EventStore's methods (store/events.ts), with
// history search on a tsvector and a GIN index (postgres/search.ts keeps FTS5's semantics).
import type { EventQuery, RuleOutcome, EventRef } from '../../../../shared/api.js';
import { type HeraldEvent, SUBJECT_FIELDS } from '../../../../shared/event.js';
import { type EventPage, rowToEvent, TOTAL_COUNT_CAP, toFtsQuery } from '../events.js';
import { decodeRaw } from '../raw-payload.js';
import { searchDocument, searchQuery } from './search.js';
import { Params, type Sql } from './sql.js';

const SUBJECT_COLUMN: Record<(typeof SUBJECT_FIELDS)[number], string> = {
  project: 'project',
  group: 'grp',
  environment: 'environment',
  pipeline: 'pipeline',
  branch: 'branch',
  cluster: 'cluster',
  artifact: 'artifact',
  commit: 'commit_sha',
};

const LIST_COLUMNS =
  'e.seq, e.id, e.source_id, e.source_kind, e.source_name, e.type, e.severity, e.project, e.grp, e.environment, e.pipeline, e.branch, e.cluster, e.artifact, e.commit_sha, e.title, e.summary, e.url, e.actor, e.occurred_at, e.received_at, e.dedup_key, e.data, e.read::int AS read';

type Row = Parameters<typeof rowToEvent>[0];

const AWAITING_DELIVERY_MAX = 2048;

/** The searchable columns of an event, as the SQLite FTS trigger builds them (title, summary, subject). */
function searchColumns(event: HeraldEvent): string[] {
  const s = event.subject;
  const subject = [s.project, s.group, s.environment, s.pipeline, s.branch, s.cluster, s.artifact, event.source.name, event.type, event.actor, s.commit];
  return [event.title, event.summary ?? '', subject.filter((v) => v !== undefined && v !== null).join(' ')];
}

export class PgEventStore {
  /** Just-ingested events that have deliveries, by seq: the worker's first send needs no read. */
  private readonly awaitingDelivery = new Map<number, HeraldEvent>();

  constructor(private readonly sql: Sql) {}

  /** Inserts one event with its rule outcomes; returns its seq. Run inside the ingest transaction. */
  async insert(sql: Sql, event: HeraldEvent, receivedAtMs: number, raw: string | Uint8Array | null, matches: RuleOutcome[]): Promise<number> {
    const { rows } = await sql<{ seq: number }>(
      `INSERT INTO events
        (id, source_id, source_kind, source_name, type, severity, project, grp, environment, pipeline, branch, cluster, artifact, commit_sha,
         title, summary, url, actor, occurred_at, received_at, dedup_key, data, raw_text, raw_deflated, matches, search)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26::tsvector)
       RETURNING seq`,
      [
        event.id,
        event.source.id,
        event.source.kind,
        event.source.name,
        event.type,
        event.severity,
        event.subject.project ?? null,
        event.subject.group ?? null,
        event.subject.environment ?? null,
        event.subject.pipeline ?? null,
        event.subject.branch ?? null,
        event.subject.cluster ?? null,
        event.subject.artifact ?? null,
        event.subject.commit ?? null,
        event.title,
        event.summary ?? null,
        event.url ?? null,
        event.actor ?? null,
        event.occurredAt,
        receivedAtMs,
        event.dedupKey,
        event.data === undefined ? null : JSON.stringify(event.data),
        typeof raw === 'string' ? raw : null,
        raw !== null && typeof raw !== 'string' ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : null,
        matches.length > 0 ? JSON.stringify(matches) : '[]',
        searchDocument(searchColumns(event)),
      ],
    );
    return rows[0]!.seq;
  }

  keepForDelivery(seq: number, event: HeraldEvent): void {
    this.awaitingDelivery.set(seq, event);
    if (this.awaitingDelivery.size > AWAITING_DELIVERY_MAX) this.awaitingDelivery.delete(this.awaitingDelivery.keys().next().value!);
  }

  /** One page of history, newest first (store/events.ts list: same filters, cursor, totals). */
  async list(query: EventQuery): Promise<EventPage> {
    const p = new Params();
    const where: string[] = [];
    p.anyOf(where, 'e.source_id', query.sources);
    p.anyOf(where, 'e.type', query.types);
    p.anyOf(where, 'e.severity', query.severities);
    for (const field of SUBJECT_FIELDS) {
      const value = query[field];
      if (value === undefined || value === '') continue;
      if (field === 'commit') {
        where.push(`e.commit_sha >= ${p.add(value.toLowerCase())} AND e.commit_sha < ${p.add(`${value.toLowerCase()}g`)}`);
      } else {
        where.push(`e.${SUBJECT_COLUMN[field]} = ${p.add(value)}`);
      }
    }
    if (query.unread !== undefined) where.push(`e.read = ${p.add(!query.unread)}`);
    if (query.since) where.push(`e.received_at >= ${p.add(Date.parse(query.since))}`);
    if (query.until) where.push(`e.received_at < ${p.add(Date.parse(query.until))}`);
    let cursor: number | undefined;
    if (query.cursor !== undefined) {
      cursor = /^\d+$/.test(query.cursor) ? Number(query.cursor) : Number.NaN;
      if (!Number.isSafeInteger(cursor)) throw new RangeError(`cursor: not a cursor from a previous page: "${query.cursor}"`);
    }
    const filters = where.length;
    // toFtsQuery decides whether there is a text filter at all (as on SQLite); a text of no
    // searchable tokens ("---") matches nothing there, and here.
    if (query.text && toFtsQuery(query.text) !== undefined) {
      const tsquery = searchQuery(query.text);
      where.push(tsquery === undefined ? 'false' : `e.search @@ ${p.add(tsquery)}::tsquery`);
    }
    const matchWhere = [...where];
    const matchValues = [...p.values];
    if (cursor !== undefined) where.push(`e.seq < ${p.add(cursor)}`);
    const { rows } = await this.sql<Row>(
      `SELECT ${LIST_COLUMNS} FROM events e ${sqlWhere(where)} ORDER BY e.seq DESC LIMIT ${p.add(query.limit + 1)}`,
      p.values,
    );
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const result: EventPage = { items: page.map(rowToEvent), ...(more && { nextCursor: String(page[page.length - 1]!.seq) }) };
    if (cursor !== undefined) return result;
    if (!more) return { ...result, total: page.length };
    if (filters === 0) {
      const { rows: counted } = await this.sql<{ n: number }>(`SELECT count(*) AS n FROM events e ${sqlWhere(matchWhere)}`, matchValues);
      return { ...result, total: counted[0]!.n };
    }
    const { rows: capped } = await this.sql<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM events e ${sqlWhere(matchWhere)} LIMIT ${TOTAL_COUNT_CAP + 1}) AS hits`,
      matchValues,
    );
    const n = capped[0]!.n;
    return n > TOTAL_COUNT_CAP ? { ...result, total: TOTAL_COUNT_CAP, totalCapped: true } : { ...result, total: n };
  }

  async get(id: string): Promise<{ seq: number; event: HeraldEvent; raw: unknown; matches: RuleOutcome[] } | undefined> {
    const { rows } = await this.sql<Row & { raw_text: string | null; raw_deflated: Buffer | null; matches: string }>(
      `SELECT ${LIST_COLUMNS}, e.raw_text, e.raw_deflated, e.matches FROM events e WHERE e.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { seq: row.seq, event: rowToEvent(row), raw: decodeRaw(row.raw_deflated ?? row.raw_text), matches: JSON.parse(row.matches) as RuleOutcome[] };
  }

  async thread(commit: string, limit: number): Promise<{ commit: string; events: HeraldEvent[]; truncated: boolean } | { ambiguous: string[] }> {
    let full = commit;
    if (commit.length !== 40 && commit.length !== 64) {
      const { rows } = await this.sql<{ commit_sha: string }>(
        'SELECT DISTINCT commit_sha FROM events WHERE commit_sha >= $1 AND commit_sha < $2 ORDER BY commit_sha LIMIT 6',
        [commit, `${commit}g`],
      );
      if (rows.length > 1) return { ambiguous: rows.map((r) => r.commit_sha) };
      full = rows[0]?.commit_sha ?? commit;
    }
    const { rows } = await this.sql<Row>(`SELECT ${LIST_COLUMNS} FROM events e WHERE e.commit_sha = $1 ORDER BY e.seq LIMIT $2`, [full, limit + 1]);
    const truncated = rows.length > limit;
    const events = (truncated ? rows.slice(0, limit) : rows)
      .map((row) => ({ event: rowToEvent(row), at: Date.parse(row.occurred_at), seq: row.seq, received: row.received_at }))
      .sort((a, b) => a.at - b.at || a.received - b.received || a.seq - b.seq)
      .map((r) => r.event);
    return { commit: full, events, truncated };
  }

  async forDelivery(seq: number): Promise<HeraldEvent | undefined> {
    return this.awaitingDelivery.get(seq) ?? this.getBySeq(seq);
  }

  /** Records that the summary event stored at `summarySeq` carried these events: in the summary's transaction. */
  async noteSummarized(sql: Sql, summarySeq: number, memberSeqs: readonly number[]): Promise<void> {
    await sql('INSERT INTO summary_members (event_seq, summary_seq) SELECT seq, $1 FROM unnest($2::bigint[]) AS seq ON CONFLICT DO NOTHING', [summarySeq, memberSeqs]);
  }

  /** The summaries (storm group messages, digests) that carried an event, oldest first. */
  async summariesOf(id: string): Promise<EventRef[]> {
    const { rows } = await this.sql<{ id: string; type: string; title: string; occurred_at: string }>(
      `SELECT s.id, s.type, s.title, s.occurred_at FROM summary_members m JOIN events s ON s.seq = m.summary_seq
       WHERE m.event_seq = (SELECT seq FROM events WHERE id = $1) ORDER BY m.summary_seq`,
      [id],
    );
    return rows.map((r) => ({ id: r.id, type: r.type, title: r.title, occurredAt: r.occurred_at }));
  }

  /** The events a summary carries, in the order they were stored: the first `limit`, and how many. */
  async membersOf(id: string, limit: number): Promise<{ events: EventRef[]; total: number }> {
    const { rows } = await this.sql<{ id: string; type: string; title: string; occurred_at: string; total: number }>(
      `WITH summary AS (SELECT seq FROM events WHERE id = $1),
            members AS (SELECT m.event_seq FROM summary_members m JOIN summary s ON m.summary_seq = s.seq)
       SELECT e.id, e.type, e.title, e.occurred_at, (SELECT count(*) FROM members)::int AS total
       FROM (SELECT event_seq FROM members ORDER BY event_seq LIMIT $2) page JOIN events e ON e.seq = page.event_seq ORDER BY page.event_seq`,
      [id, limit],
    );
    const total = rows[0]?.total ?? 0;
    return { events: rows.map((r) => ({ id: r.id, type: r.type, title: r.title, occurredAt: r.occurred_at })), total };
  }

  async getBySeq(seq: number, sql: Sql = this.sql): Promise<HeraldEvent | undefined> {
    const { rows } = await sql<Row>(`SELECT ${LIST_COLUMNS} FROM events e WHERE e.seq = $1`, [seq]);
    return rows[0] && rowToEvent(rows[0]);
  }

  async recent(limit: number): Promise<HeraldEvent[]> {
    const { rows } = await this.sql<Row>(`SELECT ${LIST_COLUMNS} FROM events e ORDER BY e.seq DESC LIMIT $1`, [limit]);
    return rows.map(rowToEvent);
  }

  async markRead(selection: { ids?: string[]; all?: boolean }, read: boolean): Promise<number> {
    if (selection.all) return (await this.sql('UPDATE events SET read = $1 WHERE read <> $1', [read])).rowCount ?? 0;
    const ids = selection.ids ?? [];
    if (ids.length === 0) return 0;
    return (await this.sql('UPDATE events SET read = $1 WHERE id = ANY($2::text[]) AND read <> $1', [read, ids])).rowCount ?? 0;
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.sql('DELETE FROM events WHERE id = ANY($1::text[])', [ids])).rowCount ?? 0;
  }

  async counts(): Promise<{ events: number; unread: number }> {
    const { rows } = await this.sql<{ events: number; unread: number }>('SELECT count(*) AS events, count(*) FILTER (WHERE NOT read) AS unread FROM events');
    return rows[0]!;
  }

  async sourceStats(sourceId: string): Promise<{ lastEventAt: string | null; count: number }> {
    const { rows } = await this.sql<{ n: number; last: number | null }>('SELECT count(*) AS n, max(received_at) AS last FROM events WHERE source_id = $1', [sourceId]);
    const row = rows[0]!;
    return { count: row.n, lastEventAt: row.last === null ? null : new Date(row.last).toISOString() };
  }

  /**
   * Deletes events older than maxAgeDays and beyond the newest maxEvents, never one still to
   * be delivered or waiting in a digest or a storm group; a chunk per statement, so ingest is not held up.
   */
  async enforceRetention(maxAgeDays: number, maxEvents: number, now = new Date(), chunk = 2000): Promise<number> {
    const cutoff = now.getTime() - maxAgeDays * 86_400_000;
    const undelivered = `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status IN ('pending','sending'))
      OR EXISTS (SELECT 1 FROM digest_items g WHERE g.event_seq = e.seq)
      OR EXISTS (SELECT 1 FROM storm_group_items s WHERE s.event_seq = e.seq)`;
    let deleted = 0;
    for (;;) {
      const n =
        (await this.sql(`DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE received_at < $1 AND NOT (${undelivered}) ORDER BY seq LIMIT $2)`, [cutoff, chunk]))
          .rowCount ?? 0;
      deleted += n;
      if (n < chunk) break;
    }
    const { rows } = await this.sql<{ seq: number }>('SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET $1', [maxEvents]);
    const lastKept = rows[0]?.seq;
    if (lastKept !== undefined) {
      for (;;) {
        const n =
          (await this.sql(`DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE seq <= $1 AND NOT (${undelivered}) ORDER BY seq LIMIT $2)`, [lastKept, chunk]))
            .rowCount ?? 0;
        deleted += n;
        if (n < chunk) break;
      }
    }
    return deleted;
  }
}

const sqlWhere = (conditions: readonly string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');

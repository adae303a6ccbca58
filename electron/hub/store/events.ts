// The events table: inserting an event with its rule outcomes (the ingest transaction,
// store/ingest-transaction.ts, calls it), history queries with full-text search, read
// state, deletion and retention. It writes no other table.
import type { EventQuery, RuleOutcome, EventRef } from '../../../shared/api.js';
import { type HeraldEvent, type Severity, SUBJECT_FIELDS, type Subject } from '../../../shared/event.js';
import type Database from 'better-sqlite3';
import type { Db } from './open.js';
import { decodeRaw } from './raw-payload.js';
import { whereIn } from './sql-filter.js';

/** Subject fields map to columns; `group` is a keyword in SQL. */
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

interface EventRow {
  seq: number;
  id: string;
  source_id: string;
  source_kind: string;
  source_name: string;
  type: string;
  severity: string;
  project: string | null;
  grp: string | null;
  environment: string | null;
  pipeline: string | null;
  branch: string | null;
  cluster: string | null;
  artifact: string | null;
  commit_sha: string | null;
  title: string;
  summary: string | null;
  url: string | null;
  actor: string | null;
  occurred_at: string;
  received_at: number;
  dedup_key: string;
  data: string | null;
  raw?: string | Buffer | null;
  matches?: string;
  read: number;
}

const LIST_COLUMNS =
  'e.seq, e.id, e.source_id, e.source_kind, e.source_name, e.type, e.severity, e.project, e.grp, e.environment, e.pipeline, e.branch, e.cluster, e.artifact, e.commit_sha, e.title, e.summary, e.url, e.actor, e.occurred_at, e.received_at, e.dedup_key, e.data, e.read';

export function rowToEvent(row: EventRow): HeraldEvent {
  const subject: Subject = {};
  for (const field of SUBJECT_FIELDS) {
    const value = row[SUBJECT_COLUMN[field] as keyof EventRow];
    if (typeof value === 'string') subject[field] = value;
  }
  return {
    id: row.id,
    source: { kind: row.source_kind, id: row.source_id, name: row.source_name },
    type: row.type,
    severity: row.severity as Severity,
    subject,
    title: row.title,
    ...(row.summary !== null && { summary: row.summary }),
    ...(row.url !== null && { url: row.url }),
    ...(row.actor !== null && { actor: row.actor }),
    occurredAt: row.occurred_at,
    receivedAt: new Date(row.received_at).toISOString(),
    dedupKey: row.dedup_key,
    ...(row.data !== null && { data: JSON.parse(row.data) as Record<string, unknown> }),
    read: row.read === 1,
  };
}

/** Free text → an FTS5 query of quoted terms (AND), the last one a prefix: no syntax errors from users. */
export function toFtsQuery(text: string): string | undefined {
  const terms = text
    // Control characters (a NUL ends an FTS5 string early) and quotes are not searchable.
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .split(/\s+/)
    .map((t) => t.replace(/"/g, '').trim())
    .filter(Boolean)
    .slice(0, 20);
  if (terms.length === 0) return undefined;
  return terms.map((t, i) => `"${t}"${i === terms.length - 1 ? '*' : ''}`).join(' ');
}

/** Filtered totals count at most this many rows (then `totalCapped`): a count must not cost more than the page. */
export const TOTAL_COUNT_CAP = 1000;

export type EventPage = { items: HeraldEvent[]; nextCursor?: string; total?: number; totalCapped?: boolean };

const sqlWhere = (conditions: readonly string[]) => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '');

/** The events row for an event. */
function eventRow(event: HeraldEvent, receivedAtMs: number, raw: string | Buffer | null, matches: RuleOutcome[]) {
  return {
    id: event.id,
    source_id: event.source.id,
    source_kind: event.source.kind,
    source_name: event.source.name,
    type: event.type,
    severity: event.severity,
    project: event.subject.project ?? null,
    grp: event.subject.group ?? null,
    environment: event.subject.environment ?? null,
    pipeline: event.subject.pipeline ?? null,
    branch: event.subject.branch ?? null,
    cluster: event.subject.cluster ?? null,
    artifact: event.subject.artifact ?? null,
    commit_sha: event.subject.commit ?? null,
    title: event.title,
    summary: event.summary ?? null,
    url: event.url ?? null,
    actor: event.actor ?? null,
    occurred_at: event.occurredAt,
    received_at: receivedAtMs,
    dedup_key: event.dedupKey,
    data: event.data === undefined ? null : JSON.stringify(event.data),
    raw,
    matches: matches.length > 0 ? JSON.stringify(matches) : '[]',
  };
}

/** The text the full-text index holds for an event (title, summary, subject), from its events row. */
const SEARCH_TEXT = `title, coalesce(summary, ''),
  concat_ws(' ', project, grp, environment, pipeline, branch, cluster, artifact, source_name, type, actor, commit_sha)`;

/** Most events one call of indexForSearch takes (one ingest transaction's extra work stays bounded). */
const SEARCH_INDEX_MAX = 2048;

/** Events kept in memory for their first delivery: bounded, oldest out first. */
const AWAITING_DELIVERY_MAX = 2048;

export class EventStore {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();
  /** Just-ingested events that have deliveries, by seq (see forDelivery). */
  private readonly awaitingDelivery = new Map<number, HeraldEvent>();
  private readonly insertEvent;

  private readonly indexedUpTo;
  private readonly handedOut;
  private readonly indexRange;
  private readonly markIndexed;
  /** The index failed to take the newest events, said once until it works again. */
  private searchIndexFailing = false;
  /** The temporary index of the events not in events_fts, made at the first search that needs it. */
  private tailIndex: { clear: Database.Statement; fill: Database.Statement } | undefined;

  /**
   * `beforeDelete` runs before any event is deleted (by the user or retention): the board
   * saves what it would otherwise rebuild from those events at the next start (store/board.ts).
   * `unsynced` runs a write of derived data (the search index) committed without fsync
   * (store.ts bookkeeping); by default a plain transaction. `canWrite` false (a damaged
   * file): a search writes nothing, not even the index. `log` tells why a search scans.
   */
  constructor(
    private readonly db: Db,
    private readonly hooks: {
      beforeDelete?: () => void;
      unsynced?: <T>(fn: () => T) => T;
      canWrite?: () => boolean;
      /** Told of an error the index write met: a corruption error marks the store damaged (true), which says so itself. */
      noteError?: (error: unknown) => boolean;
      log?: (line: string) => void;
    } = {},
  ) {
    this.indexedUpTo = db.prepare('SELECT seq FROM search_indexed WHERE id = 1').pluck();
    // AUTOINCREMENT's counter: the newest seq without reading the events b-tree.
    this.handedOut = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").pluck();
    this.indexRange = db.prepare(`INSERT INTO events_fts (rowid, title, summary, subject) SELECT seq, ${SEARCH_TEXT} FROM events WHERE seq > ? AND seq <= ?`);
    this.markIndexed = db.prepare('UPDATE search_indexed SET seq = ? WHERE id = 1');
    this.insertEvent = db.prepare(`INSERT INTO events
      (id, source_id, source_kind, source_name, type, severity, project, grp, environment, pipeline, branch, cluster, artifact, commit_sha,
       title, summary, url, actor, occurred_at, received_at, dedup_key, data, raw, matches)
      VALUES (@id, @source_id, @source_kind, @source_name, @type, @severity, @project, @grp, @environment, @pipeline, @branch, @cluster, @artifact, @commit_sha,
       @title, @summary, @url, @actor, @occurred_at, @received_at, @dedup_key, @data, @raw, @matches)`);
  }

  /**
   * Adds the events stored since the last call to the full-text index, at most
   * SEARCH_INDEX_MAX of them, when at least `minPending` seqs wait (the ingest transaction
   * calls it with its newest seq, so the index grows by one segment per batch instead of
   * one per commit); `upTo` defaults to the newest seq handed out. Joins the caller's
   * transaction (its commit or rollback covers the index and its mark together). Returns
   * the seqs covered.
   */
  indexForSearch(upTo = (this.handedOut.get() as number | undefined) ?? 0, minPending = 1): number {
    const from = (this.indexedUpTo.get() as number | undefined) ?? 0;
    if (upTo - from < minPending) return 0;
    const to = Math.min(upTo, from + SEARCH_INDEX_MAX);
    this.db.transaction(() => {
      this.indexRange.run(from, to);
      this.markIndexed.run(to);
    })();
    return to - from;
  }

  /** How many seqs wait outside the full-text index (an upper bound on the events: some may be deleted). */
  waitingForIndex(): number {
    return Math.max(0, ((this.handedOut.get() as number | undefined) ?? 0) - ((this.indexedUpTo.get() as number | undefined) ?? 0));
  }

  /**
   * Before a search: every stored event in the index (a write of derived data: no fsync
   * needed). When it cannot be written (a damaged or read-only file) or the write fails
   * (SQLITE_BUSY, disk full), the events left out are indexed in a temporary table instead
   * (a separate database: the file is not touched), at most the few hundred the ingest
   * transaction leaves waiting. Returns whether that table holds some to search.
   */
  private searchable(): boolean {
    if (!this.db.readonly && (this.hooks.canWrite?.() ?? true)) {
      const unsynced = this.hooks.unsynced ?? (<T>(fn: () => T) => fn());
      try {
        unsynced(() => {
          while (this.indexForSearch() > 0);
        });
        this.searchIndexFailing = false;
      } catch (error) {
        // A damaged file is the store's to report (once, with the way out), not a lag of the index.
        if (!this.hooks.noteError?.(error) && !this.searchIndexFailing) {
          this.hooks.log?.(
            `store: the search index could not take the newest events (${(error as Error).message}); searches scan the events not yet indexed until it can`,
          );
        }
        this.searchIndexFailing = true;
      }
    }
    const from = (this.indexedUpTo.get() as number | undefined) ?? 0;
    const newest = (this.handedOut.get() as number | undefined) ?? 0;
    if (newest <= from) return false;
    this.tailIndex ??= this.createTailIndex();
    this.tailIndex.clear.run();
    return this.tailIndex.fill.run(from).changes > 0;
  }

  /** A temporary full-text index with events_fts's columns and tokenizer (migrations.ts), for searchable(). */
  private createTailIndex() {
    this.db.exec(
      "CREATE VIRTUAL TABLE IF NOT EXISTS temp.events_fts_tail USING fts5(title, summary, subject, content='', tokenize='unicode61 remove_diacritics 2')",
    );
    return {
      clear: this.db.prepare("INSERT INTO temp.events_fts_tail (events_fts_tail) VALUES ('delete-all')"),
      fill: this.db.prepare(`INSERT INTO temp.events_fts_tail (rowid, title, summary, subject) SELECT seq, ${SEARCH_TEXT} FROM events WHERE seq > ?`),
    };
  }

  /** Inserts one event with its rule outcomes and returns its seq. Join a transaction (store/ingest-transaction.ts). */
  insert(event: HeraldEvent, receivedAtMs: number, raw: string | Buffer | null, matches: RuleOutcome[]): number {
    return Number(this.insertEvent.run(eventRow(event, receivedAtMs, raw, matches)).lastInsertRowid);
  }

  /** A committed event that has deliveries: kept in memory for its first send (see forDelivery). */
  keepForDelivery(seq: number, event: HeraldEvent): void {
    this.awaitingDelivery.set(seq, event);
    if (this.awaitingDelivery.size > AWAITING_DELIVERY_MAX) this.awaitingDelivery.delete(this.awaitingDelivery.keys().next().value!);
  }

  private prepared(sql: string) {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<unknown[]>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * One page of history, newest first. With text, the FTS index is walked newest first
   * (its rowid is the event's seq) and each hit joined to its row, so a page stops after
   * `limit` matches instead of sorting every hit. `total` comes with the first page only
   * (no cursor); the client keeps it while it pages.
   */
  list(query: EventQuery): EventPage {
    const where: string[] = [];
    const params: unknown[] = [];
    const inList = (column: string, values: readonly string[] | undefined) => whereIn(where, params, column, values);
    inList('e.source_id', query.sources);
    inList('e.type', query.types);
    inList('e.severity', query.severities);
    for (const field of SUBJECT_FIELDS) {
      const value = query[field];
      if (value === undefined || value === '') continue;
      if (field === 'commit') {
        // A prefix, as git takes a short SHA: a range on the commit index.
        where.push('e.commit_sha >= ? AND e.commit_sha < ?');
        params.push(value.toLowerCase(), `${value.toLowerCase()}g`);
      } else {
        where.push(`e.${SUBJECT_COLUMN[field]} = ?`);
        params.push(value);
      }
    }
    if (query.unread !== undefined) {
      where.push('e.read = ?');
      params.push(query.unread ? 0 : 1);
    }
    if (query.since) {
      where.push('e.received_at >= ?');
      params.push(Date.parse(query.since));
    }
    if (query.until) {
      where.push('e.received_at < ?');
      params.push(Date.parse(query.until));
    }
    let cursor: number | undefined;
    if (query.cursor !== undefined) {
      cursor = /^\d+$/.test(query.cursor) ? Number(query.cursor) : Number.NaN;
      if (!Number.isSafeInteger(cursor)) throw new RangeError(`cursor: not a cursor from a previous page: "${query.cursor}"`);
    }

    const fts = query.text ? toFtsQuery(query.text) : undefined;
    const withTail = fts ? this.searchable() : false;
    // CROSS JOIN keeps the FTS scan outermost; ORDER BY its rowid is then served by FTS5 itself.
    // With events outside the index (see searchable), their hits are added and sorted.
    const hits = withTail
      ? '(SELECT rowid AS rowid FROM events_fts WHERE events_fts MATCH ? UNION ALL SELECT rowid FROM temp.events_fts_tail WHERE events_fts_tail MATCH ?)'
      : 'events_fts';
    const from = fts ? `${hits} f CROSS JOIN events e ON e.seq = f.rowid` : 'events e';
    const seq = fts ? 'f.rowid' : 'e.seq';
    const matchWhere = fts && !withTail ? ['events_fts MATCH ?', ...where] : where;
    const matchParams = !fts ? params : withTail ? [fts, fts, ...params] : [fts, ...params];
    const pageWhere = cursor === undefined ? matchWhere : [...matchWhere, `${seq} < ?`];
    const pageParams = cursor === undefined ? matchParams : [...matchParams, cursor];
    const rows = this.prepared(`SELECT ${LIST_COLUMNS} FROM ${from} ${sqlWhere(pageWhere)} ORDER BY ${seq} DESC LIMIT ?`).all(
      ...pageParams,
      query.limit + 1,
    ) as EventRow[];
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const result: EventPage = {
      items: page.map(rowToEvent),
      ...(more && { nextCursor: String(page[page.length - 1]!.seq) }),
    };
    if (cursor !== undefined) return result;
    if (!more) return { ...result, total: page.length };
    if (where.length === 0) {
      // Exact and cheap: SQLite counts a table from its b-tree, FTS5 counts from its doclists.
      const count = !fts
        ? this.prepared('SELECT count(*) FROM events').pluck().get()
        : withTail
          ? this.prepared(`SELECT count(*) FROM ${hits}`).pluck().get(fts, fts)
          : this.prepared('SELECT count(*) FROM events_fts WHERE events_fts MATCH ?').pluck().get(fts);
      return { ...result, total: count as number };
    }
    // Other filters have no index to count from: count up to a cap, past it say "more than".
    const capped = this.prepared(`SELECT count(*) FROM (SELECT 1 FROM ${from} ${sqlWhere(matchWhere)} LIMIT ?)`)
      .pluck()
      .get(...matchParams, TOTAL_COUNT_CAP + 1) as number;
    return capped > TOTAL_COUNT_CAP ? { ...result, total: TOTAL_COUNT_CAP, totalCapped: true } : { ...result, total: capped };
  }

  get(id: string): { seq: number; event: HeraldEvent; raw: unknown; matches: RuleOutcome[] } | undefined {
    const row = this.prepared(`SELECT ${LIST_COLUMNS}, e.raw, e.matches FROM events e WHERE e.id = ?`).get(id) as EventRow | undefined;
    if (!row) return undefined;
    return {
      seq: row.seq,
      event: rowToEvent(row),
      raw: decodeRaw(row.raw),
      matches: JSON.parse(row.matches ?? '[]') as RuleOutcome[],
    };
  }

  /** Records that the summary event stored at `summarySeq` carried these events: in the summary's transaction. */
  noteSummarized(summarySeq: number, memberSeqs: readonly number[]): void {
    const insert = this.prepared('INSERT OR IGNORE INTO summary_members (event_seq, summary_seq) VALUES (?, ?)');
    for (const seq of memberSeqs) insert.run(seq, summarySeq);
  }

  /** The summaries (storm group messages, digests) that carried an event, oldest first. */
  summariesOf(id: string): EventRef[] {
    const rows = this.prepared(
      `SELECT s.id, s.type, s.title, s.occurred_at FROM summary_members m JOIN events s ON s.seq = m.summary_seq
       WHERE m.event_seq = (SELECT seq FROM events WHERE id = ?) ORDER BY m.summary_seq`,
    ).all(id) as Array<{ id: string; type: string; title: string; occurred_at: string }>;
    return rows.map((r) => ({ id: r.id, type: r.type, title: r.title, occurredAt: r.occurred_at }));
  }

  /** The events a summary carries, in the order they were stored: the first `limit`, and how many. */
  membersOf(id: string, limit: number): { events: EventRef[]; total: number } {
    const summary = this.prepared('SELECT seq FROM events WHERE id = ?').pluck().get(id) as number | undefined;
    if (summary === undefined) return { events: [], total: 0 };
    const rows = this.prepared(
      `SELECT e.id, e.type, e.title, e.occurred_at FROM summary_members m JOIN events e ON e.seq = m.event_seq
       WHERE m.summary_seq = ? ORDER BY m.event_seq LIMIT ?`,
    ).all(summary, limit) as Array<{ id: string; type: string; title: string; occurred_at: string }>;
    const total = this.prepared('SELECT count(*) FROM summary_members WHERE summary_seq = ?').pluck().get(summary) as number;
    return { events: rows.map((r) => ({ id: r.id, type: r.type, title: r.title, occurredAt: r.occurred_at })), total };
  }

  /**
   * A commit's thread: its events in the order they happened, then as received (the
   * commit index serves it). A prefix names the one commit it starts; `ambiguous` lists
   * the commits when it starts several. `limit` bounds it: the latest received are left out.
   */
  thread(commit: string, limit: number): { commit: string; events: HeraldEvent[]; truncated: boolean } | { ambiguous: string[] } {
    let full = commit;
    if (commit.length !== 40 && commit.length !== 64) {
      const found = this.prepared('SELECT DISTINCT commit_sha FROM events WHERE commit_sha >= ? AND commit_sha < ? ORDER BY commit_sha LIMIT 6')
        .pluck()
        .all(commit, `${commit}g`) as string[];
      if (found.length > 1) return { ambiguous: found };
      full = found[0] ?? commit;
    }
    const rows = this.prepared(`SELECT ${LIST_COLUMNS} FROM events e WHERE e.commit_sha = ? ORDER BY e.seq LIMIT ?`).all(full, limit + 1) as EventRow[];
    const truncated = rows.length > limit;
    const events = (truncated ? rows.slice(0, limit) : rows)
      .map((row) => ({ event: rowToEvent(row), at: Date.parse(row.occurred_at), seq: row.seq, received: row.received_at }))
      .sort((a, b) => a.at - b.at || a.received - b.received || a.seq - b.seq)
      .map((r) => r.event);
    return { commit: full, events, truncated };
  }

  /**
   * The event a delivery sends: usually just ingested, so taken from memory rather than
   * read back and decoded (a third of the delivery worker's store time under load).
   */
  forDelivery(seq: number): HeraldEvent | undefined {
    return this.awaitingDelivery.get(seq) ?? this.getBySeq(seq);
  }

  getBySeq(seq: number): HeraldEvent | undefined {
    const row = this.prepared(`SELECT ${LIST_COLUMNS} FROM events e WHERE e.seq = ?`).get(seq) as EventRow | undefined;
    return row && rowToEvent(row);
  }

  /**
   * Events stored after `seq`, oldest first, at most `limit`: the board replays those its
   * saved table has not seen yet (store/board.ts).
   */
  after(seq: number, limit: number): Array<{ seq: number; event: HeraldEvent }> {
    const rows = this.prepared(`SELECT ${LIST_COLUMNS} FROM events e WHERE e.seq > ? ORDER BY e.seq LIMIT ?`).all(seq, limit) as EventRow[];
    return rows.map((row) => ({ seq: row.seq, event: rowToEvent(row) }));
  }

  /** The highest seq stored (0 when none). */
  lastSeq(): number {
    return (this.prepared('SELECT coalesce(max(seq), 0) FROM events').pluck().get() as number) ?? 0;
  }

  /** The newest events, for rule previews and the tray menu. */
  recent(limit: number): HeraldEvent[] {
    return (this.prepared(`SELECT ${LIST_COLUMNS} FROM events e ORDER BY e.seq DESC LIMIT ?`).all(limit) as EventRow[]).map(rowToEvent);
  }

  markRead(selection: { ids?: string[]; all?: boolean }, read: boolean): number {
    const value = read ? 1 : 0;
    if (selection.all) return this.prepared('UPDATE events SET read = ? WHERE read != ?').run(value, value).changes;
    const ids = selection.ids ?? [];
    const update = this.prepared('UPDATE events SET read = ? WHERE id = ? AND read != ?');
    return this.db.transaction(() => ids.reduce((n, id) => n + update.run(value, id, value).changes, 0))();
  }

  delete(ids: string[]): number {
    this.hooks.beforeDelete?.();
    const remove = this.prepared('DELETE FROM events WHERE id = ?');
    return this.db.transaction(() => ids.reduce((n, id) => n + remove.run(id).changes, 0))();
  }

  counts(): { events: number; unread: number } {
    const events = this.prepared('SELECT count(*) FROM events').pluck().get() as number;
    const unread = this.prepared('SELECT count(*) FROM events WHERE read = 0').pluck().get() as number;
    return { events, unread };
  }

  sourceStats(sourceId: string): { lastEventAt: string | null; count: number } {
    const row = this.prepared('SELECT count(*) AS n, max(received_at) AS last FROM events WHERE source_id = ?').get(sourceId) as {
      n: number;
      last: number | null;
    };
    return { count: row.n, lastEventAt: row.last === null ? null : new Date(row.last).toISOString() };
  }

  /**
   * Deletes events older than maxAgeDays and beyond the newest maxEvents, a chunk per
   * transaction so ingest is never blocked for long. Returns how many were deleted.
   */
  enforceRetention(maxAgeDays: number, maxEvents: number, now = new Date(), chunk = 2000): number {
    this.hooks.beforeDelete?.();
    const cutoff = now.getTime() - maxAgeDays * 86_400_000;
    let deleted = 0;
    // An event whose deliveries are still queued, or that waits in a digest or a storm group, is
    // kept: retention must never drop what Herald accepted and has not delivered yet.
    const undelivered = `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status IN ('pending','sending'))
      OR EXISTS (SELECT 1 FROM digest_items g WHERE g.event_seq = e.seq)
      OR EXISTS (SELECT 1 FROM storm_group_items s WHERE s.event_seq = e.seq)`;
    const byAge = this.prepared(
      `DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE received_at < ? AND NOT (${undelivered}) ORDER BY seq LIMIT ?)`,
    );
    const boundary = this.prepared('SELECT seq FROM events ORDER BY seq DESC LIMIT 1 OFFSET ?').pluck();
    const byCount = this.prepared(
      `DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE seq <= ? AND NOT (${undelivered}) ORDER BY seq LIMIT ?)`,
    );
    for (;;) {
      const n = byAge.run(cutoff, chunk).changes;
      deleted += n;
      if (n < chunk) break;
    }
    const lastKept = boundary.get(maxEvents) as number | undefined;
    if (lastKept !== undefined) {
      for (;;) {
        const n = byCount.run(lastKept, chunk).changes;
        deleted += n;
        if (n < chunk) break;
      }
    }
    return deleted;
  }
}

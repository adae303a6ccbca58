// Events: the durable ingest transaction (event + rule outcomes + deliveries), history
// queries with full-text search, read state, deletion and retention.
import type { EventQuery, RuleOutcome } from '../../../shared/api.js';
import {
  completeEvent,
  type EventInput,
  type HeraldEvent,
  type Severity,
  type SourceRef,
  SUBJECT_FIELDS,
  type Subject,
} from '../../../shared/event.js';
import type Database from 'better-sqlite3';
import type { BoardChange, BoardStore } from './board.js';
import type { Db } from './open.js';
import { eventId } from './event-ids.js';
import { bindableRaw, decodeRaw, type StoredRaw } from './raw-payload.js';

/** One accepted request (or one poll): its events are stored together or not at all. */
export interface IngestItem {
  source: SourceRef;
  inputs: EventInput[];
  /** The sender's delivery id (X-GitHub-Delivery…): a redelivery with the same id is stored once. */
  deliveryId?: string;
  /** The payload as received, in its stored form (raw-payload.ts), for the event detail view. */
  rawStored?: StoredRaw;
  /** Source state committed with the events (a poller's cursor): a restart neither repeats nor misses. */
  state?: { key: string; value: unknown };
}

export type IngestOutcome =
  | {
      status: 'accepted';
      events: HeraldEvent[];
      deliveries: number;
      /** Events added to a digest window instead of a delivery (set when any). */
      digested?: number;
      /** What the events did to the board (set when any): the UI is told once committed. */
      board?: BoardChange[];
    }
  | { status: 'duplicate' };

/** One source's state, read and written inside the ingest transaction. */
export interface SourceStateTx {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/** Rewrites an item's events inside the ingest transaction, with its source's state (pipeline streaks). */
export type Enricher = (item: IngestItem, state: SourceStateTx) => EventInput[];

/** Decides, inside the ingest transaction, which rules route an event where. */
export type Router = (event: HeraldEvent, lastRoutedAt: (ruleId: string, dedupKey: string) => number | undefined) => RuleOutcome[];

/** The tool a source kind reads from (`github-actions` and `github` → `github`): occurrences are unique per tool. */
export function occurrenceScope(kind: string): string {
  return `occurrence:${kind.split('-')[0]}`;
}

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

/** The events row for an event (the ingest insert and Herald's own events share it). */
function eventRow(event: HeraldEvent, receivedAtMs: number, raw: string | Buffer | null, matches: RuleOutcome[] = []) {
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

/** Events kept in memory for their first delivery: bounded, oldest out first. */
const AWAITING_DELIVERY_MAX = 2048;

export class EventStore {
  private readonly statements = new Map<string, Database.Statement<unknown[]>>();
  /** Just-ingested events that have deliveries, by seq (see forDelivery). */
  private readonly awaitingDelivery = new Map<number, HeraldEvent>();
  /** Added in the open transaction: remembered only once it commits (a rollback frees the seqs). */
  private pendingForDelivery: Array<[number, HeraldEvent]> = [];
  private readonly insertEvent;
  private readonly insertDelivery;
  private readonly insertSeen;
  private readonly selectSeen;
  private readonly selectOccurrences;
  private readonly selectThrottle;
  private readonly upsertThrottle;
  private readonly upsertState;
  private readonly selectState;
  private readonly deleteState;
  private readonly ingestTx;
  private readonly selectOpenDigest;
  private readonly insertDigestItem;

  /** `board`: the board table the ingest transaction keeps current (left out only by the ingest benchmark). */
  constructor(
    private readonly db: Db,
    private readonly board?: BoardStore,
  ) {
    this.insertEvent = db.prepare(`INSERT INTO events
      (id, source_id, source_kind, source_name, type, severity, project, grp, environment, pipeline, branch, cluster, artifact, commit_sha,
       title, summary, url, actor, occurred_at, received_at, dedup_key, data, raw, matches)
      VALUES (@id, @source_id, @source_kind, @source_name, @type, @severity, @project, @grp, @environment, @pipeline, @branch, @cluster, @artifact, @commit_sha,
       @title, @summary, @url, @actor, @occurred_at, @received_at, @dedup_key, @data, @raw, @matches)`);
    this.insertDelivery = db.prepare(`INSERT INTO deliveries (event_seq, channel_id, rule_id, status, attempts, next_attempt_at, created_at, updated_at)
      VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`);
    this.insertSeen = db.prepare('INSERT INTO seen_deliveries (source_id, delivery_id, received_at) VALUES (?, ?, ?)');
    this.selectSeen = db.prepare('SELECT 1 FROM seen_deliveries WHERE source_id = ? AND delivery_id = ?').pluck();
    this.selectOccurrences = db.prepare('SELECT delivery_id FROM seen_deliveries WHERE source_id = ? AND delivery_id >= ? AND delivery_id < ? LIMIT 8').pluck();
    this.selectThrottle = db.prepare('SELECT routed_at FROM throttle WHERE rule_id = ? AND dedup_key = ?').pluck();
    this.upsertThrottle = db.prepare(
      'INSERT INTO throttle (rule_id, dedup_key, routed_at) VALUES (?, ?, ?) ON CONFLICT (rule_id, dedup_key) DO UPDATE SET routed_at = excluded.routed_at',
    );
    this.upsertState = db.prepare(`INSERT INTO source_state (source_id, key, value, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (source_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
    this.selectState = db.prepare('SELECT value FROM source_state WHERE source_id = ? AND key = ?').pluck();
    this.deleteState = db.prepare('DELETE FROM source_state WHERE source_id = ? AND key = ?');
    this.selectOpenDigest = db.prepare(
      'SELECT window_start, window_end FROM digest_items WHERE rule_id = ? AND window_end > ? ORDER BY window_end DESC LIMIT 1',
    );
    this.insertDigestItem = db.prepare(
      'INSERT OR IGNORE INTO digest_items (rule_id, rule_name, channel_id, event_seq, window_start, window_end) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.ingestTx = db.transaction((items: IngestItem[], router: Router, now: Date, enrich?: Enricher) =>
      items.map((item) => this.ingestOne(item, router, now, enrich)),
    );
  }

  /**
   * Stores every item's events, their rule outcomes and their deliveries in ONE
   * transaction: all of it or none. Committed with the connection's synchronous setting;
   * the Ingestor commits without fsync and answers 2xx after `store.syncToDisk()`.
   */
  ingest(items: IngestItem[], router: Router, now = new Date(), enrich?: Enricher): IngestOutcome[] {
    this.pendingForDelivery = [];
    try {
      const outcomes = this.ingestTx(items, router, now, enrich);
      for (const [seq, event] of this.pendingForDelivery) this.rememberForDelivery(seq, event);
      return outcomes;
    } finally {
      this.pendingForDelivery = [];
    }
  }

  /** State access for an enricher: its reads see the writes of earlier items in the same transaction. */
  private stateTx(sourceId: string, nowMs: number): SourceStateTx {
    return {
      get: (key) => {
        const value = this.selectState.get(sourceId, key) as string | undefined;
        return value === undefined ? undefined : (JSON.parse(value) as unknown);
      },
      set: (key, value) => void this.upsertState.run(sourceId, key, JSON.stringify(value), nowMs),
      delete: (key) => void this.deleteState.run(sourceId, key),
    };
  }

  private ingestOne(item: IngestItem, router: Router, now: Date, enrich?: Enricher): IngestOutcome {
    const nowMs = now.getTime();
    if (item.deliveryId !== undefined) {
      if (this.selectSeen.get(item.source.id, item.deliveryId)) return { status: 'duplicate' };
      this.insertSeen.run(item.source.id, item.deliveryId, nowMs);
    }
    if (item.state) this.upsertState.run(item.source.id, item.state.key, JSON.stringify(item.state.value), nowMs);
    if (item.inputs.some((input) => input.occurrence !== undefined)) item = { ...item, inputs: this.firstOccurrences(item, nowMs) };
    // After the duplicate check: a redelivery must not move a streak twice.
    if (enrich) item = { ...item, inputs: enrich(item, this.stateTx(item.source.id, nowMs)) };
    const raw = bindableRaw(item.rawStored ?? null);
    // The router asks for throttle memory only for rules that throttle: remember those alone.
    const throttling = new Set<string>();
    const lastRoutedAt = (ruleId: string, dedupKey: string) => {
      throttling.add(ruleId);
      return this.selectThrottle.get(ruleId, dedupKey) as number | undefined;
    };
    const events: HeraldEvent[] = [];
    const board: BoardChange[] = [];
    let deliveries = 0;
    let digested = 0;
    for (const input of item.inputs) {
      const event: HeraldEvent = { ...completeEvent(input, item.source, now), id: eventId(), read: false };
      throttling.clear();
      const outcomes = router(event, lastRoutedAt);
      const { lastInsertRowid } = this.insertEvent.run(eventRow(event, nowMs, item.inputs.length === 1 ? raw : null, outcomes));
      const change = this.board?.apply(event, nowMs);
      if (change) board.push(change);
      for (const outcome of outcomes) {
        if (outcome.outcome !== 'routed') continue;
        if (throttling.has(outcome.ruleId)) this.upsertThrottle.run(outcome.ruleId, event.dedupKey, nowMs);
        if (outcome.digest) {
          // A digest rule: the event waits in the rule's window; one message goes when it closes.
          this.addToDigest(outcome, outcome.digest.windowSeconds, Number(lastInsertRowid), nowMs);
          digested++;
          continue;
        }
        for (const channelId of outcome.channels) {
          this.insertDelivery.run(lastInsertRowid, channelId, outcome.ruleId, nowMs, nowMs, nowMs);
          deliveries++;
        }
        if (outcome.channels.length > 0) this.pendingForDelivery.push([Number(lastInsertRowid), event]);
      }
      events.push(event);
    }
    return { status: 'accepted', events, deliveries, ...(digested > 0 && { digested }), ...(board.length > 0 && { board }) };
  }

  /**
   * Drops events whose occurrence another source of the same tool already stored — a run
   * by webhook and by poll — and remembers the rest, in the table of seen delivery ids
   * (kept 7 days) under `occurrence:<tool>`, one row `<occurrence> <source id>` per source.
   * Within one source nothing changes: a webhook's redeliveries are told apart by their
   * delivery ids, a poller's repeats by its own state. Before the streaks: a run stored
   * once moves one streak once.
   */
  private firstOccurrences(item: IngestItem, nowMs: number): EventInput[] {
    const scope = occurrenceScope(item.source.kind);
    const own = ` ${item.source.id}`;
    return item.inputs.filter((input) => {
      if (input.occurrence === undefined) return true;
      const prefix = `${input.occurrence} `;
      const storedBy = this.selectOccurrences.all(scope, prefix, `${prefix}\uffff`) as string[];
      if (storedBy.some((row) => row.slice(input.occurrence!.length) !== own)) return false;
      if (storedBy.length === 0) this.insertSeen.run(scope, `${input.occurrence}${own}`, nowMs);
      return true;
    });
  }

  private rememberForDelivery(seq: number, event: HeraldEvent): void {
    this.awaitingDelivery.set(seq, event);
    if (this.awaitingDelivery.size > AWAITING_DELIVERY_MAX) this.awaitingDelivery.delete(this.awaitingDelivery.keys().next().value!);
  }

  /**
   * Adds an event to its rule's open digest window, or opens one: windows are fixed, from
   * the first event after the previous window ended, and shared by the rule's channels.
   */
  private addToDigest(outcome: RuleOutcome, windowSeconds: number, eventSeq: number, nowMs: number): void {
    const open = this.selectOpenDigest.get(outcome.ruleId, nowMs) as { window_start: number; window_end: number } | undefined;
    const start = open?.window_start ?? nowMs;
    const end = open?.window_end ?? nowMs + windowSeconds * 1000;
    for (const channelId of outcome.channels) this.insertDigestItem.run(outcome.ruleId, outcome.ruleName, channelId, eventSeq, start, end);
  }

  /**
   * Stores an event Herald made itself (a digest) with the rule outcomes and deliveries
   * given, without routing it (a digest must not be digested again). Join a transaction.
   */
  insertOwnEvent(event: HeraldEvent, matches: RuleOutcome[], deliveries: Array<{ channelId: string; ruleId: string }>, nowMs: number): number {
    const seq = Number(this.insertEvent.run(eventRow(event, nowMs, null, matches)).lastInsertRowid);
    for (const d of deliveries) this.insertDelivery.run(seq, d.channelId, d.ruleId, nowMs, nowMs, nowMs);
    return seq;
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
    const inList = (column: string, values: readonly string[] | undefined) => {
      if (!values || values.length === 0) return;
      where.push(`${column} IN (${values.map(() => '?').join(',')})`);
      params.push(...values);
    };
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
    // CROSS JOIN keeps the FTS scan outermost; ORDER BY its rowid is then served by FTS5 itself.
    const from = fts ? 'events_fts f CROSS JOIN events e ON e.seq = f.rowid' : 'events e';
    const seq = fts ? 'f.rowid' : 'e.seq';
    const matchWhere = fts ? ['events_fts MATCH ?', ...where] : where;
    const matchParams = fts ? [fts, ...params] : params;
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
      const count = fts
        ? this.prepared('SELECT count(*) FROM events_fts WHERE events_fts MATCH ?').pluck().get(fts)
        : this.prepared('SELECT count(*) FROM events').pluck().get();
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
    const cutoff = now.getTime() - maxAgeDays * 86_400_000;
    let deleted = 0;
    // An event whose deliveries are still queued, or that waits in a digest, is kept: retention
    // must never drop what Herald accepted and has not delivered yet.
    const undelivered = `EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status IN ('pending','sending'))
      OR EXISTS (SELECT 1 FROM digest_items g WHERE g.event_seq = e.seq)`;
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
    // Dedup and throttle memory older than the longest window they serve.
    this.prepared('DELETE FROM seen_deliveries WHERE received_at < ?').run(now.getTime() - 7 * 86_400_000);
    this.prepared('DELETE FROM throttle WHERE routed_at < ?').run(now.getTime() - 31 * 86_400_000);
    return deleted;
  }
}

// The board (shared/board.ts decides what a thing is and how an event moves it), kept in
// memory and saved to its table in batches.
//
// Why not a row written per event: in the worst case every event moves a thing, and a
// primary-key read plus an upsert per event (each dirtying a page of the table in the WAL)
// cost as much as storing the event itself (bench/board.mjs). Instead the events are the
// board's journal: a thing's next row is a pure function of its row and the event
// (nextBoardRow), and the board follows each ingest transaction's events in the order
// stored, as soon as the transaction commits and before anything reads the board
// (ingest-transaction.ts followBoard; the hub does it while the disk syncs the commit, so
// a sender's 2xx does not wait for it). The table holds every row as of
// `board_saved.event_seq`; opening the store replays the events after it, so a crash loses
// nothing the events do not also lose, and the board never holds an event that rolled back.
// Saved: after an ingest once SAVE_EVERY events are unsaved (a bounded replay), by the hub
// when a burst is over (board-feed.ts), before events are deleted (a replay needs them),
// when things are pruned, and at close. One process owns a SQLite file, so memory is the
// truth between saves. (The summaries stored outside ingest, herald.digest and
// herald.group, have no state: replay and live agree.)
//
// The api is served from memory too: each row's JSON is made once per change and an answer
// is the join of its rows' JSON (shared/api.ts withAnswerJson), mutes added from the mutes
// table as they hold now.
import { ApiError, type AnswerWithJson, withAnswerJson } from '../../../shared/api.js';
import {
  BOARD_PAGE_DEFAULT,
  type BoardItem,
  type BoardPage,
  type BoardPosition,
  type BoardQuery,
  type BoardRow,
  type BoardState,
  boardItemOf,
  boardVerdict,
  compareBoardItems,
  decodeBoardCursor,
  emptyBoardCounts,
  encodeBoardCursor,
  nextBoardRow,
} from '../../../shared/board.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { type Mute, mutedUntil } from '../../../shared/mutes.js';
import type { EventStore } from './events.js';
import type { Db } from './open.js';

/** What one event did to the board: a row written, or a thing removed. */
export type BoardChange = { row: BoardRow } | { removed: string };

/** Events applied but not saved after which an ingest saves the board: what a start after a crash replays at most. */
export const SAVE_EVERY = 50_000;
/** Events read per query when replaying. */
const REPLAY_CHUNK = 2_000;

export interface BoardStoreDeps {
  /** Replay reads the events after the saved mark; a save records the last seq. */
  events: Pick<EventStore, 'after' | 'lastSeq'>;
  /** The mutes that hold now: shown on their items. */
  mutes: { list(now: Date): Mute[] };
  /** Events between saves after ingest (default SAVE_EVERY). */
  saveEvery?: number;
  /** Where a failed save after ingest is told (the events are committed: the next one tries again). */
  log?: (line: string) => void;
  /**
   * Runs a save after ingest committed without its own fsync: the next ingest's sync takes
   * it to disk, and a save lost to a power cut is replayed.
   */
  unsynced: (fn: () => void) => void;
}

export class BoardStore {
  /** The board: a thing's key → its row (a row is never changed, only replaced: the api's caches key on it). */
  private readonly rows = new Map<string, BoardRow>();
  /** Each row as the api carries it (boardItemOf) and its JSON, made when first served; stale likewise. */
  private readonly wire = new Map<string, { row: BoardRow; item: BoardItem; json: string }>();
  /**
   * Keys changed since the last save (at most one per thing: a list of every change held a
   * new key string per event until the save — up to SAVE_EVERY of them, ~3.6 MB the garbage
   * collector marked again and again), and how many events were applied since.
   */
  private changed = new Set<string>();
  private unsavedEvents = 0;
  /** Whether the last save after ingest failed (told once until one succeeds). */
  private saveFailing = false;
  /** The rows worst first (compareBoardItems), made again after a change (inOrder). */
  private ordered: BoardRow[] | undefined;
  /** The last order made: where the next one starts. */
  private previousOrder: BoardRow[] | undefined;
  private readonly saveEvery: number;
  private readonly upsert;
  private readonly remove;
  private readonly mark;

  constructor(
    private readonly db: Db,
    private readonly deps: BoardStoreDeps,
  ) {
    this.saveEvery = deps.saveEvery ?? SAVE_EVERY;
    // REPLACE rather than an upsert: the table has no other index, trigger or reference, so
    // it is the same row written, with less work per row (a save writes up to every row).
    this.upsert = db.prepare('INSERT OR REPLACE INTO board (key, item) VALUES (?, ?)');
    this.remove = db.prepare('DELETE FROM board WHERE key = ?');
    this.mark = db.prepare('INSERT INTO board_saved (id, event_seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET event_seq = excluded.event_seq');
    this.open();
  }

  /**
   * Moves the event's thing (if it has one) to its next state. Call for every event the
   * store commits, in the order stored, once committed and before the board is read again
   * (a few µs per event is the budget: no copy of the map); then `saveIfDue`. Undefined:
   * no change.
   */
  apply(event: HeraldEvent): BoardChange | undefined {
    this.unsavedEvents++;
    const found = boardVerdict(event);
    if (!found) return undefined;
    const key = found.thing.key;
    const previous = this.rows.get(key);
    const next = nextBoardRow(previous, event, found);
    if (next === 'unchanged') return undefined;
    // The row's own key (kept since the thing's first event), not this event's copy of it.
    this.changed.add(previous ? previous.key : key);
    this.ordered = undefined;
    if ('remove' in next) {
      this.rows.delete(key);
      return { removed: key };
    }
    this.rows.set(key, next.row);
    return next;
  }

  /**
   * After the events of an ingest are applied: saves once SAVE_EVERY are unsaved, so what a
   * start after a crash replays stays bounded. A failed save (a full disk) is logged and
   * tried again after the next ingest; it never fails the ingest, whose events are committed.
   */
  saveIfDue(): void {
    if (this.unsavedEvents < this.saveEvery) return;
    try {
      this.deps.unsynced(() => this.save());
      this.saveFailing = false;
    } catch (error) {
      if (!this.saveFailing) this.deps.log?.(`board: could not save (the events are stored; tried again after the next ingest): ${(error as Error).message}`);
      this.saveFailing = true;
    }
  }

  /** Writes the rows changed since the last save, and the seq they include, in one transaction. Call outside ingest. */
  save(): void {
    if (this.changed.size === 0 && this.unsavedEvents === 0) return;
    this.db.transaction(() => this.write())();
    this.changed = new Set();
    this.unsavedEvents = 0;
  }

  /** Every item the filters match (no paging), worst first; each with its mute, if any holds at `now`. */
  list(query: BoardQuery, now: Date): BoardItem[] {
    const matches = boardFilter(query);
    const muted = this.mutedNow(now);
    const items: BoardItem[] = [];
    for (const row of this.inOrder()) {
      if (!matches(row)) continue;
      const until = row.muteKey === undefined ? undefined : muted.get(row.muteKey);
      items.push(until === undefined ? this.wireOf(row).item : boardItemOf(row, until));
    }
    return items;
  }

  /**
   * A page of board.list as the api answers it, carrying its JSON: the page's rows' JSON
   * joined (nothing is made for the rows outside it), and the counts of every row the
   * filters match (one pass over the ordered rows, no item built).
   */
  answer(query: BoardQuery, now: Date): AnswerWithJson<BoardPage> {
    const limit = query.limit ?? BOARD_PAGE_DEFAULT;
    const after = query.after === undefined ? undefined : decodeBoardCursor(query.after);
    if (query.after !== undefined && after === undefined) throw new ApiError('invalid_input', "after: is not a board cursor: pass the previous page's `next` as it is");
    const matches = boardFilter(query);
    const muted = this.mutedNow(now);
    // The counts alone (limit 0: the header's, the tray's) need no order: no sort for them
    // while ingest keeps changing the board (a storm's reload asks for them twice).
    const ordered = limit === 0 ? [...this.rows.values()] : this.inOrder();
    const start = after === undefined || limit === 0 ? 0 : firstAfter(ordered, after);
    const counts = emptyBoardCounts();
    const items: BoardItem[] = [];
    const parts: string[] = [];
    let last: BoardRow | undefined;
    let more = false;
    for (let i = 0; i < ordered.length; i++) {
      const row = ordered[i]!;
      if (!matches(row)) continue;
      counts[row.state]++;
      if (row.running && row.state !== 'running') counts.rebuilding++;
      const until = row.muteKey === undefined ? undefined : muted.get(row.muteKey);
      if (until !== undefined && row.state === 'failing') counts.mutedFailing++;
      if (i < start) continue;
      if (items.length === limit) {
        more = true;
        continue;
      }
      const wire = this.wireOf(row);
      last = row;
      if (until === undefined) {
        items.push(wire.item);
        parts.push(wire.json);
      } else {
        // boardItemOf puts mutedUntil last: the cached JSON with it appended is this item's.
        items.push(boardItemOf(row, until));
        parts.push(`${wire.json.slice(0, -1)},"mutedUntil":${JSON.stringify(until)}}`);
      }
    }
    const next = more && last ? encodeBoardCursor(last) : undefined;
    const page: BoardPage = next === undefined ? { items, counts } : { items, next, counts };
    return withAnswerJson(page, `{"items":[${parts.join(',')}]${next === undefined ? '' : `,"next":${JSON.stringify(next)}`},"counts":${JSON.stringify(counts)}}`);
  }

  /** The items for these keys (after an ingest: what the UI is told changed). */
  items(keys: readonly string[], now: Date): BoardItem[] {
    const muted = this.mutedNow(now);
    return keys.flatMap((key) => {
      const row = this.rows.get(key);
      if (!row) return [];
      const until = row.muteKey === undefined ? undefined : muted.get(row.muteKey);
      return [until === undefined ? this.wireOf(row).item : boardItemOf(row, until)];
    });
  }

  /** Items whose pipeline mute is this one (a mute added or lifted changes them). */
  keysMutedBy(muteKey: string): string[] {
    return [...this.rows.values()].filter((row) => row.muteKey === muteKey).map((row) => row.key);
  }

  /** Removes the things `keep` says no longer exist (a deleted source's, a deleted channel's health); returns their keys. */
  prune(keep: (thing: { key: string; sourceId: string }) => boolean): string[] {
    const gone = [...this.rows.values()].filter((row) => !keep({ key: row.key, sourceId: row.source.id })).map((row) => row.key);
    if (gone.length === 0) return gone;
    for (const key of gone) {
      this.rows.delete(key);
      this.wire.delete(key);
      this.changed.add(key);
    }
    this.ordered = undefined;
    // Saved at once, with the mark: a replay at the next open must not bring them back.
    this.save();
    return gone;
  }

  count(): number {
    return this.rows.size;
  }

  /**
   * Writes the changed rows as they are now and the last event seq (the board has followed
   * every committed event whenever this runs: it is never called between an ingest's commit
   * and its followBoard, which run in one synchronous step). Each row's JSON is made here and not kept: a changed row is a new
   * row, so a save never writes the same row twice (a cache of it only held ~0.6 KB per thing
   * in memory for nothing).
   */
  private write(): void {
    for (const key of this.changed) {
      const row = this.rows.get(key);
      if (row) this.upsert.run(key, JSON.stringify(row));
      else this.remove.run(key);
    }
    this.mark.run(this.deps.events.lastSeq());
  }

  /**
   * The rows worst first. After a change the previous order is the start: its rows replaced
   * by their current ones (removed ones dropped, new ones added at the end), then sorted,
   * which for an order that is nearly right already costs a fraction of a full sort.
   */
  private wireOf(row: BoardRow): { row: BoardRow; item: BoardItem; json: string } {
    const cached = this.wire.get(row.key);
    if (cached?.row === row) return cached;
    const item = boardItemOf(row);
    const made = { row, item, json: JSON.stringify(item) };
    this.wire.set(row.key, made);
    return made;
  }

  private inOrder(): BoardRow[] {
    if (this.ordered) return this.ordered;
    const rows: BoardRow[] = [];
    const before = this.previousOrder;
    if (before) {
      for (const old of before) {
        const row = this.rows.get(old.key);
        if (row) rows.push(row);
      }
      if (rows.length !== this.rows.size) {
        const placed = new Set(before.map((row) => row.key));
        for (const row of this.rows.values()) if (!placed.has(row.key)) rows.push(row);
      }
    } else {
      for (const row of this.rows.values()) rows.push(row);
    }
    this.ordered = rows.sort(compareBoardItems);
    this.previousOrder = this.ordered;
    return this.ordered;
  }

  private mutedNow(now: Date): Map<string, string> {
    const muted = new Map<string, string>();
    for (const mute of this.deps.mutes.list(now)) {
      const until = mutedUntil(mute, now);
      if (until !== undefined) muted.set(mute.key, until);
    }
    return muted;
  }

  /** Loads the saved rows (converting a board of schema 7 first), then replays the events after them. */
  private open(): void {
    this.db.transaction(() => this.convertSchema7())();
    for (const { key, item } of this.db.prepare('SELECT key, item FROM board').all() as Array<{ key: string; item: string }>) {
      this.rows.set(key, JSON.parse(item) as BoardRow);
    }
    let seq = (this.db.prepare('SELECT event_seq FROM board_saved WHERE id = 1').pluck().get() as number | undefined) ?? 0;
    for (;;) {
      const events = this.deps.events.after(seq, REPLAY_CHUNK);
      if (events.length === 0) break;
      for (const stored of events) this.apply(stored.event);
      seq = events[events.length - 1]!.seq;
    }
    this.save();
    // The pages the replay read leave the connection's cache: the hub's first writes read
    // the file again, as they did before the board was loaded (a page damaged since is found).
    this.db.pragma('shrink_memory');
  }

  /** Schema 7 kept one column per field and was written per event: its rows become items, current to the last event. */
  private convertSchema7(): void {
    const old = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'board_v7'").get();
    if (!old) return;
    for (const r of this.db.prepare('SELECT * FROM board_v7').all() as Schema7Row[]) {
      this.upsert.run(r.key, JSON.stringify(fromSchema7(r)));
    }
    this.mark.run(this.deps.events.lastSeq());
    this.db.exec('DROP TABLE board_v7');
  }
}

/** Whether a row matches board.list's filters (state, source, project). */
function boardFilter(query: Pick<BoardQuery, 'states' | 'sources' | 'project'>): (row: BoardRow) => boolean {
  const states = query.states?.length ? new Set<BoardState>(query.states) : undefined;
  const sources = query.sources?.length ? new Set(query.sources) : undefined;
  const project = query.project;
  return (row) =>
    (states === undefined || states.has(row.state)) &&
    (sources === undefined || sources.has(row.source.id)) &&
    (project === undefined || (row.subject.project ?? row.subject.group) === project);
}

/** The index of the first row that sorts after `position` (binary search in board order). */
function firstAfter(ordered: readonly BoardRow[], position: BoardPosition): number {
  let low = 0;
  let high = ordered.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareBoardItems(ordered[mid]!, position) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

interface Schema7Row {
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
}

function fromSchema7(r: Schema7Row): BoardRow {
  const row: BoardRow = {
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
  };
  if (r.url !== null) row.url = r.url;
  if (r.commit_sha !== null) row.commit = r.commit_sha;
  if (r.actor !== null) row.actor = r.actor;
  if (r.broken_by !== null) row.brokenBy = JSON.parse(r.broken_by) as BoardRow['brokenBy'];
  if (r.mute_key !== null) row.muteKey = r.mute_key;
  return row;
}

// The Now page's view of the board: the pages the hub sent joined, live updates merged into
// them, items grouped by project (worst group first), and the words for counts and for how
// long a state has stood.
import type { ApiUpdate } from '../../shared/api.js';
import { type BoardCounts, type BoardItem, type BoardPosition, type BoardQuery, type BoardState, boardProject, compareBoardItems } from '../../shared/board.js';
import { formatDuration } from '../../shared/duration.js';

/** Whether the hub would list this item under this query (the same filters, applied locally). */
export function fitsBoardQuery(item: BoardItem, query: BoardQuery): boolean {
  if (query.states?.length && !query.states.includes(item.state)) return false;
  if (query.sources?.length && !query.sources.includes(item.source.id)) return false;
  if (query.project !== undefined && (item.subject.project ?? item.subject.group) !== query.project) return false;
  return true;
}

/** Where an item sorts: what the hub's cursor after it holds (the client never reads the cursor itself). */
export const boardPosition = (item: BoardItem): BoardPosition => ({ state: item.state, since: item.since, key: item.key });

/**
 * The list after a `board.updated`: changed items replaced (or dropped when they no longer
 * fit), removed ones gone, in board order. `loadedThrough` is where the pages loaded so far
 * end (undefined: all are loaded): an item that now sorts after it is dropped, since the
 * next page (after that same place) brings it; one that now sorts before it is kept, since
 * no later page will. Several updates (a frame's worth in a storm) apply in order, with one sort.
 */
export function mergeBoardUpdate(items: readonly BoardItem[], updates: BoardUpdate | readonly BoardUpdate[], query: BoardQuery, loadedThrough?: BoardPosition): BoardItem[] {
  const byKey = new Map(items.map((i) => [i.key, i]));
  for (const update of listOf(updates)) applyUpdate(byKey, update, (item) => placeOf(item, query, loadedThrough) === 'loaded');
  return [...byKey.values()].sort(compareBoardItems);
}

type BoardUpdate = Extract<ApiUpdate, { type: 'board.updated' }>;
const listOf = (updates: BoardUpdate | readonly BoardUpdate[]): readonly BoardUpdate[] => ('type' in updates ? [updates] : updates);

/** Where an updated item belongs: within the loaded pages, after them (its page is still to come), or not listed. */
function placeOf(item: BoardItem, query: BoardQuery, loadedThrough?: BoardPosition): 'loaded' | 'beyond' | 'unlisted' {
  if (!fitsBoardQuery(item, query)) return 'unlisted';
  return loadedThrough === undefined || compareBoardItems(item, loadedThrough) <= 0 ? 'loaded' : 'beyond';
}

/**
 * `byKey` after an update: removed things gone; changed ones kept where `keep` says so, gone
 * otherwise. A copy older than the one held (its last event earlier: an update that waited
 * for its frame while a page brought the thing newer) changes nothing — a row's last event
 * never goes back.
 */
function applyUpdate(byKey: Map<string, BoardItem>, update: BoardUpdate, keep: (item: BoardItem) => boolean): Map<string, BoardItem> {
  for (const key of update.removed) byKey.delete(key);
  for (const item of update.items) {
    const held = byKey.get(item.key);
    if (held !== undefined && item.lastEventAt < held.lastEventAt) continue;
    if (keep(item)) byKey.set(item.key, item);
    else byKey.delete(item.key);
  }
  return byKey;
}

/**
 * What updates said of things that now sort after the loaded pages (`mergeBoardUpdate` drops
 * them from the list): kept aside until a page reaches their place. A page asked for before
 * such an update was answered in the older order and may not carry the thing at all — the
 * held copy puts it back (`appendBoardPage`).
 */
export function holdBeyondLoaded(held: ReadonlyMap<string, BoardItem>, updates: BoardUpdate | readonly BoardUpdate[], query: BoardQuery, loadedThrough?: BoardPosition): Map<string, BoardItem> {
  const next = new Map(held);
  for (const update of listOf(updates)) applyUpdate(next, update, (item) => placeOf(item, query, loadedThrough) === 'beyond');
  return next;
}

/**
 * The loaded list with the next page added: in board order, each thing once. A thing in both
 * (it changed while the page was on its way) keeps the copy of its later event. `held` items
 * (`holdBeyondLoaded`) that sort within the loaded pages now (`through`: where they end;
 * undefined: this was the last page) join the same way; the rest stay held.
 */
export function appendBoardPage(
  items: readonly BoardItem[],
  page: readonly BoardItem[],
  held: ReadonlyMap<string, BoardItem> = new Map(),
  through?: BoardPosition,
): { items: BoardItem[]; held: Map<string, BoardItem> } {
  const byKey = new Map(items.map((i) => [i.key, i]));
  const later = (item: BoardItem) => {
    const loaded = byKey.get(item.key);
    if (!loaded || item.lastEventAt > loaded.lastEventAt) byKey.set(item.key, item);
  };
  for (const item of page) later(item);
  const stillHeld = new Map<string, BoardItem>();
  for (const item of held.values()) {
    if (through === undefined || compareBoardItems(item, through) <= 0) later(item);
    else stillHeld.set(item.key, item);
  }
  for (const [key, item] of stillHeld) {
    const shown = byKey.get(key);
    if (!shown) continue;
    // A page's copy at least as new as the held one sorts where the page says; an older one
    // (the page was made before the update) is stale there: the held copy waits for its place.
    if (shown.lastEventAt >= item.lastEventAt) stillHeld.delete(key);
    else byKey.delete(key);
  }
  return { items: [...byKey.values()].sort(compareBoardItems), held: stillHeld };
}

export interface BoardGroup {
  project: string;
  items: BoardItem[];
  counts: Partial<Record<BoardState, number>>;
}

/**
 * Items by project, each group in board order, groups ordered by their worst item not
 * muted (a group red only by a muted item sorts as what else it holds; one with nothing
 * but muted items goes last), then by name.
 */
export function groupBoard(items: readonly BoardItem[]): BoardGroup[] {
  const groups = new Map<string, BoardGroup>();
  for (const item of [...items].sort(compareBoardItems)) {
    const project = boardProject(item);
    let group = groups.get(project);
    if (!group) {
      group = { project, items: [], counts: {} };
      groups.set(project, group);
    }
    group.items.push(item);
    group.counts[item.state] = (group.counts[item.state] ?? 0) + 1;
  }
  const lead = (g: BoardGroup) => g.items.find((i) => i.mutedUntil === undefined);
  return [...groups.values()].sort((a, b) => {
    const la = lead(a);
    const lb = lead(b);
    if (!la || !lb) return la ? -1 : lb ? 1 : a.project.localeCompare(b.project);
    return compareBoardItems(la, lb) || a.project.localeCompare(b.project);
  });
}

const STATE_WORD: Record<BoardState, string> = { failing: 'red', passing: 'green', running: 'running', unknown: 'unknown' };

/** "red for 3 h 12 min", "green for 2 d 4 h", "running for 45 s". */
export function stateFor(item: Pick<BoardItem, 'state' | 'since'>, now: number): string {
  return `${STATE_WORD[item.state]} for ${formatDuration(now - Date.parse(item.since))}`;
}

/** "failed 3 times in a row": the streak in words, when it says more than the state. */
export function streakText(item: Pick<BoardItem, 'state' | 'streak' | 'kind'>): string | undefined {
  if (item.streak < 2) return undefined;
  if (item.state === 'failing') return `failed ${item.streak} times in a row`;
  if (item.state === 'passing') return `${item.streak} good in a row`;
  return undefined;
}

/** The hub's counts in board order: "12 failing (2 muted) · 1 running · 4,987 passing"; empty when there is nothing. */
export function boardCountsText(counts: BoardCounts): string {
  const order: BoardState[] = ['failing', 'running', 'unknown', 'passing'];
  return order
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s].toLocaleString('en-US')} ${s}${s === 'failing' && counts.mutedFailing > 0 ? ` (${counts.mutedFailing.toLocaleString('en-US')} muted)` : ''}`)
    .join(' · ');
}

/** Everything the counts hold. */
export const boardTotal = (counts: BoardCounts): number => counts.failing + counts.running + counts.unknown + counts.passing;

/** Counts by state in board order: "3 failing · 1 running · 12 passing". */
export function countsText(items: readonly Pick<BoardItem, 'state'>[]): string {
  const counts = new Map<BoardState, number>();
  for (const i of items) counts.set(i.state, (counts.get(i.state) ?? 0) + 1);
  const order: BoardState[] = ['failing', 'running', 'unknown', 'passing'];
  return order
    .filter((s) => counts.get(s))
    .map((s) => `${counts.get(s)!.toLocaleString('en-US')} ${s}`)
    .join(' · ');
}

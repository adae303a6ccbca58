// The Now page's view of the board: live updates merged into the list the hub sent, items
// grouped by project (worst group first), and the words for how long a state has stood.
import type { ApiUpdate } from '../../shared/api.js';
import { type BoardItem, type BoardQuery, type BoardState, boardProject, compareBoardItems } from '../../shared/board.js';
import { formatDuration } from '../../shared/duration.js';

/** Whether the hub would list this item under this query (the same filters, applied locally). */
export function fitsBoardQuery(item: BoardItem, query: BoardQuery): boolean {
  if (query.states?.length && !query.states.includes(item.state)) return false;
  if (query.sources?.length && !query.sources.includes(item.source.id)) return false;
  if (query.project !== undefined && (item.subject.project ?? item.subject.group) !== query.project) return false;
  return true;
}

/** The list after a `board.updated`: changed items replaced (or dropped when they no longer fit), removed ones gone, in board order. */
export function mergeBoardUpdate(items: readonly BoardItem[], update: Extract<ApiUpdate, { type: 'board.updated' }>, query: BoardQuery): BoardItem[] {
  const byKey = new Map(items.map((i) => [i.key, i]));
  for (const key of update.removed) byKey.delete(key);
  for (const item of update.items) {
    if (fitsBoardQuery(item, query)) byKey.set(item.key, item);
    else byKey.delete(item.key);
  }
  return [...byKey.values()].sort(compareBoardItems);
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

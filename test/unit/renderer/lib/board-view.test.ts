// The Now page's and the thread's pure parts: live merges under a filter, grouping worst
// first, the words for a state, stages of a commit's thread and live inserts in order.
import { describe, expect, it } from 'vitest';
import type { BoardItem } from '../../../../shared/board.js';
import type { Severity } from '../../../../shared/event.js';
import { appendBoardPage, boardCountsText, boardPosition, countsText, groupBoard, holdBeyondLoaded, mergeBoardUpdate, stateFor, streakText } from '../../../../renderer/lib/board-view.js';
import { insertIntoThread, stageOf, stageOutcome, stageSummary } from '../../../../renderer/lib/thread-view.js';
import { makeEvent } from '../../../helpers/fake-event.js';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 8, minute)).toISOString();
function item(key: string, state: BoardItem['state'], since: number, extra: Partial<BoardItem> = {}): BoardItem {
  return {
    key,
    kind: 'pipeline',
    source: { id: 'gh', name: 'GitHub' },
    subject: { project: 'api', pipeline: key, branch: 'main' },
    state,
    since: at(since),
    streak: 1,
    lastEventId: `e-${key}`,
    lastEventAt: at(since),
    title: key,
    ...extra,
  };
}

describe('mergeBoardUpdate', () => {
  const list = [item('a', 'failing', 0), item('b', 'passing', 0)];
  it('replaces a changed item and keeps board order', () => {
    const merged = mergeBoardUpdate(list, { type: 'board.updated', items: [item('b', 'failing', 5)], removed: [] }, {});
    expect(merged.map((i) => [i.key, i.state])).toEqual([
      ['a', 'failing'],
      ['b', 'failing'],
    ]);
  });
  it('drops an item that no longer fits the filter, and removed ones', () => {
    expect(mergeBoardUpdate(list, { type: 'board.updated', items: [item('a', 'passing', 9)], removed: [] }, { states: ['failing'] })).toEqual([list[1]]);
    expect(mergeBoardUpdate(list, { type: 'board.updated', items: [], removed: ['a'] }, {}).map((i) => i.key)).toEqual(['b']);
  });
  it("several updates (a frame's worth) apply in order, with one sort", () => {
    const updates = [
      { type: 'board.updated' as const, items: [item('b', 'failing', 5)], removed: [] },
      { type: 'board.updated' as const, items: [item('c', 'failing', 2)], removed: ['a'] },
      { type: 'board.updated' as const, items: [item('b', 'passing', 7)], removed: [] },
    ];
    expect(mergeBoardUpdate(list, updates, {}).map((i) => [i.key, i.state])).toEqual([
      ['c', 'failing'],
      ['b', 'passing'],
    ]);
    expect(mergeBoardUpdate(list, updates, {})).toEqual(updates.reduce<BoardItem[]>((items, u) => mergeBoardUpdate(items, u, {}), list));
  });
  it('a copy older than the one shown changes nothing (a page brought the thing newer while the update waited)', () => {
    const shown = [item('a', 'passing', 9)];
    expect(mergeBoardUpdate(shown, { type: 'board.updated', items: [item('a', 'failing', 4)], removed: [] }, {})).toEqual(shown);
    // The same last event with more to say (a late event counted in its streak) still applies.
    const counted = item('a', 'passing', 9, { streak: 2 });
    expect(mergeBoardUpdate(shown, { type: 'board.updated', items: [counted], removed: [] }, {})).toEqual([counted]);
  });
  it('adds a new item only when it fits the source filter', () => {
    const other = item('c', 'failing', 1, { source: { id: 'gl', name: 'GitLab' } });
    expect(mergeBoardUpdate(list, { type: 'board.updated', items: [other], removed: [] }, { sources: ['gh'] })).toHaveLength(2);
    expect(mergeBoardUpdate(list, { type: 'board.updated', items: [other], removed: [] }, { sources: ['gl'] }).map((i) => i.key)).toContain('c');
  });
});

describe('pages loaded so far, merged with live updates', () => {
  // Loaded: the first page, through `b` (more follow on the hub: c, d, e passing).
  const loaded = [item('a', 'failing', 0), item('b', 'failing', 3)];
  const through = boardPosition(loaded[1]!);
  const update = (...items: BoardItem[]) => ({ type: 'board.updated' as const, items, removed: [] });
  it('keeps what now sorts inside the loaded pages, drops what now sorts after them (the next page brings it)', () => {
    // c turned red before b's place: no later page will bring it, so it is added.
    expect(mergeBoardUpdate(loaded, update(item('c', 'failing', 1)), {}, through).map((i) => i.key)).toEqual(['a', 'c', 'b']);
    // a turned green: it sorts after the loaded pages now; kept it would show twice when the next page brings it.
    expect(mergeBoardUpdate(loaded, update(item('a', 'passing', 9)), {}, through).map((i) => i.key)).toEqual(['b']);
    // A new thing sorting after them waits for its page; with everything loaded it is added.
    expect(mergeBoardUpdate(loaded, update(item('z', 'passing', 9)), {}, through).map((i) => i.key)).toEqual(['a', 'b']);
    expect(mergeBoardUpdate(loaded, update(item('z', 'passing', 9)), {}).map((i) => i.key)).toEqual(['a', 'b', 'z']);
  });
  it('adds the next page in board order, each thing once, the copy of its later event kept', () => {
    const page = [item('c', 'passing', 0), item('b', 'failing', 3, { lastEventAt: at(4), title: 'newer' }), item('d', 'passing', 1)];
    const joined = appendBoardPage(loaded, page).items;
    expect(joined.map((i) => i.key)).toEqual(['a', 'b', 'c', 'd']);
    expect(joined[1]!.title).toBe('newer');
    expect(appendBoardPage(joined, [item('b', 'failing', 3)]).items[1]!.title).toBe('newer');
  });
  it('puts back a thing an update moved past the loaded pages while the next page, asked before, was on its way', () => {
    // `a` turns green while the page after `b` is in flight; the hub made that page in the older order, without `a`.
    const moved = update(item('a', 'passing', 1));
    const items = mergeBoardUpdate(loaded, moved, {}, through);
    const held = holdBeyondLoaded(new Map(), moved, {}, through);
    expect(items.map((i) => i.key)).toEqual(['b']);
    expect([...held.keys()]).toEqual(['a']);
    // The page reaches a's new place (through d, since 5): a joins it, in order, and is no longer held.
    const middle = appendBoardPage(items, [item('c', 'passing', 0), item('d', 'passing', 5)], held, boardPosition(item('d', 'passing', 5)));
    expect(middle.items.map((i) => i.key)).toEqual(['b', 'c', 'a', 'd']);
    expect(middle.held.size).toBe(0);
    // A page that ends before a's place keeps it held; the last page (no `through`) lets it in.
    const early = appendBoardPage(items, [item('c', 'passing', 0)], held, boardPosition(item('c', 'passing', 0)));
    expect(early.items.map((i) => i.key)).toEqual(['b', 'c']);
    expect([...early.held.keys()]).toEqual(['a']);
    expect(appendBoardPage(early.items, [], early.held).items.map((i) => i.key)).toEqual(['b', 'c', 'a']);
    // A page made after the update carries `a` itself: shown once, the later copy kept.
    const after = appendBoardPage(items, [item('a', 'passing', 1, { title: 'from the page', lastEventAt: at(2) }), item('c', 'passing', 3)], held);
    expect(after.items.map((i) => i.key)).toEqual(['b', 'a', 'c']);
    expect(after.items[1]!.title).toBe('from the page');
  });
  it("drops a page's stale copy of a held thing (the page was made before the update moved it further on)", () => {
    // x was beyond the loaded pages; an update moves it further (passing since 9) while the next page, made before, lists it at since 1.
    const held = holdBeyondLoaded(new Map(), update(item('x', 'passing', 9)), {}, through);
    const joined = appendBoardPage(loaded, [item('c', 'passing', 0), item('x', 'passing', 1), item('d', 'passing', 5)], held, boardPosition(item('d', 'passing', 5)));
    expect(joined.items.map((i) => i.key)).toEqual(['a', 'b', 'c', 'd']);
    expect([...joined.held.keys()]).toEqual(['x']);
  });
  it('forgets a held thing that a later update removes, filters out, or moves back into the loaded pages', () => {
    const held = holdBeyondLoaded(new Map(), update(item('a', 'passing', 9), item('z', 'passing', 9)), {}, through);
    expect([...held.keys()].sort()).toEqual(['a', 'z']);
    expect([...holdBeyondLoaded(held, { type: 'board.updated', items: [], removed: ['z'] }, {}, through).keys()]).toEqual(['a']);
    expect([...holdBeyondLoaded(held, update(item('a', 'failing', 1, { lastEventAt: at(10) })), {}, through).keys()]).toEqual(['z']);
    expect([...holdBeyondLoaded(held, update(item('a', 'passing', 9)), { states: ['failing'] }, through).keys()]).toEqual(['z']);
    // Everything loaded: nothing to hold.
    expect(holdBeyondLoaded(new Map(), update(item('a', 'passing', 9)), {}).size).toBe(0);
  });
  it("says the hub's counts, the muted red among them", () => {
    expect(boardCountsText({ failing: 1234, running: 0, unknown: 2, passing: 5000, mutedFailing: 3, rebuilding: 1 })).toBe('1,234 failing (3 muted) · 2 unknown · 5,000 passing');
    expect(boardCountsText({ failing: 0, running: 0, unknown: 0, passing: 0, mutedFailing: 0, rebuilding: 0 })).toBe('');
  });
});

describe('groupBoard', () => {
  it('groups by project, the group with the worst (unmuted) item first', () => {
    const groups = groupBoard([
      item('web-ci', 'passing', 0, { subject: { project: 'web' } }),
      item('api-ci', 'failing', 3, { subject: { project: 'api' } }),
      item('muted', 'failing', 0, { subject: { project: 'docs' }, mutedUntil: 'passes' }),
      item('api-deploy', 'passing', 1, { subject: { project: 'api' } }),
      item('kosli', 'failing', 9, { subject: { group: 'cyber-dojo', environment: 'prod' } }),
    ]);
    expect(groups.map((g) => [g.project, g.items.map((i) => i.key)])).toEqual([
      ['api', ['api-ci', 'api-deploy']],
      ['cyber-dojo', ['kosli']],
      ['web', ['web-ci']],
      ['docs', ['muted']],
    ]);
    expect(groups[0]!.counts).toEqual({ failing: 1, passing: 1 });
  });
});

describe('words', () => {
  it.each([
    [item('a', 'failing', 0), (3 * 60 + 12) * 60_000, 'red for 3 h 12 min'],
    [item('a', 'passing', 0), 2 * 86_400_000, 'green for 2 d'],
    [item('a', 'running', 0), 45_000, 'running for 45 s'],
    [item('a', 'unknown', 0), 60_000, 'unknown for 1 min'],
  ])('%#: %s', (i, elapsed, text) => {
    expect(stateFor(i, Date.parse(i.since) + elapsed)).toBe(text);
  });
  it('streaks and counts', () => {
    expect(streakText(item('a', 'failing', 0, { streak: 3 }))).toBe('failed 3 times in a row');
    expect(streakText(item('a', 'failing', 0, { streak: 1 }))).toBeUndefined();
    expect(countsText([item('a', 'passing', 0), item('b', 'failing', 0), item('c', 'passing', 0)])).toBe('1 failing · 2 passing');
  });
});

describe('threads', () => {
  it('stages: CI run → deployment → artifact → compliance → gate, each with the outcome of its latest event', () => {
    const events = [
      makeEvent({ id: '1', type: 'pipeline.triggered', severity: 'info' }),
      makeEvent({ id: '2', type: 'pipeline.succeeded', severity: 'success' }),
      makeEvent({ id: '3', type: 'deployment.failed', severity: 'critical' }),
      makeEvent({ id: '4', type: 'artifact.started', severity: 'info' }),
      makeEvent({ id: '5', type: 'finding.new', severity: 'warning' }),
    ];
    expect(events.map(stageOf)).toEqual(['ci', 'ci', 'deployment', 'artifact', 'gate']);
    expect(stageSummary(events).map((s) => [s.stage, s.outcome, s.count])).toEqual([
      ['ci', 'ok', 2],
      ['deployment', 'bad', 1],
      ['artifact', 'ok', 1],
      ['compliance', 'none', 0],
      ['gate', 'bad', 1],
    ]);
  });
  it("a stage's outcome is its latest event's verb where it has one, else its severity; the gate's own verdict beats its findings", () => {
    const ev = (type: string, severity: Severity = 'info') => makeEvent({ id: type, type, severity });
    // A cancelled run is no failure, though sources send it as a warning.
    expect(stageOutcome([ev('pipeline.triggered'), ev('pipeline.cancelled', 'warning')], 'ci')).toBe('cancelled');
    expect(stageOutcome([ev('pipeline.failed', 'info')], 'ci')).toBe('bad');
    expect(stageOutcome([ev('pipeline.recovered', 'success')], 'ci')).toBe('ok');
    expect(stageOutcome([ev('artifact.started', 'warning')], 'artifact')).toBe('bad');
    expect(stageOutcome([ev('compliance.noncompliant')], 'compliance')).toBe('bad');
    // The gate passed; a finding after it is shown, not a verdict on the gate.
    expect(stageOutcome([ev('security_gate.passed', 'success'), ev('finding.new', 'warning')], 'gate')).toBe('ok');
    expect(stageOutcome([ev('security_gate.failed', 'critical'), ev('finding.closed', 'info')], 'gate')).toBe('bad');
    // No gate yet: the findings speak.
    expect(stageOutcome([ev('finding.new', 'critical')], 'gate')).toBe('bad');
    expect(stageOutcome([], 'gate')).toBe('none');
  });
  it('a live event goes in its place by occurrence, once', () => {
    const a = makeEvent({ id: 'a', occurredAt: at(1) });
    const c = makeEvent({ id: 'c', occurredAt: at(5) });
    const b = makeEvent({ id: 'b', occurredAt: at(3) });
    expect(insertIntoThread([a, c], b).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(insertIntoThread([a, b, c], b).map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });
});

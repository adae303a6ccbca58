// The board's store (store/board.ts) on a real SQLite file: kept in memory by the ingest
// transaction and saved in batches, it comes back after a crash exactly as it was (the
// events after its last save are replayed), a rolled-back ingest leaves no trace, events
// deleted before a save do not change it, a board of schema 7 is converted, and the api's
// answer carries JSON equal to its items.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answerJson } from '../../../../shared/api.js';
import { type BoardRow, boardItemOf, boardMuteKey, compareBoardItems } from '../../../../shared/board.js';
import type { EventInput } from '../../../../shared/event.js';
import { migrate } from '../../../../electron/hub/store/migrations.js';
import { DB_FILE, openStore, type Store, type StoreOptions } from '../../../../electron/hub/store/store.js';
import { tempDir } from '../../../helpers/hub-process.js';

const source = { kind: 'github', id: 'gh', name: 'GitHub' };
const noRules = () => [];
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 8, minute)).toISOString();
const NOW = new Date(at(59));
const run = (type: string, branch: string, minute: number, commit?: string): EventInput => ({
  type,
  title: `${type} on ${branch}`,
  subject: { project: 'acme/api', pipeline: 'ci', branch, ...(commit !== undefined && { commit }) },
  occurredAt: at(minute),
});

const open: Store[] = [];
let dir: string;
const openAt = (options: StoreOptions = {}) => {
  const store = openStore(dir, options);
  open.push(store);
  return store;
};
const ingest = (store: Store, inputs: EventInput[]) => store.ingest(inputs.map((input) => ({ source, inputs: [input] })), noRules);
const board = (store: Store) => store.board.list({}, NOW);
const savedRows = (store: Store) => store.db.prepare('SELECT count(*) FROM board').pluck().get() as number;
const savedSeq = (store: Store) => store.db.prepare('SELECT event_seq FROM board_saved').pluck().get() as number | undefined;
/** A crash: the connection goes without the store's close (no save of the board, no checkpoint). */
const crash = (store: Store) => {
  open.splice(open.indexOf(store), 1);
  store.db.close();
};

afterEach(() => {
  for (const store of open.splice(0)) store.close();
});

describe('the board after a crash', () => {
  it('is what it was: the events after its last save are replayed', () => {
    dir = tempDir('herald-board-store-');
    const store = openAt();
    ingest(store, [run('pipeline.failed', 'a', 1, 'a'.repeat(40)), run('pipeline.failed', 'a', 2), run('pipeline.succeeded', 'b', 3), run('pipeline.triggered', 'c', 4)]);
    ingest(store, [run('pipeline.triggered', 'a', 5), run('pipeline.recovered', 'b', 6)]);
    const before = board(store);
    expect(before.map((i) => [i.subject.branch, i.state, i.streak, i.running === true])).toEqual([
      ['a', 'failing', 2, true],
      ['c', 'running', 0, true],
      ['b', 'passing', 2, false],
    ]);
    expect(savedRows(store)).toBe(0); // nothing saved yet: only the events hold it
    crash(store);

    const reopened = openAt();
    expect(board(reopened)).toEqual(before);
    expect(savedRows(reopened)).toBe(3); // saved once replayed
    expect(savedSeq(reopened)).toBe(6);
  });

  it('is saved after an ingest once enough events are unsaved, with the seq it includes', () => {
    dir = tempDir('herald-board-store-');
    const store = openAt({ boardSaveEvery: 3 });
    ingest(store, [run('pipeline.failed', 'a', 1), run('release.published', 'a', 2)]);
    expect(savedRows(store)).toBe(0);
    ingest(store, [run('pipeline.failed', 'b', 3)]);
    expect([savedRows(store), savedSeq(store)]).toEqual([2, 3]);
    ingest(store, [run('pipeline.failed', 'a', 4)]);
    const before = board(store);
    crash(store);
    expect(board(openAt())).toEqual(before);
  });

  it('keeps no trace of an ingest that rolled back', () => {
    dir = tempDir('herald-board-store-');
    const store = openAt({ boardSaveEvery: 2 });
    ingest(store, [run('pipeline.failed', 'a', 1)]);
    const before = board(store);
    // The second item's routing fails: the whole batch rolls back, the save it triggered too.
    const failing = (event: { subject: { branch?: string } }) => {
      if (event.subject.branch === 'boom') throw new Error('router broke');
      return [];
    };
    expect(() =>
      store.ingest(
        [
          { source, inputs: [run('pipeline.succeeded', 'a', 2)] },
          { source, inputs: [run('pipeline.failed', 'new', 2)] },
          { source, inputs: [run('pipeline.failed', 'boom', 3)] },
        ],
        failing,
      ),
    ).toThrow('router broke');
    expect(board(store)).toEqual(before);
    expect(savedRows(store)).toBe(0);
    ingest(store, [run('pipeline.failed', 'a', 4)]);
    expect(board(store)[0]).toMatchObject({ state: 'failing', streak: 2 });
    const after = board(store);
    crash(store);
    expect(board(openAt())).toEqual(after);
  });

  it('does not change when events it has not saved are deleted (it saves first)', () => {
    dir = tempDir('herald-board-store-');
    const store = openAt();
    const [first] = ingest(store, [run('pipeline.failed', 'a', 1)]);
    const [second] = ingest(store, [run('pipeline.failed', 'a', 2)]);
    const live = board(store);
    expect(live[0]).toMatchObject({ streak: 2 });
    const ids = [first, second].map((o) => (o!.status === 'accepted' ? o!.events[0]!.id : ''));
    expect(store.events.delete(ids)).toBe(2);
    store.enforceRetention(1, 0, NOW);
    crash(store);
    expect(board(openAt())).toEqual(live);
  });

  it('does not bring back what was pruned', () => {
    dir = tempDir('herald-board-store-');
    const store = openAt();
    ingest(store, [run('pipeline.failed', 'a', 1), run('pipeline.failed', 'b', 2)]);
    expect(store.board.prune(({ key }) => !key.includes('"a"'))).toHaveLength(1);
    ingest(store, [run('pipeline.failed', 'b', 3)]);
    crash(store);
    expect(board(openAt()).map((i) => [i.subject.branch, i.streak])).toEqual([['b', 2]]);
  });
});

describe('a board of schema 7', () => {
  it('is converted to items, current to the last event (nothing replayed twice)', () => {
    dir = tempDir('herald-board-store-');
    const db = new Database(join(dir, DB_FILE));
    migrate(db, 7);
    db.prepare(
      `INSERT INTO events (id, source_id, source_kind, source_name, type, severity, project, pipeline, branch, title, occurred_at, received_at, dedup_key)
       VALUES ('e1', 'gh', 'github', 'GitHub', 'pipeline.failed', 'high', 'acme/api', 'ci', 'main', 'CI failed', ?, 0, 'k')`,
    ).run(at(1));
    const key = 'pipeline:["gh","acme/api","ci","main"]';
    db.prepare(
      `INSERT INTO board (key, kind, source_id, source_kind, source_name, project, subject, state, rank, running, since, streak,
        last_event_id, last_event_at, title, url, commit_sha, actor, broken_by, mute_key, updated_at)
       VALUES (?, 'pipeline', 'gh', 'github', 'GitHub', 'acme/api', ?, 'failing', 0, 0, ?, 1, 'e1', ?, 'CI failed', 'https://ci/1', NULL, 'ana', ?, ?, 0)`,
    ).run(key, JSON.stringify({ project: 'acme/api', pipeline: 'ci', branch: 'main' }), at(1), at(1), JSON.stringify({ eventId: 'e1', actor: 'ana' }), '["gh","acme/api","ci","main"]');
    db.close();

    const store = openAt();
    const saved = (store.db.prepare('SELECT item FROM board').pluck().all() as string[]).map((text) => JSON.parse(text) as BoardRow);
    expect(saved).toEqual([
      {
        key,
        kind: 'pipeline',
        source: { id: 'gh', kind: 'github', name: 'GitHub' },
        subject: { project: 'acme/api', pipeline: 'ci', branch: 'main' },
        state: 'failing',
        running: false,
        since: at(1),
        streak: 1,
        lastEventId: 'e1',
        lastEventAt: at(1),
        title: 'CI failed',
        url: 'https://ci/1',
        actor: 'ana',
        brokenBy: { eventId: 'e1', actor: 'ana' },
        muteKey: '["gh","acme/api","ci","main"]',
      },
    ]);
    expect(board(store)).toEqual(saved.map((row) => boardItemOf(row)));
    expect(store.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'board_v7'").pluck().get()).toBe(0);
    expect(savedSeq(store)).toBe(1);
  });
});

describe("the api's answer", () => {
  it('carries JSON equal to the answer (items, next, counts), mutes and filters included', () => {
    dir = tempDir('herald-board-store-');
    const store = openAt();
    ingest(store, [run('pipeline.failed', 'a', 1), run('pipeline.succeeded', 'b', 2), run('pipeline.failed', 'c', 3)]);
    store.mutes.add({ sourceId: 'gh', project: 'acme/api', pipeline: 'ci', branch: 'c' }, { untilPasses: true }, NOW.getTime());
    store.mutes.add({ sourceId: 'gh', project: 'acme/api', pipeline: 'ci', branch: 'a' }, { untilMs: NOW.getTime() - 1 }, NOW.getTime() - 60_000);
    for (const query of [{}, { states: ['failing' as const] }, { sources: ['other'] }, { project: 'acme/api', states: ['passing' as const] }]) {
      const answer = store.board.answer(query, NOW);
      expect(JSON.parse(answerJson(answer)!)).toEqual(JSON.parse(JSON.stringify(answer)));
    }
    const all = store.board.answer({}, NOW).items;
    expect(all.map((i) => [i.subject.branch, i.mutedUntil])).toEqual([
      ['a', undefined], // its timed mute has ended
      ['c', 'passes'],
      ['b', undefined],
    ]);
    expect(store.board.answer({ states: ['failing'] }, NOW).items.map((i) => i.subject.branch)).toEqual(['a', 'c']);
    expect(store.board.answer({ sources: ['other'] }, NOW).items).toEqual([]);
    expect(store.board.answer({ project: 'acme/api', states: ['passing'] }, NOW).items.map((i) => i.subject.branch)).toEqual(['b']);
  });

  it("carries each row less what no reader needs: the source's kind, the mute key, running when false, which event broke it", () => {
    dir = tempDir('herald-board-store-');
    const store = openAt();
    ingest(store, [
      { ...run('pipeline.failed', 'a', 1, 'a'.repeat(40)), actor: 'ana', url: 'https://ci/1' },
      { ...run('pipeline.triggered', 'a', 2), url: 'https://ci/2' },
      run('pipeline.succeeded', 'b', 3),
    ]);
    const saved = new Map((store.db.prepare('SELECT key, item FROM board').all() as Array<{ key: string; item: string }>).map((r) => [r.key, r.item]));
    expect(saved.size).toBe(0); // not saved yet: the rows below are from memory
    store.board.save();
    const rows = (store.db.prepare('SELECT item FROM board').pluck().all() as string[]).map((text) => JSON.parse(text) as BoardRow);
    const page = store.board.answer({}, NOW);
    const text = answerJson(page)!;
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(page)));
    const [a, b] = page.items;
    expect(a).toMatchObject({ source: { id: 'gh', name: 'GitHub' }, state: 'failing', running: true, brokenBy: { actor: 'ana', commit: 'a'.repeat(40) } });
    expect(Object.keys(a!.source)).toEqual(['id', 'name']);
    expect(a!.brokenBy).toEqual({ actor: 'ana', commit: 'a'.repeat(40) });
    expect(b).not.toHaveProperty('running');
    for (const item of page.items) {
      expect(item).not.toHaveProperty('muteKey');
      // The mute key is still there for whoever mutes it: the pipeline's key less its prefix.
      expect(boardMuteKey(item)).toBe(rows.find((r) => r.key === item.key)!.muteKey);
    }
    // The saved rows keep everything (a replay and the next open need it).
    expect(rows.find((r) => r.key === a!.key)).toMatchObject({ running: true, source: { kind: 'github' }, brokenBy: { eventId: expect.any(String), url: 'https://ci/1' } });
    expect(JSON.stringify(page.items).length).toBeLessThan(JSON.stringify(rows).length - 3 * 60);
  });
});

describe('pages', () => {
  it('stay in board order while the order is mended after each change (moved, new, removed, rolled back)', () => {
    dir = tempDir('herald-board-store-');
    const store = openAt();
    const STATES = ['pipeline.failed', 'pipeline.succeeded', 'pipeline.triggered', 'pipeline.cancelled'];
    // A fixed pseudo-random walk: 60 pipelines, 40 rounds of a few changes each, a page read between rounds.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const walk = (limit: number) => {
      const out: string[] = [];
      let after: string | undefined;
      do {
        const page = store.board.answer({ limit, ...(after !== undefined && { after }) }, NOW);
        out.push(...page.items.map((i) => i.key));
        after = page.next;
      } while (after !== undefined);
      return out;
    };
    for (let round = 0; round < 40; round++) {
      const inputs = Array.from({ length: 1 + next(6) }, () => run(STATES[next(4)]!, `b${next(60)}`, round));
      if (round % 9 === 4) {
        // A batch that rolls back: its moves must not reach the order.
        expect(() => store.ingest(inputs.map((input) => ({ source, inputs: [input] })), () => { throw new Error('router broke'); })).toThrow('router broke');
      } else {
        ingest(store, inputs);
      }
      if (round % 10 === 9) store.board.prune((thing) => !thing.key.includes(`"b${round}"`));
      store.board.answer({ limit: 5 }, NOW); // the order is made now, and mended at the next read
      const fresh = store.board.list({}, NOW).map((i) => i.key);
      const sorted = [...store.board.list({}, NOW)].sort(compareBoardItems).map((i) => i.key);
      expect(fresh).toEqual(sorted);
      expect(fresh).toHaveLength(store.board.count());
      expect(walk(7)).toEqual(fresh);
    }
    // What a store opened on the same file sorts from scratch is the same order.
    const final = store.board.list({}, NOW);
    crash(store);
    expect(board(openAt())).toEqual(final);
  });
});

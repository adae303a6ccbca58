// What the board feed pushes to the views (the things a window of commits changed, or a
// reload in a storm), and when it saves the board: once ingest has been quiet for SAVE_AFTER_IDLE_MS, and
// never sooner than SAVE_AT_MOST_EVERY_MS after the last save (bursts a second apart must not
// each write the board). Fake timers and a fake monotonic clock; the store counts saves.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiUpdate } from '../../../../shared/api.js';
import { PUSH_MOST_ITEMS, PUSH_WINDOW_MS, RELOAD_AT_MOST_EVERY_MS, SAVE_AFTER_IDLE_MS, SAVE_AT_MOST_EVERY_MS, startBoardFeed } from '../../../../electron/hub/board/board-feed.js';
import type { IngestOutcome } from '../../../../electron/hub/store/ingest-transaction.js';

const accepted = [{ status: 'accepted', events: [], deliveries: 0 }] as unknown as IngestOutcome[];
const duplicate = [{ status: 'duplicate' }] as unknown as IngestOutcome[];

describe('board feed: saving the board after ingest', () => {
  let clock = 0;
  let saves = 0;
  let failing = false;
  const logged: string[] = [];
  const feedOf = () =>
    startBoardFeed({
      store: {
        board: {
          save: async () => {
            saves++;
            if (failing) throw new Error('disk I/O error');
          },
        },
      } as never,
      log: (line) => void logged.push(line),
      now: () => 0,
      emit: () => undefined,
      listening: () => false,
      ownSourceId: 'herald',
      monotonicMs: () => clock,
    });
  /** Moves the fake timers and the monotonic clock together. */
  const advance = async (ms: number) => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1_000_000;
    saves = 0;
    failing = false;
    logged.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('saves once ingest has been quiet for a second, not while it goes on', async () => {
    const feed = feedOf();
    for (let i = 0; i < 10; i++) {
      await feed.afterCommit(accepted);
      await advance(SAVE_AFTER_IDLE_MS / 2);
    }
    expect(saves).toBe(0);
    await advance(SAVE_AFTER_IDLE_MS / 2);
    expect(saves).toBe(1);
    feed.stop();
  });

  it('a burst soon after a save waits until the spacing has passed, then saves once', async () => {
    const feed = feedOf();
    await feed.afterCommit(accepted);
    await advance(SAVE_AFTER_IDLE_MS);
    expect(saves).toBe(1);
    // Bursts every 2 s: quiet for more than a second between them, each would have saved.
    for (let i = 0; i < 10; i++) {
      await feed.afterCommit(accepted);
      await advance(2_000);
    }
    expect(saves).toBe(1);
    const sinceSave = 10 * 2_000;
    await advance(SAVE_AT_MOST_EVERY_MS - sinceSave - 1);
    expect(saves).toBe(1);
    await advance(1);
    expect(saves).toBe(2);
    feed.stop();
  });

  it('a burst long after the last save saves a second after it, as the first did', async () => {
    const feed = feedOf();
    await feed.afterCommit(accepted);
    await advance(SAVE_AFTER_IDLE_MS);
    await advance(SAVE_AT_MOST_EVERY_MS);
    await feed.afterCommit(accepted);
    await advance(SAVE_AFTER_IDLE_MS - 1);
    expect(saves).toBe(1);
    await advance(1);
    expect(saves).toBe(2);
    feed.stop();
  });

  it('a trickle that is never quiet for a second is saved all the same, the spacing after its first event', async () => {
    const feed = feedOf();
    await feed.afterCommit(accepted);
    await advance(SAVE_AFTER_IDLE_MS);
    expect(saves).toBe(1);
    await advance(SAVE_AT_MOST_EVERY_MS);
    // One event every 900 ms for ten minutes: no quiet second ever.
    for (let t = 0; t < 600_000; t += 900) {
      await feed.afterCommit(accepted);
      await advance(900);
    }
    // One save per spacing (a crash replays at most ~30 s of ingest), not none.
    expect(saves).toBeGreaterThanOrEqual(1 + 600_000 / SAVE_AT_MOST_EVERY_MS - 1);
    expect(saves).toBeLessThanOrEqual(1 + 600_000 / SAVE_AT_MOST_EVERY_MS + 1);
    feed.stop();
  });

  it('a failed save is logged and tried again after the spacing, until one succeeds', async () => {
    const feed = feedOf();
    failing = true;
    await feed.afterCommit(accepted);
    await advance(SAVE_AFTER_IDLE_MS);
    expect(saves).toBe(1);
    expect(logged).toEqual(['board: could not save: disk I/O error']);
    await advance(SAVE_AT_MOST_EVERY_MS);
    expect(saves).toBe(2);
    failing = false;
    await advance(SAVE_AT_MOST_EVERY_MS);
    expect(saves).toBe(3);
    // Saved: nothing more to do until the next ingest.
    await advance(10 * SAVE_AT_MOST_EVERY_MS);
    expect(saves).toBe(3);
    feed.stop();
  });

  it('a burst of commits arms one timer, not one per commit', async () => {
    const feed = feedOf();
    const timers = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 200; i++) {
      await feed.afterCommit(accepted);
      await advance(5);
    }
    // 200 commits over a second: the one timer fired once early and waited again.
    expect(timers.mock.calls.length).toBeLessThanOrEqual(2);
    await advance(SAVE_AFTER_IDLE_MS);
    expect(saves).toBe(1);
    timers.mockRestore();
    feed.stop();
  });

  it('commits that stored nothing schedule no save, and stop cancels the pending one', async () => {
    const feed = feedOf();
    await feed.afterCommit(duplicate);
    await advance(SAVE_AT_MOST_EVERY_MS);
    expect(saves).toBe(0);
    await feed.afterCommit(accepted);
    feed.stop();
    await advance(SAVE_AT_MOST_EVERY_MS);
    expect(saves).toBe(0);
  });
});

describe('board feed: pushing what changed to the views', () => {
  let clock = 0;
  /** The board as the fake store holds it: key → state (absent: removed). */
  const board = new Map<string, string>();
  const pushed: ApiUpdate[] = [];
  let reads = 0;
  const feedOf = (listening = true) =>
    startBoardFeed({
      store: {
        board: {
          save: async () => undefined,
          items: async (keys: string[]) => {
            reads++;
            return keys.flatMap((key) => (board.has(key) ? [{ key, state: board.get(key) }] : []));
          },
        },
      } as never,
      now: () => 0,
      emit: (update) => void pushed.push(update),
      listening: () => listening,
      ownSourceId: 'herald',
      monotonicMs: () => clock,
    });
  const advance = async (ms: number) => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };
  /** A durable commit that changed these things (to these states; undefined: removed). */
  const commit = (changes: Record<string, string | undefined>): IngestOutcome[] => {
    const board: unknown[] = [];
    for (const [key, state] of Object.entries(changes)) {
      if (state === undefined) board.push({ removed: key });
      else board.push({ row: { key } });
    }
    for (const [key, state] of Object.entries(changes)) {
      if (state === undefined) boardDelete(key);
      else boardSet(key, state);
    }
    return [{ status: 'accepted', events: [], deliveries: 0, board }] as unknown as IngestOutcome[];
  };
  const boardSet = (key: string, state: string) => board.set(key, state);
  const boardDelete = (key: string) => board.delete(key);
  const things = (n: number, state: string, from = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${from + i}`, state]));
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1_000_000;
    board.clear();
    pushed.length = 0;
    reads = 0;
  });
  afterEach(() => vi.useRealTimers());

  it('the first change after a quiet spell is pushed at once, as the board holds it when the push leaves', async () => {
    const feed = feedOf();
    feed.afterCommit(commit({ a: 'failing' }));
    feed.afterCommit(commit({ a: 'passing', b: 'failing' }));
    await advance(0);
    expect(pushed).toEqual([{ type: 'board.updated', items: [{ key: 'a', state: 'passing' }, { key: 'b', state: 'failing' }], removed: [] }]);
    feed.stop();
  });

  it('changes within a window leave together, each thing once, a window after the last push; a removed thing is named', async () => {
    const feed = feedOf();
    feed.afterCommit(commit({ a: 'failing' }));
    await advance(0);
    for (let i = 0; i < 10; i++) {
      feed.afterCommit(commit({ b: i % 2 ? 'failing' : 'passing', a: undefined }));
      await advance(5);
    }
    expect(pushed).toHaveLength(1);
    await advance(PUSH_WINDOW_MS - 50);
    expect(pushed).toHaveLength(2);
    expect(pushed[1]).toEqual({ type: 'board.updated', items: [{ key: 'b', state: 'failing' }], removed: ['a'] });
    feed.stop();
  });

  it('a storm (more than PUSH_MOST_ITEMS things in a window) is one board.changed a second, and small changes after it are pushed item by item again', async () => {
    const feed = feedOf();
    // 3 s of 20 commits a second, each changing 60 things: 1,200 things a second, 120 a window.
    for (let t = 0; t < 3_000; t += 50) {
      feed.afterCommit(commit(things(60, t % 100 ? 'failing' : 'passing', (t / 50) * 60)));
      await advance(50);
    }
    const reloads = pushed.filter((u) => u.type === 'board.changed').length;
    expect(reloads).toBeGreaterThanOrEqual(3);
    expect(reloads).toBeLessThanOrEqual(4);
    // Only the first window's push read items (before the storm was seen): no item read per change.
    expect(pushed.filter((u) => u.type === 'board.updated')).toHaveLength(1);
    expect(reads).toBe(1);
    await advance(RELOAD_AT_MOST_EVERY_MS);
    const before = pushed.length;
    feed.afterCommit(commit({ quiet: 'passing' }));
    await advance(PUSH_WINDOW_MS);
    expect(pushed.slice(before)).toEqual([{ type: 'board.updated', items: [{ key: 'quiet', state: 'passing' }], removed: [] }]);
    feed.stop();
  });

  it('a window of exactly PUSH_MOST_ITEMS things is still pushed item by item', async () => {
    const feed = feedOf();
    feed.afterCommit(commit(things(PUSH_MOST_ITEMS, 'failing')));
    await advance(0);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]).toMatchObject({ type: 'board.updated' });
    expect((pushed[0] as { items: unknown[] }).items).toHaveLength(PUSH_MOST_ITEMS);
    feed.stop();
  });

  it('nothing is gathered or read while no view listens, and stop cancels a pending push', async () => {
    const quiet = feedOf(false);
    quiet.afterCommit(commit({ a: 'failing' }));
    await advance(RELOAD_AT_MOST_EVERY_MS);
    expect([pushed.length, reads]).toEqual([0, 0]);
    quiet.stop();
    const feed = feedOf();
    feed.afterCommit(commit({ a: 'failing' }));
    await advance(0);
    feed.afterCommit(commit({ b: 'failing' }));
    feed.stop();
    await advance(RELOAD_AT_MOST_EVERY_MS);
    expect(pushed).toHaveLength(1);
  });
});

// When the board feed saves the board: once ingest has been quiet for SAVE_AFTER_IDLE_MS, and
// never sooner than SAVE_AT_MOST_EVERY_MS after the last save (bursts a second apart must not
// each write the board). Fake timers and a fake monotonic clock; the store counts saves.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SAVE_AFTER_IDLE_MS, SAVE_AT_MOST_EVERY_MS, startBoardFeed } from '../../../../electron/hub/board/board-feed.js';
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

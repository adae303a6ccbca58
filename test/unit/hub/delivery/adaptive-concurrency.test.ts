// The adaptive concurrency limit on its own: samples in, limit out, no clock but the samples'.
import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../../../../electron/hub/delivery/adaptive-concurrency.js';

/** Feeds one window (as many samples as the limit) of sends that took `ms` each, all with the limit in use. */
function window(limit: AdaptiveLimit, ms: number, options: { at?: number; inFlight?: number; outcome?: 'ok' | 'overload' } = {}): void {
  const count = limit.limit;
  const at = options.at ?? 0;
  for (let i = 0; i < count; i++) {
    limit.sample({ startedAt: at, finishedAt: at + ms, inFlight: options.inFlight ?? limit.limit, generation: limit.generation, outcome: options.outcome ?? 'ok' });
  }
}

describe('adaptive concurrency limit', () => {
  it('starts at 4 within its bounds and doubles per window while latency holds (slow start), up to the declared max', () => {
    const limit = new AdaptiveLimit({ max: 40 });
    expect(limit.limit).toBe(4);
    const seen = [limit.limit];
    for (let i = 0; i < 5; i++) {
      window(limit, 5);
      seen.push(limit.limit);
    }
    expect(seen).toEqual([4, 8, 16, 32, 40, 40]);
    expect(new AdaptiveLimit({ max: 2 }).limit).toBe(2);
    expect(new AdaptiveLimit({ max: 10, initial: 0 }).limit).toBe(1);
  });

  it('does not grow on sends that never filled it (a quiet channel keeps its limit)', () => {
    const limit = new AdaptiveLimit({ max: 64 });
    for (let i = 0; i < 10; i++) window(limit, 5, { inFlight: 1 });
    expect(limit.limit).toBe(4);
    // Half the limit in use counts as filled.
    window(limit, 5, { inFlight: 2 });
    expect(limit.limit).toBe(8);
  });

  it('halves on overload once per generation: the sends already in flight at the old limit do not cut it again', () => {
    const limit = new AdaptiveLimit({ max: 64, initial: 32 });
    const before = limit.generation;
    // 32 sends in flight, all answered 429.
    for (let i = 0; i < 32; i++) limit.sample({ startedAt: 0, finishedAt: 10, inFlight: 32, generation: before, outcome: 'overload' });
    expect(limit.limit).toBe(16);
    expect(limit.view().lastDecrease).toEqual({ reason: 'overload', at: 10 });
    // A send started after the cut and also refused: the new limit is too high as well.
    limit.sample({ startedAt: 11, finishedAt: 20, inFlight: 16, generation: limit.generation, outcome: 'overload' });
    expect(limit.limit).toBe(8);
    // Down to the floor, never below.
    for (let i = 0; i < 10; i++) limit.sample({ startedAt: 30, finishedAt: 40, inFlight: 1, generation: limit.generation, outcome: 'overload' });
    expect(limit.limit).toBe(1);
  });

  it('after an overload grows by one per window, not by doubling (out of slow start)', () => {
    const limit = new AdaptiveLimit({ max: 64, initial: 16 });
    limit.sample({ startedAt: 0, finishedAt: 1, inFlight: 16, generation: limit.generation, outcome: 'overload' });
    expect(limit.limit).toBe(8);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      window(limit, 5);
      seen.push(limit.limit);
    }
    expect(seen).toEqual([9, 10, 11, 12]);
  });

  it('shrinks by the latency gradient when a window is slower than baseline × 2 and baseline + 50 ms, at most halving', () => {
    const limit = new AdaptiveLimit({ max: 64, initial: 16 });
    window(limit, 10); // baseline 10 ms; grows to 32
    expect(limit.limit).toBe(32);
    window(limit, 30); // within baseline + 50 ms (our own event loop on loopback): no cut; the baseline moves a tenth: 12
    expect(limit.limit).toBe(64);
    window(limit, 93); // slow beyond max(24, 62) = 62 ms: × 62/93
    expect(limit.limit).toBe(42);
    expect(limit.view()).toMatchObject({ lastWindowMs: 93, lastDecrease: { reason: 'latency' } });
    expect(limit.view().baselineMs).toBeCloseTo(20.1, 5);
    window(limit, 1_000); // far slower: halved, not more
    expect(limit.limit).toBe(21);
  });

  it('a latency that stays at a new level becomes the baseline: the cuts stop above the floor and it grows again', () => {
    const limit = new AdaptiveLimit({ max: 64, initial: 32 });
    window(limit, 1);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      window(limit, 80);
      seen.push(limit.limit);
    }
    const lowest = Math.min(...seen);
    expect(lowest).toBeGreaterThan(1);
    expect(seen.at(-1)).toBeGreaterThan(lowest);
  });

  it('at its floor takes the latency as the endpoint\'s own (a new baseline), then grows again', () => {
    const limit = new AdaptiveLimit({ max: 8, initial: 2 });
    window(limit, 5);
    expect(limit.limit).toBe(4);
    // The endpoint gets slower for good: 500 ms a send.
    window(limit, 500);
    window(limit, 500);
    expect(limit.limit).toBe(1);
    window(limit, 500); // at the floor: 500 ms becomes the baseline
    expect(limit.view().baselineMs).toBe(500);
    window(limit, 520);
    window(limit, 510);
    expect(limit.limit).toBeGreaterThan(1);
  });

  it('follows its declared max down at once when the channel is edited', () => {
    const limit = new AdaptiveLimit({ max: 32, initial: 32 });
    limit.setMax(8);
    expect(limit.limit).toBe(8);
    window(limit, 5);
    expect(limit.limit).toBe(8);
    limit.setMax(16);
    window(limit, 5);
    expect(limit.limit).toBe(16);
  });
});

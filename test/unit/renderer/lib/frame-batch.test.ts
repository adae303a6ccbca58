// Board updates in a storm are handed over a frame's worth at a time (renderer/lib/frame-batch.ts).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_MS, frameBatch } from '../../../../renderer/lib/frame-batch.js';

describe('frameBatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('hands over everything pushed within a frame at once, in order, and each item once', () => {
    const flushed: number[][] = [];
    const batch = frameBatch<number>((items) => flushed.push(items));
    for (let i = 0; i < 300; i++) batch.push(i);
    expect(flushed).toEqual([]);
    vi.advanceTimersByTime(FRAME_MS);
    expect(flushed).toEqual([Array.from({ length: 300 }, (_, i) => i)]);
    batch.push(300);
    vi.advanceTimersByTime(FRAME_MS);
    expect(flushed).toEqual([Array.from({ length: 300 }, (_, i) => i), [300]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a steady stream is one hand-over per frame, not one per item', () => {
    const flushed: number[][] = [];
    const batch = frameBatch<number>((items) => flushed.push(items));
    // 500 updates a second for one second: one every 2 ms.
    for (let i = 0; i < 500; i++) {
      batch.push(i);
      vi.advanceTimersByTime(2);
    }
    vi.advanceTimersByTime(FRAME_MS);
    expect(flushed.flat()).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(flushed.length).toBeLessThanOrEqual(Math.ceil(1000 / FRAME_MS) + 1);
    expect(flushed.length).toBeGreaterThan(1000 / FRAME_MS / 2);
  });

  it('cancel drops what waits and its timer', () => {
    const flush = vi.fn();
    const batch = frameBatch<number>(flush);
    batch.push(1);
    batch.cancel();
    vi.advanceTimersByTime(FRAME_MS * 2);
    expect(flush).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});

// Updates that come faster than a screen redraws — a storm sends a board.updated per group
// commit, hundreds a second — are handed over together, at most once per FRAME_MS: one
// render for all of them instead of one each. A timer, not requestAnimationFrame: a window
// hidden in the tray gets no frames, and its updates would pile up until shown; a hidden
// window's timers still run (throttled to about one a second, which only makes batches larger).

export const FRAME_MS = 16;

export interface FrameBatch<T> {
  push(item: T): void;
  /** Drops what waits (the component is going away). */
  cancel(): void;
}

export function frameBatch<T>(
  flush: (items: T[]) => void,
  timers: { set(run: () => void, ms: number): unknown; clear(handle: unknown): void } = {
    set: (run, ms) => setTimeout(run, ms),
    clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  },
): FrameBatch<T> {
  let waiting: T[] = [];
  let handle: unknown;
  return {
    push(item) {
      waiting.push(item);
      if (handle !== undefined) return;
      handle = timers.set(() => {
        handle = undefined;
        const items = waiting;
        waiting = [];
        flush(items);
      }, FRAME_MS);
    },
    cancel() {
      if (handle !== undefined) timers.clear(handle);
      handle = undefined;
      waiting = [];
    },
  };
}

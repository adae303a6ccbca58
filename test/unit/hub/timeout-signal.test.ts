// deadlineSignal: a request's deadline that a garbage collection cannot cancel, and that
// follows the delivery's own signal.
import { describe, expect, it } from 'vitest';
import { deadlineSignal } from '../../../electron/hub/timeout-signal.js';
import { forceGc } from '../../helpers/force-gc.js';

/** Resolves with the signal's reason when it aborts, or 'not aborted' after `boundMs`. */
function aborted(signal: AbortSignal, boundMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(signal.reason);
    const timer = setTimeout(() => resolve('not aborted'), boundMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}

describe('deadlineSignal', () => {
  it('aborts with a TimeoutError after its time, also when a GC ran meanwhile (with and without a parent)', async () => {
    // Only the combined signal is kept, as fetch keeps it.
    const signals = [deadlineSignal(200), deadlineSignal(200, new AbortController().signal)];
    // In a later turn: a WeakRef keeps its target through the turn that made it.
    await new Promise((resolve) => setImmediate(resolve));
    forceGc();
    const reasons = await Promise.all(signals.map((s) => aborted(s, 5_000)));
    for (const reason of reasons) expect(reason).toMatchObject({ name: 'TimeoutError' });
  });

  it("aborts with the parent's reason when the parent aborts first", async () => {
    const parent = new AbortController();
    const signal = deadlineSignal(60_000, parent.signal);
    parent.abort(new Error('hub stopping'));
    await expect(aborted(signal, 1_000)).resolves.toMatchObject({ message: 'hub stopping' });
  });
});

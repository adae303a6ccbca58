// A request's deadline as an AbortSignal that still fires after a garbage collection.
//
// Node 20's `AbortSignal.timeout(ms)` is held only weakly by its own timer, and
// `AbortSignal.any([...])` holds its sources weakly too: in
// `AbortSignal.any([signal, AbortSignal.timeout(ms)])` nothing holds the timeout signal
// strongly, so a GC before it fires collects it with its timer, the combined signal never
// aborts, and a request to a server that never answers waits for good (a Slack delivery hung
// that way whenever a GC ran in the window: the channel conformance suite's "no answer" case).

/** Aborts with a `TimeoutError` (as `AbortSignal.timeout` does) after `ms`, or when `parent` aborts. */
export function deadlineSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  // The timer's callback holds the controller (and so its signal) until it fires; unref'd, it
  // keeps no process alive.
  setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms).unref();
  return parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
}

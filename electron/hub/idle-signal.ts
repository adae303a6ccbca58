// "Nothing left to do": the hub's idle() waits until every part says it is quiet (the
// ingestor has nothing queued or on its way to disk, the worker nothing in flight or due,
// no digest window due), twice in a row so work one part hands another is seen. Tests
// await it instead of sleeping and hoping; it is bounded and says what stayed busy.

/** A part's answer: undefined when quiet, else what it is busy with. */
export type BusyCheck = () => string | undefined;

export async function waitForIdle(checks: readonly BusyCheck[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (quiet < 2) {
    const busy = checks.map((check) => check()).filter((b): b is string => b !== undefined);
    if (busy.length === 0) {
      quiet++;
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    quiet = 0;
    if (Date.now() > deadline) throw new Error(`the hub did not become idle within ${timeoutMs} ms: ${busy.join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

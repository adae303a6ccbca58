// Exponential backoff with "equal jitter": half the delay is fixed, half random, so
// retries of many deliveries spread out instead of arriving together.

/** A Retry-After longer than this is treated as this: a day is long enough to be told again. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Delay before attempt `attempt + 1`, given that attempt `attempt` (1-based) just failed. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

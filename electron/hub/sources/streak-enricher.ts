// Pipeline streaks for every source, webhook or polled: runs inside the ingest transaction
// (the enrich hook of store/ingest-transaction.ts), so the streak read, the rewritten event and the new
// streak are committed together, and two requests for the same pipeline are applied one
// after the other — never both from the same old state.
import type { EventInput } from '../../../shared/event.js';
import type { Enricher } from '../store/ingest-transaction.js';
import { applyPipelineStreak, isStreakEvent, pipelineStreakKey, type StreakState } from './streaks.js';

export const enrichWithStreaks: Enricher = (item, state) => {
  if (!item.inputs.some(takesPart)) return item.inputs;
  return item.inputs.map((input): EventInput => {
    if (!takesPart(input)) return input;
    const key = pipelineStreakKey(input);
    const last = asStreakState(state.get(key));
    const { event, state: next } = applyPipelineStreak(input, last);
    // A healthy pipeline keeps no row: success is the default, and branches come and go.
    if (next.failures === 0) {
      if (last) state.delete(key);
    } else {
      state.set(key, next);
    }
    return event;
  });
};

/** A pipeline verdict that says which pipeline: without project, pipeline or branch, two failures need not be the same thing. */
function takesPart(input: EventInput): boolean {
  const s = input.subject;
  return isStreakEvent(input) && !!(s?.project || s?.pipeline || s?.branch);
}

/** A stored streak, or undefined when the row is missing or not one (then the streak starts over). */
function asStreakState(value: unknown): StreakState | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { failures, failingSince } = value as Record<string, unknown>;
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 0) return undefined;
  return { failures, ...(typeof failingSince === 'string' && { failingSince }) };
}

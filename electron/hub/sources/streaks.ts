// Recovery and failure streaks, as desktop CI notifiers do: a pipeline that succeeds after
// failing emits `pipeline.recovered` ("recovered after 3 failures"), and a repeated failure
// says "still failing (n)" instead of looking new. Pure: the hub keeps the StreakState per
// pipelineStreakKey() in the source-state store (scoped by source id) and passes it back.
//
// Only pipeline.failed and pipeline.succeeded move a streak. triggered and cancelled pass
// through untouched and leave the streak as it is (a cancelled run is no verdict).
// A still-failing event keeps its dedupKey, so rule throttling counts the streak as one thing.
import { formatDuration } from '../../../shared/duration.js';
import type { EventInput } from '../../../shared/event.js';

export interface StreakState {
  /** Consecutive failures since the last success (0 = healthy or unknown). */
  failures: number;
  /** When the first failure of the current streak happened (ISO), if known. */
  failingSince?: string;
}

/** Whether an event takes part in streaks at all. */
export function isStreakEvent(event: Pick<EventInput, 'type'>): boolean {
  return event.type === 'pipeline.failed' || event.type === 'pipeline.succeeded';
}

/**
 * The store key of a pipeline's streak within one source: project + pipeline + branch.
 * Use it with SourceStateStore.get/set(sourceId, key), which scopes it by source.
 */
export function pipelineStreakKey(event: Pick<EventInput, 'subject'>): string {
  const s = event.subject ?? {};
  return `streak:${JSON.stringify([s.project ?? '', s.pipeline ?? '', s.branch ?? ''])}`;
}

export function applyPipelineStreak(event: EventInput, last: StreakState | undefined): { event: EventInput; state: StreakState } {
  const failures = last?.failures ?? 0;

  if (event.type === 'pipeline.failed') {
    const n = failures + 1;
    const state: StreakState = { failures: n, failingSince: last?.failingSince ?? event.occurredAt };
    if (n === 1) return { event: { ...event, data: { ...event.data, failureStreak: 1 } }, state };
    return {
      event: {
        ...event,
        title: rewordTitle(event.title, 'failed', `still failing (${n})`),
        summary: `Still failing (${n} in a row).${event.summary ? ` ${event.summary}` : ''}`.slice(0, 10_000),
        data: { ...event.data, failureStreak: n },
      },
      state,
    };
  }

  if (event.type === 'pipeline.succeeded') {
    if (failures === 0) return { event, state: { failures: 0 } };
    const plural = failures === 1 ? 'failure' : 'failures';
    const recovered = `recovered after ${failures} ${plural}`;
    return {
      event: {
        ...event,
        type: 'pipeline.recovered',
        title: rewordTitle(event.title, 'succeeded', recovered),
        summary: `Recovered after ${failures} ${plural}${failingFor(last?.failingSince, event.occurredAt)}.${event.summary ? ` ${event.summary}` : ''}`.slice(0, 10_000),
        ...(event.dedupKey ? { dedupKey: recoveredDedupKey(event.dedupKey) } : {}),
        data: { ...event.data, recoveredAfter: failures },
      },
      state: { failures: 0 },
    };
  }

  return { event, state: last ?? { failures: 0 } };
}

/** ` (failing for 2 h 5 min, since 2025-01-01 10:00 UTC)`: read by people, not parsed, so no raw ISO time. */
function failingFor(since: string | undefined, until: string | undefined): string {
  const from = since ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(from)) return '';
  const to = until ? Date.parse(until) : Number.NaN;
  const at = `${new Date(from).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return to > from ? ` (failing for ${formatDuration(to - from)}, since ${at})` : ` (failing since ${at})`;
}

type StreakVerb = 'failed' | 'succeeded';
/** Built once: a streak event rewords its title on the ingest path. */
const VERB_PATTERNS = Object.fromEntries(
  (['failed', 'succeeded'] as const).map((verb) => [
    verb,
    { asSources: new RegExp(`(?<= )${verb}(?= \\(| on |$)`, 'g'), asAnyWord: new RegExp(`(?<=^|\\s)${verb}(?=$|[\\s:.,;!(])`) },
  ]),
) as Record<StreakVerb, { asSources: RegExp; asAnyWord: RegExp }>;

/**
 * Replace the verb the sources use ("failed", "succeeded"), or append when a title words
 * it otherwise. Sources put it last but for " (reason)" and " on <branch>"
 * (ci-common.ts pipelineTitle), so that placement is looked for first, from the end: a
 * project or pipeline named `failed-tests` or `retry failed jobs` keeps its name.
 */
function rewordTitle(title: string, verb: StreakVerb, replacement: string): string {
  const { asSources, asAnyWord } = VERB_PATTERNS[verb];
  const at = ([...title.matchAll(asSources)].at(-1) ?? asAnyWord.exec(title))?.index;
  const out = at !== undefined ? `${title.slice(0, at)}${replacement}${title.slice(at + verb.length)}` : `${title} — ${replacement}`;
  return out.length > 500 ? `${out.slice(0, 499)}…` : out;
}

/** `<source>:pipeline.succeeded:<subject>` → `<source>:pipeline.recovered:<subject>`. */
function recoveredDedupKey(key: string): string {
  return key.includes(':pipeline.succeeded:') ? key.replace(':pipeline.succeeded:', ':pipeline.recovered:') : `${key}:recovered`;
}

// Muting one pipeline: its events are still kept in history, but no rule delivers them
// while the mute lasts. A pipeline is what a streak is (sources/streaks.ts): one source's
// project + pipeline + branch. A mute ends at a time ("for 1 hour") or with the pipeline's
// next success ("until it passes"); that success lifts the mute and is itself delivered,
// so the user hears that it passed. Pure: the hub stores mutes, routing asks `muteFor`.
//
// The key is built from the subject alone, so anything keyed by pipeline (a status board's
// items, issue #13: `mutedUntil`) can look a mute up with the same function.
import { z } from 'zod';
import type { HeraldEvent, Subject } from './event.js';

/** The subject fields that name a pipeline within a source. */
export const PIPELINE_FIELDS = ['project', 'pipeline', 'branch'] as const;

export type PipelineRef = { sourceId: string } & Pick<Subject, (typeof PIPELINE_FIELDS)[number]>;

/** Longest timed mute: a week. Longer than that is "disable the rule". */
export const MAX_MUTE_MINUTES = 7 * 24 * 60;

export const MuteSchema = z.object({
  /** pipelineKey() of the pipeline. */
  key: z.string(),
  sourceId: z.string(),
  /** The source's name when muted, for the list. */
  sourceName: z.string().optional(),
  project: z.string().optional(),
  pipeline: z.string().optional(),
  branch: z.string().optional(),
  /** A timed mute ends then (ISO). */
  until: z.string().optional(),
  /** Ends with the pipeline's next success event. */
  untilPasses: z.boolean(),
  createdAt: z.string(),
});
export type Mute = z.infer<typeof MuteSchema>;

/** The events a pipeline mute applies to: the pipeline's own verdicts and runs. */
export function isPipelineEvent(event: Pick<HeraldEvent, 'type'>): boolean {
  return event.type.startsWith('pipeline.');
}

/** The pipeline an event is about, or undefined when it names none (no project, pipeline or branch). */
export function pipelineOf(event: Pick<HeraldEvent, 'source' | 'subject' | 'type'>): PipelineRef | undefined {
  if (!isPipelineEvent(event)) return undefined;
  const { project, pipeline, branch } = event.subject;
  if (!project && !pipeline && !branch) return undefined;
  return { sourceId: event.source.id, ...(project && { project }), ...(pipeline && { pipeline }), ...(branch && { branch }) };
}

/** Whether JSON.stringify writes the text as is (no quote, backslash, control character or surrogate to escape). */
function plainJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** One string per pipeline: source id, project, pipeline, branch (a JSON array of the four). */
export function pipelineKey(ref: PipelineRef): string {
  return pipelineKeyOf(ref.sourceId, ref.project, ref.pipeline, ref.branch);
}

/**
 * pipelineKey() from its four parts. Built by hand when nothing needs escaping (the board
 * computes it per pipeline event, in the ingest transaction): the same text as the JSON array.
 */
export function pipelineKeyOf(sourceId: string, project = '', pipeline = '', branch = ''): string {
  if (plainJson(sourceId) && plainJson(project) && plainJson(pipeline) && plainJson(branch)) return `["${sourceId}","${project}","${pipeline}","${branch}"]`;
  return JSON.stringify([sourceId, project, pipeline, branch]);
}

/** A success of the pipeline: lifts an "until it passes" mute. */
export function isPipelinePass(event: Pick<HeraldEvent, 'type'>): boolean {
  return event.type === 'pipeline.succeeded' || event.type === 'pipeline.recovered';
}

/** Whether a mute still holds at `now`; an "until it passes" mute holds until lifted. */
export function isMuteActive(mute: Pick<Mute, 'until' | 'untilPasses'>, now: Date): boolean {
  if (mute.untilPasses) return true;
  return mute.until !== undefined && Date.parse(mute.until) > now.getTime();
}

/** "acme/api · ci · main" */
export function describePipeline(ref: Omit<PipelineRef, 'sourceId'>): string {
  return [ref.project, ref.pipeline, ref.branch].filter(Boolean).join(' · ') || '(unnamed pipeline)';
}

/** "until it passes" or "until 2025-05-01T09:00:00.000Z". */
export function describeMuteEnd(mute: Pick<Mute, 'until' | 'untilPasses'>): string {
  return mute.untilPasses ? 'until it passes' : `until ${mute.until}`;
}

/** The outcome reason for an event a mute held back. */
export function muteReason(mute: Mute): string {
  return `pipeline ${describePipeline(mute)} is muted ${describeMuteEnd(mute)}`;
}

/** The board's `mutedUntil` for a pipeline: the end time, or 'passes' for "until it passes". */
export function mutedUntil(mute: Pick<Mute, 'until' | 'untilPasses'> | undefined, now: Date): string | undefined {
  if (!mute || !isMuteActive(mute, now)) return undefined;
  return mute.untilPasses ? 'passes' : mute.until;
}

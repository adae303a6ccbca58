// A commit's thread as a timeline: each event's stage (CI run → deployment → artifact in an
// environment → compliance → security gate), and the stages summed up for the header.
import type { HeraldEvent, Severity } from '../../shared/event.js';

export const THREAD_STAGES = ['ci', 'deployment', 'artifact', 'compliance', 'gate'] as const;
export type ThreadStage = (typeof THREAD_STAGES)[number] | 'other';

export const STAGE_LABEL: Record<ThreadStage, string> = {
  ci: 'CI run',
  deployment: 'Deployment',
  artifact: 'Artifact',
  compliance: 'Compliance',
  gate: 'Security gate',
  other: 'Other',
};

export function stageOf(event: Pick<HeraldEvent, 'type'>): ThreadStage {
  const family = event.type.split('.')[0];
  switch (family) {
    case 'pipeline':
      return 'ci';
    case 'deployment':
      return 'deployment';
    case 'artifact':
      return 'artifact';
    case 'compliance':
      return 'compliance';
    case 'security_gate':
    case 'finding':
    case 'scan':
      return 'gate';
    default:
      return 'other';
  }
}

export type StageOutcome = 'ok' | 'bad' | 'started' | 'none';

const BAD_SEVERITIES: ReadonlySet<Severity> = new Set(['critical', 'warning']);

/** What the latest event of a stage says: failed (or a warning), only started, passed, or nothing yet. */
export function stageOutcome(events: readonly Pick<HeraldEvent, 'type' | 'severity'>[]): StageOutcome {
  const last = events[events.length - 1];
  if (!last) return 'none';
  if (BAD_SEVERITIES.has(last.severity) || /\.(failed|noncompliant)$/.test(last.type)) return 'bad';
  if (last.type.endsWith('.triggered')) return 'started';
  return 'ok';
}

/** The header's stages: each known stage with its events' outcome, in pipeline order. */
export function stageSummary(events: readonly HeraldEvent[]): Array<{ stage: ThreadStage; outcome: StageOutcome; count: number }> {
  return THREAD_STAGES.map((stage) => {
    const of = events.filter((e) => stageOf(e) === stage);
    return { stage, outcome: stageOutcome(of), count: of.length };
  });
}

/** The thread with a live event in place: in order of occurrence, then as received, no duplicate. */
export function insertIntoThread(events: readonly HeraldEvent[], event: HeraldEvent): HeraldEvent[] {
  if (events.some((e) => e.id === event.id)) return [...events];
  const at = (e: HeraldEvent) => Date.parse(e.occurredAt);
  return [...events, event].sort((a, b) => at(a) - at(b) || Date.parse(a.receivedAt) - Date.parse(b.receivedAt));
}

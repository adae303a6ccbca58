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

export type StageOutcome = 'ok' | 'bad' | 'started' | 'cancelled' | 'none';

const BAD_SEVERITIES: ReadonlySet<Severity> = new Set(['critical', 'warning']);

/**
 * What an event type's verb says of its stage, in any family (shared/board.ts keeps a map per
 * family of the types that move a thing on the board; a thread also reads `deployment.cancelled`).
 */
const VERDICTS = new Map<string, StageOutcome>([
  ['failed', 'bad'],
  ['noncompliant', 'bad'],
  ['succeeded', 'ok'],
  ['recovered', 'ok'],
  ['passed', 'ok'],
  ['compliant', 'ok'],
  ['allowlisted', 'ok'],
  ['triggered', 'started'],
  ['cancelled', 'cancelled'],
]);

/**
 * What the latest event of a stage says: failed, passed, only started, cancelled, or nothing
 * yet. Its verb decides where it has one (`pipeline.cancelled` is not a failure, though
 * sources send it as a warning); otherwise its severity (an artifact started non-compliant
 * is a warning). The security gate's verdict is its own (`security_gate.passed/failed`): the
 * findings and scans shown beside it decide only where no gate has spoken.
 */
export function stageOutcome(events: readonly Pick<HeraldEvent, 'type' | 'severity'>[], stage?: ThreadStage): StageOutcome {
  const gate = stage === 'gate' ? events.filter((e) => e.type.startsWith('security_gate.')) : [];
  const decisive = gate.length > 0 ? gate : events;
  const last = decisive[decisive.length - 1];
  if (!last) return 'none';
  const verdict = VERDICTS.get(last.type.slice(last.type.indexOf('.') + 1));
  if (verdict) return verdict;
  return BAD_SEVERITIES.has(last.severity) ? 'bad' : 'ok';
}

/** The header's stages: each known stage with its events' outcome, in pipeline order. */
export function stageSummary(events: readonly HeraldEvent[]): Array<{ stage: ThreadStage; outcome: StageOutcome; count: number }> {
  return THREAD_STAGES.map((stage) => {
    const of = events.filter((e) => stageOf(e) === stage);
    return { stage, outcome: stageOutcome(of, stage), count: of.length };
  });
}

/** The thread with a live event in place: in order of occurrence, then as received, no duplicate. */
export function insertIntoThread(events: readonly HeraldEvent[], event: HeraldEvent): HeraldEvent[] {
  if (events.some((e) => e.id === event.id)) return [...events];
  const at = (e: HeraldEvent) => Date.parse(e.occurredAt);
  return [...events, event].sort((a, b) => at(a) - at(b) || Date.parse(a.receivedAt) - Date.parse(b.receivedAt));
}

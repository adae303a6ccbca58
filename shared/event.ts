// The one event shape every source produces and every channel consumes.
// Validated at every boundary (ingress, store reads, api) with these schemas.
import { z } from 'zod';
import './zod-messages.js';

export const SEVERITIES = ['info', 'success', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SeveritySchema = z.enum(SEVERITIES);

/** Rank for thresholds and sorting: info < success < warning < critical. */
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, success: 1, warning: 2, critical: 3 };

/**
 * Every Herald type named in EVENTS.md, with its default severity. Sources may emit
 * other dotted types too (a generic webhook's own, an unknown Kosli event); those
 * default to `info`.
 */
export const KNOWN_EVENT_TYPES = {
  'pipeline.triggered': 'info',
  'pipeline.succeeded': 'success',
  'pipeline.failed': 'critical',
  'pipeline.cancelled': 'warning',
  'pipeline.recovered': 'success',
  'deployment.triggered': 'info',
  'deployment.succeeded': 'success',
  'deployment.failed': 'critical',
  'deployment.cancelled': 'warning',
  'artifact.started': 'info',
  'artifact.stopped': 'info',
  'artifact.scaled': 'info',
  'artifact.allowlisted': 'info',
  'compliance.noncompliant': 'critical',
  'compliance.compliant': 'success',
  'security_gate.failed': 'critical',
  'security_gate.passed': 'success',
  'release.created': 'info',
  'health.storage_unhealthy': 'critical',
  'health.storage_recovered': 'success',
  'health.integration_unhealthy': 'warning',
  'health.integration_recovered': 'success',
  'error.exception': 'critical',
  'finding.new': 'warning',
  'scan.imported': 'info',
  'scan.completed': 'info',
  'product.added': 'info',
  'engagement.upcoming': 'info',
  'report.ready': 'info',
  mention: 'warning',
  'herald.test': 'info',
  /** One message for a digest rule's window; its severity is the worst of the events it lists. */
  'herald.digest': 'info',
  /** One message for a storm group of a grouping rule; its severity is the worst of the events it lists. */
  'herald.group': 'info',
} as const satisfies Record<string, Severity>;
export type KnownEventType = keyof typeof KNOWN_EVENT_TYPES;

export function defaultSeverity(type: string): Severity {
  return (KNOWN_EVENT_TYPES as Record<string, Severity>)[type] ?? 'info';
}

/** Dotted lowercase words: `pipeline.failed`, `mention`, `kosli.unknown_event`. */
export const EventTypeSchema = z
  .string()
  .max(100)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'must be dotted lowercase words, e.g. pipeline.failed');

export const SUBJECT_FIELDS = ['project', 'group', 'environment', 'pipeline', 'branch', 'cluster', 'artifact', 'commit'] as const;
export type SubjectField = (typeof SUBJECT_FIELDS)[number];
/**
 * The fields that say which *thing* an event is about. The commit is left out: a pipeline
 * failing again on the next commit is the same thing failing (dedup keys, throttling and
 * streaks count it once), while the commit joins events across tools (threads).
 */
export const THING_FIELDS = ['project', 'group', 'environment', 'pipeline', 'branch', 'cluster', 'artifact'] as const satisfies readonly SubjectField[];

/** A git object id: SHA-1 (40 hex) or SHA-256 (64 hex); short forms (7+) from tools that only have those. */
const COMMIT_PATTERN = /^[0-9a-f]{7,64}$/i;

/** A commit as sources read it from a payload: a hex object id, lower-cased so threads join, or undefined. */
export function commitOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  return COMMIT_PATTERN.test(t) ? t.toLowerCase() : undefined;
}

const subjectValue = z.string().min(1).max(300);
/**
 * What an event is about; every field is a rule filter dimension.
 * project: Devtron application, GitHub/GitLab repository, Kosli flow, SecObserve/DefectDojo/Chainloop product.
 * group: Devtron project, GitLab group, Kosli org.
 * commit: the full SHA of the commit the event is about (a run's head, a deployment's, an
 * artifact's provenance): a commit's events across tools form its thread.
 */
export const SubjectSchema = z
  .object({
    project: subjectValue.optional(),
    group: subjectValue.optional(),
    environment: subjectValue.optional(),
    pipeline: subjectValue.optional(),
    branch: subjectValue.optional(),
    cluster: subjectValue.optional(),
    artifact: subjectValue.optional(),
    commit: z
      .string()
      .trim()
      .regex(COMMIT_PATTERN, 'must be a git commit SHA (7 to 64 hex digits)')
      .toLowerCase()
      .optional(),
  })
  .strict();
export type Subject = z.infer<typeof SubjectSchema>;

export const SourceRefSchema = z.object({
  kind: z.string().min(1).max(40),
  id: z.string().min(1).max(100),
  name: z.string().min(1).max(200),
});
export type SourceRef = z.infer<typeof SourceRefSchema>;

const MAX_DATA_BYTES = 16 * 1024;
const isoDate = z.iso.datetime({ offset: true });

/** What a source produces (and what the generic webhook accepts): the hub fills in the rest. */
export const EventInputSchema = z
  .object({
    type: EventTypeSchema,
    severity: SeveritySchema.optional(),
    title: z.string().trim().min(1).max(500),
    summary: z.string().max(10_000).optional(),
    url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    actor: z.string().max(200).optional(),
    subject: SubjectSchema.optional(),
    occurredAt: isoDate.optional(),
    dedupKey: z.string().min(1).max(500).optional(),
    /**
     * Names one occurrence (a CI run's outcome) across the sources of one tool: a GitHub run
     * that arrives by webhook and by poll is stored once. Not stored with the event.
     */
    occurrence: z.string().min(1).max(300).optional(),
    data: z
      .record(z.string(), z.unknown())
      .refine((d) => JSON.stringify(d).length <= MAX_DATA_BYTES, `must be at most ${MAX_DATA_BYTES} bytes of JSON`)
      .optional(),
  })
  .strict();
export type EventInput = z.infer<typeof EventInputSchema>;

/** A stored event, as the api returns it. */
export const EventSchema = z.object({
  id: z.string(),
  source: SourceRefSchema,
  type: EventTypeSchema,
  severity: SeveritySchema,
  subject: SubjectSchema,
  title: z.string(),
  summary: z.string().optional(),
  url: z.string().optional(),
  actor: z.string().optional(),
  occurredAt: z.string(),
  receivedAt: z.string(),
  dedupKey: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
  read: z.boolean(),
});
export type HeraldEvent = z.infer<typeof EventSchema>;

const DEDUP_KEY_SOFT_MAX = 480;

/** 64 bits of FNV-1a over two 32-bit lanes: a compact fingerprint, not a security hash (runs in the browser too). */
function hash64Hex(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/**
 * The dedup key says "the same thing happening again": throttling counts it once per
 * window. Default: source, type and subject (without the commit), so "pipeline X on main
 * failed" repeats on the next commit, while "pipeline X on dev failed" is a different thing.
 */
export function defaultDedupKey(sourceId: string, type: string, subject: Subject | undefined): string {
  const parts = THING_FIELDS.map((f) => subject?.[f] ?? '').join('|');
  const key = `${sourceId}:${type}:${parts}`;
  // Subject fields run to 300 characters each, the key to 500 (with room for streaks.ts's
  // ":recovered"): past that, a readable head and a hash of the whole key. An over-long
  // key would fail validation: a webhook refused, a poller stuck on the same page for good.
  return key.length <= DEDUP_KEY_SOFT_MAX ? key : `${key.slice(0, DEDUP_KEY_SOFT_MAX - 17)}#${hash64Hex(key)}`;
}

/** Turn a validated input into a full event (without id/read, which the store assigns). */
export function completeEvent(
  input: EventInput,
  source: SourceRef,
  receivedAt: Date,
): Omit<HeraldEvent, 'id' | 'read'> {
  return {
    source,
    type: input.type,
    severity: input.severity ?? defaultSeverity(input.type),
    subject: input.subject ?? {},
    title: input.title,
    summary: input.summary,
    url: input.url,
    actor: input.actor,
    occurredAt: input.occurredAt ?? receivedAt.toISOString(),
    receivedAt: receivedAt.toISOString(),
    dedupKey: input.dedupKey ?? defaultDedupKey(source.id, input.type, input.subject),
    data: input.data,
  };
}

/** One line naming each problem: `title: Required; subject.branch: Too long`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

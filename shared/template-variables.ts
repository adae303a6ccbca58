// The variables a webhook template may use ({{title}}, {{subject.project}}, Devtron's
// names…), their descriptions for the editor, and their values for one event. Pure.
import { SUBJECT_FIELDS, type HeraldEvent } from './event.js';
import { SEVERITY_EMOJI } from './severity.js';

export interface TemplateVariable {
  name: string;
  description: string;
  /** For Devtron's names: the Herald value it stands for. */
  aliasOf?: string;
}

/** An event as channels see it (the store's `read` flag is irrelevant to them). */
export type OutboundEvent = Omit<HeraldEvent, 'read'> & { read?: boolean };
export interface TemplateExtras {
  rule?: { id: string; name: string };
}

const SUBJECT_DESCRIPTIONS: Record<(typeof SUBJECT_FIELDS)[number], string> = {
  project: 'what the event is about: repository, Devtron application, Kosli flow, product',
  group: 'Devtron project, GitLab group, Kosli org',
  environment: 'environment, e.g. production',
  pipeline: 'CI/CD pipeline or workflow name',
  branch: 'git branch',
  cluster: 'cluster',
  artifact: 'artifact, e.g. a container image ghcr.io/org/app:1.2',
  commit: 'git commit SHA (full), e.g. of a run, a deployment or an artifact\'s provenance',
};

export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = [
  { name: 'id', description: 'Herald event id' },
  { name: 'type', description: 'event type, e.g. pipeline.failed' },
  { name: 'typeLabel', description: 'event type in words, e.g. "Pipeline failed"' },
  { name: 'typeConstant', description: 'event type as a constant, e.g. PIPELINE_FAILED (Kosli\'s event_type style)' },
  { name: 'severity', description: 'info, success, warning or critical' },
  { name: 'severityEmoji', description: 'an emoji for the severity (🔴 🟠 ✅ ℹ️)' },
  { name: 'title', description: 'one-line title' },
  { name: 'summary', description: 'longer description (may be empty)' },
  { name: 'url', description: 'link to the event at its source (may be empty)' },
  { name: 'actor', description: 'who caused it (may be empty)' },
  { name: 'occurredAt', description: 'when it happened, ISO 8601' },
  { name: 'occurredAtUnix', description: 'when it happened, seconds since 1970 (a number)' },
  { name: 'receivedAt', description: 'when Herald received it, ISO 8601' },
  { name: 'dedupKey', description: 'what makes two events "the same thing again"' },
  { name: 'source.id', description: 'id of the source that produced it' },
  { name: 'source.kind', description: 'kind of that source, e.g. github' },
  { name: 'source.name', description: 'display name of that source' },
  ...SUBJECT_FIELDS.map((f) => ({ name: `subject.${f}`, description: SUBJECT_DESCRIPTIONS[f] })),
  { name: 'rule.id', description: 'id of the rule that routed it (empty for a test message)' },
  { name: 'rule.name', description: 'name of that rule' },
  { name: 'data', description: 'source-specific extras, as a JSON object (null when none)' },
  // A storm group's message (type herald.group); any other event is a group of one.
  { name: 'group.count', description: 'storm group: how many events this message stands for (1 for any other event)' },
  { name: 'group.items', description: 'storm group: its events as a JSON list of {id, type, severity, title, url, occurredAt, subject} (up to 50; [this event] for any other)' },
  { name: 'group.first', description: 'storm group: its first event, as one item of group.items' },
  { name: 'group.last', description: 'storm group: its last event, as one item of group.items' },
  { name: 'group.by', description: 'storm group: the subject values its events share, e.g. {"project":"acme/api"} ({} for any other event)' },
  { name: 'event', description: 'the whole event as a JSON object' },
  // Devtron's names (seeds/devtron-notifications.md), so its sample payloads work unchanged.
  { name: 'devtronAppName', description: 'Devtron: application', aliasOf: 'subject.project' },
  { name: 'eventType', description: 'Devtron: event type (Herald type, e.g. pipeline.failed)', aliasOf: 'type' },
  { name: 'devtronEnvName', description: 'Devtron: environment', aliasOf: 'subject.environment' },
  { name: 'devtronCiPipelineName', description: 'Devtron: CI pipeline', aliasOf: 'subject.pipeline' },
  { name: 'devtronCdPipelineName', description: 'Devtron: CD pipeline', aliasOf: 'subject.pipeline' },
  {
    name: 'devtronPipelineType',
    description: 'Devtron: CI for pipeline.* events, CD for deployment.* events, else empty',
    aliasOf: 'type',
  },
  { name: 'devtronTriggeredByEmail', description: 'Devtron: who triggered it', aliasOf: 'actor' },
  {
    name: 'devtronContainerImageRepo',
    description: 'Devtron: image repository — subject.artifact before its :tag or @digest',
    aliasOf: 'subject.artifact',
  },
  {
    name: 'devtronContainerImageTag',
    description: 'Devtron: image tag — subject.artifact after its last : (or the @digest)',
    aliasOf: 'subject.artifact',
  },
  {
    name: 'devtronBuildGitCommitHash',
    description: 'Devtron: commit — data.commit, data.sha or data.headSha when the source provides one',
    aliasOf: 'data.commit',
  },
];

/** Devtron variables with no honest Herald counterpart: named in the error instead of "unknown". */
export const UNMAPPED_DEVTRON: Record<string, string> = {
  devtronAppId: 'Devtron\'s numeric app id has no Herald equivalent; use {{devtronAppName}} or {{subject.project}}',
  devtronEnvId: 'Devtron\'s numeric environment id has no Herald equivalent; use {{devtronEnvName}}',
  devtronCiPipelineId: 'Devtron\'s numeric pipeline id has no Herald equivalent; use {{devtronCiPipelineName}}',
  devtronCdPipelineId: 'Devtron\'s numeric pipeline id has no Herald equivalent; use {{devtronCdPipelineName}}',
  devtronApprovedByEmail: 'Herald events carry no approver; use {{actor}}',
};

/** `pipeline.failed` → "Pipeline failed"; `security_gate.passed` → "Security gate passed". */
export function typeLabel(type: string): string {
  const words = type.replace(/[._]/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `ghcr.io/org/app:1.2` → repo `ghcr.io/org/app`, tag `1.2`; a registry port is not a tag. */
export function splitImageRef(artifact: string | undefined): { repo?: string; tag?: string } {
  if (!artifact) return {};
  const at = artifact.indexOf('@');
  if (at > 0) return { repo: artifact.slice(0, at), tag: artifact.slice(at + 1) };
  const colon = artifact.lastIndexOf(':');
  if (colon > artifact.lastIndexOf('/') && colon > 0) return { repo: artifact.slice(0, colon), tag: artifact.slice(colon + 1) };
  return { repo: artifact };
}

/** What a template sees of one event of a storm group (group.items): the event's facts, its subject, no data. */
export interface GroupItem {
  id: string;
  type: string;
  severity: HeraldEvent['severity'];
  title: string;
  url?: string;
  occurredAt: string;
  subject: HeraldEvent['subject'];
}

/** Titles in group.items are cut to this many characters (the list must fit the event's small data). */
const GROUP_ITEM_TITLE_CHARS = 200;

export function groupItemOf(event: OutboundEvent): GroupItem {
  const { id, type, severity, title, url, occurredAt, subject } = event;
  const shortTitle = title.length > GROUP_ITEM_TITLE_CHARS ? `${title.slice(0, GROUP_ITEM_TITLE_CHARS - 1)}…` : title;
  return { id, type, severity, title: shortTitle, ...(url !== undefined && { url }), occurredAt, subject };
}

/** The event as it leaves Herald: without the store's read flag. */
export function outboundEvent(event: OutboundEvent): Omit<HeraldEvent, 'read'> {
  const { read: _read, ...rest } = event;
  return rest;
}

function commitOf(data: Record<string, unknown> | undefined): string | undefined {
  for (const key of ['commit', 'sha', 'headSha']) {
    const v = data?.[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

type ValueOf = (event: OutboundEvent, extras: TemplateExtras) => unknown;

/** A storm group's message carries its list in data.group; any other event is a group of one. */
const groupOf = (event: OutboundEvent) => (event.type === 'herald.group' ? event.data?.group : undefined) as Record<string, unknown> | undefined;

/** How each variable is computed from the event: one at a time, so a send computes only what its template uses. */
const VALUES: Record<string, ValueOf> = {
  id: (e) => e.id,
  type: (e) => e.type,
  typeLabel: (e) => typeLabel(e.type),
  typeConstant: (e) => e.type.replace(/\./g, '_').toUpperCase(),
  severity: (e) => e.severity,
  severityEmoji: (e) => SEVERITY_EMOJI[e.severity],
  title: (e) => e.title,
  summary: (e) => e.summary,
  url: (e) => e.url,
  actor: (e) => e.actor,
  occurredAt: (e) => e.occurredAt,
  occurredAtUnix: (e) => {
    const occurred = Date.parse(e.occurredAt);
    return Number.isNaN(occurred) ? undefined : Math.floor(occurred / 1000);
  },
  receivedAt: (e) => e.receivedAt,
  dedupKey: (e) => e.dedupKey,
  'source.id': (e) => e.source.id,
  'source.kind': (e) => e.source.kind,
  'source.name': (e) => e.source.name,
  ...Object.fromEntries(SUBJECT_FIELDS.map((f): [string, ValueOf] => [`subject.${f}`, (e) => e.subject[f]])),
  'rule.id': (_e, x) => x.rule?.id,
  'rule.name': (_e, x) => x.rule?.name,
  data: (e) => e.data,
  'group.count': (e) => (groupOf(e) ? groupOf(e)!.count : 1),
  'group.items': (e) => (groupOf(e) ? groupOf(e)!.items : [groupItemOf(e)]),
  'group.first': (e) => (groupOf(e) ? groupOf(e)!.first : groupItemOf(e)),
  'group.last': (e) => (groupOf(e) ? groupOf(e)!.last : groupItemOf(e)),
  'group.by': (e) => (groupOf(e) ? groupOf(e)!.by : {}),
  event: (e) => outboundEvent(e),
  devtronAppName: (e) => e.subject.project,
  eventType: (e) => e.type,
  devtronEnvName: (e) => e.subject.environment,
  devtronCiPipelineName: (e) => e.subject.pipeline,
  devtronCdPipelineName: (e) => e.subject.pipeline,
  devtronPipelineType: (e) => (e.type.startsWith('pipeline.') ? 'CI' : e.type.startsWith('deployment.') ? 'CD' : undefined),
  devtronTriggeredByEmail: (e) => e.actor,
  devtronContainerImageRepo: (e) => splitImageRef(e.subject.artifact).repo,
  devtronContainerImageTag: (e) => splitImageRef(e.subject.artifact).tag,
  devtronBuildGitCommitHash: (e) => commitOf(e.data),
};

/** In the documented order, so error messages list them as the UI does. */
const VARIABLE_NAMES: readonly string[] = TEMPLATE_VARIABLES.map((v) => v.name);
const VALUE_OF = new Map<string, ValueOf>(
  VARIABLE_NAMES.map((name) => {
    const valueOf = VALUES[name];
    if (!valueOf) throw new Error(`template variable ${name} has no value`);
    return [name, valueOf];
  }),
);

/** What a template's placeholders read (json-template.ts): each value asked for by name. */
export interface TemplateValues {
  has(name: string): boolean;
  get(name: string): unknown;
  /** Every name, in order, for the error about an unknown one. */
  names(): readonly string[];
}

/** The template variables of one event, each computed only when a placeholder asks for it (a send's hot path). */
export function templateValues(event: OutboundEvent, extras: TemplateExtras = {}): TemplateValues {
  return {
    has: (name) => VALUE_OF.has(name),
    get: (name) => VALUE_OF.get(name)?.(event, extras),
    names: () => VARIABLE_NAMES,
  };
}

/** Every template variable's value for one event; absent optional fields are `undefined`. */
export function templateVariables(event: OutboundEvent, extras: TemplateExtras = {}): Record<string, unknown> {
  return Object.fromEntries(VARIABLE_NAMES.map((name) => [name, VALUE_OF.get(name)!(event, extras)]));
}

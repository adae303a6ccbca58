// Chainloop's webhook fan-out integration (control plane v0.148.0+,
// app/controlplane/plugins/core/webhook/v1/webhook.go): after an attestation is stored the
// control plane POSTs `{"Metadata":{"Workflow":{…},"WorkflowRun":{…}},"Data":<base64>,"Kind":…}`
// — Go field names, no signature, retried with backoff until it gets a 2xx.
//
// Auth: the integration takes only a URL, so the secret rides in it
// (`/hooks/<sourceId>/<secret>`), as for Kosli; Bearer or X-Herald-Token work too.
//
//   TEST_WEBHOOK (sent when the integration is registered) → ignored, answered 2xx
//   ATTESTATION → the workflow run (pipeline.succeeded/failed/cancelled/triggered by the
//                 run's State), plus compliance.noncompliant / compliance.compliant for the
//                 project when the attestation evaluated policies; the commit (the
//                 statement's git.head subject) on subject.commit
//   a material type (SBOM_CYCLONEDX_JSON, SBOM_SPDX_JSON when "send SBOM" is on; any other)
//               → chainloop.material.<type> (info), with the SBOM's component when it says
//
// Older control planes posted a Discord-style multipart form (the discord-webhook plugin):
// refused with a reason naming the supported integration.
import type { SourceConfig } from '../../../shared/config.js';
import { commitOf, type EventInput, type Subject } from '../../../shared/event.js';
import { type AttestationFacts, attestationFacts } from './chainloop-attestation.js';
import { isObject, optionalText, optionalUrl } from './poll-http.js';
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';
import { verifyToken } from './token-auth.js';

export type ChainloopWebhookConfig = Extract<SourceConfig, { kind: 'chainloop-webhook' }>;

type Obj = Record<string, unknown>;

/** The run's State (biz.WorkflowRunStatus) → Herald's pipeline event. */
const RUN_STATES: Record<string, { type: string; verb: string }> = {
  success: { type: 'pipeline.succeeded', verb: 'succeeded' },
  error: { type: 'pipeline.failed', verb: 'failed' },
  expired: { type: 'pipeline.failed', verb: 'failed (the attestation expired unfinished)' },
  canceled: { type: 'pipeline.cancelled', verb: 'was cancelled' },
  initialized: { type: 'pipeline.triggered', verb: 'started' },
};

const MATERIAL_LABELS: Record<string, string> = {
  SBOM_CYCLONEDX_JSON: 'SBOM (CycloneDX)',
  SBOM_SPDX_JSON: 'SBOM (SPDX)',
};

/** Go's zero time.Time ("0001-01-01T00:00:00Z") means "not set". */
function goTime(value: unknown): string | undefined {
  const text = optionalText(value, 60);
  if (!text || text.startsWith('0001-01-01')) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

interface RunInfo {
  workflow: string;
  project?: string;
  team?: string;
  workflowId?: string;
  runId?: string;
  state?: string;
  startedAt?: string;
  finishedAt?: string;
  runnerType?: string;
  runUrl?: string;
  attestationDigest?: string;
}

function runInfo(metadata: Obj): RunInfo {
  const workflow = isObject(metadata.Workflow) ? metadata.Workflow : {};
  const run = isObject(metadata.WorkflowRun) ? metadata.WorkflowRun : {};
  const text = (o: Obj, key: string, max = 300) => optionalText(o[key], max);
  const info: RunInfo = { workflow: text(workflow, 'Name') ?? 'workflow' };
  const set = <K extends keyof RunInfo>(key: K, value: RunInfo[K] | undefined) => {
    if (value !== undefined) info[key] = value;
  };
  set('project', text(workflow, 'Project'));
  set('team', text(workflow, 'Team'));
  set('workflowId', text(workflow, 'ID', 100));
  set('runId', text(run, 'ID', 100));
  set('state', text(run, 'State', 50)?.toLowerCase());
  set('startedAt', goTime(run.StartedAt));
  set('finishedAt', goTime(run.FinishedAt));
  set('runnerType', text(run, 'RunnerType', 100));
  set('runUrl', optionalUrl(run.RunURL));
  set('attestationDigest', text(run, 'AttestationDigest', 100));
  return info;
}

function subjectOf(run: RunInfo, facts?: AttestationFacts): Subject {
  const project = run.project ?? facts?.metadata.project;
  const group = facts?.metadata.organization;
  const artifact = facts?.images[0];
  const commit = commitOf(facts?.commit);
  return {
    ...(project && { project }),
    ...(group && { group }),
    pipeline: run.workflow,
    ...(artifact && { artifact: artifact.slice(0, 300) }),
    ...(commit && { commit }),
  };
}

function runData(run: RunInfo, facts?: AttestationFacts): Obj {
  return {
    ...(run.workflowId && { workflowId: run.workflowId }),
    ...(run.runId && { workflowRunId: run.runId }),
    ...(run.state && { state: run.state }),
    ...(run.attestationDigest && { attestationDigest: run.attestationDigest }),
    ...((run.runnerType ?? facts?.runnerType) && { runnerType: run.runnerType ?? facts?.runnerType }),
    ...(run.team && { team: run.team }),
    ...(facts?.metadata.projectVersion && { projectVersion: facts.metadata.projectVersion }),
    ...(facts?.metadata.contractName && { contract: facts.metadata.contractName }),
    ...(facts && facts.images.length > 1 && { images: facts.images.slice(0, 10) }),
  };
}

function attestationEvents(run: RunInfo, facts: AttestationFacts): EventInput[] {
  const subject = subjectOf(run, facts);
  const occurredAt = run.finishedAt ?? run.startedAt;
  const common = { subject, ...(run.runUrl && { url: run.runUrl }), ...(occurredAt && { occurredAt }) };
  // A stored attestation with no state is a finished run.
  const state = RUN_STATES[run.state ?? 'success'];
  // 12 hex digits as docker shows a digest: 64 fill a popup's lines (the whole one is in data.attestationDigest).
  const digest = run.attestationDigest ? ` Attestation ${run.attestationDigest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]{52}$/i, '$1…')}.` : '';
  const commit = facts.commit ? ` Commit ${facts.commit.slice(0, 12)}.` : '';
  const version = facts.metadata.projectVersion ? ` Project version ${facts.metadata.projectVersion}.` : '';
  const events: EventInput[] = [
    {
      type: state?.type ?? `chainloop.workflow_run.${(run.state ?? 'unknown').replace(/[^a-z0-9_]+/g, '_').slice(0, 40) || 'unknown'}`,
      title: `${run.workflow} ${state?.verb ?? `is ${run.state}`}`.slice(0, 500),
      summary: `Chainloop workflow run${run.project ? ` in ${run.project}` : ''}.${digest}${commit}${version}`.trim(),
      ...common,
      data: runData(run, facts),
    },
  ];
  const policy = facts.policy;
  if (policy) {
    const where = run.project ?? run.workflow;
    const n = policy.violations;
    const lines = policy.listed.map((v) => `- ${v.policy}${v.material ? ` (${v.material})` : ''}: ${v.message}`);
    if (n > policy.listed.length) lines.push(`…${n - policy.listed.length} more (see the attestation in Chainloop)`);
    const blocked = policy.blocked ? ' The attestation was blocked by the policy gate.' : '';
    events.push({
      type: policy.hasViolations ? 'compliance.noncompliant' : 'compliance.compliant',
      title: (policy.hasViolations
        ? `${where} is non-compliant: ${n} policy violation${n === 1 ? '' : 's'} in ${run.workflow}`
        : `${where} is compliant: ${policy.evaluations} policy check${policy.evaluations === 1 ? '' : 's'} pass in ${run.workflow}`
      ).slice(0, 500),
      summary: (policy.hasViolations ? `${lines.join('\n')}${blocked}` : `No violations in ${policy.evaluations} policy evaluations.`).slice(0, 10_000),
      ...common,
      data: {
        ...runData(run, facts),
        policyEvaluations: policy.evaluations,
        policyViolations: n,
        ...(policy.strategy && { blockingStrategy: policy.strategy }),
        ...(policy.gated && { gatedViolations: true }),
        ...(policy.blocked && { blocked: true }),
      },
    });
  }
  return events;
}

/** A CycloneDX or SPDX document's main component: `name@version`, and how many components it lists. */
function sbomSummary(doc: unknown): { component?: string; components?: number } {
  if (!isObject(doc)) return {};
  if (isObject(doc.metadata) && isObject(doc.metadata.component)) {
    const c = doc.metadata.component;
    const name = optionalText(c.name, 200);
    const version = optionalText(c.version, 100);
    return { ...(name && { component: version ? `${name}@${version}` : name }), ...(Array.isArray(doc.components) && { components: doc.components.length }) };
  }
  const name = optionalText(doc.name, 200);
  return { ...(name && { component: name }), ...(Array.isArray(doc.packages) && { components: doc.packages.length }) };
}

function materialEvent(kind: string, run: RunInfo, data: unknown): EventInput {
  let summary: { component?: string; components?: number } = {};
  if (typeof data === 'string') {
    try {
      summary = sbomSummary(JSON.parse(Buffer.from(data, 'base64').toString('utf8')));
    } catch {
      // Not JSON: the material still counts, without a component.
    }
  }
  const label = MATERIAL_LABELS[kind] ?? `Material ${kind}`;
  const occurredAt = run.finishedAt ?? run.startedAt;
  return {
    type: `chainloop.material.${kind.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 60) || 'unknown'}`,
    title: `${label} from ${run.workflow}${summary.component ? `: ${summary.component}` : ''}`.slice(0, 500),
    ...(summary.components !== undefined && { summary: `${summary.components} components listed.` }),
    subject: { ...subjectOf(run), ...(summary.component && { artifact: summary.component.slice(0, 300) }) },
    ...(run.runUrl && { url: run.runUrl }),
    ...(occurredAt && { occurredAt }),
    data: { ...runData(run), materialType: kind, ...(summary.components !== undefined && { components: summary.components }) },
  };
}

export function parseChainloopWebhook(request: IncomingRequest): ParseResult {
  const contentType = request.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(contentType)) {
    return {
      kind: 'invalid',
      reason:
        "a multipart form: older Chainloop plugins' Discord-style webhook is not supported; attach Chainloop's `webhook` integration (control plane v0.148.0 or later) instead",
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    return { kind: 'invalid', reason: `body is not valid JSON: ${(error as Error).message}` };
  }
  if (!isObject(body) || typeof body.Kind !== 'string' || !isObject(body.Metadata)) {
    return { kind: 'invalid', reason: 'not a Chainloop webhook: expected {"Metadata":{…},"Data":…,"Kind":…}' };
  }
  const kind = body.Kind.trim();
  const run = runInfo(body.Metadata);
  if (kind === 'TEST_WEBHOOK') return { kind: 'ignored', reason: 'Chainloop TEST_WEBHOOK: the integration was registered and reaches Herald' };
  // Chainloop retries a delivery until it gets a 2xx: one stored copy per run, kind and attestation.
  const deliveryId = ['chainloop', run.runId ?? '', kind, run.attestationDigest ?? ''].join(':');
  if (kind === 'ATTESTATION') {
    const attestation = (() => {
      if (typeof body.Data !== 'string') return undefined;
      try {
        return JSON.parse(Buffer.from(body.Data, 'base64').toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    })();
    const facts = attestationFacts(attestation);
    if (!facts) return { kind: 'invalid', reason: 'ATTESTATION whose Data is not a base64 JSON attestation ({Envelope, Hash, Statement, Predicate})' };
    // The detail view shows the attestation decoded, not its base64.
    const raw = { Kind: kind, Metadata: body.Metadata, Data: attestation };
    return { kind: 'events', events: attestationEvents(run, facts), deliveryId, raw, rawIsDecoded: true };
  }
  const raw = { Kind: kind, Metadata: body.Metadata, Data: `(${typeof body.Data === 'string' ? Math.floor((body.Data.length * 3) / 4) : 0} bytes of ${kind})` };
  return { kind: 'events', events: [materialEvent(kind, run, body.Data)], deliveryId, raw, rawIsDecoded: true };
}

export const chainloopWebhookSource: WebhookSource<ChainloopWebhookConfig> = {
  kind: 'chainloop-webhook',
  verify: (request, secret) => verifyToken(request, secret),
  parse: (request) => parseChainloopWebhook(request),
};

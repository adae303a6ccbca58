// Kosli's custom-webhook notifications (docs.kosli.com "Notifications"): one JSON object
// with version, timestamp, org, environment, event_type, description, snapshot and the
// artifact with its provenance, deployments and approvals.
//
// Auth: Kosli's notification settings take only a URL, so the shared secret rides in it:
// `POST /hooks/<sourceId>/<secret>`. `Authorization: Bearer <secret>` and
// `X-Herald-Token: <secret>` are accepted too (for a proxy that adds a header).
//
// event_type: only ARTIFACT_STARTED is a confirmed literal; the other documented events
// are accepted under the names below. Any other type becomes `kosli.<name>` (info),
// never a refusal, so a new Kosli event still reaches the user.
import type { SourceConfig } from '../../../shared/config.js';
import type { EventInput } from '../../../shared/event.js';
import { type KosliArtifactType, kosliArtifactEvent, kosliComplianceEvent, kosliSubject, unixSecondsToIso } from './kosli-events.js';
import { isObject, optionalText, optionalUrl } from './poll-http.js';
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';
import { verifyToken } from './token-auth.js';

export type KosliWebhookConfig = Extract<SourceConfig, { kind: 'kosli-webhook' }>;

type Mapping = { kind: 'artifact'; type: KosliArtifactType } | { kind: 'compliance'; compliant: boolean };

/** Normalised event_type (upper case, `_` between words) → what it means. */
export const KOSLI_EVENT_TYPES: Record<string, Mapping> = {
  ARTIFACT_STARTED: { kind: 'artifact', type: 'artifact.started' },
  ARTIFACT_STOPPED: { kind: 'artifact', type: 'artifact.stopped' },
  ARTIFACT_EXITED: { kind: 'artifact', type: 'artifact.stopped' },
  ARTIFACT_CEASED: { kind: 'artifact', type: 'artifact.stopped' },
  ARTIFACT_SCALED: { kind: 'artifact', type: 'artifact.scaled' },
  ARTIFACT_SCALED_UP: { kind: 'artifact', type: 'artifact.scaled' },
  ARTIFACT_SCALED_DOWN: { kind: 'artifact', type: 'artifact.scaled' },
  INSTANCES_SCALED: { kind: 'artifact', type: 'artifact.scaled' },
  ARTIFACT_ALLOWLISTED: { kind: 'artifact', type: 'artifact.allowlisted' },
  ARTIFACT_ALLOW_LISTED: { kind: 'artifact', type: 'artifact.allowlisted' },
  ARTIFACT_ADDED_TO_ALLOWLIST: { kind: 'artifact', type: 'artifact.allowlisted' },
  ARTIFACT_ADDED_TO_ALLOW_LIST: { kind: 'artifact', type: 'artifact.allowlisted' },
  ENVIRONMENT_NON_COMPLIANT: { kind: 'compliance', compliant: false },
  ENVIRONMENT_NONCOMPLIANT: { kind: 'compliance', compliant: false },
  ENV_NON_COMPLIANT: { kind: 'compliance', compliant: false },
  COMPLIANT_TO_NON_COMPLIANT: { kind: 'compliance', compliant: false },
  ENVIRONMENT_BECAME_NON_COMPLIANT: { kind: 'compliance', compliant: false },
  ENVIRONMENT_COMPLIANT: { kind: 'compliance', compliant: true },
  ENV_COMPLIANT: { kind: 'compliance', compliant: true },
  NON_COMPLIANT_TO_COMPLIANT: { kind: 'compliance', compliant: true },
  ENVIRONMENT_BECAME_COMPLIANT: { kind: 'compliance', compliant: true },
};

export function normaliseEventType(raw: string): string {
  return raw
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** "1 instance started running (from 0 to 1)" → {from: 0, to: 1}. */
export function instanceCounts(description: string | undefined): { from?: number; to?: number } {
  const match = description?.match(/from\s+(\d+)\s+to\s+(\d+)/i);
  return match ? { from: Number(match[1]), to: Number(match[2]) } : {};
}

export function parseKosliWebhook(request: IncomingRequest): ParseResult {
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    return { kind: 'invalid', reason: `body is not valid JSON: ${(error as Error).message}` };
  }
  if (!isObject(body)) return { kind: 'invalid', reason: 'not a Kosli notification: the body must be a JSON object' };
  const missing = ['event_type', 'org', 'environment'].filter((field) => typeof body[field] !== 'string' || !optionalText(body[field]));
  if (missing.length > 0) return { kind: 'invalid', reason: `not a Kosli notification: missing ${missing.join(', ')}` };

  const rawType = optionalText(body.event_type, 100)!;
  const org = optionalText(body.org, 200)!;
  const environment = optionalText(body.environment, 200)!;
  const description = optionalText(body.description, 2000);
  const snapshot = isObject(body.snapshot) ? body.snapshot : {};
  const artifact = isObject(body.artifact) ? body.artifact : {};
  const provenance = isObject(artifact.provenance) ? artifact.provenance : {};
  const occurredAt = unixSecondsToIso(body.timestamp);
  const snapshotIndex = optionalText(snapshot.index, 50);
  const snapshotStatus = optionalText(snapshot.status, 50);
  const url = optionalUrl(snapshot.html_url) ?? optionalUrl(provenance.html_url);
  const name = optionalText(artifact.name, 300);
  const fingerprint = optionalText(artifact.fingerprint, 200);
  const flow = optionalText(provenance.flow, 300);
  const normalised = normaliseEventType(rawType);
  const mapping = KOSLI_EVENT_TYPES[normalised] ?? guessCompliance(normalised, snapshotStatus);

  const data: Record<string, unknown> = {
    eventType: rawType,
    ...(snapshotIndex && { snapshotIndex }),
    ...(snapshotStatus && { snapshotStatus }),
    ...provenanceData(provenance),
  };
  // Kosli sends no delivery id; this one names the notification, so a redelivery is stored once.
  const deliveryId = ['kosli', environment, snapshotIndex ?? optionalText(body.timestamp, 50) ?? '', normalised, fingerprint ?? ''].join(':');

  let event: EventInput;
  if (mapping?.kind === 'artifact' && name) {
    event = kosliArtifactEvent({
      type: mapping.type,
      org,
      environment,
      name,
      ...(fingerprint && { fingerprint }),
      ...(flow && { flow }),
      ...(typeof provenance.commit === 'string' && { commit: provenance.commit }),
      ...instanceCounts(description),
      ...(url && { url }),
      ...(occurredAt && { occurredAt }),
      ...(description && { summary: description }),
      data,
    });
  } else if (mapping?.kind === 'compliance') {
    event = kosliComplianceEvent({
      org,
      environment,
      compliant: mapping.compliant,
      ...(url && { url }),
      ...(occurredAt && { occurredAt }),
      ...(description && { summary: description }),
      data,
    });
  } else {
    // Unknown (or an artifact event without an artifact): keep it, under Kosli's own name.
    const type = `kosli.${normalised.toLowerCase().slice(0, 80) || 'event'}`;
    event = {
      type,
      title: `${rawType} in ${environment}${name ? `: ${name}` : ''}`.slice(0, 500),
      ...(description && { summary: description }),
      subject: kosliSubject(org, environment, flow, name, provenance.commit),
      ...(url && { url }),
      ...(occurredAt && { occurredAt }),
      data: { ...data, ...(fingerprint && { fingerprint }) },
    };
  }
  return { kind: 'events', events: [event], deliveryId, raw: body };
}

/** A compliance event under a name not in the table: the snapshot status says which way. */
function guessCompliance(normalised: string, snapshotStatus: string | undefined): Mapping | undefined {
  if (!normalised.includes('COMPLIAN')) return undefined;
  if (normalised.includes('NON_COMPLIANT') || normalised.includes('NONCOMPLIANT')) return { kind: 'compliance', compliant: false };
  if (snapshotStatus) return { kind: 'compliance', compliant: snapshotStatus.toLowerCase() === 'compliant' };
  return undefined;
}

function provenanceData(provenance: Record<string, unknown>): Record<string, unknown> {
  const deployments = Array.isArray(provenance.deployments) ? provenance.deployments.filter(isObject) : [];
  const approvals = Array.isArray(provenance.approvals) ? provenance.approvals.filter(isObject) : [];
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  set('artifactStatus', optionalText(provenance.status, 50));
  set('commit', optionalText(provenance.commit, 100));
  set('commitUrl', optionalUrl(provenance.commit_url));
  set('buildUrl', optionalUrl(provenance.build_url));
  if (deployments.length) out.deployments = deployments.slice(0, 20).map((d) => ({ number: optionalText(d.number, 50), url: optionalUrl(d.html_url) }));
  if (approvals.length) {
    out.approvals = approvals.slice(0, 20).map((a) => ({
      number: optionalText(a.number, 50),
      state: optionalText(a.state, 50),
      reviewer: optionalText(a.latest_reviewer, 200),
    }));
  }
  return out;
}

export const kosliWebhookSource: WebhookSource<KosliWebhookConfig> = {
  kind: 'kosli-webhook',
  verify: (request, secret) => verifyToken(request, secret),
  parse: (request) => parseKosliWebhook(request),
};

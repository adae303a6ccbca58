// Devtron's webhook notifications. Devtron has no fixed payload: the user writes a JSON
// body with its variables (devtron pkg/notifier: devtronAppName, eventType, …), and
// Devtron's notifier renders it with Mustache (devtron-labs/notifier
// src/common/mustacheHelper.ts parseEventForWebhook) and POSTs it. Herald's source page
// gives the body to paste (shared/devtron-payload.ts: every variable, by its own name).
//
// Auth: Devtron's webhook configuration takes custom headers: `X-Herald-Token: <secret>`
// (or `Authorization: Bearer <secret>`); the secret in the URL path works too.
//
// Mustache's {{double braces}} HTML-escape values (`/` → `&#x2F;`, `&` → `&amp;`…): every
// value is decoded, so a body written with double braces reads like one with triple.
// What the notifier renders: "NA" for an image it does not know, an empty string for a
// variable it does not set (eventType of an approval, say), both CI and CD pipeline ids
// set to the event's one pipeline id, commit hashes joined with commas.
//
//   devtronPipelineType × eventType:
//     CI trigger/success/fail → pipeline.triggered / succeeded / failed
//     CD trigger/success/fail → deployment.triggered / succeeded / failed
//     imageScan               → scan.completed
//     anything else           → devtron.<eventType> (info), kept
//   app → project, environment → environment, pipeline id → pipeline, image → artifact,
//   triggered by → actor, commit → subject.commit (the first; all of them in data.commits).
import type { SourceConfig } from '../../../shared/config.js';
import { commitOf, type EventInput, type Subject } from '../../../shared/event.js';
import { isObject, optionalText } from './poll-http.js';
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';
import { verifyToken } from './token-auth.js';

export type DevtronConfig = Extract<SourceConfig, { kind: 'devtron' }>;

/** Mustache's escapes (mustache.js entityMap), and numeric references in general. */
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** A variable's value: decoded, trimmed; Devtron's "NA" and "" (not set) and 0 ids are absent. */
function value(body: Record<string, unknown>, name: string, max = 300): string | undefined {
  const text = optionalText(typeof body[name] === 'string' ? decodeEntities(body[name] as string) : body[name], max);
  return text === undefined || text === 'NA' || text === '0' ? undefined : text;
}

const OUTCOMES: Record<string, { suffix: string; verb: string }> = {
  trigger: { suffix: 'triggered', verb: 'triggered' },
  success: { suffix: 'succeeded', verb: 'succeeded' },
  fail: { suffix: 'failed', verb: 'failed' },
};

export function parseDevtronWebhook(request: IncomingRequest): ParseResult {
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    return {
      kind: 'invalid',
      reason: `body is not valid JSON (${(error as Error).message}); paste the payload from Herald's source page into Devtron's webhook configuration`,
    };
  }
  if (!isObject(body)) return { kind: 'invalid', reason: 'not a Devtron notification: the body must be a JSON object' };
  if (!('eventType' in body) && !('devtronAppName' in body) && !('devtronAppId' in body)) {
    return { kind: 'invalid', reason: "not a Devtron notification: no eventType, devtronAppName or devtronAppId (use the payload from Herald's source page)" };
  }

  const eventType = value(body, 'eventType', 60);
  const appName = value(body, 'devtronAppName');
  const appId = value(body, 'devtronAppId', 20);
  const env = value(body, 'devtronEnvName');
  const envId = value(body, 'devtronEnvId', 20);
  // Devtron says CI or CD; an empty type is read as CD when an environment is named.
  const rawPipelineType = value(body, 'devtronPipelineType', 20)?.toUpperCase();
  const pipelineType = rawPipelineType ?? (env ? 'CD' : 'CI');
  const pipelineId = (pipelineType === 'CD' ? value(body, 'devtronCdPipelineId', 20) : value(body, 'devtronCiPipelineId', 20)) ??
    value(body, 'devtronCiPipelineId', 20) ??
    value(body, 'devtronCdPipelineId', 20);
  const actor = value(body, 'devtronTriggeredByEmail', 200);
  const repo = value(body, 'devtronContainerImageRepo', 250);
  const tag = value(body, 'devtronContainerImageTag', 120);
  const image = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
  const commits = (value(body, 'devtronBuildGitCommitHash', 2000) ?? '')
    .split(',')
    .map((c) => c.trim())
    .map(commitOf)
    .filter((c): c is string => c !== undefined);

  const app = appName ?? (appId ? `app ${appId}` : 'Devtron app');
  const subject: Subject = {
    project: app,
    ...(env && { environment: env }),
    ...(pipelineId && { pipeline: pipelineId }),
    ...(image && { artifact: image.slice(0, 300) }),
    ...(commits[0] && { commit: commits[0] }),
  };
  const data: Record<string, unknown> = {
    eventType: eventType ?? '',
    pipelineType,
    ...(appId && { appId }),
    ...(envId && { envId }),
    ...(pipelineId && { pipelineId }),
    ...(repo && { imageRepo: repo }),
    ...(tag && { imageTag: tag }),
    ...(commits.length > 1 && { commits: commits.slice(0, 20) }),
  };
  const commitText = commits[0] ? ` Commit ${commits[0].slice(0, 12)}.` : '';
  const imageText = image ? ` Image ${image}.` : '';
  const what = pipelineType === 'CD' ? `deployment${env ? ` to ${env}` : ''}` : 'build';

  const outcome = eventType ? OUTCOMES[eventType.toLowerCase()] : undefined;
  let event: EventInput;
  if (outcome) {
    event = {
      type: `${pipelineType === 'CD' ? 'deployment' : 'pipeline'}.${outcome.suffix}`,
      title: `${app} ${what} ${outcome.verb}`.slice(0, 500),
      summary: `Devtron ${pipelineType} pipeline${pipelineId ? ` ${pipelineId}` : ''}.${imageText}${commitText}`.trim(),
      subject,
      ...(actor && { actor }),
      data,
    };
  } else if (eventType?.toLowerCase() === 'imagescan') {
    event = {
      type: 'scan.completed',
      title: `${app}: image scan${image ? ` of ${image}` : ''} finished`.slice(0, 500),
      summary: `Devtron scanned the image${env ? ` for ${env}` : ''}; the findings are in Devtron's security tab.${commitText}`.trim(),
      subject,
      ...(actor && { actor }),
      data,
    };
  } else {
    // An event Herald does not map (Devtron renders approvals and others with an empty eventType): kept.
    const name = (eventType ?? 'unknown').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
    event = {
      type: `devtron.${name.slice(0, 80) || 'unknown'}`,
      title: `${app}: Devtron ${eventType ? `"${eventType}"` : 'notification'} for the ${what}`.slice(0, 500),
      subject,
      ...(actor && { actor }),
      data,
    };
  }
  return { kind: 'events', events: [event], raw: body };
}

export const devtronSource: WebhookSource<DevtronConfig> = {
  kind: 'devtron',
  verify: (request, secret) => verifyToken(request, secret),
  parse: (request) => parseDevtronWebhook(request),
};

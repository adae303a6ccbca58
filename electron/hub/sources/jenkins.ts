// Jenkins Notification plugin (jenkinsci/notification-plugin), JSON format:
// `{name, display_name, url, build: {full_url, number, queue_id, phase, status, url, scm, …}}`.
//
// Auth: the plugin sends no custom headers, so the shared secret travels in the URL path
// (`/hooks/<id>/<token>`, IncomingRequest.pathRest), or as the password of an endpoint URL
// `http://user:<token>@host/hooks/<id>`, which the plugin (Protocol.HTTP) turns into
// `Authorization: Basic base64(userinfo)` — the userinfo still URL-encoded, as
// java.net.URL.getUserInfo() returns it, so the password is decoded here. Other senders may
// use X-Herald-Token.
//
// Phases: STARTED → pipeline.triggered. The outcome comes from ONE phase, config.outcomePhase:
// FINALIZED by default (after post-build steps such as archiving; the plugin's own "failed"
// filter uses it too) or COMPLETED; the other is ignored, so a build never notifies twice.
// QUEUED and NONE are ignored. In Jenkins, notify on "All events" or on the chosen phase.
// Status: SUCCESS → succeeded; FAILURE → failed; UNSTABLE → failed with severity warning
// (tests failed, the build ran); ABORTED → cancelled; NOT_BUILT → ignored.
//
// Jenkins sends no delivery id; the plugin retries failed posts, so the delivery id is
// derived from job, build number and phase — a retry is dropped as a redelivery.
import type { SourceConfig } from '../../../shared/config.js';
import { commitOf, defaultDedupKey, type EventInput, type Severity, type Subject } from '../../../shared/event.js';
import {
  compact,
  compactSubject,
  httpUrl,
  isoTime,
  num,
  obj,
  parseJsonObject,
  pipelineTitle,
  sentences,
  shortSha,
  str,
  tookSentence,
  type PipelineVerb,
} from './ci-common.js';

/** `: InvoiceTest.rounding, InvoiceTest.vat and 1 more` — the failing tests' names, which a developer opens the run for. */
function failedTests(names: unknown): string {
  const list = Array.isArray(names) ? names.map((n) => str(n, 200)).filter((n): n is string => n !== undefined) : [];
  if (list.length === 0) return '';
  return `: ${list.slice(0, 3).join(', ')}${list.length > 3 ? ` and ${list.length - 3} more` : ''}`;
}

/** `Culprits: alice, bob.` — whose changes went into the build (the plugin's scm.culprits). */
function culprits(names: unknown): string | undefined {
  const list = Array.isArray(names) ? names.map((n) => str(n, 200)).filter((n): n is string => n !== undefined) : [];
  return list.length ? `Culprits: ${list.slice(0, 5).join(', ')}${list.length > 5 ? ` and ${list.length - 5} more` : ''}.` : undefined;
}
import { secretsEqual } from '../secret-compare.js';
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';
import { pathToken } from './token-auth.js';

export type JenkinsSourceConfig = Extract<SourceConfig, { kind: 'jenkins' }>;

export type JenkinsStatusOutcome =
  | { kind: 'event'; type: 'pipeline.succeeded' | 'pipeline.failed' | 'pipeline.cancelled'; verb: PipelineVerb; severity?: Severity; reason?: string }
  | { kind: 'ignore'; why: string };

/** Jenkins' Result values. */
export const JENKINS_STATUSES: Readonly<Record<string, JenkinsStatusOutcome>> = {
  SUCCESS: { kind: 'event', type: 'pipeline.succeeded', verb: 'succeeded' },
  FAILURE: { kind: 'event', type: 'pipeline.failed', verb: 'failed' },
  UNSTABLE: { kind: 'event', type: 'pipeline.failed', verb: 'failed', severity: 'warning', reason: 'unstable' },
  ABORTED: { kind: 'event', type: 'pipeline.cancelled', verb: 'was cancelled' },
  NOT_BUILT: { kind: 'ignore', why: 'was not built' },
};

/** The token from `/hooks/<id>/<token>` (first path segment), the X-Herald-Token header or a Basic auth password. */
export function jenkinsToken(request: IncomingRequest): string | undefined {
  return pathToken(request) ?? request.headers['x-herald-token'] ?? basicPassword(request.headers.authorization);
}

/** The password of `Authorization: Basic base64(user:password)`, URL-decoded (see the header comment). */
export function basicPassword(authorization: string | undefined): string | undefined {
  if (!authorization || !/^basic /i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const password = decoded.slice(colon + 1);
  try {
    return decodeURIComponent(password);
  } catch {
    return password;
  }
}

export const jenkinsSource: WebhookSource<JenkinsSourceConfig> = {
  kind: 'jenkins',
  verify(request, secret) {
    const token = jenkinsToken(request);
    return typeof token === 'string' && secretsEqual(token, secret);
  },
  parse: parseJenkins,
};

/** `job/team/job/app/job/main/` → `team/app/main` (folders and multibranch jobs). */
export function jenkinsJobPath(url: string | undefined, name: string | undefined): string | undefined {
  if (url) {
    const parts = url.split('/').filter((p) => p !== '');
    const names: string[] = [];
    for (let i = 0; i < parts.length - 1; i++) {
      if (parts[i] === 'job') {
        const part = parts[i + 1]!;
        try {
          names.push(decodeURIComponent(part));
        } catch {
          names.push(part);
        }
        i++;
      }
    }
    if (names.length > 0) return str(names.join('/'));
  }
  return str(name);
}

/** `origin/main` and `refs/heads/main` → `main`. */
function branchOf(v: unknown): string | undefined {
  const b = str(v);
  return b ? (str(b.replace(/^refs\/heads\//, '').replace(/^origin\//, '')) ?? b) : undefined;
}

export function parseJenkins(
  request: IncomingRequest,
  config: Pick<JenkinsSourceConfig, 'id'> & Partial<Pick<JenkinsSourceConfig, 'outcomePhase'>>,
): ParseResult {
  const json = parseJsonObject(request.body);
  if (!json.ok) return { kind: 'invalid', reason: json.reason };
  const payload = json.value;
  const build = obj(payload.build);
  const phase = str(build.phase);
  if (!phase) return { kind: 'invalid', reason: 'body has no build.phase: is this the Jenkins Notification plugin JSON format?' };
  const number = num(build.number);
  const jobPath = jenkinsJobPath(str(payload.url, 2000), str(payload.name));
  if (!jobPath) return { kind: 'invalid', reason: 'body has neither name nor url: cannot tell which job this is' };

  // Job + build + phase drops the plugin's retries of one post; the queue id tells apart two
  // builds with one number (a job deleted and re-created, a branch job of a new PR, a restore).
  const queueId = num(build.queue_id);
  const deliveryId = str(`jenkins:${jobPath}#${number ?? '?'}:${phase}${queueId !== undefined ? `:q${queueId}` : ''}`, 500);
  const ignore = (reason: string): ParseResult => ({ kind: 'ignored', reason, ...(deliveryId ? { deliveryId } : {}) });
  const outcomePhase = config.outcomePhase ?? 'FINALIZED';
  const buildLabel = `build${number !== undefined ? ` #${number}` : ''}`;

  let type: EventInput['type'];
  let verb: PipelineVerb;
  let severity: Severity | undefined;
  let reason: string | undefined;
  const status = str(build.status);
  if (phase === 'STARTED') {
    type = 'pipeline.triggered';
    verb = 'started';
  } else if (phase === outcomePhase) {
    if (!status) return ignore(`${phase} ${buildLabel} carries no status`);
    const outcome = JENKINS_STATUSES[status];
    if (!outcome) return ignore(`Jenkins status "${status}" is not one Herald knows`);
    if (outcome.kind === 'ignore') return ignore(`${buildLabel} ${outcome.why}`);
    ({ type, verb, severity, reason } = outcome);
  } else if (phase === 'COMPLETED' || phase === 'FINALIZED') {
    return ignore(`${phase}: the outcome is taken from ${outcomePhase} so a build notifies once`);
  } else if (phase === 'QUEUED' || phase === 'NONE') {
    return ignore(`${phase}: Herald reports a build when it starts`);
  } else {
    return ignore(`Jenkins phase "${phase}" is not one Herald knows`);
  }

  const slash = jobPath.lastIndexOf('/');
  const scm = obj(build.scm);
  const subject = compactSubject({
    // A job inside folders (or a multibranch branch job) belongs to its parent's project.
    project: slash > 0 ? jobPath.slice(0, slash) : jobPath,
    pipeline: jobPath,
    branch: branchOf(scm.branch),
    commit: commitOf(scm.commit),
  } satisfies Subject);
  const tests = obj(build.test_summary);
  const title = pipelineTitle(verb, { pipeline: number !== undefined ? `${jobPath} #${number}` : jobPath, branch: subject.branch }, reason);
  const event: EventInput = {
    type,
    title,
    subject,
    dedupKey: defaultDedupKey(config.id, type, subject),
    ...compact({
      severity,
      url: httpUrl(build.full_url),
      occurredAt: isoTime(num(build.timestamp)),
      summary: sentences(
        `Jenkins ${str(payload.display_name) ?? jobPath} ${buildLabel}.`,
        shortSha(scm.commit) && `Commit ${shortSha(scm.commit)}.`,
        num(tests.failed) ? `${num(tests.failed)} of ${num(tests.total) ?? '?'} tests failed${failedTests(tests.failed_tests)}.` : undefined,
        type !== 'pipeline.triggered' ? tookSentence(num(build.duration)) : undefined,
        culprits(scm.culprits),
      ),
      data: compact({
        number,
        queueId,
        phase,
        status,
        durationMs: num(build.duration),
        commit: str(scm.commit, 64),
        testsFailed: num(tests.failed),
        testsTotal: num(tests.total),
      }),
    }),
  };
  return { kind: 'events', events: [event], ...(deliveryId ? { deliveryId } : {}) };
}

// GitHub webhooks: workflow_run, workflow_job, deployment_status, check_suite and ping.
// verify() checks X-Hub-Signature-256 over the raw body; parse() maps each event onto
// Herald's pipeline.* / deployment.* types. What Herald does not map is `ignored` with a
// reason (2xx, kept as ignored), never an error.
//
// Mapping decisions:
// - workflow_run: `requested` → pipeline.triggered; `in_progress` is ignored (the start was
//   already reported at `requested`, so a run does not notify twice); `completed` → by conclusion.
//   A `requested` run that is already completed (e.g. action_required for a fork) goes by conclusion.
// - workflow_job: `in_progress` → pipeline.triggered; `queued`/`waiting` ignored; `completed` →
//   by conclusion. Jobs are pipelines of their own: subject.pipeline = "<workflow> / <job>".
// - check_suite: `completed` → by conclusion, pipeline = the app's name (third-party CI apps);
//   `requested`/`rerequested` ask the app to run checks and are ignored. Subscribing to both
//   workflow_run and check_suite reports GitHub Actions twice: tick one of them in GitHub.
// - Conclusions: success → succeeded; failure, timed_out, startup_failure → failed (the reason
//   is in the title); cancelled → cancelled. skipped, neutral, action_required and stale have
//   no Herald type and are ignored with a reason (nothing ran, no verdict, waiting for approval,
//   superseded).
// - deployment_status: in_progress → deployment.triggered; success → deployment.succeeded;
//   failure and error → deployment.failed; queued, pending, waiting, inactive are ignored.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SourceConfig } from '../../../shared/config.js';
import { commitOf, defaultDedupKey, type EventInput, type Subject } from '../../../shared/event.js';
import {
  commitSentence,
  compact,
  compactSubject,
  deploymentTitle,
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
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';

export type GithubSourceConfig = Extract<SourceConfig, { kind: 'github' }>;

type PipelineType = 'pipeline.succeeded' | 'pipeline.failed' | 'pipeline.cancelled';
export type ConclusionOutcome =
  | { kind: 'event'; type: PipelineType; verb: PipelineVerb; reason?: string }
  | { kind: 'ignore'; why: string };

/** Every conclusion GitHub documents for workflow runs, jobs and check suites. */
export const GITHUB_CONCLUSIONS: Readonly<Record<string, ConclusionOutcome>> = {
  success: { kind: 'event', type: 'pipeline.succeeded', verb: 'succeeded' },
  failure: { kind: 'event', type: 'pipeline.failed', verb: 'failed' },
  timed_out: { kind: 'event', type: 'pipeline.failed', verb: 'failed', reason: 'timed out' },
  startup_failure: { kind: 'event', type: 'pipeline.failed', verb: 'failed', reason: 'could not start' },
  cancelled: { kind: 'event', type: 'pipeline.cancelled', verb: 'was cancelled' },
  skipped: { kind: 'ignore', why: 'was skipped: nothing ran' },
  neutral: { kind: 'ignore', why: 'ended neutral: neither passed nor failed' },
  action_required: { kind: 'ignore', why: 'waits for approval (action_required)' },
  stale: { kind: 'ignore', why: 'was marked stale by GitHub' },
};

type DeploymentOutcome =
  | { kind: 'event'; type: 'deployment.triggered' | 'deployment.succeeded' | 'deployment.failed'; verb: 'started' | 'succeeded' | 'failed'; reason?: string }
  | { kind: 'ignore'; why: string };

/** Every deployment_status state GitHub documents. */
export const GITHUB_DEPLOYMENT_STATES: Readonly<Record<string, DeploymentOutcome>> = {
  in_progress: { kind: 'event', type: 'deployment.triggered', verb: 'started' },
  success: { kind: 'event', type: 'deployment.succeeded', verb: 'succeeded' },
  failure: { kind: 'event', type: 'deployment.failed', verb: 'failed' },
  error: { kind: 'event', type: 'deployment.failed', verb: 'failed', reason: 'error' },
  queued: { kind: 'ignore', why: 'is queued; Herald reports it when it starts' },
  pending: { kind: 'ignore', why: 'is pending; Herald reports it when it starts' },
  waiting: { kind: 'ignore', why: 'waits for approval' },
  inactive: { kind: 'ignore', why: 'was marked inactive (superseded by a newer deployment)' },
};

const SIGNATURE_RE = /^sha256=([0-9a-f]{64})$/i;

/** `sha256=<hex>` of the body: what GitHub sends in X-Hub-Signature-256. */
export function githubSignature(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of X-Hub-Signature-256 against the raw body. */
export function verifyGithubSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!secret || !header) return false;
  const m = SIGNATURE_RE.exec(header.trim());
  if (!m) return false;
  const given = Buffer.from(m[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const githubSource: WebhookSource<GithubSourceConfig> = {
  kind: 'github',
  formEncoded: true,
  testNote: "GitHub's ping shows as the last ignored request",
  verify(request, secret) {
    return verifyGithubSignature(request.body, request.headers['x-hub-signature-256'], secret);
  },
  parse: parseGithub,
};

export function parseGithub(request: IncomingRequest, config: Pick<GithubSourceConfig, 'id'>): ParseResult {
  const deliveryId = str(request.headers['x-github-delivery'], 200);
  const eventName = str(request.headers['x-github-event'], 100);
  if (!eventName) return { kind: 'invalid', reason: 'missing X-GitHub-Event header: is this a GitHub webhook?' };

  const json = parseJsonObject(formPayload(request) ?? request.body);
  if (!json.ok) return { kind: 'invalid', reason: json.reason };
  const payload = json.value;
  const ignore = (reason: string): ParseResult => ({ kind: 'ignored', reason, ...(deliveryId ? { deliveryId } : {}) });

  let result: EventInput | string;
  switch (eventName) {
    case 'ping':
      return ignore(`ping: GitHub checked the webhook${num(payload.hook_id) ? ` (hook ${String(payload.hook_id)})` : ''}`);
    case 'workflow_run':
      result = mapWorkflowRun(payload, config.id);
      break;
    case 'workflow_job':
      result = workflowJob(payload, config.id);
      break;
    case 'check_suite':
      result = checkSuite(payload, config.id);
      break;
    case 'deployment_status':
      result = mapDeploymentStatus(payload, config.id);
      break;
    default:
      return ignore(`GitHub event "${eventName}" is not one Herald handles`);
  }
  if (typeof result === 'string') return ignore(result);
  return { kind: 'events', events: [result], ...(deliveryId ? { deliveryId } : {}) };
}

/** GitHub's "application/x-www-form-urlencoded" content type sends the JSON as `payload=`. */
function formPayload(request: IncomingRequest): string | undefined {
  if (!/application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) return undefined;
  return new URLSearchParams(request.body.toString('utf8')).get('payload') ?? '';
}

interface Repo {
  project?: string;
  group?: string;
  htmlUrl?: string;
}

function repoOf(payload: Record<string, unknown>): Repo {
  const repo = obj(payload.repository);
  return {
    project: str(repo.full_name),
    group: str(obj(repo.owner).login) ?? str(obj(payload.organization).login),
    htmlUrl: httpUrl(repo.html_url),
  };
}

/**
 * The run's branch; for a pull request from a fork, `owner:branch` as GitHub writes it: a
 * contributor's `main` is not the repository's `main` (rules on `branch: main` must not
 * fire for it, nor may it share main's failure streak).
 */
function runBranch(run: Record<string, unknown>, repo: Repo): string | undefined {
  const branch = str(run.head_branch);
  const head = obj(run.head_repository);
  const headName = str(head.full_name);
  if (!branch || !headName || !repo.project || headName === repo.project) return branch;
  return str(`${str(obj(head.owner).login) ?? headName.split('/')[0]}:${branch}`);
}

function login(...users: unknown[]): string | undefined {
  for (const u of users) {
    const l = str(obj(u).login, 200);
    if (l) return l;
  }
  return undefined;
}

/**
 * One occurrence across GitHub sources (webhook and polled): the web host (github.com or a
 * GHES host) and the id GitHub gave it, so a run that arrives both ways is stored once.
 */
export function githubOccurrence(what: string, htmlUrl: unknown, ...ids: Array<number | string | undefined>): string | undefined {
  const url = httpUrl(htmlUrl);
  if (!url || ids.some((id) => id === undefined)) return undefined;
  return `${what}:${new URL(url).host}:${ids.join(':')}`;
}

function pipelineEvent(
  sourceId: string,
  type: EventInput['type'],
  verb: PipelineVerb,
  subject: Subject,
  fields: Omit<EventInput, 'type' | 'title' | 'subject' | 'dedupKey'>,
  reason?: string,
): EventInput {
  const s = compactSubject(subject);
  return {
    type,
    title: pipelineTitle(verb, s, reason),
    subject: s,
    dedupKey: defaultDedupKey(sourceId, type, s),
    ...compact(fields),
  };
}

/**
 * A `workflow_run` webhook payload (`{action, workflow_run, repository}`) → its event, or why
 * none. The github-actions poller builds the same shape from the REST API's run object, so
 * both report a run alike.
 */
export function mapWorkflowRun(payload: Record<string, unknown>, sourceId: string): EventInput | string {
  const run = obj(payload.workflow_run);
  const action = str(payload.action) ?? '';
  const repo = repoOf(payload);
  const pipeline = str(run.name) ?? str(obj(payload.workflow).name) ?? str(run.path) ?? 'workflow';
  const subject: Subject = { project: repo.project, group: repo.group, pipeline, branch: runBranch(run, repo), commit: commitOf(run.head_sha) };
  const runNumber = num(run.run_number);
  const attempt = num(run.run_attempt);
  const common = {
    url: httpUrl(run.html_url) ?? repo.htmlUrl,
    actor: login(run.triggering_actor, run.actor, payload.sender),
    data: compact({
      runId: num(run.id),
      runNumber,
      attempt,
      sha: str(run.head_sha, 64),
      trigger: str(run.event, 100),
      conclusion: str(run.conclusion, 50),
    }),
  };
  const headCommit = obj(run.head_commit);
  const summary = (what: string, tookMs?: number) =>
    sentences(
      `${what}${runNumber !== undefined ? ` #${runNumber}` : ''}${attempt && attempt > 1 ? ` (attempt ${attempt})` : ''}.`,
      commitSentence(run.head_sha, headCommit.message, obj(headCommit.author).name),
      tookSentence(tookMs),
      str(run.event) && `Triggered by ${str(run.event)}.`,
    );
  // A completed run's duration: from its (latest attempt's) start to its last update.
  const started = Date.parse(str(run.run_started_at) ?? '');
  const took = Date.parse(str(run.updated_at) ?? '') - started;

  if (action === 'completed' || (action === 'requested' && str(run.status) === 'completed')) {
    const conclusion = str(run.conclusion);
    if (!conclusion) return `workflow_run ${action} without a conclusion (status ${str(run.status) ?? 'unknown'})`;
    const outcome = GITHUB_CONCLUSIONS[conclusion];
    if (!outcome) return `workflow_run conclusion "${conclusion}" is not one Herald knows`;
    if (outcome.kind === 'ignore') return `workflow run ${outcome.why}`;
    return pipelineEvent(
      sourceId,
      outcome.type,
      outcome.verb,
      subject,
      {
        ...common,
        occurredAt: isoTime(run.updated_at),
        summary: summary('Workflow run', Number.isNaN(took) ? undefined : took),
        occurrence: githubOccurrence('run', run.html_url, num(run.id), attempt ?? 1, 'completed'),
      },
      outcome.reason,
    );
  }
  if (action === 'requested') {
    return pipelineEvent(sourceId, 'pipeline.triggered', 'started', subject, {
      ...common,
      occurredAt: isoTime(run.run_started_at) ?? isoTime(run.created_at),
      summary: summary('Workflow run'),
      occurrence: githubOccurrence('run', run.html_url, num(run.id), attempt ?? 1, 'started'),
    });
  }
  if (action === 'in_progress') return 'workflow_run in_progress: the start was already reported at "requested"';
  return `workflow_run action "${action}" is not one Herald handles`;
}

function workflowJob(payload: Record<string, unknown>, sourceId: string): EventInput | string {
  const job = obj(payload.workflow_job);
  const action = str(payload.action) ?? '';
  const repo = repoOf(payload);
  const workflow = str(job.workflow_name) ?? 'workflow';
  const jobName = str(job.name) ?? 'job';
  const subject: Subject = {
    project: repo.project,
    group: repo.group,
    pipeline: str(`${workflow} / ${jobName}`),
    branch: str(job.head_branch),
    commit: commitOf(job.head_sha),
  };
  const common = {
    url: httpUrl(job.html_url) ?? repo.htmlUrl,
    actor: login(payload.sender),
    data: compact({
      jobId: num(job.id),
      runId: num(job.run_id),
      attempt: num(job.run_attempt),
      sha: str(job.head_sha, 64),
      conclusion: str(job.conclusion, 50),
      runner: str(job.runner_name, 200),
    }),
  };
  const summary = sentences(`Job "${jobName}" of workflow "${workflow}".`, shortSha(job.head_sha) && `Commit ${shortSha(job.head_sha)}.`);

  if (action === 'completed') {
    const conclusion = str(job.conclusion);
    if (!conclusion) return 'workflow_job completed without a conclusion';
    const outcome = GITHUB_CONCLUSIONS[conclusion];
    if (!outcome) return `workflow_job conclusion "${conclusion}" is not one Herald knows`;
    if (outcome.kind === 'ignore') return `workflow job ${outcome.why}`;
    return pipelineEvent(sourceId, outcome.type, outcome.verb, subject, { ...common, occurredAt: isoTime(job.completed_at), summary }, outcome.reason);
  }
  if (action === 'in_progress') {
    return pipelineEvent(sourceId, 'pipeline.triggered', 'started', subject, { ...common, occurredAt: isoTime(job.started_at), summary });
  }
  if (action === 'queued' || action === 'waiting') return `workflow_job ${action}: Herald reports a job when it starts`;
  return `workflow_job action "${action}" is not one Herald handles`;
}

function checkSuite(payload: Record<string, unknown>, sourceId: string): EventInput | string {
  const suite = obj(payload.check_suite);
  const action = str(payload.action) ?? '';
  if (action === 'requested' || action === 'rerequested') {
    return `check_suite ${action}: a request to the app to run its checks; Herald reports the completed suite`;
  }
  if (action !== 'completed') return `check_suite action "${action}" is not one Herald handles`;
  const conclusion = str(suite.conclusion);
  if (!conclusion) return 'check_suite completed without a conclusion';
  const outcome = GITHUB_CONCLUSIONS[conclusion];
  if (!outcome) return `check_suite conclusion "${conclusion}" is not one Herald knows`;
  if (outcome.kind === 'ignore') return `check suite ${outcome.why}`;

  const repo = repoOf(payload);
  const app = obj(suite.app);
  const sha = str(suite.head_sha, 64);
  const subject: Subject = {
    project: repo.project,
    group: repo.group,
    pipeline: str(app.name) ?? str(app.slug) ?? 'checks',
    branch: str(suite.head_branch),
    commit: commitOf(sha),
  };
  return pipelineEvent(
    sourceId,
    outcome.type,
    outcome.verb,
    subject,
    {
      // A check suite has no page of its own; the commit's Checks tab lists it.
      url: (repo.htmlUrl && sha ? httpUrl(`${repo.htmlUrl}/commit/${sha}/checks`) : undefined) ?? repo.htmlUrl,
      actor: login(payload.sender),
      occurredAt: isoTime(suite.updated_at),
      summary: sentences(`Check suite from ${subject.pipeline}.`, shortSha(sha) && `Commit ${shortSha(sha)}.`),
      data: compact({ checkSuiteId: num(suite.id), sha, conclusion, app: str(app.slug, 100) }),
    },
    outcome.reason,
  );
}

/** A `deployment_status` webhook payload (`{deployment_status, deployment, repository}`) → its event, or why none; the poller's too. */
export function mapDeploymentStatus(payload: Record<string, unknown>, sourceId: string): EventInput | string {
  const status = obj(payload.deployment_status);
  const deployment = obj(payload.deployment);
  const state = str(status.state) ?? '';
  const outcome = GITHUB_DEPLOYMENT_STATES[state];
  if (!outcome) return `deployment_status state "${state}" is not one Herald knows`;
  const environment = str(status.environment) ?? str(deployment.environment);
  if (outcome.kind === 'ignore') return `deployment${environment ? ` to ${environment}` : ''} ${outcome.why}`;

  const repo = repoOf(payload);
  const run = obj(payload.workflow_run);
  const subject = compactSubject({
    project: repo.project,
    group: repo.group,
    environment,
    pipeline: str(run.name),
    branch: str(deployment.ref),
    commit: commitOf(deployment.sha),
  });
  const sha = str(deployment.sha, 64);
  return {
    type: outcome.type,
    title: deploymentTitle(outcome.verb, subject, outcome.reason),
    subject,
    dedupKey: defaultDedupKey(sourceId, outcome.type, subject),
    ...compact({
      url:
        httpUrl(status.target_url) ??
        httpUrl(status.log_url) ??
        httpUrl(run.html_url) ??
        httpUrl(status.environment_url) ??
        (repo.htmlUrl ? httpUrl(`${repo.htmlUrl}/deployments`) : undefined),
      actor: login(status.creator, deployment.creator, payload.sender),
      occurredAt: isoTime(status.updated_at) ?? isoTime(status.created_at),
      summary: sentences(
        str(status.description, 1000) && `${str(status.description, 1000)}.`,
        shortSha(sha) && `Commit ${shortSha(sha)}.`,
        str(deployment.task) && `Task ${str(deployment.task)}.`,
      ),
      data: compact({ deploymentId: num(deployment.id), statusId: num(status.id), state, sha, task: str(deployment.task, 100) }),
      occurrence: githubOccurrence('deployment_status', obj(payload.repository).html_url, num(status.id)),
    }),
  };
}

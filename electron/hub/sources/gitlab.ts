// GitLab webhooks: Pipeline Hook, Job Hook (object_kind "build") and Deployment Hook.
// verify() compares X-Gitlab-Token with the secret in constant time; parse() maps statuses
// onto Herald's pipeline.* / deployment.* types.
//
// Status mapping (pipelines and jobs alike):
//   running → pipeline.triggered; success → succeeded; failed → failed (a job allowed to fail
//   is a warning); canceled → cancelled.
//   Ignored with a reason: created, waiting_for_resource, preparing, pending (not started yet;
//   the start is reported at running), skipped (nothing ran), manual (waits for someone to
//   start a manual job), scheduled (a delayed job waits for its time), canceling (the
//   outcome follows as canceled).
// Deployments: running → deployment.triggered, success → succeeded, failed → failed;
//   canceled and others are ignored (Herald has no deployment.cancelled type).
// subject.commit: the pipeline's `sha` (or `checkout_sha`, as push-triggered bodies name the
//   head), the job's `sha`, and for a deployment the full SHA at the end of `commit_url` (its
//   `short_sha` alone would not join the commit's thread, so it stays in data only).
//
// Delivery ids: `Idempotency-Key` (GitLab 17.x, the same across retries of one event) or else
// `X-Gitlab-Webhook-UUID` (unique per request). `X-Gitlab-Event-UUID` is not used: it is a
// recursion-detection id that several hook executions of one request share, so dropping by
// it could lose a real event.
import type { SourceConfig } from '../../../shared/config.js';
import { commitOf, defaultDedupKey, type EventInput, type Severity, type Subject } from '../../../shared/event.js';
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
import { secretsEqual } from '../secret-compare.js';
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';

export type GitlabSourceConfig = Extract<SourceConfig, { kind: 'gitlab' }>;

export type GitlabStatusOutcome =
  | { kind: 'event'; type: 'pipeline.triggered' | 'pipeline.succeeded' | 'pipeline.failed' | 'pipeline.cancelled'; verb: PipelineVerb }
  | { kind: 'ignore'; why: string };

/** Every pipeline/job status GitLab documents. */
export const GITLAB_STATUSES: Readonly<Record<string, GitlabStatusOutcome>> = {
  created: { kind: 'ignore', why: 'was created and has not started' },
  waiting_for_resource: { kind: 'ignore', why: 'waits for a resource and has not started' },
  preparing: { kind: 'ignore', why: 'is preparing and has not started' },
  pending: { kind: 'ignore', why: 'is pending and has not started' },
  running: { kind: 'event', type: 'pipeline.triggered', verb: 'started' },
  success: { kind: 'event', type: 'pipeline.succeeded', verb: 'succeeded' },
  failed: { kind: 'event', type: 'pipeline.failed', verb: 'failed' },
  canceled: { kind: 'event', type: 'pipeline.cancelled', verb: 'was cancelled' },
  canceling: { kind: 'ignore', why: 'is being cancelled; Herald reports it once canceled' },
  skipped: { kind: 'ignore', why: 'was skipped: nothing ran' },
  manual: { kind: 'ignore', why: 'waits for a manual action' },
  scheduled: { kind: 'ignore', why: 'is scheduled to run later' },
};

type DeploymentOutcome =
  | { kind: 'event'; type: 'deployment.triggered' | 'deployment.succeeded' | 'deployment.failed'; verb: 'started' | 'succeeded' | 'failed' }
  | { kind: 'ignore'; why: string };

export const GITLAB_DEPLOYMENT_STATUSES: Readonly<Record<string, DeploymentOutcome>> = {
  running: { kind: 'event', type: 'deployment.triggered', verb: 'started' },
  success: { kind: 'event', type: 'deployment.succeeded', verb: 'succeeded' },
  failed: { kind: 'event', type: 'deployment.failed', verb: 'failed' },
  canceled: { kind: 'ignore', why: 'was canceled (Herald has no deployment.cancelled type)' },
  created: { kind: 'ignore', why: 'was created and has not started' },
  blocked: { kind: 'ignore', why: 'is blocked, waiting for approval' },
};

export const gitlabSource: WebhookSource<GitlabSourceConfig> = {
  kind: 'gitlab',
  verify(request, secret) {
    const token = request.headers['x-gitlab-token'];
    return typeof token === 'string' && secretsEqual(token, secret);
  },
  parse: parseGitlab,
};

export function parseGitlab(request: IncomingRequest, config: Pick<GitlabSourceConfig, 'id'>): ParseResult {
  const deliveryId = str(request.headers['idempotency-key'], 200) ?? str(request.headers['x-gitlab-webhook-uuid'], 200);
  const json = parseJsonObject(request.body);
  if (!json.ok) return { kind: 'invalid', reason: json.reason };
  const payload = json.value;
  const ignore = (reason: string): ParseResult => ({ kind: 'ignored', reason, ...(deliveryId ? { deliveryId } : {}) });

  // object_kind rather than X-Gitlab-Event: system hooks send the same bodies under "System Hook".
  const kind = str(payload.object_kind);
  let result: EventInput | string;
  switch (kind) {
    case 'pipeline':
      result = mapPipelineHook(payload, config.id);
      break;
    case 'build':
      result = mapJobHook(payload, config.id);
      break;
    case 'deployment':
      result = mapDeploymentHook(payload, config.id);
      break;
    case undefined:
      return { kind: 'invalid', reason: 'body has no object_kind: is this a GitLab webhook?' };
    default:
      return ignore(`GitLab object_kind "${kind}" is not one Herald handles`);
  }
  if (typeof result === 'string') return ignore(result);
  return { kind: 'events', events: [result], ...(deliveryId ? { deliveryId } : {}) };
}

interface Project {
  project?: string;
  group?: string;
  webUrl?: string;
}

/**
 * The project's path (`group/sub/project`) and web URL. Pipeline and Deployment Hooks carry a
 * `project` object; Job Hooks from some servers (gitlab.com on GitLab 15) do not, and their
 * `project_name` is the human-readable full name ("John Smith / release-tools-fake"), not a
 * path: there `repository.homepage` (the project's web URL) gives both. On a server under a
 * relative URL root (`https://host/gitlab/…`) that path keeps the root's prefix.
 */
export function projectOf(payload: Record<string, unknown>): Project {
  const p = obj(payload.project);
  const homepage = httpUrl(obj(payload.repository).homepage);
  const path = str(p.path_with_namespace) ?? pathOfWebUrl(homepage) ?? displayNameAsPath(payload.project_name);
  const slash = path?.lastIndexOf('/') ?? -1;
  return { project: path, group: path && slash > 0 ? path.slice(0, slash) : undefined, webUrl: httpUrl(p.web_url) ?? homepage };
}

/** `https://gitlab.com/group/sub/project` → `group/sub/project`. */
function pathOfWebUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const segments = new URL(url).pathname.split('/').filter((s) => s !== '');
  if (segments.length < 2) return undefined;
  try {
    return str(segments.map((s) => decodeURIComponent(s)).join('/'));
  } catch {
    return undefined;
  }
}

/** Last resort: `Group / Project` without the spaces GitLab puts around its slashes. */
function displayNameAsPath(name: unknown): string | undefined {
  const text = str(name);
  return text && str(text.split('/').map((part) => part.trim()).filter((part) => part !== '').join('/'));
}

function actorOf(payload: Record<string, unknown>): string | undefined {
  const u = obj(payload.user);
  return str(u.username, 200) ?? str(u.name, 200) ?? str(payload.user_username, 200) ?? str(payload.user_name, 200);
}

function statusEvent(
  sourceId: string,
  outcome: Extract<GitlabStatusOutcome, { kind: 'event' }>,
  subject: Subject,
  fields: Omit<EventInput, 'type' | 'title' | 'subject' | 'dedupKey'>,
  severity?: Severity,
): EventInput {
  const s = compactSubject(subject);
  return {
    type: outcome.type,
    title: pipelineTitle(outcome.verb, s, severity === 'warning' ? 'allowed to fail' : undefined),
    subject: s,
    dedupKey: defaultDedupKey(sourceId, outcome.type, s),
    ...compact({ ...fields, severity }),
  };
}

/**
 * One occurrence across GitLab sources (webhook and polled): the server, what, its id and
 * the status reached, so a pipeline that arrives both ways is stored once.
 */
export function gitlabOccurrence(what: string, webUrl: string | undefined, id: number | undefined, status: string): string | undefined {
  if (!webUrl || id === undefined) return undefined;
  return `${what}:${new URL(webUrl).host}:${id}:${status}`;
}

/**
 * A Pipeline Hook body (`{object_attributes, project, user}`) → its event, or why none. The
 * gitlab-ci poller builds the same shape from the REST API's pipeline, so both report alike.
 */
export function mapPipelineHook(payload: Record<string, unknown>, sourceId: string): EventInput | string {
  const attrs = obj(payload.object_attributes);
  const status = str(attrs.status) ?? '';
  const outcome = GITLAB_STATUSES[status];
  if (!outcome) return `pipeline status "${status}" is not one Herald knows`;
  if (outcome.kind === 'ignore') return `pipeline ${outcome.why}`;

  const proj = projectOf(payload);
  const id = num(attrs.id);
  // Pipelines are named only with workflow:name (GitLab 16.1+); otherwise one per project.
  const subject: Subject = {
    project: proj.project,
    group: proj.group,
    pipeline: str(attrs.name) ?? 'pipeline',
    branch: str(attrs.ref),
    commit: commitOf(attrs.sha) ?? commitOf(payload.checkout_sha),
  };
  return statusEvent(sourceId, outcome, subject, {
    url: httpUrl(attrs.url) ?? (proj.webUrl && id !== undefined ? httpUrl(`${proj.webUrl}/-/pipelines/${id}`) : proj.webUrl),
    actor: actorOf(payload),
    occurredAt: outcome.type === 'pipeline.triggered' ? undefined : isoTime(attrs.finished_at),
    summary: sentences(
      `Pipeline${id !== undefined ? ` #${id}` : ''}${str(attrs.source) ? ` (${str(attrs.source)})` : ''}.`,
      failedJobs(payload.builds),
      commitSentence(attrs.sha, obj(payload.commit).message, obj(obj(payload.commit).author).name),
      tookSentence(num(attrs.duration) !== undefined ? num(attrs.duration)! * 1000 : undefined),
      attrs.tag === true && 'Tag pipeline.',
    ),
    occurrence: gitlabOccurrence('pipeline', proj.webUrl, id, status),
    data: compact({
      pipelineId: id,
      iid: num(attrs.iid),
      status,
      sha: str(attrs.sha, 64),
      source: str(attrs.source, 100),
      durationSeconds: num(attrs.duration),
      tag: attrs.tag === true ? true : undefined,
    }),
  });
}

/** `Failed jobs: rspec (test), lint (test).` from a Pipeline Hook's builds: the first thing a developer looks for. */
function failedJobs(builds: unknown): string | undefined {
  if (!Array.isArray(builds)) return undefined;
  const failed = builds
    .map((b) => obj(b))
    .filter((b) => str(b.status) === 'failed' && b.allow_failure !== true)
    .map((b) => `${str(b.name, 200) ?? 'job'}${str(b.stage, 100) ? ` (${str(b.stage, 100)})` : ''}`);
  if (failed.length === 0) return undefined;
  const shown = failed.slice(0, 5).join(', ');
  return `Failed job${failed.length === 1 ? '' : 's'}: ${shown}${failed.length > 5 ? ` and ${failed.length - 5} more` : ''}.`;
}

/** A Job Hook body → its event, or why none; the poller's jobs too. */
export function mapJobHook(payload: Record<string, unknown>, sourceId: string): EventInput | string {
  const status = str(payload.build_status) ?? '';
  const outcome = GITLAB_STATUSES[status];
  if (!outcome) return `job status "${status}" is not one Herald knows`;
  const jobName = str(payload.build_name) ?? 'job';
  if (outcome.kind === 'ignore') return `job "${jobName}" ${outcome.why}`;

  const proj = projectOf(payload);
  const commit = obj(payload.commit);
  const pipelineName = str(commit.name) ?? 'pipeline';
  const jobId = num(payload.build_id);
  const allowedToFail = outcome.type === 'pipeline.failed' && payload.build_allow_failure === true;
  const subject: Subject = {
    project: proj.project,
    group: proj.group,
    pipeline: str(`${pipelineName} / ${jobName}`),
    branch: str(payload.ref),
    environment: str(obj(payload.environment).name),
    commit: commitOf(payload.sha) ?? commitOf(commit.sha),
  };
  return statusEvent(
    sourceId,
    outcome,
    subject,
    {
      url: proj.webUrl && jobId !== undefined ? httpUrl(`${proj.webUrl}/-/jobs/${jobId}`) : proj.webUrl,
      actor: actorOf(payload),
      occurredAt:
        outcome.type === 'pipeline.triggered'
          ? (isoTime(payload.build_started_at_iso) ?? isoTime(payload.build_started_at))
          : (isoTime(payload.build_finished_at_iso) ?? isoTime(payload.build_finished_at)),
      summary: sentences(
        `Job "${jobName}"${str(payload.build_stage) ? ` in stage ${str(payload.build_stage)}` : ''}.`,
        outcome.type === 'pipeline.failed' && str(payload.build_failure_reason) && `Reason: ${str(payload.build_failure_reason)}.`,
        commitSentence(payload.sha, obj(payload.commit).message, obj(payload.commit).author_name),
        outcome.type !== 'pipeline.triggered' && tookSentence(num(payload.build_duration) !== undefined ? num(payload.build_duration)! * 1000 : undefined),
      ),
      occurrence: gitlabOccurrence('job', proj.webUrl, jobId, status),
      data: compact({
        jobId,
        pipelineId: num(payload.pipeline_id),
        stage: str(payload.build_stage, 100),
        status,
        failureReason: outcome.type === 'pipeline.failed' ? str(payload.build_failure_reason, 200) : undefined,
        allowFailure: payload.build_allow_failure === true ? true : undefined,
        retries: num(payload.retries_count),
        sha: str(payload.sha, 64),
      }),
    },
    allowedToFail ? 'warning' : undefined,
  );
}

/** `…/-/commit/<sha>` → the SHA, when it is a full one (40 or 64 hex). */
function fullShaOfCommitUrl(url: unknown): string | undefined {
  const href = httpUrl(url);
  const last = href && new URL(href).pathname.split('/').filter(Boolean).at(-1);
  return last && /^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(last) ? commitOf(last) : undefined;
}

/** A Deployment Hook body → its event, or why none; the poller's deployments too. */
export function mapDeploymentHook(payload: Record<string, unknown>, sourceId: string): EventInput | string {
  const status = str(payload.status) ?? '';
  const outcome = GITLAB_DEPLOYMENT_STATUSES[status];
  const environment = str(payload.environment);
  if (!outcome) return `deployment status "${status}" is not one Herald knows`;
  if (outcome.kind === 'ignore') return `deployment${environment ? ` to ${environment}` : ''} ${outcome.why}`;

  const proj = projectOf(payload);
  const subject = compactSubject({
    project: proj.project,
    group: proj.group,
    environment,
    branch: str(payload.ref),
    commit: fullShaOfCommitUrl(payload.commit_url),
  });
  return {
    type: outcome.type,
    title: deploymentTitle(outcome.verb, subject),
    subject,
    dedupKey: defaultDedupKey(sourceId, outcome.type, subject),
    ...compact({
      url: httpUrl(payload.deployable_url) ?? httpUrl(payload.environment_external_url) ?? proj.webUrl,
      actor: actorOf(payload),
      occurredAt: isoTime(payload.status_changed_at),
      summary: sentences(
        str(payload.commit_title, 1000) && `${str(payload.commit_title, 1000)}.`,
        str(payload.short_sha) && `Commit ${str(payload.short_sha)}.`,
        str(payload.environment_tier) && `Tier ${str(payload.environment_tier)}.`,
      ),
      occurrence: gitlabOccurrence('deployment', proj.webUrl, num(payload.deployment_id), status),
      data: compact({
        deploymentId: num(payload.deployment_id),
        jobId: num(payload.deployable_id),
        status,
        sha: str(payload.short_sha, 64),
        tier: str(payload.environment_tier, 100),
      }),
    }),
  };
}

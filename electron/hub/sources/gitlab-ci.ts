// GitLab CI through the REST API v4 with a personal access token (`PRIVATE-TOKEN`), for
// gitlab.com or a self-managed server (its own CA through `tls`).
//
// - Pipelines: `GET /projects/:id/pipelines?updated_after=…&order_by=updated_at&sort=asc`
//   from a cursor (the newest updated_at seen, minus a few seconds of overlap: GitLab's
//   times and ours need not agree), bounded pages (Link rel="next"). Each pipeline's last
//   status is kept, so the overlap repeats nothing. The first poll of a project records
//   the newest pipelines and raises nothing.
// - Transitions only, mapped by the webhook source's own code (gitlab.ts mapPipelineHook,
//   mapJobHook, mapDeploymentHook): a status the Pipeline Hook would report (running,
//   success, failed, canceled) raises its event once per change. Streaks, recovery and
//   the occurrence id (a pipeline by webhook and by poll is stored once) come with it.
// - Jobs (`jobs: true`): the jobs of each pipeline that changed, each job's status change as
//   the Job Hook would report it.
// - Deployments: `GET /projects/:id/deployments?updated_after=…&order_by=updated_at&sort=asc`.
// - `group/*`: the group's projects with subgroups, archived ones left out, listed hourly.
// - Filters: branches (globs on the ref), onlyMine (`username=` of the token's user, GET /user).
// - Rate limits: RateLimit-* headers go to the source view; 429 with Retry-After pauses
//   the source for that long.
// - One project failing (renamed, no access) does not stop the others.
import type { SourceConfig } from '../../../shared/config.js';
import type { EventInput } from '../../../shared/event.js';
import { clockTime, globFilter, mapLimit } from './ci-filters.js';
import { mapDeploymentHook, mapJobHook, mapPipelineHook } from './gitlab.js';
import { apiUrl, arrayAt, describePollError, describeUrl, getJson, type HttpAnswer, isObject, nextLink, PollError } from './poll-http.js';
import type { PollContext, PollingSource, PollResult } from './source.js';

export type GitlabCiConfig = Extract<SourceConfig, { kind: 'gitlab-ci' }>;

interface Seen {
  status: string;
  /** updated_at (ISO) of what was seen, to forget old entries. */
  at: string;
}

export interface ProjectState {
  cursor: string;
  pipelines: Record<string, Seen>;
  jobs?: Record<string, Seen>;
  deploymentCursor?: string;
  deployments?: Record<string, Seen>;
}

export interface GitlabCiState {
  username?: string;
  expanded?: Record<string, { projects: string[]; at: number }>;
  projects: Record<string, ProjectState>;
}

export const GITLAB_CI_DEFAULT_INTERVAL_SECONDS = 60;
const PER_PAGE = 100;
const MAX_PAGES = 3;
const MAX_GROUP_PAGES = 10;
const BASELINE = 20;
const OVERLAP_MS = 5_000;
const EPOCH = '1970-01-01T00:00:00.000Z';
/** Statuses kept this long past the cursor: longer than any overlap or clock difference. */
const KEEP_MS = 2 * 3_600_000;
const EXPAND_EVERY_MS = 3_600_000;
const CONCURRENCY = 6;

export const gitlabCiSource: PollingSource<GitlabCiConfig, GitlabCiState> = {
  kind: 'gitlab-ci',
  defaultIntervalSeconds: GITLAB_CI_DEFAULT_INTERVAL_SECONDS,
  poll: pollGitlabCi,
  test: testGitlabCi,
};

/** One poll's view of the API: token, TLS, rate-limit headers, errors phrased for the user. */
export class GitlabApi {
  counted = 0;
  constructor(
    private readonly ctx: PollContext<GitlabCiConfig>,
    private readonly token: string,
  ) {}

  get webUrl(): string {
    return this.ctx.config.baseUrl.replace(/\/+$/, '');
  }

  async get(path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<{ json: unknown; next?: URL }> {
    const url = apiUrl(this.webUrl, `/api/v4${path}`, query);
    const answer = await getJson(url, {
      headers: { 'private-token': this.token },
      signal: this.ctx.signal,
      timeoutMs: this.ctx.config.timeoutSeconds * 1000,
      ...(this.ctx.config.tls && { tls: this.ctx.config.tls }),
      inspect: (raw) => this.inspect(raw),
    });
    if (answer.kind !== 'json') throw new PollError('http', `${describeUrl(url)} answered 304 to a request without validators`);
    return { json: answer.json, next: nextLink(answer.headers.link, url) };
  }

  async pages(path: string, query: Record<string, string | number | boolean | undefined>, maxPages: number): Promise<unknown[]> {
    const items: unknown[] = [];
    let answer = await this.get(path, query);
    for (let page = 1; ; page++) {
      items.push(...arrayAt(answer.json, path));
      if (!answer.next || page >= maxPages) return items;
      const next: URL = answer.next;
      answer = await this.get(next.pathname.replace(/^.*\/api\/v4/, ''), Object.fromEntries(next.searchParams));
    }
  }

  private inspect(answer: HttpAnswer): PollError | undefined {
    this.counted++;
    const limit = headerInt(answer.headers['ratelimit-limit']);
    const remaining = headerInt(answer.headers['ratelimit-remaining']);
    const reset = headerInt(answer.headers['ratelimit-reset']);
    if (limit !== undefined && remaining !== undefined && reset !== undefined) {
      this.ctx.report?.({ rateLimit: { limit, remaining, resetAt: new Date(reset * 1000).toISOString() } });
    }
    const where = describeUrl(answer.url);
    if (answer.status === 429) {
      const retryAfter = headerInt(answer.headers['retry-after']) ?? 60;
      return new PollError('rate_limited', `GitLab's rate limit: paused until ${clockTime(this.ctx.now.getTime() + retryAfter * 1000)} (Retry-After ${retryAfter} s)`, retryAfter * 1000);
    }
    if (answer.status === 401) return new PollError('auth', `HTTP 401 from ${where}: GitLab does not accept the token (wrong, expired or revoked)`);
    if (answer.status === 403) return new PollError('auth', `HTTP 403 from ${where}: the token may not read this — it needs the read_api scope and at least the Reporter role on the project`);
    if (answer.status === 404 && /\/(projects|groups)\//.test(answer.url.pathname)) {
      return new PollError('not_found', `HTTP 404 from ${where}: no such project or group, or the token cannot see it`);
    }
    return undefined;
  }
}

function headerInt(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

function apiFor(ctx: PollContext<GitlabCiConfig>): GitlabApi {
  const token = ctx.secrets.token;
  if (!token) throw new PollError('auth', 'no token: set the GitLab personal access token');
  return new GitlabApi(ctx, token);
}

const encode = (path: string) => encodeURIComponent(path);

export async function pollGitlabCi(ctx: PollContext<GitlabCiConfig>, last: GitlabCiState | undefined): Promise<PollResult<GitlabCiState>> {
  const { config } = ctx;
  const api = apiFor(ctx);
  const nowMs = ctx.now.getTime();
  const state: GitlabCiState = { ...(last ?? { projects: {} }), projects: { ...(last?.projects ?? {}) } };
  if (config.onlyMine && !state.username) state.username = await username(api);
  const projects = await watchedProjects(api, config, state, nowMs);

  const failures: string[] = [];
  const results = await mapLimit(projects, CONCURRENCY, async (project) => {
    try {
      return await pollProject(api, config, project, state.projects[project], state.username, nowMs);
    } catch (error) {
      if (error instanceof PollError && (error.kind === 'rate_limited' || error.kind === 'aborted' || (error.kind === 'auth' && /HTTP 401/.test(error.message)))) throw error;
      failures.push(`${project}: ${describePollError(error)}`);
      return undefined;
    }
  });
  if (projects.length > 0 && failures.length === projects.length) throw new PollError('http', failures.length === 1 ? failures[0]! : `every project failed; ${failures[0]}`);

  const events: EventInput[] = [];
  const next: Record<string, ProjectState> = {};
  projects.forEach((project, i) => {
    const result = results[i];
    if (result) {
      events.push(...result.events);
      next[project] = result.state;
    } else if (state.projects[project]) {
      next[project] = state.projects[project];
    }
  });
  state.projects = next;
  ctx.report?.({ notice: failures.length > 0 ? `${failures.length} of ${projects.length} projects failed: ${failures.slice(0, 3).join('; ')}` : null });
  return { events, state };
}

async function username(api: GitlabApi): Promise<string> {
  const { json } = await api.get('/user');
  if (!isObject(json) || typeof json.username !== 'string') throw new PollError('shape', 'GET /user answered without a username');
  return json.username;
}

async function watchedProjects(api: GitlabApi, config: GitlabCiConfig, state: GitlabCiState, nowMs: number): Promise<string[]> {
  const out = new Map<string, string>();
  const expanded = { ...(state.expanded ?? {}) };
  for (const entry of config.projects) {
    if (!entry.endsWith('/*')) {
      out.set(entry.toLowerCase(), entry);
      continue;
    }
    const group = entry.slice(0, -2);
    const key = group.toLowerCase();
    let known = expanded[key];
    if (!known || nowMs - known.at >= EXPAND_EVERY_MS) {
      const list = await api.pages(`/groups/${encode(group)}/projects`, { include_subgroups: true, archived: false, per_page: PER_PAGE }, MAX_GROUP_PAGES);
      known = { projects: list.filter(isObject).map((p) => String(p.path_with_namespace)), at: nowMs };
      expanded[key] = known;
    }
    for (const project of known.projects) if (!out.has(project.toLowerCase())) out.set(project.toLowerCase(), project);
  }
  const groups = new Set(config.projects.filter((p) => p.endsWith('/*')).map((p) => p.slice(0, -2).toLowerCase()));
  state.expanded = Object.fromEntries(Object.entries(expanded).filter(([group]) => groups.has(group)));
  return [...out.values()];
}

const minus = (iso: string, ms: number) => new Date(Math.max(0, Date.parse(iso) - ms)).toISOString();
/** The later of two ISO times (GitLab may write offsets other than Z). */
const newest = (a: string | undefined, b: unknown) => (typeof b === 'string' && !Number.isNaN(Date.parse(b)) && (!a || Date.parse(b) > Date.parse(a)) ? b : a);

async function pollProject(
  api: GitlabApi,
  config: GitlabCiConfig,
  project: string,
  last: ProjectState | undefined,
  username: string | undefined,
  nowMs: number,
): Promise<{ events: EventInput[]; state: ProjectState }> {
  const projectJson = { path_with_namespace: project, web_url: `${api.webUrl}/${project}` };
  const path = `/projects/${encode(project)}`;
  const mine = config.onlyMine && username ? { username } : {};
  const branches = globFilter(config.branches);
  const events: EventInput[] = [];

  if (!last) {
    // First poll: the newest pipelines and deployments are history, raised by nobody.
    const recent = (await api.get(`${path}/pipelines`, { order_by: 'updated_at', sort: 'desc', per_page: BASELINE, ...mine })).json;
    const pipelines = arrayAt(recent, `${path}/pipelines`).filter(isObject);
    // The cursor is on GitLab's clock (ours may differ). A project without pipelines yet
    // starts from the beginning: whatever appears later is new.
    const state: ProjectState = { cursor: EPOCH, pipelines: {} };
    for (const p of pipelines) state.pipelines[String(p.id)] = { status: String(p.status), at: String(p.updated_at) };
    for (const p of pipelines) state.cursor = newest(state.cursor, p.updated_at)!;
    if (config.deployments) {
      const deployments = arrayAt((await api.get(`${path}/deployments`, { order_by: 'updated_at', sort: 'desc', per_page: BASELINE })).json, `${path}/deployments`).filter(isObject);
      state.deployments = Object.fromEntries(deployments.map((d) => [String(d.id), { status: String(d.status), at: String(d.updated_at) }]));
      state.deploymentCursor = deployments.reduce<string>((cursor, d) => newest(cursor, d.updated_at)!, EPOCH);
    }
    return { events, state };
  }

  const state: ProjectState = { ...last, pipelines: { ...last.pipelines }, ...(last.jobs && { jobs: { ...last.jobs } }), ...(last.deployments && { deployments: { ...last.deployments } }) };
  const changed = await api.pages(`${path}/pipelines`, { updated_after: minus(last.cursor, OVERLAP_MS), order_by: 'updated_at', sort: 'asc', per_page: PER_PAGE, ...mine }, MAX_PAGES);
  for (const pipeline of changed.filter(isObject)) {
    const id = String(pipeline.id);
    const status = String(pipeline.status);
    const before = state.pipelines[id];
    state.pipelines[id] = { status, at: String(pipeline.updated_at) };
    state.cursor = newest(state.cursor, pipeline.updated_at)!;
    if (before?.status === status) continue;
    const ref = typeof pipeline.ref === 'string' ? pipeline.ref : undefined;
    if (!branches(ref)) continue;
    const final = ['success', 'failed', 'canceled', 'skipped'].includes(status);
    const mapped = mapPipelineHook(
      {
        object_kind: 'pipeline',
        object_attributes: { id: pipeline.id, iid: pipeline.iid, name: pipeline.name, status, ref, sha: pipeline.sha, source: pipeline.source, url: pipeline.web_url, ...(final && { finished_at: pipeline.updated_at }) },
        project: projectJson,
      },
      config.id,
    );
    if (typeof mapped !== 'string') events.push(mapped);
    if (config.jobs) events.push(...(await pollJobs(api, config, path, projectJson, pipeline, state)));
  }

  if (config.deployments) {
    const cursor = state.deploymentCursor ?? state.cursor;
    const deployments = await api.pages(`${path}/deployments`, { updated_after: minus(cursor, OVERLAP_MS), order_by: 'updated_at', sort: 'asc', per_page: PER_PAGE }, MAX_PAGES);
    state.deployments = { ...(state.deployments ?? {}) };
    for (const deployment of deployments.filter(isObject)) {
      const id = String(deployment.id);
      const status = String(deployment.status);
      const before = state.deployments[id];
      state.deployments[id] = { status, at: String(deployment.updated_at) };
      state.deploymentCursor = newest(state.deploymentCursor, deployment.updated_at);
      if (before?.status === status) continue;
      const ref = typeof deployment.ref === 'string' ? deployment.ref : undefined;
      const user = isObject(deployment.user) ? deployment.user : undefined;
      if (!branches(ref)) continue;
      if (config.onlyMine && username && user?.username !== username) continue;
      const environment = isObject(deployment.environment) ? deployment.environment : {};
      const deployable = isObject(deployment.deployable) ? deployment.deployable : undefined;
      const mapped = mapDeploymentHook(
        {
          object_kind: 'deployment',
          status,
          deployment_id: deployment.id,
          deployable_id: deployable?.id,
          deployable_url: deployable?.id !== undefined ? `${projectJson.web_url}/-/jobs/${String(deployable.id)}` : undefined,
          environment: environment.name,
          environment_external_url: environment.external_url,
          ref,
          short_sha: typeof deployment.sha === 'string' ? deployment.sha.slice(0, 8) : undefined,
          status_changed_at: deployment.updated_at,
          user,
          project: projectJson,
        },
        config.id,
      );
      if (typeof mapped !== 'string') events.push(mapped);
    }
  }

  // Forget what is well behind the cursors: the overlap never reaches back that far.
  const keepAfter = (cursor: string | undefined) => (cursor ? Date.parse(cursor) - KEEP_MS : 0);
  const prune = (seen: Record<string, Seen> | undefined, cursor: string | undefined) =>
    seen && Object.fromEntries(Object.entries(seen).filter(([, s]) => !(Date.parse(s.at) < keepAfter(cursor))));
  state.pipelines = prune(state.pipelines, state.cursor)!;
  if (state.jobs) state.jobs = prune(state.jobs, state.cursor);
  if (state.deployments) state.deployments = prune(state.deployments, state.deploymentCursor);
  return { events, state };
}

async function pollJobs(
  api: GitlabApi,
  config: GitlabCiConfig,
  path: string,
  projectJson: { path_with_namespace: string; web_url: string },
  pipeline: Record<string, unknown>,
  state: ProjectState,
): Promise<EventInput[]> {
  const events: EventInput[] = [];
  const jobs = await api.pages(`${path}/pipelines/${String(pipeline.id)}/jobs`, { per_page: PER_PAGE }, MAX_PAGES);
  state.jobs = { ...(state.jobs ?? {}) };
  for (const job of jobs.filter(isObject).sort((a, b) => Number(a.id) - Number(b.id))) {
    const id = String(job.id);
    const status = String(job.status);
    const before = state.jobs[id];
    state.jobs[id] = { status, at: String(pipeline.updated_at) };
    if (before?.status === status) continue;
    const commit = isObject(job.commit) ? job.commit : {};
    const mapped = mapJobHook(
      {
        object_kind: 'build',
        ref: job.ref,
        sha: commit.id ?? pipeline.sha,
        build_id: job.id,
        build_name: job.name,
        build_stage: job.stage,
        build_status: status,
        build_started_at: job.started_at,
        build_finished_at: job.finished_at,
        build_allow_failure: job.allow_failure,
        build_failure_reason: job.failure_reason,
        pipeline_id: pipeline.id,
        user: job.user,
        commit: { name: pipeline.name },
        project: projectJson,
      },
      config.id,
    );
    if (typeof mapped !== 'string') events.push(mapped);
  }
  return events;
}

/** "Test connection": who the token is, its scopes, and whether each project's pipelines can be read. */
export async function testGitlabCi(ctx: PollContext<GitlabCiConfig>): Promise<{ ok: boolean; detail: string }> {
  const api = apiFor(ctx);
  const user = await username(api);
  const problems: string[] = [];
  let scopes: string | undefined;
  try {
    const { json } = await api.get('/personal_access_tokens/self');
    if (isObject(json) && Array.isArray(json.scopes)) {
      const list = json.scopes.map(String);
      scopes = list.join(', ');
      if (!list.includes('read_api') && !list.includes('api')) problems.push('the token lacks the read_api scope (or api): pipelines cannot be read');
    }
  } catch (error) {
    // Not a personal access token (an OAuth or project token): its scopes are not listed here.
    if (!(error instanceof PollError) || error.kind === 'rate_limited') throw error;
  }
  const state: GitlabCiState = { projects: {} };
  let projects: string[] = [];
  try {
    projects = await watchedProjects(api, ctx.config, state, ctx.now.getTime());
  } catch (error) {
    problems.push(describePollError(error));
  }
  for (const project of projects.slice(0, 3)) {
    try {
      await api.get(`/projects/${encode(project)}/pipelines`, { per_page: 1 });
    } catch (error) {
      if (error instanceof PollError && error.kind === 'rate_limited') throw error;
      problems.push(`${project}: ${describePollError(error)}`);
    }
  }
  const watched = projects.length === 0 ? 'no projects to watch' : `${projects.length} ${projects.length === 1 ? 'project' : 'projects'} to watch${projects.length > 3 ? ' (the first 3 checked)' : ''}`;
  const head = `connected as ${user}${scopes ? ` (scopes: ${scopes})` : ''}; ${watched}`;
  return problems.length === 0 ? { ok: true, detail: head } : { ok: false, detail: `${head}. Problems: ${problems.join('; ')}` };
}

// GitHub Actions through the REST API with a personal token: for users who cannot add a
// webhook to their organisation's repositories, or whose laptop has no public address.
//
// - Workflow runs: `GET /repos/{owner}/{repo}/actions/runs` (newest first) with
//   If-None-Match; an idle repository answers 304, which GitHub does not count against the
//   rate limit. When the list changed, further pages are read (Link rel="next", at most
//   MAX_RUN_PAGES) only while a run Herald saw start has not shown up again.
// - Transitions only, mapped by the webhook source's own code (github.ts mapWorkflowRun):
//   a run seen queued or running → pipeline.triggered (the webhook's `requested`); seen
//   completed → by conclusion. A re-run (run_attempt + 1) starts over. The first poll of a
//   repository records what is there and raises nothing. Streaks and recovery come from
//   the same enricher as for webhooks, and each event carries the run's occurrence id, so
//   a run that also arrives by webhook is stored once.
// - Deployments (`deployments: true`): the list with If-None-Match; each deployment created
//   after the first poll is followed through `…/deployments/{id}/statuses` (If-None-Match
//   again) until a final state or for a day; each new status → github.ts mapDeploymentStatus.
// - `owner/*`: the owner's repositories (`/user/repos` for the token's own user, else
//   `/orgs/{org}/repos`, else `/users/{user}/repos`; archived ones left out), listed again
//   every hour.
// - Filters: branches and workflows (globs on the workflow's name, its file path or file
//   name), onlyMine (the run's triggering_actor, else actor, is the token's user, GET /user).
// - Budget: every answer's X-RateLimit-* is reported to the source view. When what is left
//   would not last until the reset at this pace (keeping 10 % of the limit for the user's
//   other tools), the next poll waits longer, and the view says so. A secondary limit
//   (403/429 with Retry-After) pauses the source until then (github-api.ts).
// - One repository failing (deleted, no access) does not stop the others: their events and
//   state are committed and the source view names the failing ones; when all fail, the poll fails.
import type { SourceConfig } from '../../../shared/config.js';
import type { EventInput } from '../../../shared/event.js';
import { clockTime, globFilter, mapLimit } from './ci-filters.js';
import { GithubApi } from './github-api.js';
import { mapDeploymentStatus, mapWorkflowRun } from './github.js';
import { describePollError, isObject, PollError, type Validators } from './poll-http.js';
import type { PollContext, PollingSource, PollResult } from './source.js';

export type GithubActionsConfig = Extract<SourceConfig, { kind: 'github-actions' }>;

export interface RunSeen {
  attempt: number;
  phase: 'started' | 'completed';
}

export interface DeploymentSeen {
  /** Highest status id reported. */
  lastStatusId: number;
  createdAt: string;
  /** What a status event needs of its deployment when the list answered 304. */
  deployment: { id: number; ref?: string; environment?: string; sha?: string; task?: string };
  statuses?: Validators;
  /** Reached a final state, or older than a day: no longer followed. */
  done?: boolean;
}

export interface RepoState {
  runs?: Validators;
  /** By run id. */
  seen: Record<string, RunSeen>;
  /**
   * Runs with an id up to this one and not in `seen` are history (older than the first
   * poll, or forgotten once out of view): seen again on a later page, they raise nothing.
   * Run ids grow with creation.
   */
  floor?: number;
  deployments?: Validators;
  /** By deployment id; only those created after the repository's first poll are followed. */
  followed?: Record<string, DeploymentSeen>;
  /** Deployment ids known at the first poll (or since), so an old one is not taken for new. */
  knownDeployments?: number[];
}

export interface GithubActionsState {
  /** The token's user (for onlyMine and `owner/*` of one's own), refreshed with the expansions. */
  login?: string;
  /** `owner/*` expanded: the repositories and when they were listed. */
  expanded?: Record<string, { repos: string[]; at: number; validators?: Validators }>;
  repos: Record<string, RepoState>;
}

export const GITHUB_ACTIONS_DEFAULT_INTERVAL_SECONDS = 60;
const PER_PAGE = 30;
const MAX_RUN_PAGES = 3;
const MAX_REPO_PAGES = 10;
const DEPLOYMENTS_PER_PAGE = 10;
const FOLLOW_DEPLOYMENT_MS = 24 * 3_600_000;
const EXPAND_EVERY_MS = 3_600_000;
const CONCURRENCY = 6;
/** Share of the hourly limit kept for the user's other tools. */
const RESERVE = 0.1;
const FINAL_DEPLOYMENT_STATES = new Set(['success', 'failure', 'error', 'inactive']);

export const githubActionsSource: PollingSource<GithubActionsConfig, GithubActionsState> = {
  kind: 'github-actions',
  defaultIntervalSeconds: GITHUB_ACTIONS_DEFAULT_INTERVAL_SECONDS,
  poll: pollGithubActions,
  test: testGithubActions,
};

function clientFor(ctx: PollContext<GithubActionsConfig>): GithubApi {
  const token = ctx.secrets.token;
  if (!token) throw new PollError('auth', 'no token: set the GitHub token (a personal access token)');
  const started = ctx.now.getTime();
  const wall = Date.now();
  return new GithubApi({
    apiUrl: ctx.config.apiUrl,
    token,
    signal: ctx.signal,
    timeoutMs: ctx.config.timeoutSeconds * 1000,
    ...(ctx.config.tls && { tls: ctx.config.tls }),
    // The poll's clock (injectable in tests) moved on by the wall time spent in this poll.
    now: () => started + (Date.now() - wall),
    onRateLimit: (rateLimit) => ctx.report?.({ rateLimit }),
  });
}

export async function pollGithubActions(ctx: PollContext<GithubActionsConfig>, last: GithubActionsState | undefined): Promise<PollResult<GithubActionsState>> {
  const { config } = ctx;
  const api = clientFor(ctx);
  const nowMs = ctx.now.getTime();
  const state: GithubActionsState = { ...(last ?? { repos: {} }), repos: { ...(last?.repos ?? {}) } };

  if ((config.onlyMine || config.repos.some((r) => r.endsWith('/*'))) && (!state.login || expansionDue(state, config, nowMs))) {
    state.login = await userLogin(api);
  }
  const repos = await watchedRepos(api, config, state, nowMs);
  const failures: string[] = [];
  const perRepo = await mapLimit(repos, CONCURRENCY, async (repo) => {
    try {
      return await pollRepo(api, config, repo, state.repos[repo], state.login, nowMs);
    } catch (error) {
      // A budget problem or a bad token stops the whole poll; a repository of its own does not.
      if (error instanceof PollError && (error.kind === 'rate_limited' || error.kind === 'aborted' || (error.kind === 'auth' && /HTTP 401/.test(error.message)))) throw error;
      failures.push(`${repo}: ${describePollError(error)}`);
      return undefined;
    }
  });
  if (repos.length > 0 && failures.length === repos.length) throw new PollError('http', failures.length === 1 ? failures[0]! : `every repository failed; ${failures[0]}`);

  const events: EventInput[] = [];
  const nextRepos: Record<string, RepoState> = {};
  repos.forEach((repo, i) => {
    const result = perRepo[i];
    if (result) {
      events.push(...result.events);
      nextRepos[repo] = result.state;
    } else if (state.repos[repo]) {
      nextRepos[repo] = state.repos[repo];
    }
  });
  state.repos = nextRepos;

  const pace = paceFor(api, config, nowMs);
  const notice = [failures.length > 0 && `${failures.length} of ${repos.length} repositories failed: ${failures.slice(0, 3).join('; ')}`, pace.notice]
    .filter(Boolean)
    .join(' · ');
  ctx.report?.({ notice: notice || null });
  return { events, state, ...(pace.nextPollInMs !== undefined && { nextPollInMs: pace.nextPollInMs }) };
}

function expansionDue(state: GithubActionsState, config: GithubActionsConfig, nowMs: number): boolean {
  return config.repos.some((r) => {
    if (!r.endsWith('/*')) return false;
    const seen = state.expanded?.[r.slice(0, -2).toLowerCase()];
    return !seen || nowMs - seen.at >= EXPAND_EVERY_MS;
  });
}

async function userLogin(api: GithubApi): Promise<string> {
  const answer = await api.get<Record<string, unknown>>('/user');
  if (answer.kind !== 'json' || !isObject(answer.json) || typeof answer.json.login !== 'string') {
    throw new PollError('shape', 'GET /user answered without a login');
  }
  return answer.json.login;
}

/** The configured repositories with `owner/*` expanded (listed at most hourly), each once. */
async function watchedRepos(api: GithubApi, config: GithubActionsConfig, state: GithubActionsState, nowMs: number): Promise<string[]> {
  const out = new Map<string, string>();
  const expanded = { ...(state.expanded ?? {}) };
  for (const entry of config.repos) {
    if (!entry.endsWith('/*')) {
      out.set(entry.toLowerCase(), entry);
      continue;
    }
    const owner = entry.slice(0, -2);
    const key = owner.toLowerCase();
    let known = expanded[key];
    if (!known || nowMs - known.at >= EXPAND_EVERY_MS) {
      const listed = await listOwnerRepos(api, owner, state.login, known?.validators);
      known = { repos: listed.repos ?? known?.repos ?? [], at: nowMs, ...(listed.validators && { validators: listed.validators }) };
      expanded[key] = known;
    }
    for (const repo of known.repos) if (!out.has(repo.toLowerCase())) out.set(repo.toLowerCase(), repo);
  }
  // Owners no longer configured are forgotten.
  const owners = new Set(config.repos.filter((r) => r.endsWith('/*')).map((r) => r.slice(0, -2).toLowerCase()));
  state.expanded = Object.fromEntries(Object.entries(expanded).filter(([owner]) => owners.has(owner)));
  return [...out.values()];
}

async function listOwnerRepos(api: GithubApi, owner: string, login: string | undefined, validators: Validators | undefined): Promise<{ repos?: string[]; validators?: Validators }> {
  const routes =
    login && login.toLowerCase() === owner.toLowerCase()
      ? [{ path: '/user/repos', query: { affiliation: 'owner', per_page: 100 } }]
      : [
          { path: `/orgs/${encodeURIComponent(owner)}/repos`, query: { type: 'all', per_page: 100 } },
          { path: `/users/${encodeURIComponent(owner)}/repos`, query: { type: 'owner', per_page: 100 } },
        ];
  for (const [i, route] of routes.entries()) {
    try {
      const pages = await api.pages(route.path, route.query, { maxPages: MAX_REPO_PAGES, ...(i === 0 && validators && { validators }) });
      if (pages.unchanged) return {};
      const repos = pages.items
        .filter((r): r is Record<string, unknown> => isObject(r) && typeof r.full_name === 'string' && r.archived !== true && r.disabled !== true)
        .map((r) => r.full_name as string);
      return { repos, validators: pages.validators };
    } catch (error) {
      // Not an organization: try it as a user.
      if (error instanceof PollError && error.kind === 'not_found' && i < routes.length - 1) continue;
      if (error instanceof PollError && error.kind === 'not_found') throw new PollError('not_found', `"${owner}/*": GitHub knows no user or organization "${owner}"`);
      throw error;
    }
  }
  return {};
}

async function pollRepo(
  api: GithubApi,
  config: GithubActionsConfig,
  repo: string,
  last: RepoState | undefined,
  login: string | undefined,
  nowMs: number,
): Promise<{ events: EventInput[]; state: RepoState }> {
  const first = last === undefined;
  const state: RepoState = { ...(last ?? { seen: {} }), seen: { ...(last?.seen ?? {}) } };
  const events: EventInput[] = [];
  const path = `/repos/${repo}/actions/runs`;

  const open = () => Object.entries(state.seen).filter(([, s]) => s.phase === 'started').map(([id]) => id);
  const pages = await api.pages(path, { per_page: PER_PAGE }, {
    maxPages: MAX_RUN_PAGES,
    listKey: 'workflow_runs',
    ...(state.runs && { validators: state.runs }),
    enough: (page) => {
      // Stop once every run seen running is back in view (or the page is short).
      if (page.length < PER_PAGE) return true;
      const onPage = new Set(page.map((r) => (isObject(r) ? String(r.id) : '')));
      const missing = open().filter((id) => !onPage.has(id));
      return missing.length === 0 || first;
    },
  });
  if (!pages.unchanged) {
    state.runs = pages.validators;
    const branches = globFilter(config.branches);
    const workflows = globFilter(config.workflows);
    // In the order they changed (GitHub's times are whole seconds; ids break ties by creation).
    const runs = pages.items.filter(isObject).sort((a, b) => String(a.updated_at ?? '').localeCompare(String(b.updated_at ?? '')) || Number(a.id) - Number(b.id));
    const inView = new Set<string>();
    if (first && runs.length > 0) state.floor = Math.min(...runs.map((r) => Number(r.id))) - 1;
    for (const run of runs) {
      const id = String(run.id);
      inView.add(id);
      const attempt = typeof run.run_attempt === 'number' ? run.run_attempt : 1;
      const phase: RunSeen['phase'] = run.status === 'completed' ? 'completed' : 'started';
      const before = state.seen[id];
      state.seen[id] = { attempt, phase };
      if (first || (!before && Number(run.id) <= (state.floor ?? 0))) continue;
      if (before && before.attempt === attempt && (before.phase === phase || before.phase === 'completed')) continue;
      if (!passes(run, { branches, workflows, login: config.onlyMine ? login : undefined })) continue;
      const mapped = mapWorkflowRun({ action: phase === 'completed' ? 'completed' : 'requested', workflow_run: run, repository: run.repository }, config.id);
      if (typeof mapped !== 'string') events.push(mapped);
    }
    // Forget runs out of view, except those still running (they come back to view when they end).
    const forget = (id: string) => {
      delete state.seen[id];
      state.floor = Math.max(state.floor ?? 0, Number(id));
    };
    for (const [id, seen] of Object.entries(state.seen)) if (!inView.has(id) && seen.phase === 'completed') forget(id);
    // A running run that fell beyond the pages read cannot be followed for ever: the oldest go first.
    const openIds = Object.keys(state.seen)
      .filter((id) => !inView.has(id))
      .sort((a, b) => Number(a) - Number(b));
    if (openIds.length > PER_PAGE) for (const id of openIds.slice(0, openIds.length - PER_PAGE)) forget(id);
  }

  if (config.deployments) events.push(...(await pollDeployments(api, config, repo, state, first, nowMs)));
  return { events, state };
}

function passes(run: Record<string, unknown>, f: { branches: ReturnType<typeof globFilter>; workflows: ReturnType<typeof globFilter>; login: string | undefined }): boolean {
  if (!f.branches(typeof run.head_branch === 'string' ? run.head_branch : undefined)) return false;
  const path = typeof run.path === 'string' ? run.path.replace(/@.*$/, '') : undefined;
  if (!f.workflows(typeof run.name === 'string' ? run.name : undefined, path, path?.split('/').pop())) return false;
  if (f.login) {
    const who = loginOf(run.triggering_actor) ?? loginOf(run.actor);
    if (!who || who.toLowerCase() !== f.login.toLowerCase()) return false;
  }
  return true;
}

function loginOf(user: unknown): string | undefined {
  return isObject(user) && typeof user.login === 'string' ? user.login : undefined;
}

async function pollDeployments(api: GithubApi, config: GithubActionsConfig, repo: string, state: RepoState, first: boolean, nowMs: number): Promise<EventInput[]> {
  const events: EventInput[] = [];
  const path = `/repos/${repo}/deployments`;
  const answer = await api.get<unknown[]>(path, { per_page: DEPLOYMENTS_PER_PAGE }, state.deployments);
  const followed = { ...(state.followed ?? {}) };
  const known = new Set(state.knownDeployments ?? []);
  const repository = { full_name: repo, owner: { login: repo.split('/')[0] }, html_url: `${api.webUrl}/${repo}` };
  const byId = new Map<string, Record<string, unknown>>();
  if (answer.kind === 'json') {
    state.deployments = answer.validators;
    const list = Array.isArray(answer.json) ? answer.json.filter(isObject) : [];
    for (const deployment of list) {
      const id = Number(deployment.id);
      byId.set(String(id), deployment);
      if (known.has(id)) continue;
      known.add(id);
      // Known at the first poll: history, not news. Otherwise followed from its first status.
      if (!first && !followed[String(id)]) {
        followed[String(id)] = {
          lastStatusId: 0,
          createdAt: String(deployment.created_at ?? new Date(nowMs).toISOString()),
          deployment: {
            id,
            ...(typeof deployment.ref === 'string' && { ref: deployment.ref }),
            ...(typeof deployment.environment === 'string' && { environment: deployment.environment }),
            ...(typeof deployment.sha === 'string' && { sha: deployment.sha }),
            ...(typeof deployment.task === 'string' && { task: deployment.task }),
          },
        };
      }
    }
    state.knownDeployments = [...known].sort((a, b) => b - a).slice(0, DEPLOYMENTS_PER_PAGE * 3);
  }
  const branches = globFilter(config.branches);
  for (const [id, seen] of Object.entries(followed)) {
    if (seen.done) continue;
    if (nowMs - Date.parse(seen.createdAt) > FOLLOW_DEPLOYMENT_MS) {
      followed[id] = { ...seen, done: true };
      continue;
    }
    const statuses = await api.get<unknown[]>(`${path}/${id}/statuses`, { per_page: DEPLOYMENTS_PER_PAGE }, seen.statuses);
    if (statuses.kind === 'unchanged') continue;
    const list = (Array.isArray(statuses.json) ? statuses.json.filter(isObject) : []).sort((a, b) => Number(a.id) - Number(b.id));
    let { lastStatusId } = seen;
    let done = false;
    const deployment: Record<string, unknown> = byId.get(id) ?? seen.deployment;
    for (const status of list) {
      const statusId = Number(status.id);
      if (FINAL_DEPLOYMENT_STATES.has(String(status.state))) done = true;
      if (statusId <= lastStatusId) continue;
      lastStatusId = statusId;
      if (!branches(typeof deployment.ref === 'string' ? deployment.ref : undefined)) continue;
      const mapped = mapDeploymentStatus({ deployment_status: status, deployment, repository }, config.id);
      if (typeof mapped !== 'string') events.push(mapped);
    }
    followed[id] = { ...seen, lastStatusId, statuses: statuses.validators, ...(done && { done: true }) };
  }
  // Done ones are kept only while the list still shows them, so they are not followed again.
  state.followed = Object.fromEntries(Object.entries(followed).filter(([id, seen]) => !seen.done || known.has(Number(id))));
  return events;
}

/**
 * Whether the budget lasts until its reset at this pace: `counted` requests per poll at
 * the configured interval, keeping RESERVE of the limit. If not, the wait that makes it last.
 */
export function paceFor(api: Pick<GithubApi, 'rateLimit' | 'counted'>, config: Pick<GithubActionsConfig, 'pollIntervalSeconds'>, nowMs: number): { nextPollInMs?: number; notice?: string } {
  const rl = api.rateLimit;
  if (!rl) return {};
  const resetMs = Date.parse(rl.resetAt);
  const untilReset = Math.max(0, resetMs - nowMs);
  const spendable = rl.remaining - Math.ceil(rl.limit * RESERVE);
  const intervalMs = config.pollIntervalSeconds * 1000;
  const perPoll = Math.max(1, api.counted);
  if (spendable <= 0) {
    return { nextPollInMs: untilReset + 1000, notice: `rate limit nearly used up (${rl.remaining.toLocaleString('en-US')} of ${rl.limit.toLocaleString('en-US')} left): waiting until ${clockTime(resetMs)}` };
  }
  const pollsLeft = untilReset / intervalMs;
  if (perPoll * pollsLeft <= spendable) return {};
  const slower = Math.ceil((untilReset * perPoll) / spendable);
  return { nextPollInMs: slower, notice: `slowed down to a poll every ${Math.ceil(slower / 1000)} s until ${clockTime(resetMs)} to stay within the rate limit` };
}

/** "Test connection": who the token is, what it may read, and the budget, from GitHub's own answers. */
export async function testGithubActions(ctx: PollContext<GithubActionsConfig>): Promise<{ ok: boolean; detail: string }> {
  const api = clientFor(ctx);
  const user = await api.get<Record<string, unknown>>('/user');
  if (user.kind !== 'json' || !isObject(user.json)) throw new PollError('shape', 'GET /user answered without a user');
  const login = String(user.json.login);
  const problems: string[] = [];
  const notes: string[] = [];
  const classic = api.scopes !== undefined;
  if (classic) {
    notes.push(`classic token, scopes: ${api.scopes!.length ? api.scopes!.join(', ') : 'none'}`);
    if (!api.scopes!.includes('repo')) problems.push('the token lacks the "repo" scope: runs and deployments of private repositories cannot be read');
    if (!api.scopes!.includes('workflow') && !api.scopes!.includes('repo')) notes.push('no "workflow" scope either');
  } else {
    notes.push('fine-grained token (or app): permissions are checked per repository below');
  }
  const state: GithubActionsState = { login, repos: {} };
  let repos: string[];
  try {
    repos = await watchedRepos(api, ctx.config, state, ctx.now.getTime());
  } catch (error) {
    problems.push(describePollError(error));
    repos = [];
  }
  for (const repo of repos.slice(0, 3)) {
    const checks: Array<[string, string, Record<string, number>]> = [[`/repos/${repo}/actions/runs`, 'runs', { per_page: 1 }]];
    if (ctx.config.deployments) checks.push([`/repos/${repo}/deployments`, 'deployments', { per_page: 1 }]);
    for (const [path, what, query] of checks) {
      try {
        await api.get(path, query);
      } catch (error) {
        if (error instanceof PollError && error.kind === 'rate_limited') throw error;
        problems.push(`${repo} ${what}: ${describePollError(error)}`);
      }
    }
  }
  const watched = repos.length === 0 ? 'no repositories to watch' : `${repos.length} ${repos.length === 1 ? 'repository' : 'repositories'} to watch${repos.length > 3 ? ' (the first 3 checked)' : ''}`;
  const budget = api.rateLimit ? `${api.rateLimit.remaining.toLocaleString('en-US')} of ${api.rateLimit.limit.toLocaleString('en-US')} requests left, resets ${clockTime(Date.parse(api.rateLimit.resetAt))}` : undefined;
  const head = `connected as ${login} (${notes.join('; ')}); ${watched}${budget ? `; ${budget}` : ''}`;
  return problems.length === 0 ? { ok: true, detail: head } : { ok: false, detail: `${head}. Problems: ${problems.join('; ')}` };
}

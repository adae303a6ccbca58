// A strict stand-in for GitHub's REST API on 127.0.0.1 (http, or https with a given
// certificate; a base path such as /api/v3 for GitHub Enterprise Server). Strict means:
// - every answer it serves is validated against GitHub's OpenAPI description
//   (github-openapi.ts); a mismatch is a violation, and the tests assert there are none;
// - a request for an operation the description does not document, with an undocumented
//   query parameter or a value outside its schema, or without a token, is refused and
//   recorded as a violation too.
// Behaviour as GitHub documents it: ETag / If-None-Match → 304 (not counted against the
// rate limit), X-RateLimit-Limit/Remaining/Reset/Used/Resource on every answer, a
// primary limit that runs out (403, remaining 0), a scriptable secondary limit (403 with
// Retry-After), Link pagination (per_page ≤ 100, page), X-OAuth-Scopes for classic
// tokens, and fine-grained tokens without a permission answered 403 "Resource not
// accessible by personal access token". Objects start from the description's own examples.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { githubDescription } from './github-openapi.js';
import type { KeyPair } from './tls-certs.js';

export interface FakeToken {
  login: string;
  /** Classic token scopes (sent as X-OAuth-Scopes). */
  scopes?: string[];
  /** A fine-grained token: which repository permissions it has (read). */
  fineGrained?: { actions: boolean; deployments: boolean };
}

export interface FakeRun {
  id: number;
  name: string;
  path: string;
  head_branch: string;
  head_sha: string;
  event: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
  conclusion: string | null;
  run_number: number;
  run_attempt: number;
  actor: string;
  triggering_actor: string;
  created_at: string;
  updated_at: string;
}

export interface FakeDeploymentStatus {
  id: number;
  state: 'error' | 'failure' | 'inactive' | 'pending' | 'success' | 'queued' | 'in_progress';
  description: string;
  created_at: string;
}

export interface FakeDeployment {
  id: number;
  ref: string;
  sha: string;
  environment: string;
  created_at: string;
  statuses: FakeDeploymentStatus[];
}

export interface FakeRepo {
  owner: string;
  name: string;
  private?: boolean;
  archived?: boolean;
  runs: FakeRun[];
  deployments: FakeDeployment[];
}

export interface FakeRequest {
  method: string;
  path: string;
  status: number;
  /** Counted against the token's rate limit (everything but 304). */
  counted: boolean;
}

export interface FakeGithub {
  /** The API base URL to configure (`apiUrl`). */
  url: string;
  requests: FakeRequest[];
  /** Anything the fake refused or could not serve as documented: a test fails on any. */
  violations: string[];
  tokens: Record<string, FakeToken>;
  /** Accounts: organizations list through /orgs/{org}/repos, users through /users/{user}/repos. */
  accounts: Record<string, 'User' | 'Organization'>;
  repos: FakeRepo[];
  repo(fullName: string): FakeRepo;
  /** Adds a run (newest), as GitHub does when a workflow is triggered; returns it. */
  startRun(fullName: string, run: Partial<FakeRun> & { name: string }): FakeRun;
  /** Moves a run on: status, conclusion, a new attempt. */
  updateRun(fullName: string, id: number, change: Partial<FakeRun>): void;
  addDeployment(fullName: string, deployment: Partial<FakeDeployment> & { environment: string }): FakeDeployment;
  addDeploymentStatus(fullName: string, deploymentId: number, state: FakeDeploymentStatus['state'], description?: string): void;
  /** The next `count` requests get a secondary rate limit (403 + Retry-After). */
  secondaryLimit(retryAfterSeconds: number, count?: number): void;
  /** Sets what is left of a token's hourly budget. */
  setRemaining(token: string, remaining: number): void;
  remaining(token: string): number;
  /** The fake's clock (epoch ms), for created_at/updated_at and rate-limit resets. */
  now: () => number;
  close(): Promise<void>;
}

export interface FakeGithubOptions {
  tokens: Record<string, FakeToken>;
  accounts?: Record<string, 'User' | 'Organization'>;
  tls?: KeyPair;
  /** `/api/v3` for a GitHub Enterprise Server look-alike. */
  basePath?: string;
  now?: () => number;
  limit?: number;
}

const SECONDARY_MESSAGE = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
const DOCS = 'https://docs.github.com/rest';

export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const spec = githubDescription();
  const basePath = options.basePath ?? '';
  const limit = options.limit ?? 5000;
  const now = options.now ?? Date.now;
  const requests: FakeRequest[] = [];
  const violations: string[] = [];
  const budgets = new Map<string, { remaining: number; resetAt: number }>();
  let secondary: { retryAfter: number; count: number } | undefined;
  let nextId = 7_000_000_000;
  let runNumber = 1;
  let origin = '';

  const runTemplate = spec.example('GET', '/repos/{owner}/{repo}/actions/runs').workflow_runs[0];
  const repoTemplate = spec.example('GET', '/orgs/{org}/repos')[0];
  /** /user/repos answers full repository objects, the org and user lists minimal ones. */
  const fullRepoTemplate = spec.example('GET', '/user/repos')[0];
  const deploymentTemplate = spec.example('GET', '/repos/{owner}/{repo}/deployments')[0];
  const statusTemplate = spec.example('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses')[0];
  const userTemplate = spec.example('GET', '/user');
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const web = 'https://github.example';

  const fake: FakeGithub = {
    url: '',
    requests,
    violations,
    tokens: options.tokens,
    accounts: options.accounts ?? {},
    repos: [],
    now,
    repo(fullName) {
      const found = fake.repos.find((r) => `${r.owner}/${r.name}`.toLowerCase() === fullName.toLowerCase());
      if (!found) throw new Error(`the fake has no repository ${fullName}`);
      return found;
    },
    startRun(fullName, run) {
      const at = iso(now());
      const created: FakeRun = {
        id: nextId++,
        path: '.github/workflows/ci.yml',
        head_branch: 'main',
        head_sha: createHash('sha1').update(String(nextId)).digest('hex'),
        event: 'push',
        status: 'queued',
        conclusion: null,
        run_number: runNumber++,
        run_attempt: 1,
        actor: 'octocat',
        triggering_actor: 'octocat',
        created_at: at,
        updated_at: at,
        ...run,
      };
      fake.repo(fullName).runs.unshift(created);
      return created;
    },
    updateRun(fullName, id, change) {
      const run = fake.repo(fullName).runs.find((r) => r.id === id);
      if (!run) throw new Error(`no run ${id} in ${fullName}`);
      Object.assign(run, change, { updated_at: iso(now()) });
    },
    addDeployment(fullName, deployment) {
      const created: FakeDeployment = { id: nextId++, ref: 'main', sha: createHash('sha1').update(String(nextId)).digest('hex'), created_at: iso(now()), statuses: [], ...deployment };
      fake.repo(fullName).deployments.unshift(created);
      return created;
    },
    addDeploymentStatus(fullName, deploymentId, state, description = `${state}`) {
      const deployment = fake.repo(fullName).deployments.find((d) => d.id === deploymentId);
      if (!deployment) throw new Error(`no deployment ${deploymentId}`);
      deployment.statuses.unshift({ id: nextId++, state, description, created_at: iso(now()) });
    },
    secondaryLimit(retryAfter, count = 1) {
      secondary = { retryAfter, count };
    },
    setRemaining(token, remaining) {
      budgetOf(token).remaining = remaining;
    },
    remaining: (token) => budgetOf(token).remaining,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  function budgetOf(token: string) {
    let budget = budgets.get(token);
    if (!budget || budget.resetAt <= now()) {
      budget = { remaining: limit, resetAt: now() + 3_600_000 };
      budgets.set(token, budget);
    }
    return budget;
  }

  // ── Documented objects ────────────────────────────────────────────────────
  const owner = (login: string) => ({
    ...repoTemplate.owner,
    login,
    id: hashId(login),
    html_url: `${web}/${login}`,
    type: fake.accounts[login] ?? 'User',
  });
  const repository = (r: FakeRepo, template: Record<string, unknown> = repoTemplate) => ({
    ...template,
    id: hashId(`${r.owner}/${r.name}`),
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    owner: owner(r.owner),
    private: r.private ?? false,
    archived: r.archived ?? false,
    html_url: `${web}/${r.owner}/${r.name}`,
    url: `${origin}/repos/${r.owner}/${r.name}`,
  });
  const actor = (login: string) => ({ ...runTemplate.actor, login, id: hashId(login), html_url: `${web}/${login}` });
  const runJson = (r: FakeRepo, run: FakeRun) => ({
    ...runTemplate,
    id: run.id,
    name: run.name,
    path: run.path,
    head_branch: run.head_branch,
    head_sha: run.head_sha,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    run_number: run.run_number,
    run_attempt: run.run_attempt,
    actor: actor(run.actor),
    triggering_actor: actor(run.triggering_actor),
    created_at: run.created_at,
    updated_at: run.updated_at,
    run_started_at: run.created_at,
    html_url: `${web}/${r.owner}/${r.name}/actions/runs/${run.id}`,
    url: `${origin}/repos/${r.owner}/${r.name}/actions/runs/${run.id}`,
    repository: repository(r),
    head_repository: repository(r),
  });
  const deploymentJson = (r: FakeRepo, d: FakeDeployment) => ({
    ...deploymentTemplate,
    id: d.id,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    original_environment: d.environment,
    created_at: d.created_at,
    updated_at: d.statuses[0]?.created_at ?? d.created_at,
    creator: actor('octocat'),
    url: `${origin}/repos/${r.owner}/${r.name}/deployments/${d.id}`,
  });
  const statusJson = (r: FakeRepo, d: FakeDeployment, s: FakeDeploymentStatus) => ({
    ...statusTemplate,
    id: s.id,
    state: s.state,
    description: s.description,
    environment: d.environment,
    created_at: s.created_at,
    updated_at: s.created_at,
    creator: actor('octocat'),
    target_url: `${web}/${r.owner}/${r.name}/actions`,
    log_url: `${web}/${r.owner}/${r.name}/actions`,
    environment_url: `https://${d.environment}.example`,
    url: `${origin}/repos/${r.owner}/${r.name}/deployments/${d.id}/statuses/${s.id}`,
    deployment_url: `${origin}/repos/${r.owner}/${r.name}/deployments/${d.id}`,
  });

  // ── Routes ────────────────────────────────────────────────────────────────
  type Answer = { status: number; body: unknown; list?: unknown[]; headers?: Record<string, string> };
  const notFound = (): Answer => ({ status: 404, body: { message: 'Not Found', documentation_url: DOCS } });
  const forbiddenFine = (): Answer => ({ status: 403, body: { message: 'Resource not accessible by personal access token', documentation_url: DOCS } });
  const visible = (r: FakeRepo, token: FakeToken) => !r.private || token.fineGrained !== undefined || token.scopes?.includes('repo');

  function route(template: string, params: Record<string, string>, token: FakeToken): Answer {
    const findRepo = () => {
      const r = fake.repos.find((x) => `${x.owner}/${x.name}`.toLowerCase() === `${params.owner}/${params.repo}`.toLowerCase());
      return r && visible(r, token) ? r : undefined;
    };
    switch (template) {
      case '/user':
        return { status: 200, body: { ...userTemplate, login: token.login, id: hashId(token.login), html_url: `${web}/${token.login}` } };
      case '/user/repos':
        return { status: 200, body: null, list: fake.repos.filter((r) => r.owner.toLowerCase() === token.login.toLowerCase()).map((r) => repository(r, fullRepoTemplate)) };
      case '/orgs/{org}/repos':
        if (fake.accounts[params.org!] !== 'Organization') return notFound();
        return { status: 200, body: null, list: fake.repos.filter((r) => r.owner === params.org && visible(r, token)).map((r) => repository(r)) };
      case '/users/{username}/repos':
        if (!fake.accounts[params.username!]) return notFound();
        return { status: 200, body: null, list: fake.repos.filter((r) => r.owner === params.username && !r.private).map((r) => repository(r)) };
      case '/repos/{owner}/{repo}/actions/runs': {
        const r = findRepo();
        if (!r) return notFound();
        if (token.fineGrained && !token.fineGrained.actions) return forbiddenFine();
        return { status: 200, body: null, list: r.runs.map((run) => runJson(r, run)) };
      }
      case '/repos/{owner}/{repo}/deployments': {
        const r = findRepo();
        if (!r) return notFound();
        if (token.fineGrained && !token.fineGrained.deployments) return forbiddenFine();
        return { status: 200, body: null, list: r.deployments.map((d) => deploymentJson(r, d)) };
      }
      case '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses': {
        const r = findRepo();
        const d = r?.deployments.find((x) => String(x.id) === params.deployment_id);
        if (!r || !d) return notFound();
        if (token.fineGrained && !token.fineGrained.deployments) return forbiddenFine();
        return { status: 200, body: null, list: d.statuses.map((s) => statusJson(r, d, s)) };
      }
      default:
        violations.push(`the fake does not serve ${template} (documented, but no test needs it yet)`);
        return notFound();
    }
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    const method = req.method ?? 'GET';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, counted = true) => {
      requests.push({ method, path: url.pathname + url.search, status, counted });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const violation = (what: string, status = 400) => {
      violations.push(`${method} ${url.pathname}${url.search}: ${what}`);
      send(status, { message: what, documentation_url: DOCS }, {}, false);
    };

    if (!url.pathname.startsWith(basePath)) return violation(`outside the API base path ${basePath}`, 404);
    const path = url.pathname.slice(basePath.length) || '/';
    const matched = spec.match(method, path);
    if (!matched) return violation('not a documented GitHub REST operation', 404);
    const { operation, params } = matched;
    const queryProblems = spec.checkQuery(operation, url.searchParams);
    if (queryProblems.length > 0) return violation(queryProblems.join('; '), 422);

    const authorization = req.headers.authorization ?? '';
    const presented = /^(?:bearer|token) (.+)$/i.exec(authorization)?.[1];
    if (!presented) return violation('no token: Herald must always authenticate (unauthenticated requests get 60 an hour)', 401);
    const token = fake.tokens[presented];
    if (!token) return send(401, check(operation, 401, { message: 'Bad credentials', documentation_url: DOCS }), {}, true);

    const budget = budgetOf(presented);
    const rateHeaders = () => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(budget.remaining),
      'x-ratelimit-reset': String(Math.floor(budget.resetAt / 1000)),
      'x-ratelimit-used': String(limit - budget.remaining),
      'x-ratelimit-resource': 'core',
      ...(token.scopes && { 'x-oauth-scopes': token.scopes.join(', '), 'x-accepted-oauth-scopes': 'repo' }),
    });
    if (secondary && secondary.count > 0) {
      secondary.count--;
      budget.remaining = Math.max(0, budget.remaining - 1);
      return send(403, check(operation, 403, { message: SECONDARY_MESSAGE, documentation_url: DOCS }), { ...rateHeaders(), 'retry-after': String(secondary.retryAfter) });
    }
    if (budget.remaining <= 0) {
      return send(403, check(operation, 403, { message: `API rate limit exceeded for user ID ${hashId(token.login)}.`, documentation_url: DOCS }), rateHeaders());
    }

    const answer = route(operation.template, params, token);
    let body = answer.body;
    const headers: Record<string, string> = {};
    if (answer.list) {
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const items = answer.list.slice((page - 1) * perPage, page * perPage);
      const pages = Math.max(1, Math.ceil(answer.list.length / perPage));
      const link = (n: number) => {
        const next = new URL(url);
        next.searchParams.set('page', String(n));
        return next.toString();
      };
      const links = [page < pages && `<${link(page + 1)}>; rel="next"`, page < pages && `<${link(pages)}>; rel="last"`, page > 1 && `<${link(1)}>; rel="first"`, page > 1 && `<${link(page - 1)}>; rel="prev"`].filter(Boolean);
      if (links.length) headers.link = links.join(', ');
      body = operation.template.endsWith('/actions/runs') ? { total_count: answer.list.length, workflow_runs: items } : items;
    }
    body = check(operation, answer.status, body);
    const etag = `W/"${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 40)}"`;
    if (answer.status === 200 && req.headers['if-none-match'] === etag) {
      return send(304, undefined, { ...rateHeaders(), etag, ...headers }, false);
    }
    budget.remaining = Math.max(0, budget.remaining - 1);
    send(answer.status, body, { ...rateHeaders(), ...(answer.status === 200 && { etag }), ...headers });
  };

  /** The answer as documented, or a violation recorded (and the answer still sent, so the test sees what it got). */
  function check(operation: Parameters<typeof spec.checkAnswer>[0], status: number, body: unknown): unknown {
    violations.push(...spec.checkAnswer(operation, status, body));
    return body;
  }

  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  fake.url = `${origin}${basePath}`;
  return fake;
}

function hashId(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0) % 100_000_000;
}

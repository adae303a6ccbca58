// A strict stand-in for GitLab's REST API v4 on 127.0.0.1 (http, or https with a given
// certificate: a self-managed server with its own CA). GitLab publishes no complete
// machine-readable description of these routes, so strict means checked against its
// documentation (test/fixtures/gitlab-api/, copied from gitlabhq doc/api/*.md):
// - every object it serves has only fields the documented example has, each of the
//   documented JSON type (null allowed); anything else is a violation the tests fail on;
// - a route that is not one of the documented ones Herald uses, a query parameter the
//   route's documented table does not list, or a request without PRIVATE-TOKEN (or
//   Bearer) is refused and recorded as a violation;
// - pagination as documented (page, per_page ≤ 100, Link, X-Next-Page, X-Total),
//   `updated_after` (strictly after) with `order_by=updated_at` and `sort`, `username`,
//   RateLimit-* headers and a scriptable 429 with Retry-After.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KeyPair } from './tls-certs.js';

const doc = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/gitlab-api/${name}.json`, import.meta.url), 'utf8')) as Record<string, any>;
const DOCUMENTED = {
  pipeline: doc('pipelines-list-item'),
  job: doc('jobs-list-item'),
  deployment: doc('deployments-list-item'),
  token: doc('personal-access-token-self'),
  project: doc('group-project'),
  user: doc('jobs-list-item').user as Record<string, any>,
};

const PAGING = ['page', 'per_page'];
/** Route → the query parameters its documented table lists. */
const ROUTES: Array<{ pattern: RegExp; name: string; query: string[] }> = [
  { pattern: /^\/user$/, name: 'user', query: [] },
  {
    pattern: /^\/projects$/,
    name: 'projects',
    query: [...PAGING, 'archived', 'membership', 'order_by', 'sort', 'search', 'simple', 'owned', 'starred', 'visibility', 'min_access_level', 'topic', 'last_activity_after', 'last_activity_before'],
  },
  { pattern: /^\/personal_access_tokens\/self$/, name: 'token', query: [] },
  {
    pattern: /^\/groups\/([^/]+)\/projects$/,
    name: 'group-projects',
    query: [...PAGING, 'archived', 'visibility', 'order_by', 'sort', 'search', 'simple', 'owned', 'starred', 'topic', 'with_issues_enabled', 'with_merge_requests_enabled', 'with_shared', 'include_subgroups', 'min_access_level', 'with_custom_attributes', 'with_security_reports'],
  },
  {
    pattern: /^\/projects\/([^/]+)\/pipelines$/,
    name: 'pipelines',
    query: [...PAGING, 'name', 'order_by', 'ref', 'scope', 'sha', 'sort', 'source', 'status', 'updated_after', 'updated_before', 'created_after', 'created_before', 'username', 'yaml_errors'],
  },
  { pattern: /^\/projects\/([^/]+)\/pipelines\/(\d+)\/jobs$/, name: 'jobs', query: [...PAGING, 'scope', 'scope[]', 'include_retried'] },
  { pattern: /^\/projects\/([^/]+)\/deployments$/, name: 'deployments', query: [...PAGING, 'order_by', 'sort', 'updated_after', 'updated_before', 'environment', 'status'] },
];

export interface FakeGitlabPipeline {
  id: number;
  iid: number;
  status: string;
  ref: string;
  sha: string;
  name: string;
  source: string;
  user: string;
  created_at: string;
  updated_at: string;
  jobs: Array<{ id: number; name: string; stage: string; status: string; allow_failure: boolean; failure_reason?: string; started_at: string | null; finished_at: string | null }>;
}

export interface FakeGitlabDeployment {
  id: number;
  iid: number;
  status: string;
  ref: string;
  sha: string;
  environment: string;
  user: string;
  created_at: string;
  updated_at: string;
  jobId: number;
}

export interface FakeGitlabProject {
  path: string;
  archived?: boolean;
  pipelines: FakeGitlabPipeline[];
  deployments: FakeGitlabDeployment[];
}

export interface FakeGitlab {
  /** The base URL to configure (`baseUrl`); the API is under /api/v4. */
  url: string;
  requests: Array<{ path: string; status: number }>;
  violations: string[];
  tokens: Record<string, { username: string; scopes: string[] }>;
  projects: FakeGitlabProject[];
  project(path: string): FakeGitlabProject;
  /** A new pipeline (GitLab's clock moves on a second per change). */
  addPipeline(path: string, p: Partial<FakeGitlabPipeline>): FakeGitlabPipeline;
  setPipeline(path: string, id: number, change: Partial<FakeGitlabPipeline>): void;
  addDeployment(path: string, d: Partial<FakeGitlabDeployment> & { environment: string }): FakeGitlabDeployment;
  setDeployment(path: string, id: number, status: string): void;
  /** The next `count` requests answer 429 with Retry-After. */
  rateLimit(retryAfterSeconds: number, count?: number): void;
  close(): Promise<void>;
}

export async function startFakeGitlab(options: { tokens: FakeGitlab['tokens']; tls?: KeyPair }): Promise<FakeGitlab> {
  const requests: FakeGitlab['requests'] = [];
  const violations: string[] = [];
  let clock = Date.parse('2026-01-05T08:00:00.000Z');
  const tick = () => new Date((clock += 1000)).toISOString();
  let nextId = 5000;
  let limited: { retryAfter: number; count: number } | undefined;
  let origin = '';

  const fake: FakeGitlab = {
    url: '',
    requests,
    violations,
    tokens: options.tokens,
    projects: [],
    project(path) {
      const found = fake.projects.find((p) => p.path.toLowerCase() === path.toLowerCase());
      if (!found) throw new Error(`the fake has no project ${path}`);
      return found;
    },
    addPipeline(path, p) {
      const at = tick();
      const id = nextId++;
      const created: FakeGitlabPipeline = { id, iid: id - 4000, status: 'pending', ref: 'main', sha: id.toString(16).padStart(40, 'a'), name: 'Build pipeline', source: 'push', user: 'root', created_at: at, updated_at: at, jobs: [], ...p };
      fake.project(path).pipelines.push(created);
      return created;
    },
    setPipeline(path, id, change) {
      const p = fake.project(path).pipelines.find((x) => x.id === id)!;
      Object.assign(p, change, { updated_at: tick() });
    },
    addDeployment(path, d) {
      const at = tick();
      const id = nextId++;
      const created: FakeGitlabDeployment = { id, iid: id - 4000, status: 'created', ref: 'main', sha: id.toString(16).padStart(40, 'b'), user: 'root', created_at: at, updated_at: at, jobId: nextId++, ...d };
      fake.project(path).deployments.push(created);
      return created;
    },
    setDeployment(path, id, status) {
      const d = fake.project(path).deployments.find((x) => x.id === id)!;
      Object.assign(d, { status, updated_at: tick() });
    },
    rateLimit(retryAfter, count = 1) {
      limited = { retryAfter, count };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const web = () => origin;
  const userJson = (username: string) => ({ ...DOCUMENTED.user, username, name: username, web_url: `${web()}/${username}` });
  const pipelineJson = (project: FakeGitlabProject, p: FakeGitlabPipeline) => ({
    ...DOCUMENTED.pipeline,
    id: p.id,
    iid: p.iid,
    project_id: 1,
    status: p.status,
    source: p.source,
    ref: p.ref,
    sha: p.sha,
    name: p.name,
    web_url: `${web()}/${project.path}/-/pipelines/${p.id}`,
    created_at: p.created_at,
    updated_at: p.updated_at,
  });
  const jobJson = (project: FakeGitlabProject, p: FakeGitlabPipeline, j: FakeGitlabPipeline['jobs'][number]) => ({
    ...DOCUMENTED.job,
    commit: { ...DOCUMENTED.job.commit, id: p.sha, short_id: p.sha.slice(0, 8) },
    id: j.id,
    name: j.name,
    stage: j.stage,
    status: j.status,
    allow_failure: j.allow_failure,
    failure_reason: j.failure_reason ?? 'unknown_failure',
    started_at: j.started_at,
    finished_at: j.finished_at,
    ref: p.ref,
    pipeline: { ...DOCUMENTED.job.pipeline, id: p.id, ref: p.ref, sha: p.sha, status: p.status },
    web_url: `${web()}/${project.path}/-/jobs/${j.id}`,
    user: userJson(p.user),
  });
  const deploymentJson = (project: FakeGitlabProject, d: FakeGitlabDeployment) => ({
    ...DOCUMENTED.deployment,
    id: d.id,
    iid: d.iid,
    status: d.status,
    ref: d.ref,
    sha: d.sha,
    created_at: d.created_at,
    updated_at: d.updated_at,
    environment: { ...DOCUMENTED.deployment.environment, name: d.environment, external_url: `https://${d.environment}.example` },
    deployable: { ...DOCUMENTED.deployment.deployable, id: d.jobId, ref: d.ref, status: d.status === 'running' ? 'running' : 'success' },
    user: { ...DOCUMENTED.deployment.user, username: d.user, name: d.user },
  });

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ path: url.pathname + url.search, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (status: number, what: string) => {
      violations.push(`${req.method} ${url.pathname}${url.search}: ${what}`);
      send(status, { message: what });
    };
    if (req.method !== 'GET') return refuse(405, 'Herald only reads');
    if (!url.pathname.startsWith('/api/v4/')) return refuse(404, 'not under /api/v4');
    const path = url.pathname.slice('/api/v4'.length);
    const route = ROUTES.find((r) => r.pattern.test(path));
    if (!route) return refuse(404, 'not a documented route Herald uses');
    for (const name of url.searchParams.keys()) if (!route.query.includes(name)) return refuse(400, `query parameter "${name}" is not documented for ${route.name}`);
    const perPage = Number(url.searchParams.get('per_page') ?? 20);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return refuse(400, `per_page=${url.searchParams.get('per_page')}: 1 to 100`);
    const updatedAfter = url.searchParams.get('updated_after');
    if (updatedAfter && (Number.isNaN(Date.parse(updatedAfter)) || url.searchParams.get('order_by') !== 'updated_at')) {
      return refuse(400, 'updated_after must be ISO 8601, with order_by=updated_at');
    }
    const token = req.headers['private-token'] ?? /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (typeof token !== 'string' || token === '') return refuse(401, 'no PRIVATE-TOKEN');
    const user = fake.tokens[token];
    if (!user) return send(401, { message: '401 Unauthorized' });
    const rateHeaders = { 'ratelimit-limit': '2000', 'ratelimit-remaining': '1990', 'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) };
    if (limited && limited.count > 0) {
      limited.count--;
      return send(429, { message: 'Retry later' }, { ...rateHeaders, 'ratelimit-remaining': '0', 'retry-after': String(limited.retryAfter) });
    }

    const m = route.pattern.exec(path)!;
    const project = m[1] ? fake.projects.find((p) => p.path.toLowerCase() === decodeURIComponent(m[1]!).toLowerCase()) : undefined;
    let list: Array<{ json: Record<string, unknown>; shape: Record<string, unknown> }> | undefined;
    switch (route.name) {
      case 'user':
        return send(200, checked(userJson(user.username), DOCUMENTED.user, 'user'), rateHeaders);
      case 'token':
        return send(200, checked({ ...DOCUMENTED.token, scopes: user.scopes }, DOCUMENTED.token, 'token'), rateHeaders);
      case 'projects': {
        const archived = url.searchParams.get('archived');
        list = fake.projects
          .filter((p) => archived === null || String(p.archived ?? false) === archived)
          .map((p) => ({
            json: { ...DOCUMENTED.project, id: p.path.length, path: p.path.split('/').pop(), path_with_namespace: p.path, name: p.path.split('/').pop(), web_url: `${web()}/${p.path}` },
            shape: DOCUMENTED.project,
          }));
        break;
      }
      case 'group-projects': {
        const group = decodeURIComponent(m[1]!).toLowerCase();
        const inGroup = fake.projects.filter((p) => p.path.toLowerCase().startsWith(`${group}/`));
        if (inGroup.length === 0) return send(404, { message: '404 Group Not Found' });
        const archived = url.searchParams.get('archived');
        list = inGroup
          .filter((p) => archived === null || String(p.archived ?? false) === archived)
          .map((p) => ({
            json: { ...DOCUMENTED.project, path: p.path.split('/').pop(), path_with_namespace: p.path, name: p.path.split('/').pop(), web_url: `${web()}/${p.path}` },
            shape: DOCUMENTED.project,
          }));
        break;
      }
      case 'pipelines': {
        if (!project) return send(404, { message: '404 Project Not Found' });
        let pipelines = project.pipelines.slice();
        if (updatedAfter) pipelines = pipelines.filter((p) => Date.parse(p.updated_at) > Date.parse(updatedAfter));
        const username = url.searchParams.get('username');
        if (username) pipelines = pipelines.filter((p) => p.user === username);
        const key = url.searchParams.get('order_by') === 'updated_at' ? 'updated_at' : 'id';
        pipelines.sort((a, b) => (key === 'id' ? a.id - b.id : a.updated_at.localeCompare(b.updated_at) || a.id - b.id));
        if ((url.searchParams.get('sort') ?? 'desc') === 'desc') pipelines.reverse();
        list = pipelines.map((p) => ({ json: pipelineJson(project, p), shape: DOCUMENTED.pipeline }));
        break;
      }
      case 'jobs': {
        const pipeline = project?.pipelines.find((p) => p.id === Number(m[2]));
        if (!project || !pipeline) return send(404, { message: '404 Not found' });
        list = pipeline.jobs
          .slice()
          .sort((a, b) => b.id - a.id)
          .map((j) => ({ json: jobJson(project, pipeline, j), shape: DOCUMENTED.job }));
        break;
      }
      case 'deployments': {
        if (!project) return send(404, { message: '404 Project Not Found' });
        let deployments = project.deployments.slice();
        if (updatedAfter) deployments = deployments.filter((d) => Date.parse(d.updated_at) > Date.parse(updatedAfter));
        const key = url.searchParams.get('order_by') === 'updated_at' ? 'updated_at' : 'id';
        deployments.sort((a, b) => (key === 'id' ? a.id - b.id : a.updated_at.localeCompare(b.updated_at) || a.id - b.id));
        if ((url.searchParams.get('sort') ?? 'asc') === 'desc') deployments.reverse();
        list = deployments.map((d) => ({ json: deploymentJson(project, d), shape: DOCUMENTED.deployment }));
        break;
      }
    }
    const page = Number(url.searchParams.get('page') ?? 1);
    const items = list!.slice((page - 1) * perPage, page * perPage).map((item) => checked(item.json, item.shape, route.name));
    const pages = Math.max(1, Math.ceil(list!.length / perPage));
    const headers: Record<string, string> = { ...rateHeaders, 'x-page': String(page), 'x-per-page': String(perPage), 'x-total': String(list!.length), 'x-total-pages': String(pages), 'x-next-page': page < pages ? String(page + 1) : '' };
    if (page < pages) {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next}>; rel="next"`;
    }
    send(200, items, headers);
  };

  /** The object, after recording any field the documented example lacks or types differently. */
  function checked<T>(value: T, documented: unknown, where: string): T {
    violations.push(...shapeProblems(value, documented, where));
    return value;
  }

  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.url = origin;
  return fake;
}

/** Fields `value` has that `documented` lacks, or of another JSON type (null is always allowed, and anything where the docs show null). */
export function shapeProblems(value: unknown, documented: unknown, where: string): string[] {
  if (value === null || documented === null || documented === undefined) return [];
  const type = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
  if (type(value) !== type(documented)) return [`${where}: ${type(value)} where GitLab documents ${type(documented)}`];
  if (Array.isArray(value)) return value.flatMap((item, i) => ((documented as unknown[]).length ? shapeProblems(item, (documented as unknown[])[0], `${where}[${i}]`) : []));
  if (typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) =>
    key in (documented as object) ? shapeProblems(v, (documented as Record<string, unknown>)[key], `${where}.${key}`) : [`${where}.${key}: not a documented field`],
  );
}

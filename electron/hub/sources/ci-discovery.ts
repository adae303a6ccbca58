// "Connect GitHub / GitLab": who a pasted token is and which repositories or projects it
// can see, for the UI's picker. Reads only; stores nothing (the token is kept only when
// the user saves the source, and then in the keychain).
import type { CiDiscovery } from '../../../shared/api.js';
import type { PollTls } from './poll-http.js';
import { GithubApi } from './github-api.js';
import { GitlabApi, type GitlabCiConfig } from './gitlab-ci.js';
import { isObject, PollError } from './poll-http.js';

const MAX_PAGES = 5;
const TIMEOUT_MS = 20_000;

export interface DiscoverInput {
  kind: 'github-actions' | 'gitlab-ci';
  token: string;
  url?: string;
  tls?: PollTls;
}

export async function discoverCi(input: DiscoverInput, signal: AbortSignal = AbortSignal.timeout(60_000)): Promise<CiDiscovery> {
  return input.kind === 'github-actions' ? discoverGithub(input, signal) : discoverGitlab(input, signal);
}

async function discoverGithub(input: DiscoverInput, signal: AbortSignal): Promise<CiDiscovery> {
  const api = new GithubApi({ apiUrl: input.url ?? 'https://api.github.com', token: input.token, signal, timeoutMs: TIMEOUT_MS, ...(input.tls && { tls: input.tls }), now: Date.now });
  const user = await api.get<Record<string, unknown>>('/user');
  if (user.kind !== 'json' || !isObject(user.json) || typeof user.json.login !== 'string') throw new PollError('shape', 'GET /user answered without a login');
  const pages = await api.pages('/user/repos', { per_page: 100, sort: 'pushed', affiliation: 'owner,collaborator,organization_member' }, { maxPages: MAX_PAGES });
  const repos = pages.items.filter(isObject).map((r) => ({
    name: String(r.full_name),
    private: r.private === true,
    ...(typeof r.description === 'string' && r.description && { description: r.description.slice(0, 200) }),
  }));
  const detail = api.scopes !== undefined ? `classic token, scopes: ${api.scopes.length ? api.scopes.join(', ') : 'none'}` : 'fine-grained token';
  return { account: user.json.login, detail, repos, truncated: pages.truncated };
}

async function discoverGitlab(input: DiscoverInput, signal: AbortSignal): Promise<CiDiscovery> {
  const config = { baseUrl: input.url ?? 'https://gitlab.com', timeoutSeconds: TIMEOUT_MS / 1000, ...(input.tls && { tls: input.tls }) } as GitlabCiConfig;
  const api = new GitlabApi({ config, secrets: { token: input.token }, signal, now: new Date() }, input.token);
  const { json: user } = await api.get('/user');
  if (!isObject(user) || typeof user.username !== 'string') throw new PollError('shape', 'GET /user answered without a username');
  let detail = 'personal access token';
  try {
    const { json } = await api.get('/personal_access_tokens/self');
    if (isObject(json) && Array.isArray(json.scopes)) detail = `personal access token, scopes: ${json.scopes.map(String).join(', ')}`;
  } catch {
    // Another kind of token (OAuth, project): its scopes are not listed there.
  }
  const items = await api.pages('/projects', { membership: true, archived: false, order_by: 'last_activity_at', per_page: 100 }, MAX_PAGES);
  const repos = items.filter(isObject).map((p) => ({
    name: String(p.path_with_namespace),
    private: p.visibility !== 'public',
    ...(typeof p.description === 'string' && p.description && { description: p.description.slice(0, 200) }),
  }));
  return { account: user.username, detail, repos, truncated: items.length >= MAX_PAGES * 100 };
}

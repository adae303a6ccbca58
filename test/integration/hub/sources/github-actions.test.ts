// The github-actions source in a real hub (startHub: real SQLite, real ingest, real poll
// scheduler) against the strict fake GitHub API (every answer checked against GitHub's
// OpenAPI description, undocumented requests and requests without a token refused).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { type FakeGithub, startFakeGithub } from '../../../helpers/fake-github.js';
import { githubExample, mapSecrets, postGithub } from '../../../helpers/ci-webhooks.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';

const TOKEN = 'ghp_classic_for_tests';
const FINE = 'github_pat_without_actions';
const NOSCOPE = 'ghp_without_repo';
const secretValues: Record<string, string> = { GH_TOKEN: TOKEN, GH_FINE: FINE, GH_NOSCOPE: NOSCOPE, GH_HOOK: 'hook-secret' };
const secrets = mapSecrets(secretValues);

let gh: FakeGithub;
let dataDir: string;
let hub: Hub | undefined;

const source = (extra: Record<string, unknown> = {}) => ({
  id: 'gha',
  kind: 'github-actions',
  name: 'My CI',
  token: 'env:GH_TOKEN',
  repos: ['acme/api'],
  apiUrl: gh.url,
  pollIntervalSeconds: 3600,
  ...extra,
});

async function start(sources: unknown[]): Promise<Hub> {
  const configFile = writeConfig(dataDir, { sources });
  hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000 });
  return hub;
}
async function stop(): Promise<void> {
  await hub?.stop();
  hub = undefined;
}
async function events(sourceId = 'gha'): Promise<HeraldEvent[]> {
  return (await hub!.api['events.list']({ sources: [sourceId], limit: 500 })).items.slice().reverse();
}
async function poll(sourceId = 'gha') {
  const outcome = await hub!.pollNow(sourceId);
  expect(outcome.error ?? null).toBeNull();
  return outcome;
}
const summary = (list: HeraldEvent[]) => list.map((e) => `${e.type} ${e.title}`);
const countedSince = (mark: number) => gh.requests.slice(mark).filter((r) => r.counted).length;

beforeAll(async () => {
  gh = await startFakeGithub({
    tokens: {
      [TOKEN]: { login: 'octocat', scopes: ['repo', 'workflow'] },
      [FINE]: { login: 'octocat', fineGrained: { actions: false, deployments: true } },
      [NOSCOPE]: { login: 'octocat', scopes: ['read:user'] },
    },
    accounts: { acme: 'Organization', octocat: 'User', monalisa: 'User' },
  });
  gh.repos.push({ owner: 'acme', name: 'api', runs: [], deployments: [] });
  gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'success' });
}, 30_000);
afterEach(async () => {
  await stop();
  // Strict: anything the fake refused or could not serve as documented fails the test that caused it.
  expect(gh.violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await gh?.close();
});

describe('the strict fake itself', () => {
  it('refuses requests without a token and undocumented operations, and flags answers GitHub would not give', async () => {
    const mark = gh.violations.length;
    expect((await fetch(`${gh.url}/repos/acme/api/actions/runs`)).status).toBe(401);
    expect((await fetch(`${gh.url}/repos/acme/api/actions/everything`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(`${gh.url}/repos/acme/api/actions/runs?colour=blue`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(422);
    expect((await fetch(`${gh.url}/repos/acme/api/actions/runs?exclude_pull_requests=maybe`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(422);
    const run = gh.startRun('acme/api', { name: 'Broken' });
    gh.updateRun('acme/api', run.id, { run_number: 'seven' as never });
    await fetch(`${gh.url}/repos/acme/api/actions/runs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    gh.repo('acme/api').runs.shift();
    const found = gh.violations.splice(mark);
    expect(found).toHaveLength(5);
    expect(found[0]).toMatch(/no token/);
    expect(found[1]).toMatch(/not a documented GitHub REST operation/);
    expect(found[2]).toMatch(/"colour" is not documented/);
    expect(found[3]).toMatch(/exclude_pull_requests=maybe: .*must be boolean/);
    expect(found[4]).toMatch(/run_number must be integer/);
  });
});

describe('github-actions in the hub', () => {
  beforeAll(() => {
    dataDir = tempDir('herald-gha-');
  });

  it('a scripted sequence of runs → exactly these events, none repeated across a hub restart in the middle', async () => {
    await start([source()]);
    await poll();
    // The first poll records what is there and raises nothing.
    expect(await events()).toEqual([]);

    const one = gh.startRun('acme/api', { name: 'CI' });
    await poll();
    gh.updateRun('acme/api', one.id, { status: 'completed', conclusion: 'failure' });
    const two = gh.startRun('acme/api', { name: 'CI' });
    gh.updateRun('acme/api', two.id, { status: 'in_progress' });
    await poll();
    await stop();

    // While the hub is down: run two fails, run three succeeds.
    gh.updateRun('acme/api', two.id, { status: 'completed', conclusion: 'failure' });
    const three = gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'success' });
    await start([source()]);
    await poll();
    await poll();
    // A re-run of the first run: a new attempt starts and ends.
    gh.updateRun('acme/api', one.id, { run_attempt: 2, status: 'in_progress', conclusion: null });
    await poll();
    gh.updateRun('acme/api', one.id, { status: 'completed', conclusion: 'cancelled' });
    await poll();

    expect(summary(await events())).toEqual([
      'pipeline.triggered acme/api: CI started on main',
      'pipeline.failed acme/api: CI failed on main',
      'pipeline.triggered acme/api: CI started on main',
      'pipeline.failed acme/api: CI still failing (2) on main',
      'pipeline.recovered acme/api: CI recovered after 2 failures on main',
      'pipeline.triggered acme/api: CI started on main',
      'pipeline.cancelled acme/api: CI was cancelled on main',
    ]);
    const stored = await events();
    expect(stored[1]).toMatchObject({ source: { kind: 'github-actions', id: 'gha' }, subject: { project: 'acme/api', group: 'acme', pipeline: 'CI', branch: 'main' }, actor: 'octocat' });
    expect(stored[1]!.url).toBe(`https://github.example/acme/api/actions/runs/${one.id}`);
    expect(stored[4]!.data).toMatchObject({ runId: three.id, recoveredAfter: 2 });
  });

  it('an idle poll costs nothing against the rate limit (304s), and the source view shows the budget', async () => {
    await start([source()]);
    await poll();
    const mark = gh.requests.length;
    await poll();
    await poll();
    const idle = gh.requests.slice(mark);
    expect(idle.map((r) => r.status)).toEqual([304, 304, 304, 304]);
    expect(countedSince(mark)).toBe(0);
    const view = (await hub!.api['sources.list']({})).find((s) => s.config.id === 'gha')!;
    expect(view.poll?.rateLimit).toMatchObject({ limit: 5000, remaining: gh.remaining(TOKEN) });
    expect(JSON.stringify(view)).not.toContain(TOKEN);
  });

  it('deployments and their statuses → deployment.triggered / succeeded / failed', async () => {
    await start([source()]);
    await poll();
    const deployment = gh.addDeployment('acme/api', { environment: 'production', ref: 'main' });
    gh.addDeploymentStatus('acme/api', deployment.id, 'queued');
    await poll();
    gh.addDeploymentStatus('acme/api', deployment.id, 'in_progress');
    await poll();
    gh.addDeploymentStatus('acme/api', deployment.id, 'success', 'Deployed v2');
    const broken = gh.addDeployment('acme/api', { environment: 'staging', ref: 'main' });
    gh.addDeploymentStatus('acme/api', broken.id, 'failure');
    await poll();
    const mark = gh.requests.length;
    await poll();
    expect(countedSince(mark)).toBe(0);
    const deployments = (await events()).filter((e) => e.type.startsWith('deployment.'));
    expect(summary(deployments)).toEqual([
      'deployment.triggered acme/api: deployment to production started',
      'deployment.succeeded acme/api: deployment to production succeeded',
      'deployment.failed acme/api: deployment to staging failed',
    ]);
    expect(deployments[1]).toMatchObject({ subject: { environment: 'production', branch: 'main' }, summary: expect.stringContaining('Deployed v2') });
  });

  it('a running run pushed beyond the first page is followed through Link pagination', async () => {
    await start([source({ deployments: false })]);
    await poll();
    const long = gh.startRun('acme/api', { name: 'Nightly', status: 'in_progress' });
    await poll();
    for (let i = 0; i < 35; i++) gh.startRun('acme/api', { name: 'Lint', status: 'completed', conclusion: 'success', head_branch: `topic-${i}` });
    gh.updateRun('acme/api', long.id, { status: 'completed', conclusion: 'timed_out' });
    const mark = gh.requests.length;
    await poll();
    expect(gh.requests.slice(mark).map((r) => new URL(r.path, gh.url).searchParams.get('page'))).toEqual([null, '2']);
    const nightly = (await events()).filter((e) => e.subject.pipeline === 'Nightly');
    expect(summary(nightly)).toEqual(['pipeline.triggered acme/api: Nightly started on main', 'pipeline.failed acme/api: Nightly failed (timed out) on main']);
  });

  it('filters: branches and workflows (globs), onlyMine (the token user triggered it)', async () => {
    await start([source({ deployments: false, branches: ['main', 'release/*'], workflows: ['CI', 'deploy*.yml'], onlyMine: true })]);
    await poll();
    const before = (await events()).length;
    gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'failure', head_branch: 'release/2.0' });
    gh.startRun('acme/api', { name: 'Ship', path: '.github/workflows/deploy-prod.yml', status: 'completed', conclusion: 'failure', head_branch: 'main' });
    gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'failure', head_branch: 'topic' });
    gh.startRun('acme/api', { name: 'Lint', status: 'completed', conclusion: 'failure', head_branch: 'main' });
    gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'failure', head_branch: 'main', actor: 'monalisa', triggering_actor: 'monalisa' });
    // Someone else's push that octocat re-ran: triggering_actor is what counts.
    gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'success', head_branch: 'main', actor: 'monalisa', triggering_actor: 'octocat' });
    await poll();
    const fresh = (await events()).slice(before);
    expect(fresh.map((e) => `${e.type} ${e.subject.pipeline} ${e.subject.branch}`)).toEqual([
      'pipeline.failed CI release/2.0',
      'pipeline.failed Ship main',
      'pipeline.succeeded CI main',
    ]);
  });

  it('owner/* lists the organization’s repositories (archived left out) and watches each', async () => {
    gh.repos.push({ owner: 'acme', name: 'web', runs: [], deployments: [] }, { owner: 'acme', name: 'old', archived: true, runs: [], deployments: [] });
    await start([source({ id: 'org', repos: ['acme/*'], deployments: false })]);
    await poll('org');
    gh.startRun('acme/web', { name: 'CI', status: 'completed', conclusion: 'failure' });
    gh.startRun('acme/old', { name: 'CI', status: 'completed', conclusion: 'failure' });
    await poll('org');
    expect((await events('org')).map((e) => e.subject.project)).toEqual(['acme/web']);
    const paths = gh.requests.map((r) => r.path.split('?')[0]);
    expect(paths).toContain('/orgs/acme/repos');
    expect(paths).not.toContain('/repos/acme/old/actions/runs');
  });

  it('a run that arrives by webhook and by poll is stored once', async () => {
    await start([source({ deployments: false }), { id: 'hook', kind: 'github', name: 'GitHub webhook', secret: 'env:GH_HOOK' }]);
    await poll();
    const run = gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'failure', head_branch: 'main' });
    const payload = githubExample('workflow_run', (p) => p.action === 'completed');
    Object.assign(payload.workflow_run, { id: run.id, run_attempt: 1, conclusion: 'failure', status: 'completed', name: 'CI', head_branch: 'main', html_url: `https://github.example/acme/api/actions/runs/${run.id}` });
    const answer = await postGithub(`${hub!.ingressUrl}/hooks/hook`, { event: 'workflow_run', payload, secret: 'hook-secret' });
    expect(answer.status).toBe(202);
    await poll();
    const failures = [...(await events('hook')), ...(await events('gha'))].filter((e) => e.data?.runId === run.id);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.source.id).toBe('hook');
  });

  it('a secondary rate limit pauses the source for Retry-After and says so', async () => {
    await start([source({ deployments: false })]);
    await poll();
    gh.secondaryLimit(120);
    const outcome = await hub!.pollNow('gha');
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/secondary rate limit: paused until \d\d:\d\d \(Retry-After 120 s\)/);
    const view = (await hub!.api['sources.list']({})).find((s) => s.config.id === 'gha')!;
    expect(view.poll?.backoffMs).toBe(120_000);
    expect(Date.parse(view.poll!.nextPollAt!) - Date.now()).toBeGreaterThan(110_000);
    expect(view.poll?.lastError).toMatch(/secondary rate limit/);
  });

  it('a budget running low slows polling down before it runs out, and says so', async () => {
    await start([source({ pollIntervalSeconds: 10 })]);
    await poll();
    gh.setRemaining(TOKEN, 600);
    gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'success' });
    await poll();
    const view = (await hub!.api['sources.list']({})).find((s) => s.config.id === 'gha')!;
    expect(view.poll?.notice).toMatch(/slowed down to a poll every \d+ s until \d\d:\d\d/);
    expect(Date.parse(view.poll!.nextPollAt!) - Date.now()).toBeGreaterThan(15_000);
    gh.setRemaining(TOKEN, 100);
    gh.startRun('acme/api', { name: 'CI', status: 'completed', conclusion: 'success' });
    await poll();
    const low = (await hub!.api['sources.list']({})).find((s) => s.config.id === 'gha')!;
    expect(low.poll?.notice).toMatch(/nearly used up \(\d+ of 5,000 left\): waiting until/);
    gh.setRemaining(TOKEN, 5000);
  });

  it('test connection: the user, the scopes, and a missing permission, from GitHub’s answers', async () => {
    await start([
      source(),
      source({ id: 'fine', token: 'env:GH_FINE' }),
      source({ id: 'noscope', token: 'env:GH_NOSCOPE' }),
      source({ id: 'gone', repos: ['acme/nope'] }),
    ]);
    const ok = await hub!.api['sources.test']({ id: 'gha' });
    expect(ok.ok).toBe(true);
    expect(ok.detail).toMatch(/connected as octocat \(classic token, scopes: repo, workflow\); 1 repository to watch; [\d,]+ of 5,000 requests left, resets \d\d:\d\d/);
    const fine = await hub!.api['sources.test']({ id: 'fine' });
    expect(fine.ok).toBe(false);
    expect(fine.detail).toMatch(/acme\/api runs: .*fine-grained token needs "Actions: read"/);
    const noscope = await hub!.api['sources.test']({ id: 'noscope' });
    expect(noscope.ok).toBe(false);
    expect(noscope.detail).toMatch(/lacks the "repo" scope/);
    const gone = await hub!.api['sources.test']({ id: 'gone' });
    expect(gone.detail).toMatch(/acme\/nope runs: HTTP 404 .*no such repository, or the token cannot see it/);
  });
});

describe('Connect GitHub: sources.discover', () => {
  beforeAll(() => {
    dataDir ??= tempDir('herald-gha-');
    gh.repos.push({ owner: 'octocat', name: 'Hello-World', private: true, runs: [], deployments: [] }, { owner: 'octocat', name: 'Spoon-Knife', runs: [], deployments: [] });
  });

  it('a pasted token → the account, what kind of token, and the repositories it can see; nothing stored', async () => {
    await start([]);
    const found = await hub!.api['sources.discover']({ kind: 'github-actions', token: TOKEN, url: gh.url });
    expect(found).toMatchObject({ account: 'octocat', detail: 'classic token, scopes: repo, workflow', truncated: false });
    expect(found.repos.map((r) => `${r.name}${r.private ? ' (private)' : ''}`).sort()).toEqual(['octocat/Hello-World (private)', 'octocat/Spoon-Knife']);
    expect((await hub!.api['sources.list']({})).length).toBe(0);
    expect(gh.requests.filter((r) => r.path.startsWith('/user/repos')).every((r) => r.counted)).toBe(true);
  });

  it('a reference (env:) is resolved by the hub; a wrong token or reference is a clear error', async () => {
    await start([]);
    expect((await hub!.api['sources.discover']({ kind: 'github-actions', tokenRef: 'env:GH_FINE', url: gh.url })).detail).toBe('fine-grained token');
    await expect(hub!.api['sources.discover']({ kind: 'github-actions', token: 'ghp_nobody', url: gh.url })).rejects.toThrow(/HTTP 401 .*GitHub does not accept the token/);
    await expect(hub!.api['sources.discover']({ kind: 'github-actions', tokenRef: 'env:NOT_SET', url: gh.url })).rejects.toThrow(/token reference does not resolve: env:NOT_SET is not set/);
  });
});

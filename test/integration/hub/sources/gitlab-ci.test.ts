// The gitlab-ci source in a real hub (startHub: real SQLite, ingest, poll scheduler)
// against the strict fake GitLab API (answers checked against GitLab's documented
// examples; undocumented routes, parameters and requests without a token refused).
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { type FakeGitlab, shapeProblems, startFakeGitlab } from '../../../helpers/fake-gitlab.js';
import { mapSecrets } from '../../../helpers/ci-webhooks.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';
import { makeTestCerts, type TestCerts } from '../../../helpers/tls-certs.js';

const TOKEN = 'glpat-for-tests';
const NOREAD = 'glpat-without-read-api';
const secrets = mapSecrets({ GL_TOKEN: TOKEN, GL_NOREAD: NOREAD, GL_HOOK: 'gl-hook-secret' });

let gl: FakeGitlab;
let dataDir: string;
let hub: Hub | undefined;

const source = (extra: Record<string, unknown> = {}) => ({
  id: 'glci',
  kind: 'gitlab-ci',
  name: 'My GitLab',
  token: 'env:GL_TOKEN',
  baseUrl: gl.url,
  projects: ['acme/api'],
  pollIntervalSeconds: 3600,
  ...extra,
});

async function start(sources: unknown[]): Promise<Hub> {
  hub = await startHub({ dataDir, configFile: writeConfig(dataDir, { sources }), ingressPort: 0, secrets, retentionIntervalMs: 3_600_000 });
  return hub;
}
async function stop() {
  await hub?.stop();
  hub = undefined;
}
async function events(sourceId = 'glci'): Promise<HeraldEvent[]> {
  return (await hub!.api['events.list']({ sources: [sourceId], limit: 500 })).items.slice().reverse();
}
async function poll(sourceId = 'glci') {
  const outcome = await hub!.pollNow(sourceId);
  expect(outcome.error ?? null).toBeNull();
}
const summary = (list: HeraldEvent[]) => list.map((e) => `${e.type} ${e.title}`);

beforeAll(async () => {
  gl = await startFakeGitlab({ tokens: { [TOKEN]: { username: 'jdoe', scopes: ['read_api'] }, [NOREAD]: { username: 'jdoe', scopes: ['read_user'] } } });
  gl.projects.push({ path: 'acme/api', pipelines: [], deployments: [] });
  gl.addPipeline('acme/api', { status: 'success' });
  dataDir = tempDir('herald-glci-');
});
afterEach(async () => {
  await stop();
  expect(gl.violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await gl?.close();
});

describe('the strict fake itself', () => {
  it('refuses undocumented routes and parameters and requests without a token; flags fields GitLab does not document', async () => {
    const auth = { 'private-token': TOKEN };
    expect((await fetch(`${gl.url}/api/v4/projects/acme%2Fapi/pipelines`)).status).toBe(401);
    expect((await fetch(`${gl.url}/api/v4/projects/acme%2Fapi/everything`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${gl.url}/api/v4/projects/acme%2Fapi/pipelines?colour=blue`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${gl.url}/api/v4/projects/acme%2Fapi/pipelines?updated_after=2026-01-01T00:00:00Z`, { headers: auth })).status).toBe(400);
    const found = gl.violations.splice(0);
    expect(found).toHaveLength(4);
    const documented = JSON.parse(readFileSync(new URL('../../../fixtures/gitlab-api/pipelines-list-item.json', import.meta.url), 'utf8'));
    expect(shapeProblems({ ...documented, colour: 'blue', id: '47' }, documented, 'pipeline')).toEqual(['pipeline.id: string where GitLab documents number', 'pipeline.colour: not a documented field']);
  });
});

describe('gitlab-ci in the hub', () => {
  it('a scripted sequence of pipelines → exactly these events, none repeated across a hub restart in the middle', async () => {
    await start([source()]);
    await poll();
    expect(await events()).toEqual([]);

    const one = gl.addPipeline('acme/api', { status: 'pending' });
    await poll();
    gl.setPipeline('acme/api', one.id, { status: 'running' });
    await poll();
    gl.setPipeline('acme/api', one.id, { status: 'failed' });
    const two = gl.addPipeline('acme/api', { status: 'running' });
    await poll();
    await poll();
    await stop();

    gl.setPipeline('acme/api', two.id, { status: 'failed' });
    await start([source()]);
    await poll();
    // A retry of the second pipeline: running again, then green.
    gl.setPipeline('acme/api', two.id, { status: 'running' });
    await poll();
    gl.setPipeline('acme/api', two.id, { status: 'success' });
    await poll();
    await poll();

    expect(summary(await events())).toEqual([
      'pipeline.triggered acme/api: Build pipeline started on main',
      'pipeline.failed acme/api: Build pipeline failed on main',
      'pipeline.triggered acme/api: Build pipeline started on main',
      'pipeline.failed acme/api: Build pipeline still failing (2) on main',
      'pipeline.triggered acme/api: Build pipeline started on main',
      'pipeline.recovered acme/api: Build pipeline recovered after 2 failures on main',
    ]);
    const stored = await events();
    expect(stored[1]).toMatchObject({ source: { kind: 'gitlab-ci' }, subject: { project: 'acme/api', group: 'acme', pipeline: 'Build pipeline', branch: 'main' } });
    expect(stored[1]!.url).toBe(`${gl.url}/acme/api/-/pipelines/${one.id}`);
    // Every request carried the token in PRIVATE-TOKEN and asked by update time.
    expect(gl.requests.filter((r) => r.status === 200 && r.path.includes('updated_after')).every((r) => r.path.includes('order_by=updated_at'))).toBe(true);
  });

  it('jobs where asked: each job’s change, as the Job Hook reports it', async () => {
    await start([source({ id: 'jobs', jobs: true, deployments: false })]);
    await poll('jobs');
    const p = gl.addPipeline('acme/api', { status: 'running', jobs: [{ id: 9001, name: 'test', stage: 'test', status: 'running', allow_failure: false, started_at: '2026-01-05T08:30:00Z', finished_at: null }] });
    await poll('jobs');
    p.jobs[0]!.status = 'failed';
    p.jobs[0]!.failure_reason = 'script_failure';
    p.jobs.push({ id: 9002, name: 'lint', stage: 'test', status: 'failed', allow_failure: true, started_at: null, finished_at: null });
    gl.setPipeline('acme/api', p.id, { status: 'failed' });
    await poll('jobs');
    expect(summary(await events('jobs'))).toEqual([
      'pipeline.triggered acme/api: Build pipeline started on main',
      'pipeline.triggered acme/api: Build pipeline / test started on main',
      'pipeline.failed acme/api: Build pipeline failed on main',
      'pipeline.failed acme/api: Build pipeline / test failed on main',
      'pipeline.failed acme/api: Build pipeline / lint failed (allowed to fail) on main',
    ]);
    expect((await events('jobs'))[3]!.url).toBe(`${gl.url}/acme/api/-/jobs/9001`);
  });

  it('deployments → deployment.triggered / succeeded / failed', async () => {
    await start([source({ id: 'deploys' })]);
    await poll('deploys');
    const d = gl.addDeployment('acme/api', { environment: 'production' });
    await poll('deploys');
    gl.setDeployment('acme/api', d.id, 'running');
    await poll('deploys');
    gl.setDeployment('acme/api', d.id, 'success');
    const bad = gl.addDeployment('acme/api', { environment: 'staging', status: 'failed' });
    await poll('deploys');
    await poll('deploys');
    expect(summary((await events('deploys')).filter((e) => e.type.startsWith('deployment.')))).toEqual([
      'deployment.triggered acme/api: deployment to production started',
      'deployment.succeeded acme/api: deployment to production succeeded',
      'deployment.failed acme/api: deployment to staging failed',
    ]);
    expect(bad.id).toBeGreaterThan(d.id);
  });

  it('group/* watches the group’s projects (archived left out); onlyMine asks for the token user’s pipelines', async () => {
    gl.projects.push({ path: 'acme/web', pipelines: [], deployments: [] }, { path: 'acme/old', archived: true, pipelines: [], deployments: [] });
    await start([source({ id: 'group', projects: ['acme/*'], deployments: false, onlyMine: true })]);
    await poll('group');
    gl.addPipeline('acme/web', { status: 'failed', user: 'jdoe' });
    gl.addPipeline('acme/web', { status: 'failed', user: 'someone', ref: 'other' });
    gl.addPipeline('acme/old', { status: 'failed', user: 'jdoe' });
    await poll('group');
    expect((await events('group')).map((e) => `${e.subject.project} ${e.subject.branch}`)).toEqual(['acme/web main']);
    expect(gl.requests.some((r) => r.path.startsWith('/api/v4/groups/acme/projects?include_subgroups=true&archived=false'))).toBe(true);
    expect(gl.requests.some((r) => r.path.includes('username=jdoe'))).toBe(true);
  });

  it('a 429 pauses the source for Retry-After and says so', async () => {
    await start([source({ id: 'limited', deployments: false })]);
    await poll('limited');
    gl.rateLimit(90);
    const outcome = await hub!.pollNow('limited');
    expect(outcome.error).toMatch(/GitLab's rate limit: paused until \d\d:\d\d \(Retry-After 90 s\)/);
    const view = (await hub!.api['sources.list']({})).find((s) => s.config.id === 'limited')!;
    expect(view.poll?.backoffMs).toBe(90_000);
    expect(view.poll?.rateLimit).toMatchObject({ limit: 2000 });
  });

  it('a pipeline that arrives by webhook and by poll is stored once', async () => {
    await start([source({ id: 'both', deployments: false }), { id: 'glhook', kind: 'gitlab', name: 'GitLab webhook', secret: 'env:GL_HOOK' }]);
    await poll('both');
    const p = gl.addPipeline('acme/api', { status: 'failed' });
    const hookBody = JSON.parse(readFileSync(new URL('../../../fixtures/gitlab/pipeline-hook.json', import.meta.url), 'utf8'));
    hookBody.object_attributes = { ...hookBody.object_attributes, id: p.id, status: 'failed', ref: 'main' };
    hookBody.project = { ...hookBody.project, path_with_namespace: 'acme/api', web_url: `${gl.url}/acme/api` };
    const answer = await fetch(`${hub!.ingressUrl}/hooks/glhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': 'gl-hook-secret' },
      body: JSON.stringify(hookBody),
    });
    expect(answer.status).toBe(202);
    await poll('both');
    const stored = [...(await events('glhook')), ...(await events('both'))].filter((e) => e.data?.pipelineId === p.id);
    expect(stored.map((e) => e.source.id)).toEqual(['glhook']);
  });
});

describe('a self-managed server with its own CA', () => {
  let certs: TestCerts;
  let secure: FakeGitlab;
  beforeAll(async () => {
    certs = makeTestCerts();
    secure = await startFakeGitlab({ tokens: { [TOKEN]: { username: 'jdoe', scopes: ['read_api'] }, [NOREAD]: { username: 'jdoe', scopes: ['read_user'] } }, tls: certs.server });
    secure.projects.push({ path: 'team/app', pipelines: [], deployments: [] });
  });
  afterAll(async () => {
    expect(secure.violations).toEqual([]);
    await secure?.close();
  });

  it('polls over https with tls.caPem; without it the error names the certificate; test connection names user, scopes and a missing read_api', async () => {
    const base = { kind: 'gitlab-ci', baseUrl: secure.url, projects: ['team/app'], pollIntervalSeconds: 3600, deployments: false };
    await start([
      { ...base, id: 'trusted', name: 'Trusted', token: 'env:GL_TOKEN', tls: { caPem: certs.caPem } },
      { ...base, id: 'untrusted', name: 'Untrusted', token: 'env:GL_TOKEN' },
      { ...base, id: 'noread', name: 'No read_api', token: 'env:GL_NOREAD', tls: { caPem: certs.caPem } },
    ]);
    await poll('trusted');
    secure.addPipeline('team/app', { status: 'failed' });
    await poll('trusted');
    expect(summary(await events('trusted'))).toEqual(['pipeline.failed team/app: Build pipeline failed on main']);
    const untrusted = await hub!.pollNow('untrusted');
    expect(untrusted.error).toMatch(/TLS error .*unknown CA|self-signed/);
    const ok = await hub!.api['sources.test']({ id: 'trusted' });
    expect(ok).toEqual({ ok: true, detail: 'connected as jdoe (scopes: read_api); 1 project to watch' });
    const noread = await hub!.api['sources.test']({ id: 'noread' });
    expect(noread.ok).toBe(false);
    expect(noread.detail).toMatch(/lacks the read_api scope/);
  });
});

describe('Connect GitLab: sources.discover', () => {
  it('a pasted token → the user, the token’s scopes, and the projects (archived left out)', async () => {
    await start([]);
    const found = await hub!.api['sources.discover']({ kind: 'gitlab-ci', token: TOKEN, url: gl.url });
    expect(found.account).toBe('jdoe');
    expect(found.detail).toBe('personal access token, scopes: read_api');
    expect(found.repos.map((r) => r.name)).toContain('acme/api');
    expect(found.repos.map((r) => r.name)).not.toContain('acme/old');
    await expect(hub!.api['sources.discover']({ kind: 'gitlab-ci', token: 'glpat-nobody', url: gl.url })).rejects.toThrow(/HTTP 401 .*GitLab does not accept the token/);
  });
});

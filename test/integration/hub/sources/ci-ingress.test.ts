// GitHub, GitLab and Jenkins webhooks over HTTP into a real hub (startHub: real ingress
// listener, real SQLite file, group commit): signatures and tokens, redeliveries, ignored
// kinds, the ingress URL to paste, and pipeline streaks applied inside the ingest
// transaction — also for concurrent requests and across a restart.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { githubSignature } from '../../../../electron/hub/sources/github.js';
import { pipelineStreakKey } from '../../../../electron/hub/sources/streaks.js';
import { githubExample, mapSecrets, postGithub, workflowRun } from '../../../helpers/ci-webhooks.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';
import type { SqliteEngine } from '../../../../electron/hub/store/sqlite-engine.js';

const GH_SECRET = "It's a Secret to Everybody";
const GL_TOKEN = 'gl-token-123';
// Percent-encoded in the path; generated secrets are base64url and need no encoding at all.
// `/` and `%` too: the path token arrives URL-encoded and must be decoded exactly once.
const JK_TOKEN = 'jk token+with spaces/and%percent';
const secrets = mapSecrets({ GH_SECRET, GL_TOKEN, JK_TOKEN });
const gitlabFixture = (name: string) => readFileSync(new URL(`../../../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8');
const jenkinsFixture = JSON.parse(readFileSync(new URL('../../../fixtures/jenkins/documented-completed.json', import.meta.url), 'utf8')) as {
  build: Record<string, unknown>;
};

let dataDir: string;
let configFile: string;
let hub: Hub;
let hooks: string;

const start = async () => {
  hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000 });
  hooks = `${hub.ingressUrl}/hooks`;
};
const count = () => (hub.store as SqliteEngine).sync.events.counts().events;
const stored = (id: unknown): HeraldEvent => {
  const found = (hub.store as SqliteEngine).sync.events.get(String(id));
  if (!found) throw new Error(`event ${String(id)} is not stored`);
  return found.event;
};
const acceptedId = (answer: { status: number; body: Record<string, unknown> }): string => {
  expect(answer, JSON.stringify(answer)).toMatchObject({ status: 202, body: { accepted: 1 } });
  return (answer.body.ids as string[])[0]!;
};
const postJson = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  dataDir = tempDir('herald-ci-ingress-');
  configFile = writeConfig(dataDir, {
    sources: [
      { id: 'gh', kind: 'github', name: 'GitHub', secret: 'env:GH_SECRET' },
      { id: 'gl', kind: 'gitlab', name: 'GitLab', secret: 'env:GL_TOKEN' },
      { id: 'jk', kind: 'jenkins', name: 'Jenkins', secret: 'env:JK_TOKEN', outcomePhase: 'COMPLETED' },
    ],
  });
  await start();
});
afterAll(async () => {
  await hub?.stop();
});

describe('GitHub', () => {
  it.each([
    ['workflow_run', 'pipeline.succeeded', { project: 'octo-org/octo-repo', branch: 'master' }, (p: any) => p.action === 'completed' && p.workflow_run.conclusion === 'success'],
    ['workflow_job', 'pipeline.failed', { project: 'Codertocat/Hello-World', pipeline: 'CodeQL / linters' }, (p: any) => p.action === 'completed' && p.workflow_job.conclusion === 'failure'],
    ['check_suite', 'pipeline.succeeded', { project: 'Codertocat/Hello-World', pipeline: 'octocoders-linter' }, (p: any) => p.action === 'completed' && p.check_suite.conclusion === 'success'],
    ['deployment_status', 'deployment.succeeded', { project: 'Codertocat/Hello-World', environment: 'production' }, (p: any) => p.deployment_status.state === 'success' && p.deployment_status.environment === 'production'],
  ])('a signed %s example payload → 202 and stored as %s', async (event, type, subject, pick) => {
    const before = count();
    const id = acceptedId(await postGithub(`${hooks}/gh`, { event, payload: githubExample(event, pick), secret: GH_SECRET }));
    expect(count()).toBe(before + 1);
    expect(stored(id)).toMatchObject({ type, source: { kind: 'github', id: 'gh', name: 'GitHub' }, subject });
  });

  it.each([
    ['a wrong signature', githubSignature('{"other":"body"}', GH_SECRET)],
    ['a signature made with another secret', githubSignature(JSON.stringify(workflowRun('failure')), 'not the secret')],
    ['a malformed signature header', 'sha256=zz'],
    ['the old SHA-1 header format only', 'sha1=0123456789abcdef0123456789abcdef01234567'],
    ['no signature', null],
  ])('%s → 401 and nothing stored', async (_name, signature) => {
    const before = count();
    const answer = await postGithub(`${hooks}/gh`, { event: 'workflow_run', payload: workflowRun('failure'), secret: GH_SECRET, signature });
    expect(answer).toEqual({ status: 401, body: { error: 'signature or token missing or wrong' } });
    expect(count()).toBe(before);
  });

  it('keeps the payload as received for the detail view (large ones compressed in the store)', async () => {
    const payload = workflowRun('failure', { branch: 'raw-kept' });
    expect(JSON.stringify(payload).length).toBeGreaterThan(4096);
    const id = acceptedId(await postGithub(`${hooks}/gh`, { event: 'workflow_run', payload, secret: GH_SECRET }));
    const detail = await hub.api['events.get']({ id });
    expect(detail.raw).toEqual(payload);
    const stored = (hub.store as SqliteEngine).sync.db.prepare('SELECT raw FROM events WHERE id = ?').pluck().get(id) as Buffer;
    expect(Buffer.isBuffer(stored)).toBe(true);
    expect(stored.length).toBeLessThan(JSON.stringify(payload).length / 3);
  });

  it('the same X-GitHub-Delivery twice is stored once; the second answer is 200 duplicate', async () => {
    const before = count();
    const post = { event: 'workflow_run', payload: workflowRun('success', { branch: 'redelivered' }), secret: GH_SECRET, delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' };
    acceptedId(await postGithub(`${hooks}/gh`, post));
    expect(await postGithub(`${hooks}/gh`, post)).toEqual({ status: 200, body: { duplicate: true } });
    expect(count()).toBe(before + 1);
  });

  it('ping → 202 ignored, nothing stored, shown as the last ignored request', async () => {
    const before = count();
    const answer = await postGithub(`${hooks}/gh`, { event: 'ping', payload: githubExample('ping', () => true), secret: GH_SECRET });
    expect(answer.status).toBe(202);
    expect(answer.body.ignored).toMatch(/^ping: GitHub checked the webhook/);
    expect(count()).toBe(before);
    const view = (await hub.api['sources.list']({})).find((s) => s.config.id === 'gh')!;
    expect(view.lastIgnored?.reason).toBe(answer.body.ignored);
    expect(Date.parse(view.lastIgnored!.at)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('an unsigned ping is refused like anything else', async () => {
    const answer = await postGithub(`${hooks}/gh`, { event: 'ping', payload: githubExample('ping', () => true), secret: GH_SECRET, signature: null });
    expect(answer.status).toBe(401);
  });
});

describe('GitLab', () => {
  it('a wrong token → 401, a missing one → 401, nothing stored', async () => {
    const before = count();
    const body = gitlabFixture('pipeline-hook');
    expect((await postJson(`${hooks}/gl`, body, { 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': 'gl-token-124' })).status).toBe(401);
    expect((await postJson(`${hooks}/gl`, body, { 'x-gitlab-event': 'Pipeline Hook' })).status).toBe(401);
    expect(count()).toBe(before);
  });

  it('the right token → 202 and stored as pipeline.succeeded', async () => {
    const answer = await postJson(`${hooks}/gl`, gitlabFixture('pipeline-hook'), { 'x-gitlab-event': 'Pipeline Hook', 'x-gitlab-token': GL_TOKEN });
    expect(stored(acceptedId(answer))).toMatchObject({ type: 'pipeline.succeeded', source: { kind: 'gitlab', id: 'gl' }, subject: { project: 'gitlab-org/gitlab-test', branch: 'master' } });
  });
});

describe('Jenkins', () => {
  const build = (number: number, status: string) => ({ ...jenkinsFixture, build: { ...jenkinsFixture.build, number, status, phase: 'COMPLETED' } });

  it('the token in the path → 202 and stored; a wrong token in the path → 401', async () => {
    const before = count();
    expect((await postJson(`${hooks}/jk/${encodeURIComponent('jk token+with space')}`, build(18, 'SUCCESS'))).status).toBe(401);
    expect((await postJson(`${hooks}/jk`, build(18, 'SUCCESS'))).status).toBe(401);
    expect(count()).toBe(before);
    const id = acceptedId(await postJson(`${hooks}/jk/${encodeURIComponent(JK_TOKEN)}`, build(18, 'SUCCESS')));
    expect(stored(id)).toMatchObject({ type: 'pipeline.succeeded', source: { kind: 'jenkins', id: 'jk' }, subject: { pipeline: 'asgard', branch: 'master' } });
  });

  it('the token in X-Herald-Token works too', async () => {
    const id = acceptedId(await postJson(`${hooks}/jk`, build(19, 'FAILURE'), { 'x-herald-token': JK_TOKEN }));
    expect(stored(id).type).toBe('pipeline.failed');
  });

  it('an endpoint URL with jenkins:<token>@ works as the plugin sends it (Basic auth, userinfo still URL-encoded)', async () => {
    const endpoint = new URL(`${hooks}/jk`);
    endpoint.username = 'jenkins';
    endpoint.password = encodeURIComponent(JK_TOKEN);
    const authorization = `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64')}`;
    const id = acceptedId(await postJson(`${hooks}/jk`, build(20, 'FAILURE'), { authorization }));
    expect(stored(id)).toMatchObject({ type: 'pipeline.failed', source: { kind: 'jenkins', id: 'jk' } });
    const wrong = `Basic ${Buffer.from('jenkins:not-the-token').toString('base64')}`;
    expect((await postJson(`${hooks}/jk`, build(21, 'FAILURE'), { authorization: wrong })).status).toBe(401);
  });

  it('the source view shows the URL to paste with a <token> placeholder and never the token', async () => {
    const views = await hub.api['sources.list']({});
    const jk = views.find((s) => s.config.id === 'jk')!;
    expect(jk.ingressUrl).toBe(`${hub.ingressUrl}/hooks/jk/<token>`);
    expect(jk.ingressHint).toMatch(/<token> replaced by this source's secret/);
    expect(jk.ingressHint).toMatch(/X-Herald-Token/);
    expect(jk.secrets).toEqual({ secret: { set: true, ref: 'env:JK_TOKEN' } });
    expect(views.find((s) => s.config.id === 'gh')!.ingressUrl).toBe(`${hub.ingressUrl}/hooks/gh`);
    expect(JSON.stringify(views)).not.toContain(JK_TOKEN);
    expect(JSON.stringify(views)).not.toContain(GH_SECRET);
  });
});

describe('pipeline streaks through ingress', () => {
  const run = (conclusion: string, n: number, branch: string) =>
    postGithub(`${hooks}/gh`, { event: 'workflow_run', payload: workflowRun(conclusion, { run: n, branch, name: 'CI' }), secret: GH_SECRET });

  it('fail, fail, success → failed, "still failing (2)", pipeline.recovered; then a new streak starts', async () => {
    const events: HeraldEvent[] = [];
    for (const [n, conclusion] of [[1, 'failure'], [2, 'timed_out'], [3, 'success'], [4, 'failure']] as const) {
      events.push(stored(acceptedId(await run(conclusion, n, 'streaks'))));
    }
    expect(events.map((e) => [e.type, e.title, e.data?.failureStreak ?? e.data?.recoveredAfter])).toEqual([
      ['pipeline.failed', 'octo-org/octo-repo: CI failed on streaks', 1],
      ['pipeline.failed', 'octo-org/octo-repo: CI still failing (2) (timed out) on streaks', 2],
      ['pipeline.recovered', 'octo-org/octo-repo: CI recovered after 2 failures on streaks', 2],
      ['pipeline.failed', 'octo-org/octo-repo: CI failed on streaks', 1],
    ]);
    expect(events[1]!.summary).toMatch(/^Still failing \(2 in a row\)\./);
    // Recovery has its own dedup key, so a rule throttling failures still lets it through.
    expect(events[2]!.dedupKey).toContain(':pipeline.recovered:');
    expect(events[1]!.dedupKey).toBe(events[0]!.dedupKey);
  });

  it('concurrent failures of one pipeline each see the one before: counts 1…n, none twice', async () => {
    const n = 12;
    const answers = await Promise.all(Array.from({ length: n }, (_, i) => run('failure', 100 + i, 'concurrent')));
    const streaks = answers.map((a) => stored(acceptedId(a)).data?.failureStreak).sort((a, b) => Number(a) - Number(b));
    expect(streaks).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const key = pipelineStreakKey({ subject: { project: 'octo-org/octo-repo', pipeline: 'CI', branch: 'concurrent' } });
    expect(await hub.store.sourceState.get('gh', key)).toMatchObject({ failures: n });
  });

  it('a redelivered failure does not move the streak', async () => {
    const post = { event: 'workflow_run', payload: workflowRun('failure', { run: 200, branch: 'redelivery', name: 'CI' }), secret: GH_SECRET, delivery: 'redelivered-failure' };
    expect(stored(acceptedId(await postGithub(`${hooks}/gh`, post))).data?.failureStreak).toBe(1);
    expect((await postGithub(`${hooks}/gh`, post)).status).toBe(200);
    expect(stored(acceptedId(await run('failure', 201, 'redelivery'))).data?.failureStreak).toBe(2);
  });

  it('the streak survives a restart of the hub, and a recovered pipeline keeps no state', async () => {
    acceptedId(await run('failure', 300, 'restart'));
    await hub.stop();
    await start();
    const recovered = stored(acceptedId(await run('success', 301, 'restart')));
    expect([recovered.type, recovered.data?.recoveredAfter]).toEqual(['pipeline.recovered', 1]);
    const key = pipelineStreakKey({ subject: { project: 'octo-org/octo-repo', pipeline: 'CI', branch: 'restart' } });
    expect(await hub.store.sourceState.get('gh', key)).toBeUndefined();
  });

  it('Jenkins failures and a success of one job streak the same way', async () => {
    const post = (number: number, status: string) =>
      postJson(`${hooks}/jk/${encodeURIComponent(JK_TOKEN)}`, { name: 'nightly', url: 'job/nightly/', build: { number, phase: 'COMPLETED', status, full_url: `http://ci.local/job/nightly/${number}/` } });
    const types = [];
    for (const [n, status] of [[1, 'FAILURE'], [2, 'UNSTABLE'], [3, 'SUCCESS']] as const) {
      const e = stored(acceptedId(await post(n, status)));
      types.push([e.type, e.title]);
    }
    expect(types).toEqual([
      ['pipeline.failed', 'nightly #1 failed'],
      ['pipeline.failed', 'nightly #2 still failing (2) (unstable)'],
      ['pipeline.recovered', 'nightly #3 recovered after 2 failures'],
    ]);
  });
});

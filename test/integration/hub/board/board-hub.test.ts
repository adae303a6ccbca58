// The board and commit threads through the real hub: signed GitHub webhooks, GitLab hooks
// and Kosli's documented custom-webhook payload over HTTP into ingress, a cctray feed polled
// from a loopback server, a real SQLite file. The board follows fail → still failing →
// recovered from what each source sends; a mute holds until the pipeline passes; a commit's
// events across three tools form one thread in the order they happened; both survive a
// restart and are pushed live.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiInput, type ApiMethod, type ApiOutput, type ApiUpdate, apiContract } from '../../../../shared/api.js';
import type { BoardItem } from '../../../../shared/board.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { mapSecrets, postGithub, until, workflowRun } from '../../../helpers/ci-webhooks.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';

const GH_SECRET = 'gh-board-secret';
const GL_TOKEN = 'gl-board-token';
const KOSLI_TOKEN = 'kosli-board-token';
const secrets = mapSecrets({ GH_SECRET, GL_TOKEN, KOSLI_TOKEN });
const fixture = (path: string) => readFileSync(new URL(`../../../fixtures/${path}`, import.meta.url), 'utf8');
const KOSLI_SAMPLE = JSON.parse(fixture('kosli/custom-webhook-sample.json')) as Record<string, any>;
const GITLAB_PIPELINE = JSON.parse(fixture('gitlab/pipeline-hook.json')) as Record<string, any>;
/** The commit in Kosli's documented sample (its artifact's provenance). */
const KOSLI_COMMIT = '1ac157003dd6fb9ec764daa47726b7bfed65c312';
const SHA_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const SHA_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const SHA_C = 'ccccccccccccccccccccccccccccccccccccccc3';

const ccProject = (status: string, label: number) =>
  `<Project name="shop :: build" activity="Sleeping" lastBuildStatus="${status}" lastBuildLabel="${label}" lastBuildTime="2025-03-01T10:${String(label).padStart(2, '0')}:00Z" webUrl="http://ci.local/shop/${label}"/>`;
const ccFeed = (project: string) => `<?xml version="1.0"?>\n<Projects>\n${project}\n</Projects>`;

let feedBody = ccFeed(ccProject('Success', 1));
let feedServer: Server;
let feedUrl: string;
let dataDir: string;
let configFile: string;
let hub: Hub;
const updates: ApiUpdate[] = [];

const start = async () => {
  hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000 });
  hub.onUpdate((u) => updates.push(u));
};
const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${hub.ingressUrl}/hooks/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(202);
};
const github = async (conclusion: string, run: number, sha: string, at: string, actor = 'Codertocat') => {
  const payload = workflowRun(conclusion, { run, branch: 'main', name: 'CI' });
  payload.workflow_run.head_sha = sha;
  payload.workflow_run.updated_at = at;
  payload.workflow_run.triggering_actor = { login: actor };
  expect((await postGithub(`${hub.ingressUrl}/hooks/gh`, { event: 'workflow_run', payload, secret: GH_SECRET })).status).toBe(202);
};
const kosli = async (eventType: string, index: number, overrides: Record<string, unknown> = {}) =>
  post(`kosli/${KOSLI_TOKEN}`, {
    ...KOSLI_SAMPLE,
    event_type: eventType,
    timestamp: String(1692616493 + index * 60),
    snapshot: { ...KOSLI_SAMPLE.snapshot, index: String(1035 + index) },
    ...overrides,
  });
/** As a transport calls the api: the input checked and defaulted by the contract first. */
const call = async <M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>> =>
  (hub.api[method] as (input: unknown) => Promise<ApiOutput<M>>)(apiContract[method].input.parse(input));
const board = async (query: Parameters<Hub['api']['board.list']>[0] = {}) => (await call('board.list', query)).items;
const itemOf = async (kind: BoardItem['kind'], sourceId: string) => {
  const found = (await board({ sources: [sourceId] })).filter((i) => i.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const brief = (i: BoardItem) => ({ state: i.state, streak: i.streak, since: i.since, commit: i.commit, brokenBy: i.brokenBy?.commit, actor: i.brokenBy?.actor });

beforeAll(async () => {
  feedServer = createServer((req, res) => {
    const etag = `"${createHash('sha1').update(feedBody).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'application/xml', etag }).end(feedBody);
  });
  await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/cc.xml`;
  dataDir = tempDir('herald-board-hub-');
  configFile = writeConfig(dataDir, {
    sources: [
      { id: 'gh', kind: 'github', name: 'GitHub', secret: 'env:GH_SECRET' },
      { id: 'gl', kind: 'gitlab', name: 'GitLab', secret: 'env:GL_TOKEN' },
      { id: 'kosli', kind: 'kosli-webhook', name: 'Kosli', secret: 'env:KOSLI_TOKEN' },
      { id: 'cc', kind: 'cctray', name: 'GoCD', url: feedUrl, pollIntervalSeconds: 3600 },
    ],
  });
  await start();
});
afterAll(async () => {
  await hub?.stop();
  feedServer?.closeAllConnections();
  await new Promise((resolve) => feedServer?.close(resolve));
});

describe('the board follows each thing as its events arrive', () => {
  it('a GitHub pipeline: failed → still failing → recovered, with who and which commit broke it', async () => {
    await github('failure', 1, SHA_A, '2026-01-01T08:00:00Z', 'ana');
    expect(brief(await itemOf('pipeline', 'gh'))).toEqual({ state: 'failing', streak: 1, since: '2026-01-01T08:00:00.000Z', commit: SHA_A, brokenBy: SHA_A, actor: 'ana' });

    await github('failure', 2, SHA_B, '2026-01-01T08:20:00Z', 'bo');
    const still = await itemOf('pipeline', 'gh');
    expect(brief(still)).toEqual({ state: 'failing', streak: 2, since: '2026-01-01T08:00:00.000Z', commit: SHA_B, brokenBy: SHA_A, actor: 'ana' });
    expect(still.title).toBe('octo-org/octo-repo: CI still failing (2) on main');
    expect(still.subject).toEqual({ project: 'octo-org/octo-repo', group: 'octo-org', pipeline: 'CI', branch: 'main' });

    await github('success', 3, SHA_C, '2026-01-01T08:40:00Z');
    const green = await itemOf('pipeline', 'gh');
    expect(brief(green)).toEqual({ state: 'passing', streak: 1, since: '2026-01-01T08:40:00.000Z', commit: SHA_C, brokenBy: undefined, actor: undefined });
    expect(green.url).toMatch(/^https:\/\/github\.com\/octo-org\/octo-repo\/actions\/runs\//);
    // The stored event the item names is the recovery.
    expect((await hub.api['events.get']({ id: green.lastEventId })).event.type).toBe('pipeline.recovered');
  });

  it('a cctray pipeline polled from its feed: failed → still failing → recovered', async () => {
    await until('the baseline poll', async () => (await hub.api['sources.list']({})).find((s) => s.config.id === 'cc')?.poll?.lastPollAt);
    const steps: Array<[string, Partial<ReturnType<typeof brief>>]> = [
      [ccProject('Failure', 2), { state: 'failing', streak: 1, since: '2025-03-01T10:02:00.000Z' }],
      [ccProject('Failure', 3), { state: 'failing', streak: 2, since: '2025-03-01T10:02:00.000Z' }],
      [ccProject('Success', 4), { state: 'passing', streak: 1, since: '2025-03-01T10:04:00.000Z' }],
    ];
    for (const [project, expected] of steps) {
      feedBody = ccFeed(project);
      expect(await hub.pollNow('cc')).toMatchObject({ ok: true });
      expect(brief(await itemOf('pipeline', 'cc'))).toMatchObject(expected);
    }
  });

  it("Kosli environment compliance from its custom webhook: non-compliant → still → compliant", async () => {
    await kosli('ENVIRONMENT_NON_COMPLIANT', 1);
    expect(brief(await itemOf('compliance', 'kosli'))).toMatchObject({ state: 'failing', streak: 1, since: '2023-08-21T11:15:53.000Z' });
    await kosli('ENVIRONMENT_NON_COMPLIANT', 2);
    expect(brief(await itemOf('compliance', 'kosli'))).toMatchObject({ state: 'failing', streak: 2, since: '2023-08-21T11:15:53.000Z' });
    await kosli('ENVIRONMENT_COMPLIANT', 3);
    const item = await itemOf('compliance', 'kosli');
    expect(brief(item)).toMatchObject({ state: 'passing', streak: 1, since: '2023-08-21T11:17:53.000Z' });
    expect(item.subject).toEqual({ group: 'cyber-dojo', environment: 'aws-prod' });
  });

  it('filters by state, source and project, worst first; changes are pushed live', async () => {
    updates.length = 0;
    await github('failure', 4, SHA_A, '2026-01-01T09:00:00Z');
    // Pushed within a window (board-feed.ts PUSH_WINDOW_MS): the earlier cases' last changes may share it.
    const pushed = await until('a board update', () =>
      updates.find((u): u is Extract<ApiUpdate, { type: 'board.updated' }> => u.type === 'board.updated' && u.items.some((i) => i.source.id === 'gh')),
    );
    expect(pushed.items.filter((i) => i.source.id === 'gh').map((i) => [i.kind, i.source.id, i.state])).toEqual([['pipeline', 'gh', 'failing']]);

    const all = await board();
    expect(all[0]).toMatchObject({ source: { id: 'gh' }, state: 'failing' });
    expect(all.map((i) => [i.source.id, i.state])).toEqual([
      ['gh', 'failing'],
      // Passing, the longest-standing first.
      ['kosli', 'passing'],
      ['cc', 'passing'],
    ]);
    expect((await board({ states: ['failing'] })).map((i) => i.source.id)).toEqual(['gh']);
    expect((await board({ project: 'shop' })).map((i) => i.source.id)).toEqual(['cc']);
    expect((await board({ sources: ['kosli'], states: ['passing'] })).map((i) => i.kind)).toEqual(['compliance']);
    expect(await board({ sources: ['kosli'], states: ['failing'] })).toEqual([]);
  });
});

describe('mute until green', () => {
  it('a muted pipeline stays muted while it keeps failing and is unmuted by its next success', async () => {
    const failing = await itemOf('pipeline', 'gh');
    expect(failing.state).toBe('failing');
    await hub.api['mutes.add']({ eventId: failing.lastEventId, untilPasses: true });
    expect((await itemOf('pipeline', 'gh')).mutedUntil).toBe('passes');

    updates.length = 0;
    await github('failure', 5, SHA_B, '2026-01-01T09:10:00Z');
    const still = await itemOf('pipeline', 'gh');
    expect({ state: still.state, mutedUntil: still.mutedUntil, streak: still.streak }).toEqual({ state: 'failing', mutedUntil: 'passes', streak: 2 });
    // Pushed with its mute: the UI shows it silenced without asking again.
    const mutedPush = await until('the failing push', () => updates.find((u): u is Extract<ApiUpdate, { type: 'board.updated' }> => u.type === 'board.updated'));
    expect(mutedPush.items.map((i) => [i.state, i.mutedUntil])).toEqual([['failing', 'passes']]);

    updates.length = 0;
    await github('success', 6, SHA_C, '2026-01-01T09:20:00Z');
    const green = await itemOf('pipeline', 'gh');
    expect(green.state).toBe('passing');
    expect(green.mutedUntil).toBeUndefined();
    // Pushed without the mute too: the success lifted it in the same transaction.
    const pushed = await until('the green push', () => updates.find((u): u is Extract<ApiUpdate, { type: 'board.updated' }> => u.type === 'board.updated'));
    expect(pushed.items[0]).toMatchObject({ state: 'passing' });
    expect(pushed.items[0]!.mutedUntil).toBeUndefined();
    expect(await hub.api['mutes.list']({})).toEqual({ items: [] });
  });
});

describe('threads', () => {
  it("joins a GitHub run, a GitLab pipeline and Kosli's documented sample on one commit, in the order they happened", async () => {
    // Posted out of order: Kosli first, then GitLab, then GitHub.
    await post(`kosli/${KOSLI_TOKEN}`, KOSLI_SAMPLE);
    const pipeline = structuredClone(GITLAB_PIPELINE);
    pipeline.object_attributes.sha = KOSLI_COMMIT;
    pipeline.object_attributes.finished_at = '2023-08-21 10:30:00 UTC';
    await post('gl', pipeline, { 'x-gitlab-token': GL_TOKEN, 'x-gitlab-event': 'Pipeline Hook' });
    await github('success', 7, KOSLI_COMMIT, '2023-08-21T10:00:00Z');

    const thread = await call('threads.get', { commit: KOSLI_COMMIT });
    expect(thread.commit).toBe(KOSLI_COMMIT);
    expect(thread.events.map((e) => [e.source.id, e.type, e.occurredAt])).toEqual([
      ['gh', 'pipeline.succeeded', '2023-08-21T10:00:00.000Z'],
      ['gl', 'pipeline.succeeded', '2023-08-21T10:30:00.000Z'],
      ['kosli', 'artifact.started', '2023-08-21T11:14:53.000Z'],
    ]);
    expect(thread.truncated).toBeUndefined();
    // A short SHA names the same thread; history filters by it too.
    expect((await call('threads.get', { commit: KOSLI_COMMIT.slice(0, 7) })).events).toHaveLength(3);
    expect((await call('events.list', { commit: KOSLI_COMMIT.slice(0, 10) })).items).toHaveLength(3);
    // The artifact now runs in the environment: on the board, with its commit.
    const artifact = (await board({ sources: ['kosli'] })).find((i) => i.kind === 'artifact')!;
    expect(artifact).toMatchObject({ state: 'passing', commit: KOSLI_COMMIT, subject: { artifact: 'runner', environment: 'aws-prod' } });
  });

  it('refuses what is not a commit, and a prefix that names several, saying so', async () => {
    await expect(call('threads.get', { commit: `${KOSLI_COMMIT.slice(0, 7)}z` })).rejects.toThrow('must be a commit SHA (7 to 64 hex digits)');
    await github('failure', 8, 'aaaaaaa000000000000000000000000000000000', '2026-01-01T10:00:00Z');
    await expect(call('threads.get', { commit: 'aaaaaaa' })).rejects.toThrow(/aaaaaaa starts several commits \(aaaaaaa00000, aaaaaaaaaaaa\); give more digits/);
    expect(await call('threads.get', { commit: 'dddddddd' })).toEqual({ commit: 'dddddddd', events: [] });
  });
});

describe('after a restart', () => {
  it('the board and the threads are as they were', async () => {
    const boardBefore = await board();
    const threadBefore = await call('threads.get', { commit: KOSLI_COMMIT });
    expect(boardBefore.length).toBeGreaterThanOrEqual(5);
    await hub.stop();
    await start();
    expect(await board()).toEqual(boardBefore);
    expect(await call('threads.get', { commit: KOSLI_COMMIT })).toEqual(threadBefore);
  });

  it('a deleted source leaves the board', async () => {
    await hub.api['sources.delete']({ id: 'cc' });
    expect((await board()).filter((i) => i.source.id === 'cc')).toEqual([]);
  });
});

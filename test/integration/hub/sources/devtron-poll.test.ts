// The devtron-poll source against a strict loopback fake of Devtron's workflow status API
// (test/helpers/fake-devtron.ts), run by the real poll scheduler with a real store
// (test/helpers/poll-harness.ts): the first poll is a baseline, then transitions only, also
// across a restart; a new run finishing with the same status counts; errors say what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceSchema } from '../../../../shared/config.js';
import { testPollingSource } from '../../../../electron/hub/sources/poller.js';
import { pollingSourceFor } from '../../../../electron/hub/sources/registry.js';
import { outcomeOf, parseApp } from '../../../../electron/hub/sources/devtron-poll.js';
import { type FakeDevtron, startFakeDevtron } from '../../../helpers/fake-devtron.js';
import { type PollHarness, startPollHarness } from '../../../helpers/poll-harness.js';

const TOKEN = 'devtron-api-token';
let devtron: FakeDevtron;
let harness: PollHarness;

const ci = (ciStatus: string, ciWorkflowId?: number) => ({ ciPipelineId: 7, ciPipelineName: 'ci-payments', ciStatus, storageConfigured: true, ...(ciWorkflowId && { ciWorkflowId }) });
const cd = (deploy_status: string) => ({ ci_pipeline_id: 7, pipeline_id: 21, pipeline_name: 'cd-prod', deploy_status, pre_status: 'Not Triggered', post_status: 'Not Triggered', deploymentAppDeleteRequest: false });

beforeAll(async () => {
  devtron = await startFakeDevtron({ token: TOKEN });
  devtron.apps.set(12, { ci: [ci('Succeeded', 100)], cd: [cd('Succeeded')] });
  devtron.apps.set(14, { ci: [], cd: [] });
  harness = await startPollHarness(
    { id: 'dt', kind: 'devtron-poll', name: 'Devtron', url: `${devtron.url}/`, token: 'env:DEVTRON_TOKEN', apps: ['12:payments', '14'] },
    { secrets: { token: TOKEN } },
  );
});
afterAll(async () => {
  await harness?.close();
  await devtron?.close();
});

const poll = async () => {
  const outcome = await harness.poll();
  expect(outcome).toMatchObject({ ok: true });
  return harness.newEvents().map((e) => [e.type, e.title, e.subject.pipeline]);
};

describe('Devtron workflow status poller', () => {
  it('sends the token header and raises nothing on the first poll (the baseline)', () => {
    expect(devtron.requests.map((r) => r.path)).toEqual(['/orchestrator/app/workflow/status/12', '/orchestrator/app/workflow/status/14']);
    expect(devtron.requests[0]!.headers.token).toBe(TOKEN);
    expect(harness.events()).toEqual([]);
  });

  it('a new build: triggered, then failed; a deployment: triggered, then succeeded', async () => {
    devtron.apps.get(12)!.ci = [ci('Running', 101)];
    expect(await poll()).toEqual([['pipeline.triggered', 'payments build triggered', 'ci-payments']]);
    expect(await poll()).toEqual([]); // still running: nothing
    devtron.apps.get(12)!.ci = [ci('Failed', 101)];
    devtron.apps.get(12)!.cd = [cd('Progressing')];
    expect(await poll()).toEqual([
      ['pipeline.failed', 'payments build failed', 'ci-payments'],
      ['deployment.triggered', 'payments deployment triggered (cd-prod)', 'cd-prod'],
    ]);
    devtron.apps.get(12)!.cd = [cd('Succeeded')];
    const [deployed] = (await harness.poll(), harness.newEvents());
    expect(deployed).toMatchObject({
      type: 'deployment.succeeded',
      severity: 'success',
      subject: { project: 'payments', pipeline: 'cd-prod' },
      url: `${devtron.url}/dashboard/app/12/trigger`,
      data: { appId: 12, pipelineId: 21, pipelineType: 'CD', status: 'Succeeded' },
    });
  });

  it('a whole run between two polls (same status, new workflow id) still counts, also after a restart', async () => {
    devtron.apps.get(12)!.ci = [ci('Failed', 102)];
    await harness.restart();
    expect(harness.newEvents().map((e) => e.type)).toEqual(['pipeline.failed']);
    expect(await poll()).toEqual([]);
  });

  it('a cancelled build, and a pipeline added after the baseline', async () => {
    devtron.apps.get(12)!.ci = [ci('CANCELLED', 103), { ciPipelineId: 8, ciPipelineName: 'ci-worker', ciStatus: 'Starting', storageConfigured: true, ciWorkflowId: 5 }];
    expect(await poll()).toEqual([
      ['pipeline.cancelled', 'payments build cancelled', 'ci-payments'],
      ['pipeline.triggered', 'payments build triggered', 'ci-worker'],
    ]);
  });

  it.each([
    ['a rejected token', { token: 'wrong' }, /HTTP 401 .*token rejected/],
    ['an app the token may not see', { apps: ['99'] }, /HTTP 403 .*token rejected/],
  ])('test connection names %s', async (_, change, message) => {
    const source = SourceSchema.parse({ id: 'dt2', kind: 'devtron-poll', name: 'Devtron', url: devtron.url, token: 'env:X', apps: ['12'], ...('apps' in change && { apps: change.apps }) });
    const token = 'token' in change ? change.token : TOKEN;
    const result = await testPollingSource(source, { pollerFor: pollingSourceFor, resolveSecrets: async () => ({ token }) });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(message);
  });

  it('reads statuses and app entries as Devtron writes them', () => {
    expect(['Starting', 'Queued', 'Progressing', 'Running'].map(outcomeOf)).toEqual(['running', 'running', 'running', 'running']);
    expect(['Succeeded', 'Healthy', 'Failed', 'TimedOut', 'Degraded', 'Aborted', 'CANCELLED', 'Not Deployed', 'Not Triggered'].map(outcomeOf)).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'failed',
      'failed',
      'cancelled',
      'cancelled',
      'idle',
      'idle',
    ]);
    expect(parseApp('12:payments:eu')).toEqual({ id: 12, name: 'payments:eu' });
    expect(parseApp('14')).toEqual({ id: 14, name: 'app 14' });
    expect(SourceSchema.safeParse({ id: 'x', kind: 'devtron-poll', name: 'X', url: devtron.url, token: 'env:X', apps: ['payments'] }).success).toBe(false);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventInputSchema, type EventInput } from '../../../../shared/event.js';
import { GITLAB_DEPLOYMENT_STATUSES, GITLAB_STATUSES, gitlabSource } from '../../../../electron/hub/sources/gitlab.js';
import type { IncomingRequest, ParseResult } from '../../../../electron/hub/sources/source.js';

const config = { id: 'gl', name: 'GitLab', enabled: true, kind: 'gitlab' as const, secret: 'env:GL_TOKEN' };
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/gitlab/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const pipelineDoc = fixture('pipeline-hook');
const jobDoc = fixture('job-hook');
const deploymentDoc = fixture('deployment-hook');

function request(event: string, payload: unknown, headers: Record<string, string> = {}): IncomingRequest {
  return {
    headers: { 'content-type': 'application/json', 'x-gitlab-event': event, 'x-gitlab-token': 's3cret', ...headers },
    body: Buffer.from(JSON.stringify(payload)),
    pathRest: '',
  };
}

const typeOf = (r: ParseResult) => (r.kind === 'events' ? r.events[0]!.type : r.kind);
function onlyEvent(result: ParseResult): EventInput {
  expect(result.kind, JSON.stringify(result)).toBe('events');
  if (result.kind !== 'events') throw new Error('unreachable');
  expect(result.events).toHaveLength(1);
  return EventInputSchema.parse(result.events[0]);
}

describe('X-Gitlab-Token', () => {
  const body = Buffer.from('{}');
  it.each([
    ['the configured token', { 'x-gitlab-token': 's3cret' }, true],
    ['a wrong token', { 'x-gitlab-token': 's3cres' }, false],
    ['a longer token with the same prefix', { 'x-gitlab-token': 's3cret-and-more' }, false],
    ['an empty token', { 'x-gitlab-token': '' }, false],
    ['no token', {}, false],
  ])('%s → %s', (_name, headers, expected) => {
    expect(gitlabSource.verify({ headers, body, pathRest: '' }, 's3cret', config)).toBe(expected);
  });
  it('an empty configured secret never verifies', () => {
    expect(gitlabSource.verify({ headers: { 'x-gitlab-token': '' }, body, pathRest: '' }, '', config)).toBe(false);
  });
});

const statusTable: Array<[string, string]> = [
  ['created', 'ignored'],
  ['waiting_for_resource', 'ignored'],
  ['preparing', 'ignored'],
  ['pending', 'ignored'],
  ['running', 'pipeline.triggered'],
  ['success', 'pipeline.succeeded'],
  ['failed', 'pipeline.failed'],
  ['canceled', 'pipeline.cancelled'],
  ['canceling', 'ignored'],
  ['skipped', 'ignored'],
  ['manual', 'ignored'],
  ['scheduled', 'ignored'],
];

describe('Pipeline Hook (documented payload)', () => {
  it('the documented example (success) → pipeline.succeeded with subject, link and data', () => {
    const event = onlyEvent(gitlabSource.parse(request('Pipeline Hook', pipelineDoc, { 'idempotency-key': 'key-1' }), config));
    expect(event).toMatchObject({
      type: 'pipeline.succeeded',
      subject: {
        project: 'gitlab-org/gitlab-test',
        group: 'gitlab-org',
        pipeline: 'Pipeline for branch: master',
        branch: 'master',
        commit: 'bcbb5ec396a2c0f828686f14fac9b80b780504f2',
      },
      url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
      actor: 'root',
      occurredAt: '2016-08-12T15:26:29.000Z',
      data: { pipelineId: 31, iid: 3, status: 'success', source: 'merge_request_event', durationSeconds: 63 },
      title: 'gitlab-org/gitlab-test: Pipeline for branch: master succeeded on master',
    });
    expect(event.dedupKey).toContain('gl:pipeline.succeeded:');
  });

  it('covers every documented status', () => {
    expect(Object.keys(GITLAB_STATUSES).sort()).toEqual(statusTable.map((r) => r[0]).sort());
  });

  it.each(statusTable)('status %s → %s', (status, type) => {
    const payload = { ...pipelineDoc, object_attributes: { ...(pipelineDoc.object_attributes as object), status } };
    const result = gitlabSource.parse(request('Pipeline Hook', payload), config);
    expect(typeOf(result)).toBe(type);
    if (result.kind === 'ignored') expect(result.reason).toMatch(/^pipeline /);
    else onlyEvent(result);
  });

  it('a pipeline without workflow:name is "pipeline"', () => {
    const attrs = { ...(pipelineDoc.object_attributes as object), name: null, status: 'failed' };
    const event = onlyEvent(gitlabSource.parse(request('Pipeline Hook', { ...pipelineDoc, object_attributes: attrs }), config));
    expect(event.subject?.pipeline).toBe('pipeline');
    expect(event.title).toBe('gitlab-org/gitlab-test: pipeline failed on master');
  });
});

describe('Job Hook (documented payload)', () => {
  it('the documented example (created) is ignored: not started yet', () => {
    const result = gitlabSource.parse(request('Job Hook', jobDoc), config);
    expect(result.kind === 'ignored' && result.reason).toMatch(/job "test" was created/);
  });

  it.each(statusTable)('build_status %s → %s', (status, type) => {
    expect(typeOf(gitlabSource.parse(request('Job Hook', { ...jobDoc, build_status: status }), config))).toBe(type);
  });

  it('a failed job → pipeline.failed, "<pipeline name> / <job>", job link, failure reason', () => {
    const event = onlyEvent(
      gitlabSource.parse(
        request('Job Hook', { ...jobDoc, build_status: 'failed', build_finished_at_iso: '2021-02-23T02:45:00Z' }),
        config,
      ),
    );
    expect(event).toMatchObject({
      type: 'pipeline.failed',
      subject: {
        project: 'gitlab-org/gitlab-test',
        group: 'gitlab-org',
        pipeline: 'Build pipeline / test',
        branch: 'gitlab-script-trigger',
        commit: '2293ada6b400935a1378653304eaf6221e0fdb8f',
      },
      url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/1977',
      actor: 'User',
      occurredAt: '2021-02-23T02:45:00.000Z',
      data: { jobId: 1977, pipelineId: 2366, stage: 'test', failureReason: 'script_failure', retries: 2 },
    });
    expect(event.severity).toBeUndefined();
    expect(event.summary).toContain('Reason: script_failure');
  });

  it('a failed job that is allowed to fail is a warning', () => {
    const event = onlyEvent(gitlabSource.parse(request('Job Hook', { ...jobDoc, build_status: 'failed', build_allow_failure: true }), config));
    expect(event.severity).toBe('warning');
    expect(event.title).toContain('failed (allowed to fail)');
  });
});

describe('Job Hook without a project object (captured from gitlab.com, GitLab 15)', () => {
  const captured = fixture('job-hook-gitlab-com-15');

  it('takes the project path and URL from repository.homepage, not the display name in project_name', () => {
    const event = onlyEvent(gitlabSource.parse(request('Job Hook', captured), config));
    expect(event).toMatchObject({
      type: 'pipeline.succeeded',
      subject: { project: 'jsmithy2/release-tools-fake', group: 'jsmithy2', pipeline: 'Build pipeline / auto_deploy:start', branch: 'main' },
      url: 'https://gitlab.com/jsmithy2/release-tools-fake/-/jobs/3580121225',
      actor: 'jsmithy2',
      occurredAt: '2023-01-10T13:50:54.000Z',
    });
  });

  it('shares its project with the pipeline hook of the same project', () => {
    const job = onlyEvent(gitlabSource.parse(request('Job Hook', captured), config));
    const pipelinePayload = { ...pipelineDoc, project: { ...(pipelineDoc.project as object), path_with_namespace: 'jsmithy2/release-tools-fake', web_url: 'https://gitlab.com/jsmithy2/release-tools-fake' } };
    const pipeline = onlyEvent(gitlabSource.parse(request('Pipeline Hook', pipelinePayload), config));
    expect(job.subject?.project).toBe(pipeline.subject?.project);
    expect(job.subject?.group).toBe(pipeline.subject?.group);
  });

  it('without a homepage either, the display name loses the spaces around its slashes', () => {
    const { repository: _dropped, ...bare } = captured;
    const event = onlyEvent(gitlabSource.parse(request('Job Hook', bare), config));
    expect(event.subject).toMatchObject({ project: 'John Smith/release-tools-fake', group: 'John Smith' });
  });
});

describe('Deployment Hook (documented payload)', () => {
  it('the documented example (success) → deployment.succeeded to staging', () => {
    const event = onlyEvent(gitlabSource.parse(request('Deployment Hook', deploymentDoc), config));
    expect(event).toMatchObject({
      type: 'deployment.succeeded',
      // The full SHA from commit_url: short_sha alone would not join the commit's thread.
      subject: { project: 'root/test-deployment-webhooks', group: 'root', environment: 'staging', commit: '279484c09fbe69ededfced8c1bb6e6d24616b468' },
      url: 'http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796',
      occurredAt: '2021-04-28T19:50:00.000Z',
      title: 'root/test-deployment-webhooks: deployment to staging succeeded',
      data: { deploymentId: 15, jobId: 796, status: 'success', tier: 'staging' },
    });
  });

  it('a deployment whose commit_url does not end in a full SHA has no commit', () => {
    const event = onlyEvent(gitlabSource.parse(request('Deployment Hook', { ...deploymentDoc, commit_url: 'http://10.126.0.2:3000/root/x/-/commit/279484c0' }), config));
    expect(event.subject?.commit).toBeUndefined();
  });

  it.each([
    ['running', 'deployment.triggered'],
    ['success', 'deployment.succeeded'],
    ['failed', 'deployment.failed'],
    ['canceled', 'ignored'],
    ['created', 'ignored'],
    ['blocked', 'ignored'],
    ['unheard-of', 'ignored'],
  ])('status %s → %s', (status, type) => {
    if (status !== 'unheard-of') expect(Object.keys(GITLAB_DEPLOYMENT_STATUSES)).toContain(status);
    expect(typeOf(gitlabSource.parse(request('Deployment Hook', { ...deploymentDoc, status }), config))).toBe(type);
  });
});

describe('delivery ids, other hooks and malformed input', () => {
  it('Idempotency-Key wins (same across retries), else X-Gitlab-Webhook-UUID; X-Gitlab-Event-UUID is not used', () => {
    const both = gitlabSource.parse(request('Pipeline Hook', pipelineDoc, { 'idempotency-key': 'idem', 'x-gitlab-webhook-uuid': 'uuid' }), config);
    expect(both.kind === 'events' && both.deliveryId).toBe('idem');
    const uuid = gitlabSource.parse(request('Pipeline Hook', pipelineDoc, { 'x-gitlab-webhook-uuid': 'uuid', 'x-gitlab-event-uuid': 'event' }), config);
    expect(uuid.kind === 'events' && uuid.deliveryId).toBe('uuid');
    const none = gitlabSource.parse(request('Pipeline Hook', pipelineDoc, { 'x-gitlab-event-uuid': 'event' }), config);
    expect(none.kind === 'events' && none.deliveryId).toBeUndefined();
  });

  it('other hooks are ignored with a reason', () => {
    const result = gitlabSource.parse(request('Push Hook', { object_kind: 'push', ref: 'refs/heads/master' }), config);
    expect(result).toMatchObject({ kind: 'ignored', reason: 'GitLab object_kind "push" is not one Herald handles' });
  });

  it.each([
    ['not JSON', '{"object_kind":', /not valid JSON/],
    ['no object_kind', '{"status":"success"}', /no object_kind/],
    ['a JSON string', '"pipeline"', /JSON object/],
  ])('%s → invalid', (_name, body, reason) => {
    const result = gitlabSource.parse({ headers: {}, body: Buffer.from(body), pathRest: '' }, config);
    expect(result.kind === 'invalid' && result.reason).toMatch(reason);
  });

  it('repeated failures of one pipeline on one branch share the dedupKey', () => {
    const failed = (id: number) => ({ ...pipelineDoc, object_attributes: { ...(pipelineDoc.object_attributes as object), id, status: 'failed' } });
    const a = onlyEvent(gitlabSource.parse(request('Pipeline Hook', failed(31)), config));
    const b = onlyEvent(gitlabSource.parse(request('Pipeline Hook', failed(32)), config));
    expect(a.dedupKey).toBe(b.dedupKey);
    expect(a.data?.pipelineId).not.toBe(b.data?.pipelineId);
  });
});

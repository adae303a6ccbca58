import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventInputSchema, type EventInput } from '../../../../shared/event.js';
import { JENKINS_STATUSES, jenkinsJobPath, jenkinsSource, jenkinsToken } from '../../../../electron/hub/sources/jenkins.js';
import type { IncomingRequest, ParseResult } from '../../../../electron/hub/sources/source.js';

const config = { id: 'ci', name: 'Jenkins', enabled: true, kind: 'jenkins' as const, secret: 'env:JENKINS_TOKEN', outcomePhase: 'FINALIZED' as const };
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../fixtures/jenkins/${name}.json`, import.meta.url), 'utf8')) as Record<string, unknown> & {
    build: Record<string, unknown>;
  };
const documented = fixture('documented-completed');
const started = fixture('multibranch-started');
const unstable = fixture('multibranch-finalized-unstable');

const request = (payload: unknown, pathRest = 'tok3n'): IncomingRequest => ({
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(payload)),
  pathRest,
});
const withBuild = (doc: typeof documented, build: Record<string, unknown>) => ({ ...doc, build: { ...doc.build, ...build } });
const typeOf = (r: ParseResult) => (r.kind === 'events' ? r.events[0]!.type : r.kind);
function onlyEvent(result: ParseResult): EventInput {
  expect(result.kind, JSON.stringify(result)).toBe('events');
  if (result.kind !== 'events') throw new Error('unreachable');
  expect(result.events).toHaveLength(1);
  return EventInputSchema.parse(result.events[0]);
}

/**
 * The Authorization header the Notification plugin sends for an endpoint URL with user info
 * (Protocol.HTTP: "Basic " + base64 of java.net.URL.getUserInfo(), which is still
 * percent-encoded, as WHATWG URL's username and password are).
 */
function pluginAuthorization(endpoint: string): string | undefined {
  const url = new URL(endpoint);
  if (!url.username && !url.password) return undefined;
  return `Basic ${Buffer.from(`${url.username}:${url.password}`).toString('base64')}`;
}

describe('Jenkins endpoint URL with user:token@ (the plugin sends Basic auth)', () => {
  const body = Buffer.from(JSON.stringify(documented));
  const token = 'jk token+with spaces/and%percent';
  const endpoint = (userinfo: string) => `http://${userinfo}@127.0.0.1:8787/hooks/ci`;
  it.each([
    ['the token as password, URL-encoded as the user must type it', endpoint(`jenkins:${encodeURIComponent(token)}`), true],
    ['any user name', endpoint(`someone-else:${encodeURIComponent(token)}`), true],
    ['an empty user name', endpoint(`:${encodeURIComponent(token)}`), true],
    ['a wrong password', endpoint('jenkins:nope'), false],
    ['the token as the user name, no password', endpoint(encodeURIComponent(token)), false],
  ])('%s', (_name, url, expected) => {
    const authorization = pluginAuthorization(url);
    expect(authorization).toMatch(/^Basic /);
    expect(jenkinsSource.verify({ pathRest: '', headers: { authorization }, body }, token, config)).toBe(expected);
  });

  it('a token in the path still decides when both are sent', () => {
    const authorization = pluginAuthorization(endpoint(`jenkins:${encodeURIComponent(token)}`));
    expect(jenkinsSource.verify({ pathRest: 'wrong', headers: { authorization }, body }, token, config)).toBe(false);
  });

  it('a Bearer or malformed Authorization header is no Basic password', () => {
    for (const authorization of [`Bearer ${token}`, 'Basic', `Basic ${Buffer.from('no-colon').toString('base64')}`]) {
      expect(jenkinsSource.verify({ pathRest: '', headers: { authorization }, body }, 'no-colon', config)).toBe(false);
    }
  });
});

describe('Jenkins shared-secret token', () => {
  const body = Buffer.from('{}');
  it.each([
    ['token in the path', { pathRest: 'tok3n', headers: {} }, true],
    ['token in the path with a trailing slash', { pathRest: 'tok3n/', headers: {} }, true],
    ['URL-encoded token in the path', { pathRest: encodeURIComponent('a/b c'), headers: {} }, 'a/b c'],
    ['X-Herald-Token header', { pathRest: '', headers: { 'x-herald-token': 'tok3n' } }, true],
    ['wrong path token', { pathRest: 'tok3m', headers: {} }, false],
    ['wrong path token beats a right header', { pathRest: 'nope', headers: { 'x-herald-token': 'tok3n' } }, false],
    ['wrong header', { pathRest: '', headers: { 'x-herald-token': 'tok3' } }, false],
    ['no token at all', { pathRest: '', headers: {} }, false],
  ])('%s', (_name, req, expected) => {
    if (typeof expected === 'string') {
      expect(jenkinsToken({ ...req, body })).toBe(expected);
      expect(jenkinsSource.verify({ ...req, body }, expected, config)).toBe(true);
    } else {
      expect(jenkinsSource.verify({ ...req, body }, 'tok3n', config)).toBe(expected);
    }
  });
  it('an empty configured secret never verifies', () => {
    expect(jenkinsSource.verify({ pathRest: '', headers: {}, body }, '', config)).toBe(false);
  });
});

describe('phases and statuses', () => {
  it('STARTED → pipeline.triggered', () => {
    const event = onlyEvent(jenkinsSource.parse(request(started), config));
    expect(event).toMatchObject({
      type: 'pipeline.triggered',
      subject: { project: 'platform/billing-api', pipeline: 'platform/billing-api/main', branch: 'main' },
      url: 'https://jenkins.example.com/job/platform/job/billing-api/job/main/42/',
      occurredAt: new Date(1714300000000).toISOString(),
      title: 'platform/billing-api/main #42 started on main',
      data: { number: 42, queueId: 1187, phase: 'STARTED' },
    });
  });

  it('FINALIZED UNSTABLE → pipeline.failed as a warning, with the test summary', () => {
    const event = onlyEvent(jenkinsSource.parse(request(unstable), config));
    expect(event).toMatchObject({
      type: 'pipeline.failed',
      severity: 'warning',
      title: 'platform/billing-api/main #42 failed (unstable) on main',
      subject: { branch: 'main', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' },
      data: { status: 'UNSTABLE', testsFailed: 3, testsTotal: 120, durationMs: 300000, commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' },
    });
    expect(event.summary).toContain('3 of 120 tests failed');
  });

  const statusTable: Array<[string, string]> = [
    ['SUCCESS', 'pipeline.succeeded'],
    ['FAILURE', 'pipeline.failed'],
    ['UNSTABLE', 'pipeline.failed'],
    ['ABORTED', 'pipeline.cancelled'],
    ['NOT_BUILT', 'ignored'],
  ];
  it('covers every Jenkins result', () => {
    expect(Object.keys(JENKINS_STATUSES).sort()).toEqual(statusTable.map((r) => r[0]).sort());
  });

  it.each(statusTable)('FINALIZED %s → %s', (status, type) => {
    expect(typeOf(jenkinsSource.parse(request(withBuild(documented, { phase: 'FINALIZED', status })), config))).toBe(type);
  });

  it.each(statusTable)('COMPLETED %s → ignored while FINALIZED is the outcome phase (no double events)', (status) => {
    const result = jenkinsSource.parse(request(withBuild(documented, { phase: 'COMPLETED', status })), config);
    expect(result.kind === 'ignored' && result.reason).toMatch(/taken from FINALIZED/);
  });

  it.each(statusTable)('with outcomePhase COMPLETED: COMPLETED %s → %s and FINALIZED is ignored', (status, type) => {
    const completedConfig = { ...config, outcomePhase: 'COMPLETED' as const };
    expect(typeOf(jenkinsSource.parse(request(withBuild(documented, { phase: 'COMPLETED', status })), completedConfig))).toBe(type);
    expect(typeOf(jenkinsSource.parse(request(withBuild(documented, { phase: 'FINALIZED', status })), completedConfig))).toBe('ignored');
  });

  it.each(['QUEUED', 'NONE', 'SOMETHING_NEW'])('%s → ignored with a reason', (phase) => {
    const result = jenkinsSource.parse(request(withBuild(documented, { phase })), config);
    expect(result.kind).toBe('ignored');
    expect(result.kind === 'ignored' && result.reason).toContain(phase);
  });

  it('the documented example, as sent with outcomePhase COMPLETED → pipeline.succeeded', () => {
    const event = onlyEvent(jenkinsSource.parse(request(documented), { ...config, outcomePhase: 'COMPLETED' }));
    expect(event).toMatchObject({
      type: 'pipeline.succeeded',
      subject: { project: 'asgard', pipeline: 'asgard', branch: 'master' },
      url: 'http://localhost:8080/job/asgard/18/',
      title: 'asgard #18 succeeded on master',
    });
  });

  it('a FINALIZED build without a status is ignored, not an error', () => {
    const build = { ...documented.build, phase: 'FINALIZED' };
    delete (build as Record<string, unknown>).status;
    expect(jenkinsSource.parse(request({ ...documented, build }), config)).toMatchObject({ kind: 'ignored' });
  });
});

describe('delivery ids, job paths and malformed input', () => {
  it('the delivery id is job + build + phase + queue id, so the plugin retrying a post is dropped', () => {
    const a = jenkinsSource.parse(request(unstable), config);
    const b = jenkinsSource.parse(request(unstable), config);
    const c = jenkinsSource.parse(request(started), config);
    expect(a.kind === 'events' && a.deliveryId).toBe('jenkins:platform/billing-api/main#42:FINALIZED:q1187');
    expect(b.kind === 'events' && b.deliveryId).toBe(a.kind === 'events' && a.deliveryId);
    expect(c.kind === 'events' && c.deliveryId).toBe('jenkins:platform/billing-api/main#42:STARTED:q1187');
  });

  it('a re-created job starting again at the same build number is a new build, not a redelivery', () => {
    const again = { ...unstable, build: { ...unstable.build, queue_id: 9 } };
    const first = jenkinsSource.parse(request(unstable), config);
    const second = jenkinsSource.parse(request(again), config);
    expect(first.kind === 'events' && second.kind === 'events').toBe(true);
    expect(second.kind === 'events' && second.deliveryId).not.toBe(first.kind === 'events' && first.deliveryId);
    // Without a queue id (older plugin versions) the id is what it was.
    const { queue_id: _dropped, ...noQueue } = unstable.build;
    const bare = jenkinsSource.parse(request({ ...unstable, build: noQueue }), config);
    expect(bare.kind === 'events' && bare.deliveryId).toBe('jenkins:platform/billing-api/main#42:FINALIZED');
  });

  it.each([
    ['job/asgard/', 'asgard', 'asgard'],
    ['job/team/job/app/', 'app', 'team/app'],
    ['job/a%20b/job/c%2Fd/', 'c/d', 'a b/c/d'],
    [undefined, 'fallback-name', 'fallback-name'],
    ['view/all/job/x/', 'x', 'x'],
  ])('job path of url %s (name %s) → %s', (url, name, path) => {
    expect(jenkinsJobPath(url, name)).toBe(path);
  });

  it.each([
    ['not JSON', 'phase=STARTED', /not valid JSON/],
    ['no build.phase', '{"name":"x","build":{}}', /build\.phase/],
    ['no job', '{"build":{"phase":"STARTED"}}', /which job/],
  ])('%s → invalid', (_name, body, reason) => {
    const result = jenkinsSource.parse({ headers: {}, body: Buffer.from(body), pathRest: '' }, config);
    expect(result.kind === 'invalid' && result.reason).toMatch(reason);
  });

  it('repeated failures of one job on one branch share the dedupKey', () => {
    const fail = (number: number) => withBuild(unstable, { number, status: 'FAILURE' });
    const a = onlyEvent(jenkinsSource.parse(request(fail(42)), config));
    const b = onlyEvent(jenkinsSource.parse(request(fail(43)), config));
    expect(a.dedupKey).toBe(b.dedupKey);
    expect(a.title).not.toBe(b.title);
  });
});

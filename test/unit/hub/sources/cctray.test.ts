import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SourceSchema } from '../../../../shared/config.js';
import { EventInputSchema, defaultDedupKey } from '../../../../shared/event.js';
import { cctraySubject, parseCctrayFeed, pollIntervalSeconds, transitions, type CctrayProjectState } from '../../../../electron/hub/sources/cctray.js';

const feed = (name: string) => readFileSync(new URL(`../../../fixtures/cctray/${name}`, import.meta.url), 'utf8');
const at = new Date('2025-03-01T12:00:00.000Z');

describe('parseCctrayFeed', () => {
  it('reads the cctray.org example', () => {
    expect(parseCctrayFeed(feed('cctray-org-example.xml'))).toEqual([
      {
        name: 'SvnTest',
        activity: 'Sleeping',
        lastBuildStatus: 'Exception',
        lastBuildLabel: '8',
        lastBuildTime: '2005-09-28T10:30:34.6362160+01:00',
        webUrl: 'http://mrtickle/ccnet/',
      },
      {
        name: 'HelloWorld',
        activity: 'Sleeping',
        lastBuildStatus: 'Success',
        lastBuildLabel: '13',
        lastBuildTime: '2005-09-15T17:33:07.6447696+01:00',
        webUrl: 'http://mrtickle/ccnet/',
      },
    ]);
  });

  it('reads a GoCD feed, unescaping entities, with projects that never built', () => {
    const projects = parseCctrayFeed(feed('gocd.xml'));
    expect(projects.map((p) => p.name)).toEqual(['billing-api :: build', 'billing-api :: build :: compile', 'billing-api :: deploy', 'docs & site']);
    expect(projects[3]).toEqual({
      name: 'docs & site',
      activity: 'CheckingModifications',
      lastBuildStatus: 'Unknown',
      webUrl: 'https://gocd.example.com/go/pipelines/docs/1/build/1?x=1&y=2',
    });
  });

  it.each([
    ['a single project (not an array in XML terms)', '<Projects><Project name="a" activity="Sleeping" lastBuildStatus="Success"/></Projects>', 1],
    ['an empty feed', '<Projects/>', 0],
    ['an empty feed with a declaration', '<?xml version="1.0"?><Projects></Projects>', 0],
  ])('%s', (_name, xml, count) => {
    expect(parseCctrayFeed(xml)).toHaveLength(count);
  });

  it.each([
    ['HTML', '<html><body>Login</body></html>', /no <Projects> root/],
    ['broken XML', '<Projects><Project name="a"></Projects>', /not valid XML/],
    ['plain text', 'Service Unavailable', /not valid XML|no <Projects>/],
  ])('%s → a clear error', (_name, xml, message) => {
    expect(() => parseCctrayFeed(xml)).toThrow(message);
  });
});

describe('cctraySubject', () => {
  it.each([
    ['billing-api :: build', { project: 'billing-api', pipeline: 'billing-api :: build' }],
    ['billing-api :: build :: compile', { project: 'billing-api', pipeline: 'billing-api :: build :: compile' }],
    ['HelloWorld', { project: 'HelloWorld', pipeline: 'HelloWorld' }],
    ['team » app', { project: 'team » app', pipeline: 'team » app' }],
  ])('%s', (name, subject) => {
    expect(cctraySubject(name)).toEqual(subject);
  });
});

describe('transitions (one project, two polls)', () => {
  const sleepingOk: CctrayProjectState = { activity: 'Sleeping', lastBuildStatus: 'Success', lastBuildLabel: '12', lastBuildTime: '2025-03-01T10:00:00Z' };
  const now = (p: Partial<CctrayProjectState>) => ({ name: 'billing-api :: build', webUrl: 'https://gocd.example.com/go/pipelines/billing-api/13/build/1', ...sleepingOk, ...p });

  it.each<[string, Partial<CctrayProjectState>, string[]]>([
    ['nothing changed', {}, []],
    ['checking modifications', { activity: 'CheckingModifications' }, []],
    ['a build starts', { activity: 'Building' }, ['pipeline.triggered']],
    ['a new build succeeded', { lastBuildLabel: '13', lastBuildTime: '2025-03-01T11:00:00Z' }, ['pipeline.succeeded']],
    ['a new build failed', { lastBuildLabel: '13', lastBuildStatus: 'Failure', lastBuildTime: '2025-03-01T11:00:00Z' }, ['pipeline.failed']],
    ['the server could not run it (Exception)', { lastBuildLabel: '13', lastBuildStatus: 'Exception' }, ['pipeline.failed']],
    ['status Unknown', { lastBuildLabel: '13', lastBuildStatus: 'Unknown' }, []],
    ['a build finished and the next started between polls', { activity: 'Building', lastBuildLabel: '13', lastBuildStatus: 'Failure' }, ['pipeline.triggered', 'pipeline.failed']],
    ['a server without labels: the time moved', { lastBuildLabel: undefined, lastBuildTime: '2025-03-01T11:00:00Z' }, ['pipeline.succeeded']],
  ])('%s → %j', (_name, change, types) => {
    const events = transitions('cc', sleepingOk, now(change), at);
    expect(events.map((e) => e.type)).toEqual(types);
    for (const e of events) EventInputSchema.parse(e);
  });

  it('still building is not a new start', () => {
    expect(transitions('cc', { ...sleepingOk, activity: 'Building' }, now({ activity: 'Building' }), at)).toEqual([]);
  });

  it('events carry subject, link, time and the feed fields', () => {
    const [event] = transitions('cc', sleepingOk, now({ lastBuildLabel: '13', lastBuildStatus: 'Failure', lastBuildTime: '2025-03-01T11:00:00.5+01:00' }), at);
    expect(event).toMatchObject({
      type: 'pipeline.failed',
      title: 'billing-api :: build failed',
      subject: { project: 'billing-api', pipeline: 'billing-api :: build' },
      url: 'https://gocd.example.com/go/pipelines/billing-api/13/build/1',
      occurredAt: '2025-03-01T10:00:00.500Z',
      summary: 'Build 13 ended Failure (was Success).',
      dedupKey: defaultDedupKey('cc', 'pipeline.failed', { project: 'billing-api', pipeline: 'billing-api :: build' }),
      data: { name: 'billing-api :: build', lastBuildLabel: '13', lastBuildStatus: 'Failure' },
    });
  });
});

it('pollIntervalSeconds comes from config', () => {
  expect(pollIntervalSeconds({ pollIntervalSeconds: 15 })).toBe(15);
});

describe('cctray source config', () => {
  const base = { id: 'cc', name: 'Feed', kind: 'cctray', url: 'https://ci.example.com/cc.xml' };
  it.each([
    ['a plain feed', {}, null],
    ['basic auth', { username: 'bot', password: 'keychain:cc' }, null],
    ['bearer auth', { token: 'env:CC_TOKEN' }, null],
    ['a username without password', { username: 'bot' }, /both username and password/],
    ['basic and bearer together', { username: 'bot', password: 'keychain:cc', token: 'env:T' }, /not both/],
    ['credentials in the URL', { url: 'https://bot:hunter2@ci.example.com/cc.xml' }, /must not contain a user or password/],
    ['a non-http URL', { url: 'file:///etc/passwd' }, /url/],
    ['a too-short interval', { pollIntervalSeconds: 1 }, /pollIntervalSeconds/],
  ])('%s', (_name, extra, problem) => {
    const result = SourceSchema.safeParse({ ...base, ...extra });
    if (problem === null) {
      expect(result.success).toBe(true);
      expect(result.data).toMatchObject({ pollIntervalSeconds: 60 });
    } else {
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toMatch(problem);
    }
  });
});

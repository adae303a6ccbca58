// DefectDojo polling end to end against a loopback fake of API v2: new findings above
// the threshold (severity carried over, capped per poll), imported scans, new products,
// upcoming engagements once each, a restart of the store in the middle, failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import { daysUntil } from '../../../../electron/hub/sources/defectdojo.js';
import { heraldSeverity, meetsThreshold } from '../../../../electron/hub/sources/defectdojo-severity.js';
import { type FakeDefectdojo, startFakeDefectdojo } from '../../../helpers/fake-defectdojo.js';
import { type PollHarness, startPollHarness } from '../../../helpers/poll-harness.js';

const TOKEN = 'dojo-api-key';
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const brief = (e: HeraldEvent) => [e.type, e.severity, e.title, e.subject];

describe('DefectDojo poller', () => {
  let dojo: FakeDefectdojo;
  let harness: PollHarness;

  beforeAll(async () => {
    dojo = await startFakeDefectdojo({ token: TOKEN });
    const shop = dojo.addProduct('shop');
    dojo.addEngagement({ name: 'Q2 pentest', product: shop.id, target_start: day(10) });
    dojo.addEngagement({ name: 'Sprint 12 review', product: shop.id, target_start: day(2), branch_tag: 'release/12' });
    dojo.addEngagement({ name: 'Done already', product: shop.id, target_start: day(1), status: 'Completed' });
    dojo.importScan(1, 'Trivy Scan', [{ title: 'Old CVE', severity: 'High' }]);
    harness = await startPollHarness(
      { id: 'dojo', kind: 'defectdojo', name: 'DefectDojo', url: dojo.url, token: 'env:DOJO', pollIntervalSeconds: 60, timeoutSeconds: 2, maxFindingEvents: 3 },
      { secrets: { token: TOKEN } },
    );
  });
  afterAll(async () => {
    await harness?.close();
    await dojo?.close();
  });

  it('takes a baseline, but announces an engagement starting within the horizon at once', async () => {
    expect(harness.newEvents().map(brief)).toEqual([
      ['engagement.upcoming', 'info', 'Engagement "Sprint 12 review" starts in 2 days', { project: 'shop', branch: 'release/12' }],
    ]);
    expect(dojo.requests.every((r) => r.authorization === `Token ${TOKEN}` && r.status === 200)).toBe(true);
    expect(dojo.requests.map((r) => `${r.path}${r.query}`)).toEqual([
      '/api/v2/products/?limit=100',
      '/api/v2/engagements/?active=true&limit=100',
      '/api/v2/tests/?o=-created&limit=100',
      '/api/v2/findings/?o=-id&limit=100&related_fields=true',
    ]);
  });

  it('raises product.added, scan.imported and finding.new at or above the threshold', async () => {
    const api = dojo.addProduct('api');
    const commit = '9fceb02d0ae598e95dc970b74767f19372d61af8';
    const engagement = dojo.addEngagement({ name: 'CI', product: api.id, target_start: day(-30), branch_tag: 'main', commit_hash: commit });
    dojo.importScan(engagement.id, 'ZAP Scan', [
      { title: 'SQL injection', severity: 'Critical', cwe: 89, file: 'src/db.ts' },
      { title: 'Missing CSP header', severity: 'Medium' },
      { title: 'Verbose server banner', severity: 'Low' },
      { title: 'SQL injection', severity: 'Critical', duplicate: true },
    ]);
    expect(await harness.poll()).toEqual({ ok: true, events: 4 });
    const events = harness.newEvents();
    expect(events.map(brief)).toEqual([
      ['product.added', 'info', 'Product added: api', { project: 'api' }],
      // The engagement's commit_hash: a scan and its findings join the commit's thread.
      ['scan.imported', 'info', 'ZAP Scan imported into api', { project: 'api', branch: 'main', commit }],
      ['finding.new', 'critical', 'Critical: SQL injection', { project: 'api', branch: 'main', commit }],
      ['finding.new', 'warning', 'Medium: Missing CSP header', { project: 'api', branch: 'main', commit }],
    ]);
    expect(events[2]!.summary).toBe('Critical finding from ZAP Scan in api. File: src/db.ts. CWE-89.');
    expect(events[2]!.url).toBe(`${dojo.url}/finding/2`);
    expect(events[2]!.data).toMatchObject({ findingId: 2, severity: 'Critical', scanType: 'ZAP Scan', cwe: 'CWE-89' });
    expect(events[1]!.url).toBe(`${dojo.url}/test/2`);
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
  });

  it('neither repeats nor misses across a restart; a rescheduled engagement is announced again', async () => {
    await harness.restart();
    expect(harness.newEvents()).toEqual([]);
    dojo.engagements[0]!.target_start = day(1); // Q2 pentest moved into the horizon
    const old = dojo.addEngagement({ name: 'Archived', product: 1, target_start: day(-90), active: false, status: 'Completed' });
    dojo.importScan(old.id, 'Bandit Scan', [{ title: 'assert used', severity: 'High' }]);
    await harness.restart();
    expect(harness.newEvents().map(brief)).toEqual([
      ['engagement.upcoming', 'info', 'Engagement "Q2 pentest" starts tomorrow', { project: 'shop' }],
      ['scan.imported', 'info', 'Bandit Scan imported into shop', { project: 'shop' }],
      ['finding.new', 'critical', 'High: assert used', { project: 'shop' }],
    ]);
    // The inactive engagement was looked up by id for the test's product.
    expect(dojo.requests.some((r) => r.path === `/api/v2/engagements/${old.id}/`)).toBe(true);
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
  });

  it('sums up findings beyond maxFindingEvents, most severe shown first', async () => {
    dojo.importScan(1, 'Semgrep JSON Report', [
      { title: 'a', severity: 'Medium' },
      { title: 'b', severity: 'High' },
      { title: 'c', severity: 'Critical' },
      { title: 'd', severity: 'High' },
      { title: 'e', severity: 'Medium' },
    ]);
    expect(await harness.poll()).toEqual({ ok: true, events: 4 });
    const events = harness.newEvents();
    expect(events.map((e) => [e.type, e.severity, e.title])).toEqual([
      ['scan.imported', 'info', 'Semgrep JSON Report imported into shop'],
      ['finding.new', 'critical', 'Critical: c'],
      ['finding.new', 'critical', 'High: b'],
      ['finding.new', 'critical', '3 more new findings (up to High)'],
    ]);
    expect(events[3]!.summary).toBe('High: d\nMedium: a\nMedium: e');
  });

  it('backs off while DefectDojo fails, turns unhealthy after three failures, recovers', async () => {
    dojo.fail('http500');
    const backoffs: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect((await harness.poll()).error).toMatch(/^HTTP 500 Internal Server Error from http:\/\/127\.0\.0\.1:\d+\/api\/v2\/products\/ \(server says: Internal server error, check logs for details\)$/);
      backoffs.push(harness.scheduler.states().dojo!.backoffMs);
    }
    expect(backoffs).toEqual([60_000, 120_000, 240_000]);
    expect(harness.healthEvents().map((e) => e.type)).toEqual(['health.integration_unhealthy']);
    dojo.fail(undefined);
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    expect(harness.healthEvents().map((e) => e.type)).toEqual(['health.integration_unhealthy', 'health.integration_recovered']);
  });

  it('names bad JSON and an unknown severity, and keeps its place', async () => {
    dojo.importScan(1, 'Trivy Scan', [{ title: 'CVE-2025-0001', severity: 'Critical' }]);
    dojo.fail('badJson');
    expect((await harness.poll()).error).toMatch(/^response from http:\/\/127\.0\.0\.1:\d+\/api\/v2\/findings\/ is not valid JSON \(application\/json\): /);
    dojo.fail('badSeverity');
    expect((await harness.poll()).error).toBe('unexpected response shape: findings.results[0].severity: expected one of Info, Low, Medium, High, Critical, got "Severe"');
    dojo.fail(undefined);
    expect(await harness.poll()).toEqual({ ok: true, events: 2 });
    expect(harness.newEvents().map((e) => e.title)).toEqual(['Trivy Scan imported into shop', 'Critical: CVE-2025-0001']);
  });

  it('refuses a wrong token with the reason', async () => {
    const wrong = await startPollHarness({ ...harness.source, id: 'dojo2' }, { secrets: { token: 'nope' } });
    try {
      expect(wrong.scheduler.states().dojo2!.lastError).toMatch(/^HTTP 401 from .*\/api\/v2\/products\/: token rejected — check the API token and its permissions \(server says: Invalid token\.\)$/);
    } finally {
      await wrong.close();
    }
  });
});

describe('DefectDojo severity rules', () => {
  it.each([
    ['Critical', 'critical'],
    ['High', 'critical'],
    ['Medium', 'warning'],
    ['Low', 'info'],
    ['Info', 'info'],
  ] as const)('%s → %s', (dojo, herald) => {
    expect(heraldSeverity(dojo)).toBe(herald);
  });

  it.each([
    ['Info', 'Medium', false],
    ['Low', 'Medium', false],
    ['Medium', 'Medium', true],
    ['Critical', 'High', true],
    ['Info', 'Info', true],
  ] as const)('%s meets minimum %s: %s', (severity, minimum, ok) => {
    expect(meetsThreshold(severity, minimum)).toBe(ok);
  });

  it.each([
    ['2025-03-03', 0],
    ['2025-03-04', 1],
    ['2025-03-01T12:00:00Z', -2],
    ['not a date', undefined],
  ])('daysUntil(%s) from 2025-03-03 23:59 UTC = %s', (date, days) => {
    expect(daysUntil(date, new Date('2025-03-03T23:59:00Z'))).toBe(days);
  });
});

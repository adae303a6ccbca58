// SecObserve polling end to end against a loopback fake of its REST API: security gate
// changes, exceptions at most once per window, paging past 100 products, a restart of
// the store in the middle, backoff and health on failures, bad JSON and a missing field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import { type FakeSecobserve, startFakeSecobserve } from '../../../helpers/fake-secobserve.js';
import { type PollHarness, startPollHarness } from '../../../helpers/poll-harness.js';

const TOKEN = 'so-api-token';
const brief = (e: HeraldEvent) => ({ type: e.type, severity: e.severity, title: e.title, subject: e.subject });
const at = (minutes: number) => new Date(Date.UTC(2025, 0, 10, 9, 0) + minutes * 60_000).toISOString();

describe('SecObserve poller', () => {
  let so: FakeSecobserve;
  let harness: PollHarness;

  beforeAll(async () => {
    so = await startFakeSecobserve({ token: TOKEN });
    // 120 products: the watched ones sit on both pages of 100.
    for (let id = 1; id <= 120; id++) so.products.push({ id, name: `filler-${id}`, security_gate_passed: null });
    Object.assign(so.products[0]!, { name: 'api', security_gate_passed: true, repository_default_branch_name: 'main', product_group_name: 'payments' });
    Object.assign(so.products[1]!, { name: 'web', security_gate_passed: false, repository_default_branch_name: 'develop' });
    Object.assign(so.products[109]!, { name: 'late', security_gate_passed: true, repository_default_branch_name: 'main' });
    so.addNotification({ name: 'Exception "KeyError" has occured', created: at(-600), message: "'x'", type: 'Exception' });
    harness = await startPollHarness(
      {
        id: 'secobserve',
        kind: 'secobserve',
        name: 'SecObserve',
        url: so.url,
        token: 'env:SO_TOKEN',
        frontendUrl: 'https://secobserve.example.com',
        pollIntervalSeconds: 60,
        timeoutSeconds: 2,
      },
      { secrets: { token: TOKEN } },
    );
  });
  afterAll(async () => {
    await harness?.close();
    await so?.close();
  });

  it('takes a baseline first, sending APIToken auth and walking every page', async () => {
    expect(harness.newEvents()).toEqual([]);
    expect(so.requests.length).toBeGreaterThanOrEqual(3);
    expect(so.requests.every((r) => r.authorization === `APIToken ${TOKEN}` && r.status === 200)).toBe(true);
    expect(so.requests.filter((r) => r.path === '/api/products/').map((r) => r.query)).toEqual(['?page_size=100', '?page_size=100&page=2']);
    expect(so.requests.find((r) => r.path === '/api/notifications/')?.query).toBe('?ordering=-created&page_size=100');
  });

  it('raises security_gate.failed and .passed when a gate changes, on any page', async () => {
    so.products[0]!.security_gate_passed = false; // api: passed → failed
    so.products[1]!.security_gate_passed = true; // web: failed → passed
    so.products[109]!.security_gate_passed = false; // late (page 2): passed → failed
    so.products[5]!.security_gate_passed = null; // stays disabled
    expect(await harness.poll()).toEqual({ ok: true, events: 3 });
    const events = harness.newEvents();
    expect(events.map(brief)).toEqual([
      { type: 'security_gate.failed', severity: 'critical', title: 'Security gate of api failed', subject: { project: 'api', branch: 'main', group: 'payments' } },
      { type: 'security_gate.passed', severity: 'success', title: 'Security gate of web passed', subject: { project: 'web', branch: 'develop' } },
      { type: 'security_gate.failed', severity: 'critical', title: 'Security gate of late failed', subject: { project: 'late', branch: 'main' } },
    ]);
    expect(events[0]!.summary).toBe('Changed from Passed to Failed on main. Open observations: 0 critical, 0 high.');
    expect(events[0]!.url).toBe('https://secobserve.example.com/#/products/1/show');
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
  });

  it('raises each exception once per window, background-task ones too, and ignores gate notifications', async () => {
    so.addNotification({ name: 'Exception "ValueError" has occured', created: at(0), message: 'bad value', type: 'Exception' });
    so.addNotification({ name: 'Exception "ValueError" has occured', created: at(10), message: 'bad value', type: 'Exception' });
    so.addNotification({
      name: 'Exception "ConnectionError" has occured',
      created: at(12),
      message: 'EPSS unreachable',
      type: 'Task',
      function: 'import_epss',
      arguments: "{'product': 1}",
      product: 1,
      product_name: 'api',
    });
    so.addNotification({ name: 'Security gate has changed to Failed', created: at(13), message: '', type: 'Security gate', product: 1, product_name: 'api' });
    expect(await harness.poll()).toEqual({ ok: true, events: 2 });
    const events = harness.newEvents();
    expect(events.map((e) => [e.type, e.severity, e.title, e.summary, e.subject.project ?? null])).toEqual([
      ['error.exception', 'critical', 'SecObserve: Exception "ValueError" has occured', 'bad value', null],
      ['error.exception', 'critical', 'SecObserve: Exception "ConnectionError" has occured', "EPSS unreachable\nin background task import_epss\narguments: {'product': 1}", 'api'],
    ]);
    expect(events[0]!.occurredAt).toBe(at(0));
  });

  it('neither repeats nor forgets the window across a restart', async () => {
    await harness.restart();
    expect(harness.newEvents()).toEqual([]);
    so.addNotification({ name: 'Exception "ValueError" has occured', created: at(30), message: 'bad value', type: 'Exception' });
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    // 61 minutes after the first one: the window has passed.
    so.addNotification({ name: 'Exception "ValueError" has occured', created: at(61), message: 'bad value', type: 'Exception' });
    so.products[0]!.security_gate_passed = true;
    await harness.restart();
    expect(harness.newEvents().map((e) => [e.type, e.title])).toEqual([
      ['security_gate.passed', 'Security gate of api passed'],
      ['error.exception', 'SecObserve: Exception "ValueError" has occured'],
    ]);
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
  });

  it('backs off on 503, turns unhealthy after three failures, recovers after', async () => {
    so.fail('http503');
    const backoffs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await harness.poll();
      expect(outcome.error).toMatch(/^HTTP 503 Service Unavailable from http:\/\/127\.0\.0\.1:\d+\/api\/products\/ \(server says: Service temporarily unavailable\)$/);
      backoffs.push(harness.scheduler.states().secobserve!.backoffMs);
    }
    expect(backoffs).toEqual([60_000, 120_000, 240_000]);
    expect(harness.healthEvents().map((e) => [e.type, e.title])).toEqual([['health.integration_unhealthy', 'SecObserve (secobserve source) is failing']]);
    so.fail(undefined);
    expect(await harness.poll()).toMatchObject({ ok: true });
    expect(harness.healthEvents().map((e) => e.type)).toEqual(['health.integration_unhealthy', 'health.integration_recovered']);
  });

  it('names bad JSON and a missing field as the health reason, and keeps running', async () => {
    so.fail('badJson');
    expect((await harness.poll()).error).toMatch(/^response from http:\/\/127\.0\.0\.1:\d+\/api\/products\/ is not valid JSON \(text\/html\): .*; it starts with "<!doctype html><title>Login<\/title>"$/);
    so.fail('badShape');
    const shape = await harness.poll();
    expect(shape.error).toBe('unexpected response shape: products.results[0].security_gate_passed: expected true, false or null, got nothing (the field is missing)');
    expect(harness.store.health.get('source', 'secobserve')).toMatchObject({ consecutiveFailures: 2, lastError: shape.error });
    so.fail(undefined);
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    expect(harness.newEvents()).toEqual([]);
  });
});

describe('SecObserve poller options', () => {
  let so: FakeSecobserve;
  afterAll(async () => so?.close());

  it('watches only the listed products, skips exceptions when asked, and uses a shorter window', async () => {
    so = await startFakeSecobserve({ token: TOKEN });
    so.products.push({ id: 1, name: 'api', security_gate_passed: true }, { id: 2, name: 'web', security_gate_passed: true });
    const base = { id: 'so', kind: 'secobserve', name: 'SO', url: so.url, token: 'env:T', pollIntervalSeconds: 60 };
    const onlyWeb = await startPollHarness({ ...base, products: ['web'], exceptions: false }, { secrets: { token: TOKEN } });
    const shortWindow = await startPollHarness({ ...base, id: 'so2', exceptionWindowSeconds: 300 }, { secrets: { token: TOKEN } });
    try {
      so.products[0]!.security_gate_passed = false;
      so.products[1]!.security_gate_passed = false;
      so.addNotification({ name: 'Exception "E" has occured', created: at(0), message: 'm', type: 'Exception' });
      so.addNotification({ name: 'Exception "E" has occured', created: at(6), message: 'm', type: 'Exception' });
      await onlyWeb.poll();
      expect(onlyWeb.newEvents().map((e) => e.title)).toEqual(['Security gate of web failed']);
      await shortWindow.poll();
      expect(shortWindow.newEvents().map((e) => e.title)).toEqual([
        'Security gate of api failed',
        'Security gate of web failed',
        'SecObserve: Exception "E" has occured',
        'SecObserve: Exception "E" has occured',
      ]);
    } finally {
      await onlyWeb.close();
      await shortWindow.close();
    }
  });
});

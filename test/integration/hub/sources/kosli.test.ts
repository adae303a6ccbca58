// Kosli snapshot polling end to end: a loopback fake of Kosli's API walks through a
// scripted sequence of snapshots; the real scheduler commits to a real store that is
// closed and reopened in the middle; failures back off and turn the source unhealthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import { testPollingSource } from '../../../../electron/hub/sources/poller.js';
import { pollingSourceFor } from '../../../../electron/hub/sources/registry.js';
import { SourceSchema } from '../../../../shared/config.js';
import { type FakeKosli, startFakeKosli } from '../../../helpers/fake-kosli.js';
import { type PollHarness, startPollHarness } from '../../../helpers/poll-harness.js';
import { makeTestCerts, type TestCerts } from '../../../helpers/tls-certs.js';

const TOKEN = 'kosli-api-token-for-tests';
const RUNNER = { name: 'runner', fingerprint: 'a'.repeat(64), flow: 'runner' };
const DIFFER = { name: 'differ', fingerprint: 'b'.repeat(64), flow: 'differ' };
const SAVER = { name: 'saver', fingerprint: 'c'.repeat(64), flow: 'saver' };

const brief = (e: HeraldEvent) => ({ type: e.type, title: e.title, subject: e.subject, ...(e.data?.from !== undefined && { from: e.data.from, to: e.data.to }) });

describe('Kosli snapshot poller', () => {
  let kosli: FakeKosli;
  let harness: PollHarness;

  beforeAll(async () => {
    kosli = await startFakeKosli({ org: 'cyber-dojo', token: TOKEN, environments: ['aws-prod', 'aws-beta'] });
    kosli.report('aws-prod', [{ ...RUNNER, instances: 1 }, { ...DIFFER, instances: 2 }], true);
    kosli.report('aws-beta', [{ ...RUNNER, instances: 1 }], true);
    harness = await startPollHarness(
      {
        id: 'kosli',
        kind: 'kosli',
        name: 'Kosli',
        host: kosli.url,
        org: 'cyber-dojo',
        environments: ['aws-prod', 'aws-beta'],
        token: 'env:KOSLI_TOKEN',
        pollIntervalSeconds: 60,
        timeoutSeconds: 2,
      },
      { secrets: { token: TOKEN } },
    );
  });
  afterAll(async () => {
    await harness?.close();
    await kosli?.close();
  });

  it('records the first snapshots as a baseline and raises nothing', async () => {
    expect(harness.scheduler.states().kosli).toMatchObject({ lastError: null });
    expect(harness.store.sourceState.get('kosli', 'poll')).toMatchObject({ environments: { 'aws-prod': { index: 1 }, 'aws-beta': { index: 1 } } });
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    expect(harness.newEvents()).toEqual([]);
    expect(kosli.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(kosli.requests.map((r) => r.path)).toContain('/api/v2/snapshots/cyber-dojo/aws-prod/-1');
  });

  it('diffs the next snapshot into scaled, started and non-compliant, with the subject rules filter on', async () => {
    kosli.report('aws-prod', [{ ...RUNNER, instances: 3 }, { ...DIFFER, instances: 2 }, { ...SAVER, instances: 1, compliant: false }], false);
    expect(await harness.poll()).toMatchObject({ ok: true, events: 3 });
    const events = harness.newEvents();
    expect(events.map(brief)).toEqual([
      {
        type: 'artifact.scaled',
        title: 'runner scaled up from 1 to 3 in aws-prod',
        // The snapshot's git_commit (the fake derives it from the fingerprint).
        subject: { group: 'cyber-dojo', environment: 'aws-prod', project: 'runner', artifact: 'runner', commit: RUNNER.fingerprint.slice(0, 40) },
        from: 1,
        to: 3,
      },
      {
        type: 'artifact.started',
        title: 'saver started running in aws-prod',
        subject: { group: 'cyber-dojo', environment: 'aws-prod', project: 'saver', artifact: 'saver', commit: SAVER.fingerprint.slice(0, 40) },
        from: 0,
        to: 1,
      },
      { type: 'compliance.noncompliant', title: 'aws-prod became non-compliant', subject: { group: 'cyber-dojo', environment: 'aws-prod' } },
    ]);
    expect(events[2]!.severity).toBe('critical');
    expect(events[0]!.url).toBe(`${kosli.url}/cyber-dojo/environments/aws-prod/snapshots/2`);
    expect(events[1]!.data).toMatchObject({ fingerprint: SAVER.fingerprint, snapshotIndex: 2 });
    expect(events[1]!.occurredAt).toBe(new Date((1_700_000_000 + 180) * 1000).toISOString());
  });

  it('asks with If-None-Match when nothing changed and raises nothing', async () => {
    const before = kosli.requests.length;
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    const asked = kosli.requests.slice(before);
    expect(asked).toHaveLength(2);
    expect(asked.every((r) => r.status === 304 && r.ifNoneMatch !== undefined)).toBe(true);
  });

  it('neither repeats nor misses a transition across a restart, fetching the snapshots in between', async () => {
    await harness.restart();
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    expect(harness.newEvents()).toEqual([]);

    // Two snapshots while "Herald was down": differ exits, then saver is allow-listed and prod is compliant again.
    kosli.report('aws-prod', [{ ...RUNNER, instances: 3 }, { ...SAVER, instances: 1, compliant: false }], false);
    kosli.report('aws-prod', [{ ...RUNNER, instances: 3 }, { ...SAVER, instances: 1, allowlisted: true }], true);
    kosli.report('aws-beta', [], true);
    await harness.restart(); // its first poll sees snapshots 3 and 4
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    expect(harness.newEvents().map(brief)).toEqual([
      {
        type: 'artifact.stopped',
        title: 'differ stopped running in aws-prod',
        subject: { group: 'cyber-dojo', environment: 'aws-prod', project: 'differ', artifact: 'differ', commit: DIFFER.fingerprint.slice(0, 40) },
        from: 2,
        to: 0,
      },
      {
        type: 'artifact.allowlisted',
        title: 'saver was added to the allow-list of aws-prod',
        subject: { group: 'cyber-dojo', environment: 'aws-prod', project: 'saver', artifact: 'saver', commit: SAVER.fingerprint.slice(0, 40) },
      },
      { type: 'compliance.compliant', title: 'aws-prod is compliant again', subject: { group: 'cyber-dojo', environment: 'aws-prod' } },
      {
        type: 'artifact.stopped',
        title: 'runner stopped running in aws-beta',
        subject: { group: 'cyber-dojo', environment: 'aws-beta', project: 'runner', artifact: 'runner', commit: RUNNER.fingerprint.slice(0, 40) },
        from: 1,
        to: 0,
      },
    ]);
    expect(kosli.requests.map((r) => r.path)).toContain('/api/v2/snapshots/cyber-dojo/aws-prod/3');
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
  });

  it('backs off while Kosli fails, turns unhealthy after three failures, and recovers', async () => {
    kosli.fail('http500');
    const backoffs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await harness.poll();
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatch(/^HTTP 500 Internal Server Error from http:\/\/127\.0\.0\.1:\d+\/api\/v2\/snapshots\/cyber-dojo\/aws-prod\/-1 \(server says: Internal server error\)$/);
      backoffs.push(harness.scheduler.states().kosli!.backoffMs);
    }
    expect(backoffs).toEqual([60_000, 120_000, 240_000]);
    const unhealthy = harness.healthEvents().filter((e) => e.type === 'health.integration_unhealthy');
    expect(unhealthy).toHaveLength(1);
    expect(unhealthy[0]!.title).toBe('Kosli (kosli source) is failing');
    expect(unhealthy[0]!.summary).toContain('HTTP 500');
    expect(harness.store.health.get('source', 'kosli')).toMatchObject({ healthy: false, consecutiveFailures: 3 });

    kosli.fail(undefined);
    expect(await harness.poll()).toEqual({ ok: true, events: 0 });
    expect(harness.healthEvents().map((e) => e.type)).toEqual(['health.integration_unhealthy', 'health.integration_recovered']);
    expect(harness.scheduler.states().kosli!.backoffMs).toBe(0);
  });

  it('reports bad JSON and an unexpected shape as the health reason, without crashing', async () => {
    kosli.report('aws-prod', [{ ...RUNNER, instances: 2 }, { ...SAVER, instances: 1, allowlisted: true }], true); // a new snapshot, so no 304 hides the failure
    kosli.fail('badJson');
    const bad = await harness.poll();
    expect(bad.error).toMatch(/^response from http:\/\/127\.0\.0\.1:\d+\/api\/v2\/snapshots\/cyber-dojo\/aws-prod\/-1 is not valid JSON \(application\/json\): /);
    kosli.fail('badShape');
    const shape = await harness.poll();
    expect(shape.error).toBe('unexpected response shape: snapshot of aws-prod.artifacts[0].fingerprint: expected a non-empty string, got nothing (the field is missing)');
    expect(harness.store.health.get('source', 'kosli').lastError).toBe(shape.error);
    kosli.fail(undefined);
    expect(await harness.poll()).toMatchObject({ ok: true, events: 1 });
    expect(harness.newEvents().map((e) => e.title)).toEqual(['runner scaled down from 3 to 2 in aws-prod']);
  });

  it('test connection names a rejected token and a wrong environment', async () => {
    const config = SourceSchema.parse({ ...harness.source, environments: ['aws-prod'] });
    const deps = (token: string) => ({ pollerFor: pollingSourceFor, resolveSecrets: async () => ({ token }) });
    expect(await testPollingSource(config, deps('wrong'))).toEqual({
      ok: false,
      detail: expect.stringMatching(/^HTTP 401 from .*: token rejected — check the API token and its permissions \(server says: Invalid API token\)$/),
    });
    const wrongEnv = SourceSchema.parse({ ...harness.source, environments: ['aws-prd'] });
    expect(await testPollingSource(wrongEnv, deps(TOKEN))).toEqual({
      ok: false,
      detail: expect.stringMatching(/^HTTP 404 from .*\/aws-prd\/-1: wrong URL or org\/product\/environment name \(server says: Environment named 'aws-prd' does not exist/),
    });
    expect(await testPollingSource(config, deps(TOKEN))).toMatchObject({ ok: true });
  });
});

describe('Kosli over HTTPS with a private CA', () => {
  let certs: TestCerts;
  let kosli: FakeKosli;
  beforeAll(async () => {
    certs = makeTestCerts();
    kosli = await startFakeKosli({ org: 'acme', token: TOKEN, environments: ['prod'], tls: certs.server });
    kosli.report('prod', [{ ...RUNNER, instances: 1 }], true);
  });
  afterAll(async () => {
    await kosli?.close();
  });

  it('fails with the CA named as unknown, and works once the CA is configured', async () => {
    const config = (tls?: object) =>
      SourceSchema.parse({ id: 'k', kind: 'kosli', name: 'K', host: kosli.url, org: 'acme', environments: ['prod'], token: 'env:T', ...(tls && { tls }) });
    const deps = { pollerFor: pollingSourceFor, resolveSecrets: async () => ({ token: TOKEN }) };
    const without = await testPollingSource(config(), deps);
    expect(without).toEqual({ ok: false, detail: expect.stringContaining('the certificate was issued by an unknown CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)') });
    expect(await testPollingSource(config({ caPem: certs.caPem }), deps)).toMatchObject({ ok: true });
  });
});

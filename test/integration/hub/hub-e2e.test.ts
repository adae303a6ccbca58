// The hub as a user runs it: a child process on free ports with a temp data dir and a
// config file; events POSTed to ingress reach a loopback sink with the template rendered.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../helpers/hub-process.js';
import { type Sink, startSink } from '../../helpers/http-sink.js';

const SECRET = 'generic-secret-for-tests';

describe('headless hub end to end', () => {
  let sink: Sink;
  let hub: HubProcess;

  beforeAll(async () => {
    sink = await startSink();
    const dir = tempDir();
    const configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI server', secret: 'env:HERALD_TEST_SECRET' }],
      channels: [
        {
          id: 'sink',
          kind: 'webhook',
          name: 'Loopback sink',
          url: `${sink.url}/hook`,
          headers: { 'X-Team': 'platform' },
          template: '{"text": "{{severityEmoji}} {{title}} on {{subject.branch}}", "type": "{{type}}", "project": "{{devtronAppName}}", "event": {{event}}}',
        },
      ],
      rules: [{ id: 'main-failures', name: 'Failures on main', match: { types: 'pipeline.f*', branch: ['main', 'release/*'] }, channels: ['sink'] }],
      settings: { delivery: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 5, unhealthyAfter: 3 } },
    });
    hub = await startHubProcess({ configFile, env: { HERALD_TEST_SECRET: SECRET } });
  });

  afterAll(async () => {
    await hub?.kill();
    await sink?.close();
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('prints its URLs and answers on both ports', async () => {
    expect(hub.output()).toMatch(/ingress:\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(hub.output()).toMatch(/ui\/api:\s+http:\/\/127\.0\.0\.1:\d+\/\?token=test-token/);
    const status = await hub.api<{ ingressUrl: string; counts: { events: number } }>('hub.status');
    expect(status.ingressUrl).toBe(hub.ingressUrl);
  });

  it('delivers a matching event with the template rendered and JSON-escaped, and keeps an unmatched one in history only', async () => {
    const failing = {
      type: 'pipeline.failed',
      title: 'Build "nightly" broke\n<script>',
      subject: { project: 'acme/api', branch: 'main', pipeline: 'nightly' },
      url: 'https://ci.example.com/runs/1',
    };
    const passing = { type: 'pipeline.succeeded', title: 'Build fine', subject: { project: 'acme/api', branch: 'main' } };
    const r1 = await post(failing);
    expect(r1.status).toBe(202);
    const accepted = (await r1.json()) as { accepted: number; ids: string[] };
    expect(accepted.accepted).toBe(1);
    // HMAC-signed instead of Bearer: also accepted.
    const body = JSON.stringify(passing);
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const r2 = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-herald-signature-256': signature },
      body,
    });
    expect(r2.status).toBe(202);
    const passingId = ((await r2.json()) as { ids: string[] }).ids[0]!;

    await waitFor(() => sink.received.length >= 1, 10_000, 'the sink to receive the failure');
    const got = sink.received[0]!;
    expect(got.url).toBe('/hook');
    expect(got.headers['x-team']).toBe('platform');
    expect(got.headers['content-type']).toMatch(/application\/json/);
    const json = got.json as { text: string; type: string; project: string; event: { id: string; title: string } };
    expect(json.text).toBe('🔴 Build "nightly" broke\n<script> on main');
    expect(json.type).toBe('pipeline.failed');
    expect(json.project).toBe('acme/api');
    expect(json.event.id).toBe(accepted.ids[0]);
    // Escaped on the wire: the title's quote and angle bracket cannot end the string or open a tag.
    expect(got.body).not.toContain('<script>');

    // The unmatched event can never be sent: deliveries are written in the ingest transaction,
    // and it has none (the api answers after that commit: the 202 came after it).
    const detail = await hub.api<{ deliveries: unknown[]; matches: unknown[] }>('events.get', { id: passingId });
    expect(detail.deliveries).toEqual([]);
    expect(detail.matches).toEqual([]);
    expect(sink.received).toHaveLength(1);
    const failedDetail = await hub.api<{ deliveries: Array<{ status: string; attempts: number }>; matches: Array<{ ruleId: string; outcome: string }> }>(
      'events.get',
      { id: accepted.ids[0] },
    );
    expect(failedDetail.matches).toMatchObject([{ ruleId: 'main-failures', outcome: 'routed' }]);
    await waitFor(async () => {
      const d = await hub.api<{ deliveries: Array<{ status: string }> }>('events.get', { id: accepted.ids[0] });
      return d.deliveries[0]?.status === 'delivered';
    });

    const all = await hub.api<{ total: number; items: Array<{ id: string }> }>('events.list', {});
    expect(all.total).toBe(2);
    const search = await hub.api<{ total: number; items: Array<{ id: string }> }>('events.list', { text: 'nightl' });
    expect(search.items.map((e) => e.id)).toEqual([accepted.ids[0]]);
  });

  it('retries a failing sink with backoff and delivers once it recovers; a manual retry sends a failed delivery again', async () => {
    sink.received.length = 0;
    sink.respond(503, 'down for maintenance');
    const r = await post({ type: 'pipeline.failed', title: 'Retry me', subject: { branch: 'release/2.0' } });
    const id = ((await r.json()) as { ids: string[] }).ids[0]!;
    await waitFor(async () => {
      const d = await hub.api<{ deliveries: Array<{ attempts: number; lastError: string | null }> }>('events.get', { id });
      return (d.deliveries[0]?.attempts ?? 0) >= 2 && d.deliveries[0]?.lastError?.includes('503');
    });
    sink.respond(200, 'ok');
    await waitFor(() => sink.received.length === 1, 10_000, 'delivery after recovery');

    // Exhaust the attempts: the delivery is failed with its last error, then retried by hand.
    sink.received.length = 0;
    sink.respond(500, 'boom');
    const r2 = await post({ type: 'pipeline.failed', title: 'Give up on me', subject: { branch: 'main' } });
    const id2 = ((await r2.json()) as { ids: string[] }).ids[0]!;
    const failed = await waitFor(async () => {
      const d = await hub.api<{ deliveries: Array<{ id: string; status: string; attempts: number; lastError: string }> }>('events.get', { id: id2 });
      return d.deliveries[0]?.status === 'failed' ? d.deliveries[0] : undefined;
    }, 20_000);
    expect(failed.attempts).toBe(5);
    expect(failed.lastError).toMatch(/gave up after 5 attempts.*500/);
    const health = await hub.api<{ channels: Array<{ id: string; health: { healthy: boolean; lastError: string } }> }>('hub.status');
    expect(health.channels.find((c) => c.id === 'sink')?.health.healthy).toBe(false);
    // Turning unhealthy is itself an event.
    const unhealthy = await hub.api<{ items: Array<{ title: string }> }>('events.list', { types: ['health.integration_unhealthy'] });
    expect(unhealthy.items[0]?.title).toMatch(/Loopback sink .* is failing/);

    sink.respond(200, 'ok');
    const retried = await hub.api<{ status: string }>('deliveries.retry', { id: failed.id });
    expect(retried.status).toBe('pending');
    await waitFor(() => sink.received.some((r) => (r.json as { text: string }).text.includes('Give up on me')));
    await waitFor(async () => {
      const recovered = await hub.api<{ items: unknown[] }>('events.list', { types: ['health.integration_recovered'] });
      return recovered.items.length === 1;
    });
  });
});

// Services that quote the request back ("bad key abc123", the path of a webhook URL that was
// not found) must not put a channel's or a source's secret into what Herald writes down:
// "send test" and "test connection" answers, a delivery's error, health, the log, and the
// health.integration_unhealthy event that other channels send to their audience. The hub
// as a user runs it, against a loopback server that echoes what it was sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../helpers/hub-process.js';
import { type FakeServer, startFakeServer } from '../../helpers/fake-http.js';

const SOURCE_SECRET = 'generic-secret-for-tests';
const API_KEY = 'apikey-SECRET-0123456789';
const DISCORD_TOKEN = 'DiscordWebhookTOKEN_abcdefghijklmnop';
const DEVTRON_TOKEN = 'devtron-SECRETTOKEN-98765';
const SECRETS = [API_KEY, DISCORD_TOKEN, DEVTRON_TOKEN];

const leaks = (text: string) => SECRETS.filter((secret) => text.includes(secret));

describe('secrets quoted back by a service stay out of what Herald records and sends on', () => {
  let echo: FakeServer;
  let watch: FakeServer;
  let hub: HubProcess;

  beforeAll(async () => {
    // Quotes the credentials and the path it was sent, as some services' error answers do.
    echo = await startFakeServer((req) => ({
      status: 401,
      body: { message: `rejected: key=${req.headers['x-api-key'] ?? '-'} token=${req.headers.token ?? '-'} path=${req.path}` },
    }));
    watch = await startFakeServer(() => ({ status: 200, body: 'ok' }));
    const configFile = writeConfig(tempDir(), {
      sources: [
        { id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_TEST_SECRET' },
        { id: 'dt', kind: 'devtron-poll', name: 'Devtron', url: echo.url, apps: ['12:payments'], token: 'env:HERALD_TEST_DEVTRON' },
      ],
      channels: [
        { id: 'api', kind: 'webhook', name: 'Some API', url: `${echo.url}/notify`, secretHeaders: { 'X-Api-Key': 'env:HERALD_TEST_API_KEY' } },
        { id: 'dc', kind: 'discord', name: 'Discord', webhookUrl: 'env:HERALD_TEST_DISCORD' },
        { id: 'watch', kind: 'webhook', name: 'Team room', url: `${watch.url}/room` },
      ],
      rules: [
        { id: 'failures', name: 'Failures', match: { types: 'pipeline.failed' }, channels: ['api', 'dc'] },
        { id: 'health', name: 'Health', match: { types: 'health.*' }, channels: ['watch'] },
      ],
      settings: { delivery: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 1, unhealthyAfter: 1 } },
    });
    hub = await startHubProcess({
      configFile,
      env: {
        HERALD_TEST_SECRET: SOURCE_SECRET,
        HERALD_TEST_API_KEY: API_KEY,
        HERALD_TEST_DISCORD: `${echo.url}/api/webhooks/123456789012345678/${DISCORD_TOKEN}`,
        HERALD_TEST_DEVTRON: DEVTRON_TOKEN,
      },
    });
  });

  afterAll(async () => {
    await hub?.kill();
    await echo?.close();
    await watch?.close();
  });

  it('"send test" says what the service answered, the secret cut out', async () => {
    for (const id of ['api', 'dc']) {
      const answer = await hub.api<{ ok: boolean; detail: string }>('channels.test', { id });
      expect(answer.ok).toBe(false);
      expect(answer.detail).toMatch(/^HTTP 401: rejected: .*\[redacted\]/);
      expect(leaks(answer.detail)).toEqual([]);
    }
    // The service did get the secrets: it is the answer that is cleaned, not the request.
    expect(echo.requests.some((r) => r.headers['x-api-key'] === API_KEY)).toBe(true);
    expect(echo.requests.some((r) => r.path.endsWith(DISCORD_TOKEN))).toBe(true);
  });

  it("a failed delivery's error, the channel's health and the unhealthy event sent to another channel hold no secret", async () => {
    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SOURCE_SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'nightly failed' }),
    });
    expect(res.status).toBe(202);
    const [id] = ((await res.json()) as { ids: string[] }).ids;
    type Detail = { deliveries: Array<{ channelId: string; status: string; lastError: string | null }> };
    const detail = await waitFor(async () => {
      const d = await hub.api<Detail>('events.get', { id });
      return d.deliveries.length === 2 && d.deliveries.every((x) => x.status === 'failed') ? d : undefined;
    }, 15_000, 'both deliveries to fail');
    for (const delivery of detail.deliveries) {
      expect(delivery.lastError).toMatch(/\[redacted\]/);
      expect(leaks(delivery.lastError!)).toEqual([]);
    }
    const channels = await hub.api<Array<{ config: { id: string }; health: { lastError: string | null } }>>('channels.list');
    for (const channel of channels.filter((c) => c.config.id !== 'watch')) expect(leaks(channel.health.lastError ?? '')).toEqual([]);
    // Both channels turned unhealthy: the team room heard of it, with the last error but not the secret.
    await waitFor(() => watch.requests.filter((r) => r.body.includes('health.integration_unhealthy') && /Some API|Discord/.test(r.body)).length >= 2, 15_000, 'the unhealthy events');
    for (const request of watch.requests) expect(leaks(request.body)).toEqual([]);
  });

  it("a polled source's health, test connection, unhealthy event and log line hold no token", async () => {
    type Source = { id: string; health: { lastError: string | null } };
    const source = await waitFor(async () => (await hub.api<{ sources: Source[] }>('hub.status')).sources.find((s) => s.id === 'dt' && s.health.lastError), 15_000, 'the first poll to fail');
    expect(source.health.lastError).toMatch(/HTTP 401 .*server says: rejected: .*\[redacted\]/);
    expect(leaks(source.health.lastError!)).toEqual([]);
    const test = await hub.api<{ ok: boolean; detail: string }>('sources.test', { id: 'dt' });
    expect(test).toMatchObject({ ok: false, detail: expect.stringMatching(/\[redacted\]/) });
    expect(leaks(test.detail)).toEqual([]);
    await waitFor(() => watch.requests.some((r) => r.body.includes('health.integration_unhealthy') && r.body.includes('Devtron')), 15_000, "the source's unhealthy event");
    for (const request of watch.requests) expect(leaks(request.body)).toEqual([]);
    expect(hub.output()).toMatch(/poll: dt \(devtron-poll\) failed/);
    expect(leaks(hub.output())).toEqual([]);
  });
});

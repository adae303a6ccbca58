// "Send test message": a herald.test event through the real channel, and an answer that
// says what went wrong — against real loopback servers (HTTP, HTTPS with a self-signed
// certificate, the Slack fake).
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelSchema } from '../../../../shared/config.js';
import { explainResult, testChannel } from '../../../../electron/hub/channels/test-message.js';
import { deadPort, startFakeServer, type FakeServer, type Reply } from '../../../helpers/fake-http.js';
import { startFakeSlack, type FakeSlack } from '../../../helpers/fake-slack.js';
import { selfSignedCert } from '../../../helpers/fake-tls.js';

let sink: FakeServer;
let slack: FakeSlack;
let tlsServer: https.Server;
let tlsPort = 0;
const replies: Record<string, Reply> = {
  '/ok': { status: 200, body: 'ok' },
  '/gone': { status: 404, body: 'no_service' },
  '/unauthorized': { status: 401, body: { message: 'bad token' } },
  '/forbidden': { status: 403, body: 'action_prohibited' },
  '/bad': { status: 400, body: 'invalid_payload' },
  '/slow': { status: 429, headers: { 'retry-after': '3' }, body: 'slow down' },
};

beforeAll(async () => {
  sink = await startFakeServer((req) => replies[req.path] ?? { status: 500 });
  slack = await startFakeSlack();
  const cert = selfSignedCert();
  tlsServer = https.createServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  tlsPort = (tlsServer.address() as AddressInfo).port;
});
afterAll(async () => {
  await Promise.all([sink.close(), slack.close(), new Promise((r) => tlsServer.close(r))]);
});

const webhook = (url: string) => ChannelSchema.parse({ id: 'hook', kind: 'webhook', name: 'My hook', url });

describe('testChannel', () => {
  it('sends a herald.test event and answers ok', async () => {
    const before = sink.requests.length;
    expect(await testChannel(webhook(`${sink.url}/ok`), {})).toEqual({ ok: true, detail: 'sent (HTTP 200)' });
    const body = JSON.parse(sink.requests[before]!.body);
    expect(body.event).toMatchObject({ type: 'herald.test', title: 'Test message from Herald', summary: 'If you can read this, the channel "My hook" works.' });
  });

  const answers: [string, string, string][] = [
    ['404: the webhook is gone', '/gone', 'HTTP 404: no_service — the webhook does not exist (deleted or mistyped): create a new one and paste its URL'],
    ['401: credentials', '/unauthorized', 'HTTP 401: bad token — the service did not accept the credentials: check the token or webhook URL'],
    ['403: refused', '/forbidden', 'HTTP 403: action_prohibited — the service refused: the token lacks a permission, or the webhook was disabled'],
    ['400 with the service\'s text', '/bad', 'HTTP 400: invalid_payload'],
    ['429: wait', '/slow', 'HTTP 429: slow down — the service asks to wait 3 s (temporary: deliveries would be retried)'],
  ];
  it.each(answers)('%s', async (_name, path, detail) => {
    expect(await testChannel(webhook(`${sink.url}${path}`), {})).toEqual({ ok: false, detail });
  });

  it('TLS: a self-signed certificate is named as such', async () => {
    expect(await testChannel(webhook(`https://127.0.0.1:${tlsPort}/hook`), {})).toEqual({
      ok: false,
      detail: `TLS: the certificate is self-signed for 127.0.0.1:${tlsPort} (DEPTH_ZERO_SELF_SIGNED_CERT)`,
    });
  });

  it('TLS: https to a plain HTTP port is named as such', async () => {
    const result = await testChannel(webhook(`https://127.0.0.1:${sink.port}/ok`), {});
    expect(result).toEqual({ ok: false, detail: `TLS: the server does not speak TLS on this port (should the URL start with http://?) for 127.0.0.1:${sink.port} (ERR_SSL_WRONG_VERSION_NUMBER)` });
  });

  it('nothing listening: connection refused', async () => {
    const port = await deadPort();
    expect(await testChannel(webhook(`http://127.0.0.1:${port}/x`), {})).toEqual({
      ok: false,
      detail: `connection refused by 127.0.0.1:${port} (ECONNREFUSED): nothing is listening there (temporary: deliveries would be retried)`,
    });
  });

  it('Slack: a deleted webhook', async () => {
    const config = ChannelSchema.parse({ id: 's', kind: 'slack', name: 'S', webhookUrl: 'keychain:s' });
    expect(await testChannel(config, { webhookUrl: `${slack.url}/services/T/B/gone` })).toEqual({
      ok: false,
      detail: 'HTTP 404: channel_not_found — the webhook does not exist (deleted or mistyped): create a new one and paste its URL',
    });
    expect(await testChannel(config, { webhookUrl: `${slack.url}/services/T/B/fine` })).toEqual({ ok: true, detail: 'sent' });
  });

  it('email without recipients says what to set', async () => {
    const config = ChannelSchema.parse({ id: 'e', kind: 'email', name: 'E', host: '127.0.0.1', from: 'h@x.example' });
    expect(await testChannel(config, {})).toEqual({ ok: false, detail: 'no recipients: set To on the channel, or recipients on the rule' });
  });
});

describe('explainResult', () => {
  it.each([
    [{ kind: 'ok' as const }, { ok: true, detail: 'sent' }],
    [{ kind: 'fail' as const, reason: 'DNS: x not found' }, { ok: false, detail: 'DNS: x not found' }],
    [{ kind: 'retry' as const, reason: 'HTTP 503: down', afterMs: 1500 }, { ok: false, detail: 'HTTP 503: down — the service asks to wait 2 s (temporary: deliveries would be retried)' }],
  ])('%j', (result, expected) => expect(explainResult(result)).toEqual(expected));
});

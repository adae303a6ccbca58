// The webhook channel against a real HTTP server on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookChannelSchema } from '../../../../shared/config.js';
import { renderJsonTemplate } from '../../../../shared/json-template.js';
import { outboundEvent, templateVariables } from '../../../../shared/template-variables.js';
import { webhookChannel, type WebhookChannelConfig } from '../../../../electron/hub/channels/webhook.js';
import { deadPort, startFakeServer, type FakeServer, type Reply } from '../../../helpers/fake-http.js';
import { makeEvent } from '../../../helpers/fake-event.js';

const SECRET_PATH = '/hooks/T0SECRET/B0SECRET/xoxSECRETtoken';
const TEMPLATE = '{"text": "{{severityEmoji}} {{title}} ({{devtronAppName}})", "event": {{event}}, "rule": "{{rule.name}}"}';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function config(url: string, extra: Partial<WebhookChannelConfig> = {}): WebhookChannelConfig {
  return WebhookChannelSchema.parse({ id: 'hook', kind: 'webhook', name: 'Hook', url, ...extra });
}
const message = { event: makeEvent(), rule: { id: 'r1', name: 'Failures' } };
const send = (cfg: WebhookChannelConfig, secrets: Record<string, string> = {}, signal = new AbortController().signal) =>
  webhookChannel.send(message, cfg, secrets, signal);

async function sink(reply: Reply | ((n: number) => Reply)) {
  server = await startFakeServer(() => (typeof reply === 'function' ? reply(server!.requests.length) : reply));
  return server;
}

describe('webhook channel over real HTTP', () => {
  it('sends the rendered template with plain and secret headers, and 200 is ok', async () => {
    const s = await sink({ status: 200, body: 'ok' });
    const cfg = config(`${s.url}${SECRET_PATH}?team=abc`, {
      method: 'PUT',
      template: TEMPLATE,
      headers: { 'X-Team': 'platform' },
      secretHeaders: { Authorization: 'keychain:hook-auth' },
    });
    const result = await send(cfg, { 'secretHeaders.Authorization': 'Bearer s3cret' });
    expect(result).toEqual({ kind: 'ok', detail: 'HTTP 200' });
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0]!;
    expect(req.method).toBe('PUT');
    expect(req.path).toBe(`${SECRET_PATH}?team=abc`);
    expect(req.body).toBe(renderJsonTemplate(TEMPLATE, templateVariables(message.event, { rule: message.rule })));
    expect(JSON.parse(req.body)).toEqual({
      text: '🔴 ci failed on main (acme/api)',
      event: outboundEvent(message.event),
      rule: 'Failures',
    });
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-team']).toBe('platform');
    expect(req.headers.authorization).toBe('Bearer s3cret');
  });

  it('without a template sends {event, rule}', async () => {
    const s = await sink({ status: 204 });
    expect((await send(config(`${s.url}/in`))).kind).toBe('ok');
    expect(JSON.parse(s.requests[0]!.body)).toEqual({ event: outboundEvent(message.event), rule: message.rule });
  });

  it('a user Content-Type replaces the default', async () => {
    const s = await sink({ status: 200 });
    await send(config(`${s.url}/in`, { headers: { 'content-type': 'application/vnd.custom+json' } }));
    expect(s.requests[0]!.headers['content-type']).toBe('application/vnd.custom+json');
  });

  const answers: [string, Reply, { kind: string; reason?: RegExp; afterMs?: number }][] = [
    ['500 → retry', { status: 500, body: 'upstream broke' }, { kind: 'retry', reason: /^HTTP 500: upstream broke$/ }],
    ['503 with Retry-After date → retry', { status: 503, headers: { 'retry-after': new Date(Date.now() + 30_000).toUTCString() } }, { kind: 'retry', reason: /^HTTP 503: Service Unavailable$/ }],
    ['429 + Retry-After: 7 → retry in 7 s', { status: 429, headers: { 'retry-after': '7' }, body: 'slow down' }, { kind: 'retry', reason: /^HTTP 429: slow down$/, afterMs: 7000 }],
    ['404 → fail with the body text', { status: 404, body: 'no_service' }, { kind: 'fail', reason: /^HTTP 404: no_service$/ }],
    ['400 JSON error → fail with its message', { status: 400, body: { message: 'Invalid Form Body', code: 50006 } }, { kind: 'fail', reason: /^HTTP 400: Invalid Form Body$/ }],
    ['401 → fail', { status: 401, body: '' }, { kind: 'fail', reason: /^HTTP 401: Unauthorized$/ }],
    ['301 → fail, redirect not followed', { status: 301, headers: { location: 'https://new.example/hooks/NEWSECRET123' } }, { kind: 'fail', reason: /redirects to https:\/\/new\.example\/hooks\/\*\*\*;/ }],
  ];
  it.each(answers)('%s', async (_name, reply, expected) => {
    const s = await sink(reply);
    const result = await send(config(`${s.url}${SECRET_PATH}`));
    expect(result.kind).toBe(expected.kind);
    if (result.kind !== 'ok') expect(result.reason).toMatch(expected.reason!);
    if (expected.afterMs !== undefined) expect(result).toMatchObject({ afterMs: expected.afterMs });
    if (reply.status === 503) expect((result as { afterMs: number }).afterMs).toBeGreaterThan(25_000);
    expect(s.requests).toHaveLength(1);
  });

  it('connection refused → retry naming it, URL token not in the reason', async () => {
    const port = await deadPort();
    const result = await send(config(`http://127.0.0.1:${port}${SECRET_PATH}`));
    expect(result).toEqual({ kind: 'retry', reason: `connection refused by 127.0.0.1:${port} (ECONNREFUSED): nothing is listening there` });
  });

  it('no answer within timeoutMs → retry naming the timeout', async () => {
    const s = await sink({ status: 200, hang: true });
    const started = Date.now();
    const result = await send(config(`${s.url}${SECRET_PATH}`, { timeoutMs: 300 }));
    expect(result).toEqual({ kind: 'retry', reason: `timeout: no answer from 127.0.0.1:${s.port} within 300 ms` });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('basic auth goes in a secret header (a URL with user:password@ is refused when saved), and is never quoted', async () => {
    expect(() => config(`http://ops:p%40ss%3Aword@127.0.0.1:9/in`)).toThrow(/must not carry a user or password/);
    const s = await sink({ status: 401, body: 'bad credentials' });
    const basic = `Basic ${Buffer.from('ops:p@ss:word').toString('base64')}`;
    const result = await send(config(`${s.url}/in`, { secretHeaders: { Authorization: 'keychain:hook-basic' } }), { 'secretHeaders.Authorization': basic });
    expect(s.requests[0]!.headers.authorization).toBe(basic);
    expect(result).toEqual({ kind: 'fail', reason: 'HTTP 401: bad credentials' });
  });

  it('a huge error answer is read only as far as needed, and its words are quoted short', async () => {
    const s = await sink({ status: 500, body: `${'upstream exploded '.repeat(60_000)}` });
    const result = await send(config(`${s.url}/in`));
    expect(result.kind).toBe('retry');
    expect(result.kind !== 'ok' && result.reason).toMatch(/^HTTP 500: upstream exploded upstream exploded/);
    expect(result.kind !== 'ok' && result.reason.length).toBeLessThanOrEqual(320);
    // The connection after a cut-off answer is not reused in a broken state: the next send works.
    const next = await sink({ status: 200 });
    expect(await send(config(`${next.url}/in`))).toEqual({ kind: 'ok', detail: 'HTTP 200' });
  });

  it('a huge answer of declared length is cut off too, and the same service then answers the next send', async () => {
    const huge = 'x'.repeat(3_000_000);
    const s = await sink((n) => (n === 1 ? { status: 503, headers: { 'content-length': String(huge.length) }, body: huge } : { status: 200 }));
    const result = await send(config(`${s.url}/in`));
    expect(result.kind).toBe('retry');
    expect(result.kind !== 'ok' && result.reason).toMatch(/^HTTP 503: x{100}/);
    expect(await send(config(`${s.url}/in`))).toEqual({ kind: 'ok', detail: 'HTTP 200' });
    expect(s.requests).toHaveLength(2);
  });

  it('two channels to one service with different plain headers: each send carries its own (checked once per channel config)', async () => {
    const s = await sink({ status: 200 });
    const a = config(`${s.url}/in`, { headers: { 'X-Team': 'alpha' } });
    const b = config(`${s.url}/in`, { headers: { 'X-Team': 'beta', 'Content-Type': 'application/vnd.b+json' } });
    for (const cfg of [a, b, a, b]) expect((await send(cfg)).kind).toBe('ok');
    expect(s.requests.map((r) => [r.headers['x-team'], r.headers['content-type']])).toEqual([
      ['alpha', 'application/json'],
      ['beta', 'application/vnd.b+json'],
      ['alpha', 'application/json'],
      ['beta', 'application/vnd.b+json'],
    ]);
  });

  it('many sends to one service share kept-alive connections', async () => {
    const s = await sink({ status: 200 });
    for (let i = 0; i < 20; i++) expect((await send(config(`${s.url}/in`))).kind).toBe('ok');
    expect(s.requests).toHaveLength(20);
    expect(s.connections()).toBeLessThanOrEqual(2);
  });

  it('the caller aborting → retry', async () => {
    const s = await sink({ status: 200, hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await send(config(`${s.url}/in`), {}, controller.signal)).toMatchObject({ kind: 'retry', reason: /cancelled/ });
  });

  it('a secret header without a value fails before sending', async () => {
    const s = await sink({ status: 200 });
    const result = await send(config(`${s.url}/in`, { secretHeaders: { Authorization: 'keychain:x' } }));
    expect(result).toEqual({ kind: 'fail', reason: 'secret header Authorization has no value: set it (keychain:x) in the channel settings' });
    expect(s.requests).toHaveLength(0);
  });

  it('a secret header value that is not a valid header fails without quoting it', async () => {
    const s = await sink({ status: 200 });
    const result = await send(config(`${s.url}/in`, { secretHeaders: { Authorization: 'keychain:x' } }), {
      'secretHeaders.Authorization': 'Bearer tok\nX-Evil: 1',
    });
    expect(result.kind).toBe('fail');
    expect(JSON.stringify(result)).not.toContain('tok');
    expect(s.requests).toHaveLength(0);
  });

  it('a template that stopped rendering fails with the template error', async () => {
    const s = await sink({ status: 200 });
    // The schema refuses such a template at save time; a stored one (older version, hand-edited store) still must not crash.
    const result = await send({ ...config(`${s.url}/in`), template: '{"a": "{{nope}}"}' });
    expect(result).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/^template: unknown variable \{\{nope\}\} at line 1 col 8; known: id, type,/) });
    expect(s.requests).toHaveLength(0);
  });

  it('event text cannot change the body structure on the wire', async () => {
    const s = await sink({ status: 200 });
    const evil = makeEvent({ title: '", "admin": true, "x": "</script>', summary: '\\"}' });
    await webhookChannel.send({ event: evil }, config(`${s.url}/in`, { template: '{"t": "{{title}}", "s": "{{summary}}"}' }), {}, new AbortController().signal);
    const body = s.requests[0]!.body;
    expect(JSON.parse(body)).toEqual({ t: evil.title, s: evil.summary });
    expect(body).not.toContain('</script>');
  });
});

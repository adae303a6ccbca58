// One conformance suite every HTTP channel kind runs (as Alertmanager's notifiers share
// their retry/redaction tests): the channel sends to a real loopback server answering a
// scripted status, and the suite checks what the delivery worker relies on —
// 2xx → ok; 429 with Retry-After → retry after that long; 5xx → retry; other 4xx and
// redirects → fail; no secret value in any result text (also for network errors); and
// untrusted event text escaped for the channel's format.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelConfig } from '../../shared/config.js';
import type { Channel, ResolvedSecrets, SendResult } from '../../electron/hub/channels/channel.js';
import { makeEvent } from './fake-event.js';
import { deadPort, startFakeServer, type FakeServer, type RecordedRequest, type Reply } from './fake-http.js';

/** Event text an attacker controls (a commit message, a branch name): markup, mentions, links, control characters. */
export const HOSTILE = {
  title: '<!channel> **pwn** [click](https://evil.example/x) <b>bold</b> <@U123ABC> @everyone \u0007\u001b[31m',
  summary: 'line one\n# heading\n- item\n<script>alert(1)</script> [click](https://evil.example/x) <!here>\u2028sep',
  project: '<@U123ABC> [p](https://evil.example/p)',
};

export interface ChannelConformanceCase<C extends ChannelConfig> {
  /** Shown in the test names: `slack (webhook)`. */
  name: string;
  channel: Channel<C>;
  /** The channel's config pointing at the loopback server (`base` has no trailing slash). */
  config(base: string): C;
  /** The resolved secrets for that config (a webhook URL with its token, a bot token, a password). */
  secrets(base: string): ResolvedSecrets;
  /** Secret values (or their secret parts) that must never appear in a result's text. */
  secretValues: string[];
  /** What the service answers when it accepts (default: 200 with an empty body). */
  okReply?: Reply;
  /** Fragments that must not survive in any string of the JSON body sent (unescaped markup). */
  forbiddenInText: string[];
  /** The request body as JSON (default JSON.parse; Slack's Web API posts a form). */
  decodeBody?(raw: string): unknown;
  /** Further checks of the body sent for the hostile event (mentions off, plain-text title). */
  checkBody?(body: unknown, raw: string): void;
}

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const resultText = (result: SendResult) => JSON.stringify(result);

/** Statuses and what the worker must be told; `afterMs` only where a Retry-After is given. */
const STATUS_TABLE: { reply: Reply; kind: SendResult['kind']; afterMs?: number }[] = [
  { reply: { status: 429, headers: { 'retry-after': '7' }, body: { error: 'rate limited' } }, kind: 'retry', afterMs: 7_000 },
  { reply: { status: 500, body: 'internal error' }, kind: 'retry' },
  { reply: { status: 502, body: '<html><body>bad gateway</body></html>', headers: { 'content-type': 'text/html' } }, kind: 'retry' },
  { reply: { status: 503, headers: { 'retry-after': '2' }, body: 'maintenance' }, kind: 'retry', afterMs: 2_000 },
  { reply: { status: 400, body: { error: 'invalid_payload' } }, kind: 'fail' },
  { reply: { status: 401, body: 'unauthorized' }, kind: 'fail' },
  { reply: { status: 403, body: { message: 'forbidden' } }, kind: 'fail' },
  { reply: { status: 404, body: 'no such webhook' }, kind: 'fail' },
  { reply: { status: 413, body: 'too large' }, kind: 'fail' },
];

export function describeChannelConformance<C extends ChannelConfig>(spec: ChannelConformanceCase<C>): void {
  describe(`channel conformance: ${spec.name}`, () => {
    let server: FakeServer;
    let next: Reply = { status: 200 };
    const signal = () => new AbortController().signal;
    const send = (base: string, event = makeEvent()) => spec.channel.send({ event, rule: { id: 'r1', name: 'Prod' } }, spec.config(base), spec.secrets(base), signal());
    const expectNoSecret = (result: SendResult) => {
      const text = resultText(result);
      for (const secret of spec.secretValues) expect(text, `a secret appears in ${text}`).not.toContain(secret);
    };

    beforeAll(async () => {
      server = await startFakeServer(() => next);
    });
    afterAll(async () => {
      await server.close();
    });

    it('2xx → ok', async () => {
      for (const status of [200, 201, 204]) {
        next = status === 200 && spec.okReply ? spec.okReply : { status, ...(status !== 204 && spec.okReply?.body !== undefined && { body: spec.okReply.body }) };
        const result = await send(server.url);
        expect(result.kind, `HTTP ${status}: ${resultText(result)}`).toBe('ok');
      }
    });

    it.each(STATUS_TABLE.map((row) => [row.reply.status, row.kind, row] as const))('HTTP %s → %s, no secret in the reason', async (_status, _kind, row) => {
      next = row.reply;
      const result = await send(server.url);
      expect(result.kind, resultText(result)).toBe(row.kind);
      if (row.afterMs !== undefined) expect(result).toMatchObject({ afterMs: row.afterMs });
      if (result.kind !== 'ok') expect(result.reason).toMatch(new RegExp(`${row.reply.status}|rate limited`, 'i'));
      expectNoSecret(result);
    });

    it('a redirect to a URL carrying the secret → fail, the secret not quoted', async () => {
      next = { status: 302, headers: { location: spec.secrets(server.url).webhookUrl ?? `${server.url}/moved/${spec.secretValues[0]}` } };
      const result = await send(server.url);
      expect(result.kind, resultText(result)).toBe('fail');
      expectNoSecret(result);
    });

    it('connection refused → retry, the secret not quoted', async () => {
      const base = `http://127.0.0.1:${await deadPort()}`;
      const result = await send(base);
      expect(result.kind, resultText(result)).toBe('retry');
      expectNoSecret(result);
    });

    it('no answer within the timeout → retry, the secret not quoted', async () => {
      next = { status: 200, hang: true };
      const result = await spec.channel.send(
        { event: makeEvent() },
        { ...spec.config(server.url), timeoutMs: 150 } as C,
        spec.secrets(server.url),
        signal(),
      );
      expect(result.kind, resultText(result)).toBe('retry');
      expectNoSecret(result);
    });

    it('untrusted event text is escaped for the channel format', async () => {
      next = spec.okReply ?? { status: 200 };
      const before = server.requests.length;
      const event = makeEvent({ title: HOSTILE.title, summary: HOSTILE.summary, subject: { project: HOSTILE.project, branch: 'main' } });
      const result = await send(server.url, event);
      expect(result.kind, resultText(result)).toBe('ok');
      const request: RecordedRequest | undefined = server.requests[before];
      expect(request).toBeDefined();
      const body: unknown = spec.decodeBody ? spec.decodeBody(request!.body) : JSON.parse(request!.body);
      const texts = strings(body);
      for (const fragment of spec.forbiddenInText) {
        const leaking = texts.find((t) => t.includes(fragment));
        expect(leaking, `"${fragment}" reaches the ${spec.name} message unescaped`).toBeUndefined();
      }
      spec.checkBody?.(body, request!.body);
    });
  });
}

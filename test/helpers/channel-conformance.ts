// One conformance suite every channel kind runs (HTTP kinds; email over SMTP further down), as Alertmanager's notifiers share
// their retry/redaction tests: the channel sends to a real loopback server answering a
// scripted status, and the suite checks what the delivery worker relies on —
// 2xx → ok; 429 with Retry-After → retry after that long; 5xx → retry; other 4xx and
// redirects → fail; no secret value in any result text (also for network errors); and
// untrusted event text escaped for the channel's format, in one event's message and in a
// storm group's (a line per event).
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelConfig } from '../../shared/config.js';
import type { Channel, ResolvedSecrets, SendResult } from '../../electron/hub/channels/channel.js';
import { buildGroupEvent } from '../../electron/hub/rules/storm-group-sender.js';
import { makeEvent } from './fake-event.js';
import { deadPort, startFakeServer, type FakeServer, type RecordedRequest, type Reply } from './fake-http.js';
import { selfSignedCert } from './fake-tls.js';
import { forceGc } from './force-gc.js';

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

    /** Called as each request arrives (before the reply). */
    let onRequest: (() => void) | undefined;

    beforeAll(async () => {
      server = await startFakeServer(() => {
        onRequest?.();
        onRequest = undefined;
        return next;
      });
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

    it('no answer within the timeout → retry, the secret not quoted (also when a GC runs while it waits)', async () => {
      next = { status: 200, hang: true };
      const arrived = new Promise<void>((resolve) => (onRequest = resolve));
      const sending = spec.channel.send(
        { event: makeEvent() },
        { ...spec.config(server.url), timeoutMs: 500 } as C,
        spec.secrets(server.url),
        signal(),
      );
      // A collection while the request waits must not take its deadline with it (a deadline
      // signal held only weakly never fired, and the send waited for good).
      await Promise.race([arrived, sending]);
      forceGc();
      const result = await Promise.race([sending, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 10_000).unref())]);
      expect(result, 'the send is still waiting 10 s after its 500 ms timeout').not.toBe('still waiting');
      expect((result as SendResult).kind, resultText(result as SendResult)).toBe('retry');
      expectNoSecret(result as SendResult);
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

    it("a storm group's message (a line per hostile event) is sent, counted and escaped the same", async () => {
      next = spec.okReply ?? { status: 200 };
      const before = server.requests.length;
      const hostile = [1, 2, 3].map((i) =>
        makeEvent({ id: `h${i}`, title: `${HOSTILE.title} ${i}`, summary: HOSTILE.summary, subject: { project: HOSTILE.project, branch: `b${i}` } }),
      );
      const group = { ruleId: 'r1', ruleName: 'Prod', key: '[]', by: { project: HOSTILE.project }, waitSeconds: 10, intervalSeconds: 300, openedAt: 0, dueAt: 0, messages: 0 };
      const event = buildGroupEvent(group, hostile, Date.parse('2025-05-01T08:00:10Z'), 'group-1');
      const result = await send(server.url, event);
      expect(result.kind, resultText(result)).toBe('ok');
      const request: RecordedRequest | undefined = server.requests[before];
      expect(request).toBeDefined();
      const texts = strings(spec.decodeBody ? spec.decodeBody(request!.body) : JSON.parse(request!.body));
      expect(texts.some((t) => t.includes('3 failures in')), `the ${spec.name} message names the count`).toBe(true);
      for (const fragment of spec.forbiddenInText) {
        const leaking = texts.find((t) => t.includes(fragment));
        expect(leaking, `"${fragment}" reaches the ${spec.name} group message unescaped`).toBeUndefined();
      }
    });
  });
}

// ── Email: the same promises over SMTP ────────────────────────────────────
// A real SMTP server (smtp-server: STARTTLS with a throwaway certificate, AUTH PLAIN/LOGIN)
// answers each stage with a scripted reply; what arrives is parsed with mailparser.

/** Where a scripted SMTP server answers with an error instead of accepting. */
export type SmtpStage = 'auth' | 'mailFrom' | 'rcptTo' | 'data';

export interface SmtpReply {
  stage: SmtpStage;
  code: number;
  text: string;
}

export interface SmtpConformanceCase<C extends ChannelConfig> {
  name: string;
  /** A fresh channel instance (its pool is closed after each send). */
  channel(): Channel<C> & { close?(): void | Promise<void> };
  /** The config pointing at the SMTP server on 127.0.0.1:`port`, trusting `ca`, with recipients `to`. */
  config(port: number, ca: string): C;
  secrets: ResolvedSecrets;
  /** The user the server accepts with `secrets`' password. */
  username: string;
  /** Secret values (and their base64 forms on the wire) that must never appear in a result's text. */
  secretValues: string[];
}

/** SMTP reply classes: 4xx is temporary (retry), 5xx permanent (fail), at every stage of a transaction (RFC 5321 §4.2.1). */
export const SMTP_TABLE: { reply: SmtpReply; kind: SendResult['kind'] }[] = [
  { reply: { stage: 'auth', code: 454, text: '4.7.0 Temporary authentication failure' }, kind: 'retry' },
  { reply: { stage: 'auth', code: 535, text: '5.7.8 Authentication credentials invalid' }, kind: 'fail' },
  { reply: { stage: 'mailFrom', code: 421, text: '4.3.2 Service not available, try again later' }, kind: 'retry' },
  { reply: { stage: 'mailFrom', code: 451, text: '4.3.0 Local error in processing' }, kind: 'retry' },
  { reply: { stage: 'mailFrom', code: 553, text: '5.1.8 Sender address rejected' }, kind: 'fail' },
  { reply: { stage: 'rcptTo', code: 450, text: '4.2.1 Mailbox busy' }, kind: 'retry' },
  { reply: { stage: 'rcptTo', code: 452, text: '4.5.3 Too many recipients' }, kind: 'retry' },
  { reply: { stage: 'rcptTo', code: 550, text: '5.1.1 User unknown' }, kind: 'fail' },
  { reply: { stage: 'data', code: 451, text: '4.7.1 Greylisted, come back later' }, kind: 'retry' },
  { reply: { stage: 'data', code: 552, text: '5.3.4 Message size exceeds fixed limit' }, kind: 'fail' },
  { reply: { stage: 'data', code: 554, text: '5.7.1 Message rejected as spam' }, kind: 'fail' },
];

interface ReceivedMail {
  mail: ParsedMail;
  envelopeTo: string[];
}

export function describeSmtpChannelConformance<C extends ChannelConfig>(spec: SmtpConformanceCase<C>): void {
  describe(`channel conformance: ${spec.name}`, () => {
    const cert = selfSignedCert();
    let server: SMTPServer;
    let port = 0;
    let next: SmtpReply | undefined;
    /** Set to make the server quote what the client authenticated with (some servers echo the decoded input). */
    let echoCredentials = false;
    const received: ReceivedMail[] = [];
    const refuse = (stage: SmtpStage, cb: (err?: Error | null) => void): boolean => {
      if (next?.stage !== stage) return false;
      cb(Object.assign(new Error(next.text), { responseCode: next.code }));
      return true;
    };

    const send = async (event = makeEvent(), config?: C): Promise<SendResult> => {
      const channel = spec.channel();
      try {
        return await channel.send({ event, rule: { id: 'r1', name: 'Prod' } }, config ?? spec.config(port, cert.cert), spec.secrets, new AbortController().signal);
      } finally {
        await channel.close?.();
      }
    };
    const expectNoSecret = (result: SendResult) => {
      const text = resultText(result);
      for (const secret of spec.secretValues) expect(text, `a secret appears in ${text}`).not.toContain(secret);
    };

    beforeAll(async () => {
      server = new SMTPServer({
        secure: false,
        key: cert.key,
        cert: cert.cert,
        authMethods: ['PLAIN', 'LOGIN'],
        logger: false,
        onAuth(auth, _session, cb) {
          if (echoCredentials) return cb(Object.assign(new Error(`5.7.8 no such user ${auth.username} with password ${auth.password ?? ''}`), { responseCode: 535 }));
          if (refuse('auth', cb)) return;
          if (auth.username === spec.username && auth.password === Object.values(spec.secrets)[0]) return cb(null, { user: auth.username });
          cb(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
        },
        onMailFrom(_address, _session, cb) {
          if (!refuse('mailFrom', cb)) cb();
        },
        onRcptTo(_address, _session, cb) {
          if (!refuse('rcptTo', cb)) cb();
        },
        onData(stream, session, cb) {
          simpleParser(stream)
            .then((mail) => {
              if (refuse('data', cb)) return;
              received.push({ mail, envelopeTo: session.envelope.rcptTo.map((r) => r.address) });
              cb();
            })
            .catch(cb);
        },
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('accepted → ok', async () => {
      next = undefined;
      const before = received.length;
      const result = await send();
      expect(result.kind, resultText(result)).toBe('ok');
      expect(received).toHaveLength(before + 1);
    });

    it.each(SMTP_TABLE.map((row) => [row.reply.code, row.reply.stage, row.kind, row] as const))('SMTP %s at %s → %s, no secret in the reason', async (_code, _stage, _kind, row) => {
      next = row.reply;
      const result = await send();
      next = undefined;
      expect(result.kind, resultText(result)).toBe(row.kind);
      expect(result.kind !== 'ok' && result.reason).toContain(`SMTP ${row.reply.code}`);
      expectNoSecret(result);
    });

    it('a server that quotes the credentials back → fail, the secret not quoted', async () => {
      echoCredentials = true;
      try {
        const result = await send();
        expect(result.kind, resultText(result)).toBe('fail');
        // The server's words stay, the secret in them does not.
        expect(result.kind !== 'ok' && result.reason).toMatch(/^SMTP 535: authentication failed — 535 5\.7\.8 no such user herald with password \[redacted\]/);
        expectNoSecret(result);
      } finally {
        echoCredentials = false;
      }
    });

    it('connection refused → retry, the secret not quoted', async () => {
      const result = await send(makeEvent(), spec.config(await deadPort(), cert.cert));
      expect(result.kind, resultText(result)).toBe('retry');
      expectNoSecret(result);
    });

    it('a server that never greets → retry within the timeout, the secret not quoted', async () => {
      const clients = new Set<Socket>();
      const silent = createServer((socket) => void clients.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const config = { ...spec.config((silent.address() as AddressInfo).port, cert.cert), timeoutMs: 200 } as C;
        const result = await send(makeEvent(), config);
        expect(result.kind, resultText(result)).toBe('retry');
        expectNoSecret(result);
      } finally {
        for (const socket of clients) socket.destroy();
        silent.close();
      }
    });

    it('untrusted event text is escaped in the HTML part, and cannot add a header or leave the subject\'s line', async () => {
      next = undefined;
      const before = received.length;
      const event = makeEvent({
        title: `${HOSTILE.title}\r\nBcc: evil@evil.example\r\nX-Injected: 1`,
        summary: HOSTILE.summary,
        subject: { project: HOSTILE.project, branch: 'main' },
      });
      const result = await send(event);
      expect(result.kind, resultText(result)).toBe('ok');
      const got = received[before]!;
      // Only the configured recipients, and no header the event wrote.
      expect(got.envelopeTo).not.toContain('evil@evil.example');
      expect(got.mail.headers.has('x-injected')).toBe(false);
      expect(got.mail.bcc).toBeUndefined();
      expect(got.mail.subject).not.toMatch(/[\r\n\u0000-\u001f\u007f]/);
      const html = String(got.mail.html);
      for (const fragment of ['<script>', '<b>', '<!channel>', '<!here>', '<@U123ABC>', 'href="https://evil.example']) {
        expect(html, `"${fragment}" reaches the HTML part unescaped`).not.toContain(fragment);
      }
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      // The text part is plain text: markup is harmless there, terminal control sequences are not.
      expect(got.mail.text).not.toMatch(/[\u0007\u001b]/);
    });

    it("a storm group's message: the subject counts the events, the HTML lists them escaped", async () => {
      next = undefined;
      const before = received.length;
      const hostile = [1, 2, 3].map((i) => makeEvent({ id: `h${i}`, title: `${HOSTILE.title} ${i}`, subject: { project: 'acme/api', branch: `b${i}` } }));
      const group = { ruleId: 'r1', ruleName: 'Prod', key: '[]', by: { project: 'acme/api' }, waitSeconds: 10, intervalSeconds: 300, openedAt: 0, dueAt: 0, messages: 0 };
      const result = await send(buildGroupEvent(group, hostile, Date.parse('2025-05-01T08:00:10Z'), 'group-1'));
      expect(result.kind, resultText(result)).toBe('ok');
      const got = received[before]!;
      expect(got.mail.subject).toContain('3 failures in acme/api');
      const html = String(got.mail.html);
      for (const fragment of ['<b>', '<!channel>', '<@U123ABC>']) expect(html, `"${fragment}" reaches the group's HTML unescaped`).not.toContain(fragment);
      expect(html.match(/&lt;b&gt;bold&lt;\/b&gt;/g)).toHaveLength(3);
      expect(got.mail.text).not.toMatch(/[\u0007\u001b]/);
    });
  });
}

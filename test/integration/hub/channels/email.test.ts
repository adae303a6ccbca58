// Email through a real SMTP server (smtp-server, STARTTLS with a self-signed certificate,
// AUTH PLAIN/LOGIN), parsed with mailparser; and SES through a loopback SESv2 fake.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailChannelSchema, RuleSchema } from '../../../../shared/config.js';
import { createEmailChannel, emailConfigFor, type EmailChannelConfig } from '../../../../electron/hub/channels/email.js';
import { ChannelInstances } from '../../../../electron/hub/channels/instances.js';
import { deadPort } from '../../../helpers/fake-http.js';
import { startFakeSes, type FakeSes } from '../../../helpers/fake-ses.js';
import { selfSignedCert, type TestCert } from '../../../helpers/fake-tls.js';
import { makeEvent } from '../../../helpers/fake-event.js';

interface Received {
  mail: ParsedMail;
  secure: boolean;
  user: unknown;
  envelopeTo: string[];
}

let cert: TestCert;
let smtp: SMTPServer;
let smtpPort = 0;
const received: Received[] = [];
let ses: FakeSes;

beforeAll(async () => {
  cert = selfSignedCert();
  smtp = new SMTPServer({
    secure: false, // plain connect, then STARTTLS
    key: cert.key,
    cert: cert.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'herald' && auth.password === 'smtp-pass') return cb(null, { user: auth.username });
      const err = Object.assign(new Error('Invalid username or password'), { responseCode: 535 });
      return cb(err);
    },
    onRcptTo(address, _session, cb) {
      if (address.address.startsWith('nobody@')) return cb(Object.assign(new Error('5.1.1 User unknown'), { responseCode: 550 }));
      if (address.address.startsWith('busy@')) return cb(Object.assign(new Error('4.2.1 Mailbox busy, try later'), { responseCode: 451 }));
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ mail, secure: session.secure, user: session.user, envelopeTo: session.envelope.rcptTo.map((r) => r.address) });
          cb();
        })
        .catch(cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  ses = await startFakeSes('eu-west-1');
});

/** One instance per channel id, as the hub keeps them: pooled connections live between sends. */
const emailChannels = new ChannelInstances(() => createEmailChannel());

afterAll(async () => {
  await emailChannels.closeAll();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await ses.close();
});

const smtpConfig = (over: Record<string, unknown> = {}): EmailChannelConfig =>
  EmailChannelSchema.parse({
    id: 'mail',
    kind: 'email',
    name: 'Mail',
    host: '127.0.0.1',
    port: smtpPort,
    security: 'starttls',
    username: 'herald',
    password: 'keychain:smtp',
    tlsCa: cert.cert,
    to: 'dev@acme.example, ops@acme.example',
    from: 'Herald <herald@acme.example>',
    ...over,
  });
const secrets = { password: 'smtp-pass' };
const evil = makeEvent({
  title: 'Deploy <script>alert(1)</script> & "quotes" **bold**',
  summary: '<b>not bold</b>\n<a href="javascript:alert(1)">click</a>\nline 3 & more',
});
const send = (config: EmailChannelConfig, s: Record<string, string> = secrets, event = evil) =>
  emailChannels.for(config).send({ event, rule: { id: 'r', name: 'Prod' } }, config, s, new AbortController().signal);

describe('email over SMTP with STARTTLS and auth', () => {
  it('delivers multipart text + HTML with escaped event text and the right headers', async () => {
    const before = received.length;
    const result = await send(smtpConfig());
    expect(result.kind).toBe('ok');
    const got = received[before]!;
    expect(got.secure).toBe(true); // upgraded with STARTTLS before AUTH and DATA
    expect(got.user).toBe('herald');
    expect(got.envelopeTo).toEqual(['dev@acme.example', 'ops@acme.example']);
    const mail = got.mail;
    expect(mail.subject).toBe('[Herald] 🔴 Deploy <script>alert(1)</script> & "quotes" **bold** — acme/api');
    expect(mail.from?.value).toEqual([{ address: 'herald@acme.example', name: 'Herald' }]);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('x-herald-event-type')).toBe('pipeline.failed');
    expect(mail.text).toContain('<b>not bold</b>\n<a href="javascript:alert(1)">click</a>');
    expect(mail.text).toContain('Open: https://github.com/acme/api/actions/runs/1');
    expect(mail.text).toContain('Environment: production');
    const html = String(mail.html);
    expect(html).toContain('Deploy &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; **bold**');
    expect(html).toContain('&lt;b&gt;not bold&lt;/b&gt;');
    expect(html).toContain('&lt;a href=&quot;javascript:alert(1)&quot;&gt;click&lt;/a&gt;');
    expect(html).not.toMatch(/<script|<b>|javascript:alert\(1\)">/);
    expect(html).toContain('<a href="https://github.com/acme/api/actions/runs/1"');
  });

  it('a rule\'s recipients replace the channel\'s; the default sender fills in', async () => {
    const before = received.length;
    const rule = RuleSchema.parse({ id: 'r', name: 'R', channels: ['mail2'], channelOptions: { mail2: { to: 'rule@acme.example' } } });
    const config = emailConfigFor(smtpConfig({ id: 'mail2', from: undefined }), rule, { email: { defaultFrom: 'defaults@acme.example' } });
    expect((await send(config)).kind).toBe('ok');
    expect(received[before]!.envelopeTo).toEqual(['rule@acme.example']);
    expect(received[before]!.mail.from?.value[0]?.address).toBe('defaults@acme.example');
  });

  const failures: [string, Record<string, unknown>, Record<string, string>, string, RegExp][] = [
    ['wrong password → fail with the server\'s words', { id: 'm-auth' }, { password: 'nope' }, 'fail', /^SMTP 535: authentication failed — .*Invalid username or password/],
    ['unknown recipient (550) → fail', { id: 'm-550', to: 'nobody@acme.example' }, secrets, 'fail', /^SMTP 550: a recipient or the sender was refused — .*User unknown/],
    ['busy mailbox (451) → retry', { id: 'm-451', to: 'busy@acme.example' }, secrets, 'retry', /^SMTP 451: .*Mailbox busy/],
    ['a self-signed certificate not trusted → fail naming TLS', { id: 'm-tls', tlsCa: undefined }, secrets, 'fail', /^TLS: .*self-signed/],
  ];
  it.each(failures)('%s', async (_name, over, s, kind, reason) => {
    const result = await send(smtpConfig(over), s);
    expect(result.kind).toBe(kind);
    expect(result.kind !== 'ok' && result.reason).toMatch(reason);
  });

  it('no server listening → retry naming the connection refusal', async () => {
    const port = await deadPort();
    const result = await send(smtpConfig({ id: 'm-dead', port }));
    expect(result).toEqual({ kind: 'retry', reason: `connection refused by 127.0.0.1:${port} (ECONNREFUSED): nothing is listening there` });
  });

  it('no recipients or no sender fails before connecting', async () => {
    expect(await send(smtpConfig({ id: 'm-none', to: undefined }))).toEqual({ kind: 'fail', reason: 'no recipients: set To on the channel, or recipients on the rule' });
    expect(await send(smtpConfig({ id: 'm-none', from: undefined }))).toMatchObject({ kind: 'fail', reason: expect.stringMatching(/^no sender/) });
  });

  it('pooled: several messages go through one transport', async () => {
    const before = received.length;
    const config = smtpConfig({ id: 'm-pool', ratePerSecond: 50 });
    const results = await Promise.all([1, 2, 3].map((n) => send(config, secrets, makeEvent({ title: `n${n}` }))));
    expect(results.map((r) => r.kind)).toEqual(['ok', 'ok', 'ok']);
    expect(received.slice(before).map((r) => r.mail.subject).sort()).toEqual(['[Herald] 🔴 n1 — acme/api', '[Herald] 🔴 n2 — acme/api', '[Herald] 🔴 n3 — acme/api']);
  });
});

describe('email through Amazon SES (SESv2 API on loopback)', () => {
  const sesConfig = (over: Record<string, unknown> = {}): EmailChannelConfig =>
    EmailChannelSchema.parse({
      id: 'ses',
      kind: 'email',
      name: 'SES',
      transport: 'ses',
      region: 'eu-west-1',
      endpoint: ses.url,
      accessKeyId: 'keychain:aws-id',
      secretAccessKey: 'keychain:aws-secret',
      to: 'dev@acme.example',
      from: 'herald@acme.example',
      ...over,
    });
  const keys = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-key' };

  it('sends a signed SendEmail request with a raw multipart message', async () => {
    const before = ses.sent.length;
    const result = await send(sesConfig(), keys);
    expect(result).toMatchObject({ kind: 'ok' });
    expect(ses.rejections).toEqual([]);
    const sent = ses.sent[before]!;
    expect(sent.to).toEqual(['dev@acme.example']);
    const mail = await simpleParser(sent.raw);
    expect(mail.subject).toBe('[Herald] 🔴 Deploy <script>alert(1)</script> & "quotes" **bold** — acme/api');
    expect(mail.text).toContain('<b>not bold</b>');
    expect(String(mail.html)).toContain('&lt;b&gt;not bold&lt;/b&gt;');
  });

  const failures: [string, Record<string, unknown>, Record<string, string>, string, RegExp][] = [
    ['unverified sender → fail', { id: 'ses-unv', from: 'unverified@acme.example' }, keys, 'fail', /^SES rejected the message: Email address is not verified/],
    ['bad access key → fail', { id: 'ses-key' }, { accessKeyId: 'AKIDBAD1', secretAccessKey: 'x' }, 'fail', /^SES: the access key id is not valid/],
    ['throttled → retry', { id: 'ses-429', to: 'throttle@acme.example' }, keys, 'retry', /^SES TooManyRequestsException \(HTTP 429\): Maximum sending rate exceeded/],
  ];
  it.each(failures)('%s', async (_name, over, s, kind, reason) => {
    const result = await send(sesConfig(over), s);
    expect(result.kind).toBe(kind);
    expect(result.kind !== 'ok' && result.reason).toMatch(reason);
  });

  it('SES endpoint not listening → retry naming it', async () => {
    const port = await deadPort();
    const result = await send(sesConfig({ id: 'ses-dead', endpoint: `http://127.0.0.1:${port}` }), keys);
    expect(result).toEqual({ kind: 'retry', reason: `connection refused by 127.0.0.1:${port} (ECONNREFUSED): nothing is listening there` });
  });
});

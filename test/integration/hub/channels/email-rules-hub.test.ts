// Email through the real hub to a real SMTP server (smtp-server, STARTTLS, AUTH): a rule's
// own recipients replace the channel's, the default sender in settings fills in when the
// channel names none, a digest goes to its rule's recipients, "send test" answers with
// the exact problem, and pooled SMTP connections are closed when the channel changes and
// when the hub stops.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/api.js';
import type { SecretStore } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { startFakeServer, type FakeServer } from '../../../helpers/fake-http.js';
import { selfSignedCert, type TestCert } from '../../../helpers/fake-tls.js';
import { tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'email-hub-secret';
const HOUR = 3_600_000;
const secrets: SecretStore = {
  status: { available: true },
  resolve: async (ref) => {
    if (ref === 'env:MAIL_HOOK_SECRET') return SECRET;
    if (ref === 'env:SMTP_PASSWORD') return 'smtp-pass';
    throw new Error(`${ref} is not set`);
  },
  set: async (name) => `keychain:${name}`,
  delete: async () => undefined,
  has: async () => true,
};

interface Mail {
  mail: ParsedMail;
  envelopeFrom: string;
  envelopeTo: string[];
  secure: boolean;
  /** The SMTP connection it came over (smtp-server's session id): pooled mails share one. */
  sessionId: string;
}

let cert: TestCert;
let smtp: SMTPServer;
let smtpPort = 0;
const mails: Mail[] = [];
/** SMTP connections open now, by session id. */
const openSessions = new Set<string>();
let webhooks: FakeServer;

beforeAll(async () => {
  cert = selfSignedCert();
  smtp = new SMTPServer({
    secure: false,
    key: cert.key,
    cert: cert.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'herald' && auth.password === 'smtp-pass') return cb(null, { user: auth.username });
      return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          mails.push({
            mail,
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            sessionId: session.id,
          });
          cb();
        })
        .catch(cb);
    },
    onConnect(session, cb) {
      openSessions.add(session.id);
      cb();
    },
    onClose(session) {
      openSessions.delete(session.id);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  webhooks = await startFakeServer((req) => (req.path === '/gone' ? { status: 404, body: 'no_service' } : { status: 400, body: 'invalid_blocks: the text field is required' }));
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await webhooks.close();
});

describe('email recipients per rule and the default sender, in the hub', () => {
  let hub: Hub | undefined;
  let offset = 0;
  const mailChannel = (over: Record<string, unknown> = {}) => ({
    id: 'mail',
    kind: 'email',
    name: 'Team mail',
    host: '127.0.0.1',
    port: smtpPort,
    security: 'starttls',
    username: 'herald',
    password: 'env:SMTP_PASSWORD',
    tlsCa: cert.cert,
    pool: true,
    ...over,
  });

  beforeAll(async () => {
    const dir = tempDir('herald-email-hub-');
    const configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:MAIL_HOOK_SECRET' }],
      channels: [
        mailChannel(),
        { ...mailChannel({ id: 'ops-mail', name: 'Ops mail', to: 'ops@acme.example', from: 'Ops Herald <ops-herald@acme.example>' }) },
        { id: 'gone', kind: 'webhook', name: 'Gone hook', url: `${webhooks.url}/gone` },
        { id: 'bad', kind: 'webhook', name: 'Bad hook', url: `${webhooks.url}/bad` },
      ],
      rules: [
        { id: 'prod', name: 'Prod', match: { project: 'prod' }, channels: ['mail'], channelOptions: { mail: { to: 'prod-team@acme.example, security@acme.example' } } },
        // Written as a version-1 file (no `version`): one `emailTo` for every email channel of the rule, migrated on load.
        { id: 'dev', name: 'Dev', match: { project: 'dev' }, channels: ['mail', 'ops-mail'], emailTo: 'dev@acme.example' },
        { id: 'ops', name: 'Ops', match: { project: 'ops' }, channels: ['ops-mail'] },
        { id: 'daily', name: 'Daily digest', match: { project: 'digest' }, channels: ['mail'], channelOptions: { mail: { to: 'digest@acme.example' } }, digest: { windowSeconds: 86_400 } },
      ],
      settings: { email: { defaultFrom: 'Herald <herald@acme.example>' }, delivery: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 3, unhealthyAfter: 5 } },
    });
    hub = await startHub({ dataDir: `${dir}/data`, configFile, ingressPort: 0, secrets, retentionIntervalMs: HOUR, now: () => Date.now() + offset, digestMaxSleepMs: 25 });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  const post = async (project: string, title: string) => {
    const res = await fetch(`${hub!.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'deployment.failed', title, subject: { project } }),
    });
    expect(res.status).toBe(202);
  };
  const mailsWith = (subjectPart: string) => mails.filter((m) => (m.mail.subject ?? '').includes(subjectPart));

  it('each rule\'s recipients get its mail, from the default sender when the channel has none', async () => {
    await post('prod', 'prod deploy broke');
    await post('dev', 'dev deploy broke');
    await post('ops', 'ops deploy broke');
    await waitFor(() => mails.length >= 4, 10_000, 'four mails');

    const [prod] = mailsWith('prod deploy broke');
    expect(prod!.secure).toBe(true);
    expect(prod!.envelopeTo).toEqual(['prod-team@acme.example', 'security@acme.example']);
    expect(prod!.mail.from?.value).toEqual([{ address: 'herald@acme.example', name: 'Herald' }]);
    expect(prod!.envelopeFrom).toBe('herald@acme.example');
    expect(prod!.mail.text).toContain('rule Prod');

    // The rule's recipients replace a channel's own; the channel's own sender stays.
    const dev = mailsWith('dev deploy broke').map((m) => [m.envelopeTo, m.mail.from?.value[0]?.address]);
    expect(dev).toHaveLength(2);
    expect(dev).toEqual(
      expect.arrayContaining([
        [['dev@acme.example'], 'herald@acme.example'],
        [['dev@acme.example'], 'ops-herald@acme.example'],
      ]),
    );
    // No rule recipients: the channel's.
    const [ops] = mailsWith('ops deploy broke');
    expect(ops!.envelopeTo).toEqual(['ops@acme.example']);
    expect(ops!.mail.from?.value[0]?.address).toBe('ops-herald@acme.example');
  });

  it('a digest goes to its rule\'s recipients', async () => {
    await post('digest', 'nightly a');
    await post('digest', 'nightly b');
    await hub!.idle();
    expect(mailsWith('nightly')).toEqual([]);
    offset += 86_400_000 + 1_000;
    await waitFor(() => mailsWith('2 events in the last day').length >= 1, 10_000, 'the digest mail');
    const [digest] = mailsWith('2 events in the last day');
    expect(digest!.envelopeTo).toEqual(['digest@acme.example']);
    expect(digest!.mail.from?.value[0]?.address).toBe('herald@acme.example');
    expect(digest!.mail.text).toMatch(/nightly a[\s\S]*nightly b/);
    expect(String(digest!.mail.html)).toContain('nightly b');
  });

  it('a rule sending to an email channel without recipients is refused when saved, beside the field', async () => {
    await hub!.api['channels.create']({ config: mailChannel({ id: 'bare', name: 'Bare' }), secrets: {}, clearSecrets: [] });
    const create = hub!.api['rules.create']({ config: { id: 'nobody', name: 'Nobody', channels: ['bare'] } });
    await expect(create).rejects.toBeInstanceOf(ApiError);
    await expect(create).rejects.toThrow('channelOptions.bare.to: the email channel "bare" has no recipients: set email recipients on this rule, or To on the channel');
    const saved = await hub!.api['rules.create']({ config: { id: 'somebody', name: 'Somebody', match: { project: 'nobody' }, channels: ['bare'], channelOptions: { bare: { to: 'a@acme.example' } } } });
    expect(saved.channelOptions).toEqual({ bare: { to: 'a@acme.example' } });
  });

  it('"send test" answers with the exact problem, and mails the rule\'s recipients from the default sender', async () => {
    expect(await hub!.api['channels.test']({ id: 'gone' })).toEqual({
      ok: false,
      detail: 'HTTP 404: no_service — the webhook does not exist (deleted or mistyped): create a new one and paste its URL',
    });
    expect(await hub!.api['channels.test']({ id: 'bad' })).toEqual({ ok: false, detail: 'HTTP 400: invalid_blocks: the text field is required' });

    const before = mails.length;
    const answer = await hub!.api['channels.test']({ id: 'mail' });
    expect(answer.ok).toBe(true);
    expect(answer.detail).toMatch(/^sent \(250 .*\) to the recipients of rule "Prod"$/);
    const test = mails[before]!;
    expect(test.mail.subject).toBe('[Herald] (test) ℹ️ Test message from Herald');
    expect(test.envelopeTo).toEqual(['prod-team@acme.example', 'security@acme.example']);
    expect(test.mail.from?.value[0]?.address).toBe('herald@acme.example');

    // A wrong password: the server's own words.
    await hub!.api['channels.update']({ config: mailChannel({ id: 'ops-mail', name: 'Ops mail', to: 'ops@acme.example', password: 'env:NOPE' }), secrets: {}, clearSecrets: [] });
    const failed = await hub!.api['channels.test']({ id: 'ops-mail' });
    expect(failed).toEqual({ ok: false, detail: 'secret unavailable: env:NOPE is not set' });
  });

  it('closes pooled SMTP connections when an email channel changes and when the hub stops', async () => {
    // The pool keeps its connection open between mails: two mails, one connection, still open once the hub is idle.
    await post('prod', 'pool warm-up');
    await waitFor(() => mailsWith('pool warm-up').length >= 1, 10_000, 'the warm-up mail');
    await post('prod', 'pool second');
    await waitFor(() => mailsWith('pool second').length >= 1, 10_000, 'the second mail');
    await hub!.idle();
    const pooled = mailsWith('pool warm-up')[0]!.sessionId;
    expect(mailsWith('pool second')[0]!.sessionId).toBe(pooled);
    expect(openSessions.has(pooled)).toBe(true);

    // Only the subject prefix changes: a connection setting would replace the pool anyway.
    await hub!.api['channels.update']({ config: mailChannel({ subjectPrefix: '[Herald prod]' }), secrets: {}, clearSecrets: [] });
    await waitFor(() => !openSessions.has(pooled), 5_000, 'the pooled connection to close after the update');

    await post('prod', 'pool again');
    await waitFor(() => mailsWith('pool again').length >= 1, 10_000, 'the mail after the update');
    const again = mailsWith('pool again')[0]!;
    expect(again.mail.subject).toMatch(/^\[Herald prod\] /);
    expect(again.sessionId).not.toBe(pooled);
    await hub!.idle();
    expect(openSessions.has(again.sessionId)).toBe(true);
    await hub!.stop();
    hub = undefined;
    await waitFor(() => !openSessions.has(again.sessionId), 5_000, 'the pooled connection to close when the hub stops');
  });
});

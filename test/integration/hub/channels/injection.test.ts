// One hostile event through every channel: its title and summary carry Slack control
// sequences, HTML, Markdown, mentions and 100 kB of text. Each service's strict fake must
// accept what arrives (so every limit held), and nothing may arrive unescaped.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelSchema, type ChannelConfig } from '../../../../shared/config.js';
import { WEBHOOK_PRESETS } from '../../../../shared/webhook-presets.js';
import { createDesktopChannel, type DesktopNotifier } from '../../../../electron/hub/channels/desktop.js';
import { ChannelInstances } from '../../../../electron/hub/channels/instances.js';
import { channelFor } from '../../../../electron/hub/channels/registry.js';
import { startFakeDiscord, type FakeDiscord } from '../../../helpers/fake-discord.js';
import { startFakeSlack, type FakeSlack } from '../../../helpers/fake-slack.js';
import { startFakeTeams, type FakeTeams } from '../../../helpers/fake-teams.js';
import { makeEvent } from '../../../helpers/fake-event.js';

const HOSTILE = '<!channel> <!here> <@U123ABC> <#C0SECRET> <http://evil.example|click me> <b>bold</b><script>x()</script> **md** _it_ [link](http://evil.example) @everyone & done';
const BULK = 'A'.repeat(100 * 1024);
const event = makeEvent({ title: `${HOSTILE} ${BULK}`, summary: `${HOSTILE}\n- list item\n# heading\n${BULK}`, actor: '<@U999> **me**' });
const message = { event, rule: { id: 'r', name: 'Prod' } };

let slack: FakeSlack;
let teams: FakeTeams;
let discord: FakeDiscord;
let smtp: SMTPServer;
let smtpPort = 0;
const mails: ParsedMail[] = [];

beforeAll(async () => {
  [slack, teams, discord] = await Promise.all([startFakeSlack(), startFakeTeams(), startFakeDiscord()]);
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => (mails.push(m), cb()), cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await channels.closeAll();
  await Promise.all([slack.close(), teams.close(), discord.close(), new Promise<void>((r) => smtp.close(() => r()))]);
});

const channels = new ChannelInstances((config) => channelFor(config.kind));
const send = (config: Record<string, unknown>, secrets: Record<string, string>) => {
  const parsed = ChannelSchema.parse(config) as ChannelConfig;
  return channels.for(parsed).send(message, parsed as never, secrets, new AbortController().signal);
};

/** Raw sequences that would mention, link or format if they arrived as written. */
const RAW_SLACK = ['<!channel>', '<!here>', '<@U123ABC>', '<#C0SECRET>', '<http://evil.example', '<b>', '<script>'];

describe('hostile event text arrives escaped and truncated on every channel', () => {
  it('Slack (incoming webhook)', async () => {
    const before = slack.accepted.length;
    expect((await send({ id: 's', kind: 'slack', name: 'S', webhookUrl: 'keychain:s' }, { webhookUrl: `${slack.url}/services/T/B/X` })).kind).toBe('ok');
    const wire = JSON.stringify(slack.accepted[before]);
    for (const raw of RAW_SLACK) expect(wire).not.toContain(raw);
    expect(wire).toContain('&lt;!channel&gt; &lt;!here&gt; &lt;@U123ABC&gt;');
    expect(wire.length).toBeLessThan(12_000);
  });

  it('Teams (Adaptive Card and MessageCard)', async () => {
    for (const format of ['adaptive', 'messagecard']) {
      const before = teams.accepted.length;
      const result = await send({ id: 't', kind: 'teams', name: 'T', webhookUrl: 'keychain:t', format }, { webhookUrl: `${teams.url}/wf/${format}` });
      expect(result.kind, format).toBe('ok');
      const wire = JSON.stringify(teams.accepted[before]);
      expect(wire).not.toMatch(/(?<!\\\\)\*\*md/); // every * escaped
      expect(wire).toContain('\\\\*\\\\*md\\\\*\\\\*');
      expect(wire).toContain('\\\\[link\\\\]\\\\(http://evil.example\\\\)');
      expect(wire).not.toContain('<script>');
      expect(Buffer.byteLength(wire)).toBeLessThanOrEqual(20_000);
    }
  });

  it('Discord', async () => {
    const before = discord.accepted.length;
    expect((await send({ id: 'd', kind: 'discord', name: 'D', webhookUrl: 'keychain:d' }, { webhookUrl: `${discord.url}/api/webhooks/1/tok` })).kind).toBe('ok');
    const msg = discord.accepted[before]!;
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    const wire = JSON.stringify(msg);
    expect(wire).not.toMatch(/(?<!\\\\)<@U123ABC>/);
    expect(wire).toContain('\\\\<@U123ABC\\\\>');
    expect(msg.content.length).toBeLessThanOrEqual(2000);
  });

  it('email (HTML escaped, text intact but truncated)', async () => {
    const before = mails.length;
    const result = await send(
      { id: 'e', kind: 'email', name: 'E', host: '127.0.0.1', port: smtpPort, security: 'none', pool: false, to: 'a@b.example', from: 'h@b.example' },
      {},
    );
    expect(result.kind).toBe('ok');
    const mail = mails[before]!;
    const html = String(mail.html);
    expect(html).not.toMatch(/<b>bold|<script>|<!channel>/);
    expect(html).toContain('&lt;script&gt;x()&lt;/script&gt;');
    expect(mail.text).toContain(HOSTILE);
    expect(mail.text!.length).toBeLessThan(25_000);
    expect([...(mail.subject ?? '')].length).toBeLessThanOrEqual(200);
  });

  it('desktop popup (Pango-escaped body, short)', async () => {
    const calls: Record<string, unknown>[] = [];
    const notifier: DesktopNotifier = { notify: (o, cb) => (calls.push(o), cb('')) };
    const config = ChannelSchema.parse({ id: 'p', kind: 'desktop', name: 'P' });
    expect((await createDesktopChannel(notifier, 'pango').send(message, config as never, {}, new AbortController().signal)).kind).toBe('ok');
    const body = String(calls[0]!.message);
    expect(body).not.toMatch(/<b>|<script>|<!channel>/);
    expect(body).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(body.length).toBeLessThanOrEqual(600);
    expect(String(calls[0]!.title).length).toBeLessThanOrEqual(120);
  });

  it('webhook presets for Slack, Teams and Discord land escaped and within limits', async () => {
    const preset = (id: string) => WEBHOOK_PRESETS.find((p) => p.id === id)!.template;
    const cases: [string, string, string[], string][] = [
      ['devtron-slack', `${slack.url}/services/T/B/preset`, RAW_SLACK, '&lt;!channel&gt;'],
      ['devtron-teams', `${teams.url}/wf/preset`, ['**md**', '<script>'], '\\\\*\\\\*md\\\\*\\\\*'],
      ['devtron-discord', `${discord.url}/api/webhooks/1/preset`, ['<@U123ABC>', '**md**'], '\\\\<@U123ABC\\\\>'],
    ];
    for (const [id, url, forbidden, escaped] of cases) {
      const before = slack.requests.length + teams.requests.length + discord.requests.length;
      const result = await send({ id: 'w', kind: 'webhook', name: 'W', url, template: preset(id) }, {});
      expect(result.kind, `${id}: ${JSON.stringify(result)}`).toBe('ok');
      const all = [...slack.requests, ...teams.requests, ...discord.requests];
      expect(all.length).toBe(before + 1);
      // Read what the service reads: the JSON's string values (the wire itself has \u003c for <).
      const wire = JSON.stringify(JSON.parse([slack, teams, discord].flatMap((f) => f.requests).find((r) => url.endsWith(r.path))!.body));
      for (const raw of forbidden) expect(wire, id).not.toContain(raw);
      expect(wire, id).toContain(escaped);
    }
  });
});

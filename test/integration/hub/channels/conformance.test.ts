// Every channel kind through the one conformance suite (test/helpers/channel-conformance.ts):
// status → ok/retry/fail with Retry-After honoured (SMTP: reply class per stage, against a
// real smtp-server), no secret in any result, escaping per format. The desktop popup runs
// the parts that apply in conformance-desktop.test.ts (it needs a desktop session).
// The service-specific behaviour (Slack platform errors, Discord's body retry_after, ntfy's
// limits) stays in each channel's own test file.
import { expect } from 'vitest';
import { DiscordChannelSchema, EmailChannelSchema, NtfyChannelSchema, SlackChannelSchema, TeamsChannelSchema, WebhookChannelSchema } from '../../../../shared/config.js';
import { discordChannel } from '../../../../electron/hub/channels/discord.js';
import { createEmailChannel } from '../../../../electron/hub/channels/email.js';
import { ntfyChannel } from '../../../../electron/hub/channels/ntfy.js';
import { slackChannel } from '../../../../electron/hub/channels/slack.js';
import { teamsChannel } from '../../../../electron/hub/channels/teams.js';
import { webhookChannel } from '../../../../electron/hub/channels/webhook.js';
import { describeChannelConformance, describeSmtpChannelConformance, HOSTILE } from '../../../helpers/channel-conformance.js';

const WEBHOOK_TOKEN = 'Zq8sEcReTt0kEn4711webhook';
const BOT_TOKEN = 'xoxb-1111-2222-SeCrEtBoTtOkEn';
const AUTH_HEADER = 'Bearer sk-live-SeCrEtHeAdEr99';
const NTFY_TOKEN = 'tk_SeCrEtNtFyToKeN0000000000000';
const NTFY_PASSWORD = 'pa55-SeCrEt-ntfy';

/** Markdown (Teams, Discord): nothing may format, link or start a heading/list. */
const MARKDOWN_FORBIDDEN = ['**pwn**', '[click](', '<b>', '<script>', '\n# heading', '\n- item', '[p]('];

describeChannelConformance({
  name: 'slack (incoming webhook)',
  channel: slackChannel,
  config: () => SlackChannelSchema.parse({ id: 's', kind: 'slack', name: 'Slack', webhookUrl: 'keychain:slack-hook' }),
  secrets: (base) => ({ webhookUrl: `${base}/services/T0000/B0000/${WEBHOOK_TOKEN}` }),
  secretValues: [WEBHOOK_TOKEN],
  okReply: { status: 200, body: 'ok' },
  // mrkdwn: no <!channel>, <@user>, <url|text> or HTML may form.
  forbiddenInText: ['<!channel>', '<!here>', '<@U123ABC>', '<b>', '<script>'],
});

describeChannelConformance({
  name: 'slack (bot token)',
  channel: slackChannel,
  config: (base) => SlackChannelSchema.parse({ id: 's', kind: 'slack', name: 'Bot', botToken: 'keychain:slack-bot', channel: 'C0123ABCD', apiUrl: `${base}/api/` }),
  secrets: () => ({ botToken: BOT_TOKEN }),
  secretValues: [BOT_TOKEN, 'SeCrEtBoTtOkEn'],
  okReply: { status: 200, body: { ok: true, channel: 'C0123ABCD', ts: '1700000000.000100' } },
  forbiddenInText: ['<!channel>', '<!here>', '<@U123ABC>', '<b>', '<script>'],
  // chat.postMessage arrives as a form, blocks and attachments JSON-encoded in it.
  decodeBody: (raw) => {
    const form: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw));
    for (const key of ['blocks', 'attachments']) if (typeof form[key] === 'string') form[key] = JSON.parse(form[key]);
    return form;
  },
});

describeChannelConformance({
  name: 'teams (adaptive card)',
  channel: teamsChannel,
  config: () => TeamsChannelSchema.parse({ id: 't', kind: 'teams', name: 'Teams', webhookUrl: 'keychain:teams' }),
  secrets: (base) => ({ webhookUrl: `${base}/workflows/abc123def/triggers/manual/paths/invoke?api-version=1&sig=${WEBHOOK_TOKEN}` }),
  secretValues: [WEBHOOK_TOKEN],
  forbiddenInText: MARKDOWN_FORBIDDEN,
});

describeChannelConformance({
  name: 'teams (MessageCard)',
  channel: teamsChannel,
  config: () => TeamsChannelSchema.parse({ id: 't', kind: 'teams', name: 'Teams', webhookUrl: 'keychain:teams', format: 'messagecard' }),
  secrets: (base) => ({ webhookUrl: `${base}/webhookb2/${WEBHOOK_TOKEN}/IncomingWebhook/x` }),
  secretValues: [WEBHOOK_TOKEN],
  // MessageCard text renders Markdown and some HTML.
  forbiddenInText: [...MARKDOWN_FORBIDDEN, '<!channel>', '<@U123ABC>'],
});

describeChannelConformance({
  name: 'discord',
  channel: discordChannel,
  config: () => DiscordChannelSchema.parse({ id: 'd', kind: 'discord', name: 'Discord', webhookUrl: 'keychain:discord' }),
  secrets: (base) => ({ webhookUrl: `${base}/api/webhooks/123456789/${WEBHOOK_TOKEN}` }),
  secretValues: [WEBHOOK_TOKEN],
  okReply: { status: 204 },
  forbiddenInText: MARKDOWN_FORBIDDEN,
  // Markdown escaping cannot stop @everyone: allowed_mentions must.
  checkBody: (body) => expect(body).toMatchObject({ allowed_mentions: { parse: [] } }),
});

describeChannelConformance({
  name: 'webhook (secret header)',
  channel: webhookChannel,
  config: (base) =>
    WebhookChannelSchema.parse({ id: 'w', kind: 'webhook', name: 'Hook', url: `${base}/hooks/herald`, secretHeaders: { Authorization: 'keychain:hook-auth' } }),
  secrets: () => ({ 'secretHeaders.Authorization': AUTH_HEADER }),
  secretValues: [AUTH_HEADER, 'SeCrEtHeAdEr99'],
  // JSON for any consumer: the text arrives exactly, and nothing in the raw body can close a <script> or break a line in JS.
  forbiddenInText: [],
  checkBody: (body, raw) => {
    expect(body).toMatchObject({ event: { title: HOSTILE.title, summary: HOSTILE.summary } });
    expect(raw).not.toMatch(/[<>&\u2028\u2029\u0000-\u001f]/);
  },
});

describeChannelConformance({
  name: 'ntfy (access token)',
  channel: ntfyChannel,
  config: (base) => NtfyChannelSchema.parse({ id: 'n', kind: 'ntfy', name: 'Phone', server: base, topic: 'herald-builds', token: 'keychain:ntfy' }),
  secrets: () => ({ token: NTFY_TOKEN }),
  secretValues: [NTFY_TOKEN],
  // ntfy shows plain text (no Markdown): nothing to escape, but the title is one line.
  forbiddenInText: [],
  checkBody: (body) => expect((body as { title: string }).title).not.toMatch(/[\r\n]/),
});

describeChannelConformance({
  name: 'ntfy (basic auth)',
  channel: ntfyChannel,
  config: (base) =>
    NtfyChannelSchema.parse({ id: 'n', kind: 'ntfy', name: 'Phone', server: base, topic: 'herald-builds', username: 'herald', password: 'keychain:ntfy-pw' }),
  secrets: () => ({ password: NTFY_PASSWORD }),
  secretValues: [NTFY_PASSWORD, Buffer.from(`herald:${NTFY_PASSWORD}`).toString('base64')],
  forbiddenInText: [],
});

const SMTP_PASSWORD = 'SmTp-SeCrEt-pa55w0rd';
describeSmtpChannelConformance({
  name: 'email (SMTP, STARTTLS, pooled)',
  channel: () => createEmailChannel(),
  config: (port, ca) =>
    EmailChannelSchema.parse({
      id: 'mail',
      kind: 'email',
      name: 'Mail',
      host: '127.0.0.1',
      port,
      security: 'starttls',
      tlsCa: ca,
      username: 'herald',
      password: 'keychain:smtp',
      to: 'dev@acme.example',
      from: 'Herald <herald@acme.example>',
    }),
  secrets: { password: SMTP_PASSWORD },
  username: 'herald',
  // The password, and how AUTH LOGIN and AUTH PLAIN carry it on the wire.
  secretValues: [SMTP_PASSWORD, Buffer.from(SMTP_PASSWORD).toString('base64'), Buffer.from(`\0herald\0${SMTP_PASSWORD}`).toString('base64')],
});

// Slack channel (incoming webhook and bot) against a strict fake of Slack on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackChannelSchema } from '../../../../shared/config.js';
import { slackChannel, type SlackChannelConfig } from '../../../../electron/hub/channels/slack.js';
import { deadPort } from '../../../helpers/fake-http.js';
import { SLACK_BOT_TOKEN, startFakeSlack, type FakeSlack } from '../../../helpers/fake-slack.js';
import { makeEvent } from '../../../helpers/fake-event.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(() => slack.close());

const webhookConfig = SlackChannelSchema.parse({ id: 'slack', kind: 'slack', name: 'Slack', webhookUrl: 'keychain:slack-hook' });
const botConfig = (channel: string): SlackChannelConfig =>
  SlackChannelSchema.parse({ id: 'slackbot', kind: 'slack', name: 'Bot', botToken: 'keychain:slack-bot', channel, apiUrl: `${slack.url}/api/` });
const hook = (last: string) => `${slack.url}/services/T0000/B0000/${last}`;
const message = { event: makeEvent(), rule: { id: 'r', name: 'Prod failures' } };
const send = (config: SlackChannelConfig, secrets: Record<string, string>) => slackChannel.send(message, config, secrets, new AbortController().signal);

describe('Slack incoming webhook', () => {
  it('posts a Block Kit message the fake accepts: linked title, emoji, fields, context, text fallback', async () => {
    const before = slack.accepted.length;
    expect(await send(webhookConfig, { webhookUrl: hook('XXXXsecret') })).toEqual({ kind: 'ok', detail: undefined });
    const msg = slack.accepted[before]!;
    expect(msg.text).toBe('🔴 ci failed on main — acme/api');
    expect(msg.blocks[0].text.text).toBe(':red_circle: *<https://github.com/acme/api/actions/runs/1|ci failed on main>* — acme/api');
    const [summary, fields, context] = msg.attachments[0].blocks;
    expect(msg.attachments[0].color).toBe('#D40E0D');
    expect(summary.text.text).toBe('Job "test" failed.');
    expect(fields.fields.map((f: { text: string }) => f.text)).toEqual([
      '*Project*\nacme/api',
      '*Environment*\nproduction',
      '*Pipeline*\nci',
      '*Branch*\nmain',
      '*Actor*\nana',
    ]);
    expect(context.elements[0].text).toBe('Pipeline failed · GitHub · 2025-05-01 08:00 UTC · rule Prod failures');
  });

  const answers: [string, string, RegExp, number?][] = [
    ['404 channel_not_found → fail', 'gone', /^fail HTTP 404: channel_not_found$/],
    ['410 channel_is_archived → fail', 'archived', /^fail HTTP 410: channel_is_archived$/],
    ['403 action_prohibited → fail', 'forbidden', /^fail HTTP 403: action_prohibited$/],
    ['429 → retry after Retry-After', 'ratelimited', /^retry HTTP 429: rate_limited$/, 3000],
    ['500 rollup_error → retry', 'broken', /^retry HTTP 500: rollup_error$/],
  ];
  it.each(answers)('%s', async (_name, last, expected, afterMs) => {
    const result = await send(webhookConfig, { webhookUrl: hook(last) });
    expect(`${result.kind} ${result.kind === 'ok' ? '' : result.reason}`).toMatch(expected);
    expect((result as { afterMs?: number }).afterMs).toBe(afterMs);
  });

  it('400 invalid_payload from Slack → fail with its text (a message without text)', async () => {
    // Prove the fake's strictness through the same HTTP path the channel uses.
    const res = await fetch(hook('X'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ blocks: [] }) });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('invalid_payload');
  });

  it('the fake refuses 51 blocks and 3,001-character sections (so the limits tests can fail)', async () => {
    const tooMany = { text: 'x', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) };
    const tooLong = { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'a'.repeat(3001) } }] };
    for (const body of [tooMany, tooLong]) {
      const res = await fetch(hook('X'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect([res.status, await res.text()]).toEqual([400, 'invalid_blocks']);
    }
  });

  it('a missing webhook URL secret fails without a request', async () => {
    const count = slack.requests.length;
    expect(await send(webhookConfig, {})).toMatchObject({ kind: 'fail', reason: expect.stringContaining('keychain:slack-hook') });
    expect(slack.requests.length).toBe(count);
  });

  it('connection refused names the host, never the webhook token', async () => {
    const port = await deadPort();
    const result = await send(webhookConfig, { webhookUrl: `http://127.0.0.1:${port}/services/T0/B0/SECRETTOKEN` });
    expect(result).toEqual({ kind: 'retry', reason: `connection refused by 127.0.0.1:${port} (ECONNREFUSED): nothing is listening there` });
    expect(JSON.stringify(result)).not.toContain('SECRETTOKEN');
  });
});

describe('Slack bot token + chat.postMessage', () => {
  it('posts to the channel with the bot token', async () => {
    const before = slack.accepted.length;
    expect(await send(botConfig('C0123ABCD'), { botToken: SLACK_BOT_TOKEN })).toMatchObject({ kind: 'ok' });
    const msg = slack.accepted[before]!;
    expect(msg.channel).toBe('C0123ABCD');
    expect(msg.text).toBe('🔴 ci failed on main — acme/api');
    expect(msg.attachments[0].blocks).toHaveLength(3);
    expect(msg.unfurl_links).toBe('false');
  });

  const answers: [string, string, string, RegExp, number?][] = [
    ['invalid_auth → fail', 'C0123ABCD', 'xoxb-wrong', /^fail Slack: invalid_auth — the bot token is not valid$/],
    ['channel_not_found → fail', 'C0GONE0000', SLACK_BOT_TOKEN, /^fail Slack: channel_not_found — check the channel id or name$/],
    ['not_in_channel → fail with the fix', 'C0NOTIN000', SLACK_BOT_TOKEN, /^fail Slack: not_in_channel — invite the bot/],
    ['is_archived → fail', 'C0ARCHIVED', SLACK_BOT_TOKEN, /^fail Slack: is_archived/],
    ['429 → retry after Retry-After', 'C0RATELIM0', SLACK_BOT_TOKEN, /^retry Slack: rate limited$/, 3000],
  ];
  it.each(answers)('%s', async (_name, channel, token, expected, afterMs) => {
    const result = await send(botConfig(channel), { botToken: token });
    expect(`${result.kind} ${result.kind === 'ok' ? '' : result.reason}`).toMatch(expected);
    expect((result as { afterMs?: number }).afterMs).toBe(afterMs);
  });

  it('a dead API host → retry naming it', async () => {
    const port = await deadPort();
    const config = SlackChannelSchema.parse({ id: 'b', kind: 'slack', name: 'B', botToken: 'keychain:b', channel: 'C0123ABCD', apiUrl: `http://127.0.0.1:${port}/api/` });
    const result = await slackChannel.send(message, config, { botToken: SLACK_BOT_TOKEN }, new AbortController().signal);
    expect(result).toEqual({ kind: 'retry', reason: `connection refused by 127.0.0.1:${port} (ECONNREFUSED): nothing is listening there` });
  });
});

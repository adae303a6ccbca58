// Discord channel against a strict fake of Discord's webhook endpoint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordChannelSchema } from '../../../../shared/config.js';
import { discordChannel } from '../../../../electron/hub/channels/discord.js';
import { startFakeDiscord, type FakeDiscord } from '../../../helpers/fake-discord.js';
import { makeEvent } from '../../../helpers/fake-event.js';

let discord: FakeDiscord;
beforeAll(async () => {
  discord = await startFakeDiscord();
});
afterAll(() => discord.close());

const config = DiscordChannelSchema.parse({ id: 'discord', kind: 'discord', name: 'Discord', webhookUrl: 'keychain:discord', username: 'Herald' });
const url = (token: string) => `${discord.url}/api/webhooks/123456789/${token}`;
const send = (token: string, event = makeEvent()) => discordChannel.send({ event, rule: { id: 'r', name: 'Prod' } }, config, { webhookUrl: url(token) }, new AbortController().signal);

describe('Discord webhook', () => {
  it('posts content and one embed with colour, link, fields and footer; mentions never ping', async () => {
    const before = discord.accepted.length;
    expect(await send('tok-ok')).toEqual({ kind: 'ok', detail: 'HTTP 204' });
    const msg = discord.accepted[before]!;
    expect(msg.content).toBe('🔴 ci failed on main — acme/api');
    expect(msg.username).toBe('Herald');
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    expect(msg.embeds).toHaveLength(1);
    expect(msg.embeds[0]).toMatchObject({
      title: '🔴 ci failed on main',
      url: 'https://github.com/acme/api/actions/runs/1',
      description: 'Job "test" failed.',
      color: 0xd40e0d,
      // Discord shows the timestamp beside the footer in the reader's zone: the footer does not repeat it in UTC.
      footer: { text: 'Pipeline failed · GitHub · rule Prod' },
      timestamp: '2025-05-01T08:00:00.000Z',
    });
    expect(msg.embeds[0].fields[0]).toEqual({ name: 'Project', value: 'acme/api', inline: true });
  });

  const answers: [string, string, RegExp, number?][] = [
    ['404 Unknown Webhook → fail (the webhook is gone)', 'gone', /^fail HTTP 404: Unknown Webhook$/],
    ['429 → retry after Retry-After', 'ratelimited', /^retry HTTP 429: You are being rate limited\.$/, 2000],
    ['500 → retry', 'broken', /^retry HTTP 500: 500: Internal Server Error$/],
  ];
  it.each(answers)('%s', async (_name, token, expected, afterMs) => {
    const result = await send(token);
    expect(`${result.kind} ${result.kind === 'ok' ? '' : result.reason}`).toMatch(expected);
    expect((result as { afterMs?: number }).afterMs).toBe(afterMs);
  });

  it('the fake refuses content over 2,000 characters and 11 embeds with Discord\'s 400', async () => {
    for (const body of [{ content: 'x'.repeat(2001) }, { embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }]) {
      const res = await fetch(url('tok'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 50035, message: 'Invalid Form Body' });
    }
  });

  it('100 kB title and summary stay within every limit', async () => {
    const before = discord.accepted.length;
    const event = makeEvent({ title: 'T'.repeat(100_000), summary: 'S '.repeat(50_000), actor: 'a'.repeat(5000) });
    expect(await send('tok-big', event)).toMatchObject({ kind: 'ok' });
    const embed = discord.accepted[before]!.embeds[0];
    expect(embed.title.length).toBeLessThanOrEqual(256);
    expect(embed.description.length).toBeGreaterThan(3000);
  });
});

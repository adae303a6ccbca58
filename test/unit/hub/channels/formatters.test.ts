import { describe, expect, it } from 'vitest';
import { buildDiscordMessage, DISCORD_LIMITS } from '../../../../electron/hub/channels/discord.js';
import { buildEmail } from '../../../../electron/hub/channels/email.js';
import { buildSlackMessage, SLACK_LIMITS } from '../../../../electron/hub/channels/slack.js';
import { buildTeamsMessage } from '../../../../electron/hub/channels/teams.js';
import { formatDigest } from '../../../../electron/hub/channels/digest.js';
import { validateSlackMessage } from '../../../helpers/fake-slack.js';
import { discordProblems } from '../../../helpers/fake-discord.js';
import { adaptiveCardProblems } from '../../../helpers/fake-teams.js';
import { makeEvent } from '../../../helpers/fake-event.js';

type Json = Record<string, any>;
const huge = makeEvent({
  title: 'T'.repeat(20_000),
  summary: '&<>'.repeat(20_000),
  subject: { project: 'p'.repeat(300), group: 'g'.repeat(300), environment: 'e'.repeat(300), pipeline: 'x'.repeat(300), branch: 'b'.repeat(300), cluster: 'c'.repeat(300), artifact: 'a'.repeat(300) },
  actor: '<'.repeat(200),
});

describe('Slack message', () => {
  it.each([
    ['a plain event', makeEvent()],
    ['100 kB of text that triples when escaped', huge],
    ['no url, no summary, no subject', makeEvent({ url: undefined, summary: undefined, subject: {}, actor: undefined })],
  ])('%s passes Slack\'s checks', (_name, event) => {
    const msg = buildSlackMessage({ event });
    expect(validateSlackMessage(msg)).toBeNull();
    const sections = [...msg.blocks, ...msg.attachments[0]!.blocks].filter((b) => b.type === 'section') as Json[];
    for (const s of sections) if (s.text) expect(s.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(msg.text.length).toBeLessThanOrEqual(600);
  });
  it('a | or > in the URL cannot end the link early', () => {
    const msg = buildSlackMessage({ event: makeEvent({ url: 'https://e.example/a|b?x=<y>&z' }) });
    expect(msg.blocks[0]!.text).toMatchObject({ text: expect.stringContaining('<https://e.example/a%7Cb?x=%3Cy%3E&amp;z|ci failed on main>') });
  });
  it('a javascript: URL is not linked', () => {
    expect(JSON.stringify(buildSlackMessage({ event: makeEvent({ url: 'javascript:alert(1)' }) }))).not.toContain('javascript');
  });
  it.each([
    ['many & (each 5 characters escaped)', `https://grafana.example/d/x?${'v=a&'.repeat(490)}`],
    ['non-ASCII (12 characters each once normalized)', `https://ci.example/runs/${'😀'.repeat(985)}`],
  ])('a URL that would not fit (%s) leaves the title unlinked and the message valid', (_name, url) => {
    const msg = buildSlackMessage({ event: makeEvent({ url }) });
    expect(validateSlackMessage(msg)).toBeNull();
    const heading = (msg.blocks[0] as Json).text.text as string;
    expect(heading.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(heading).not.toContain('<https://');
    expect(heading).toContain('ci failed on main');
  });
  it('a long URL that fits is still linked', () => {
    const url = `https://ci.example/runs/${'a'.repeat(1500)}`;
    expect((buildSlackMessage({ event: makeEvent({ url }) }).blocks[0] as Json).text.text).toContain(`<${url}|`);
  });
  it('test messages say so', () => {
    const ctx = buildSlackMessage({ event: makeEvent(), test: true }).attachments[0]!.blocks.at(-1) as Json;
    expect(ctx.elements[0].text).toMatch(/test message from Herald$/);
  });
});

describe('Teams card', () => {
  it.each([
    ['a plain event', makeEvent()],
    ['huge', huge],
  ])('%s parses cleanly and fits', (_name, event) => {
    for (const format of ['adaptive', 'messagecard'] as const) {
      const msg = buildTeamsMessage({ event }, format);
      expect(Buffer.byteLength(JSON.stringify(msg))).toBeLessThanOrEqual(20_000);
      if (format === 'adaptive') expect(adaptiveCardProblems((msg as Json).attachments[0].content)).toEqual([]);
    }
  });
  it('no URL means no Open action', () => {
    expect((buildTeamsMessage({ event: makeEvent({ url: undefined }) }) as Json).attachments[0].content.actions).toBeUndefined();
  });
  it('MessageCard escapes HTML too', () => {
    expect(JSON.stringify(buildTeamsMessage({ event: makeEvent({ title: '<b>x</b>' }) }, 'messagecard'))).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});

describe('Discord message', () => {
  it.each([
    ['a plain event', makeEvent()],
    ['huge', huge],
  ])('%s passes Discord\'s checks', (_name, event) => {
    const msg = buildDiscordMessage({ event }) as Json;
    expect(discordProblems(msg)).toEqual([]);
    expect(msg.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
  });
});

describe('links', () => {
  it('a URL past 2,048 characters once normalized is not linked by any channel', () => {
    const url = `https://ci.example/runs/${'😀'.repeat(200)}`; // 24 + 200 × 12 characters once percent-encoded
    const event = makeEvent({ url });
    expect((buildDiscordMessage({ event }) as Json).embeds[0].url).toBeUndefined();
    expect((buildTeamsMessage({ event }) as Json).attachments[0].content.actions).toBeUndefined();
    expect(buildEmail({ event }).html).not.toContain('ci.example');
    const fits = makeEvent({ url: `https://ci.example/runs/${'😀'.repeat(150)}` }); // 1,824
    expect((buildDiscordMessage({ event: fits }) as Json).embeds[0].url).toMatch(/^https:\/\/ci\.example\/runs\/%F0%9F%98%80/);
  });
});

describe('email content', () => {
  it('the subject is one line whatever the title holds', () => {
    const { subject } = buildEmail({ event: makeEvent({ title: 'a\r\nBcc: victim@x.example\r\n\r\nbody' }) });
    expect(subject).toBe('[Herald] 🔴 a Bcc: victim@x.example body — acme/api');
  });
  it('HTML escapes and keeps only http(s) links', () => {
    const { html } = buildEmail({ event: makeEvent({ url: 'javascript:alert(1)', title: '"><img src=x onerror=alert(1)>' }) });
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('<img');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });
  it('a test message is marked in the subject', () => {
    expect(buildEmail({ event: makeEvent(), test: true }, '').subject).toBe('(test) 🔴 ci failed on main — acme/api');
  });
});

describe('digest', () => {
  const events = [
    makeEvent({ id: '1', title: 'b failed', severity: 'critical', occurredAt: '2025-05-01T08:10:00.000Z' }),
    makeEvent({ id: '2', title: 'a ok', severity: 'success', occurredAt: '2025-05-01T08:05:00.000Z', subject: { project: 'acme/api', branch: 'dev' } }),
    makeEvent({ id: '3', title: 'c warn', severity: 'warning', occurredAt: '2025-05-01T08:20:00.000Z' }),
  ];
  const window = { start: '2025-05-01T08:00:00Z', end: '2025-05-01T09:00:00Z' };

  it('one herald.digest event: worst severity, counts, lines in time order, shared subject', () => {
    const msg = formatDigest(events, window, { id: 'r1', name: 'Hourly' });
    expect(msg.rule).toEqual({ id: 'r1', name: 'Hourly' });
    expect(msg.event).toMatchObject({
      type: 'herald.digest',
      severity: 'critical',
      title: '3 events in the last hour (1 critical, 1 warning, 1 success)',
      subject: { project: 'acme/api' },
      occurredAt: '2025-05-01T09:00:00.000Z',
      dedupKey: 'digest:r1:2025-05-01T08:00:00.000Z',
    });
    expect(msg.event.summary!.split('\n')).toEqual(['08:05 UTC · ✅ a ok', '08:10 UTC · 🔴 b failed', '08:20 UTC · 🟠 c warn']);
    expect((msg.event.data!.digest as Json).events.map((e: Json) => e.id)).toEqual(['2', '1', '3']);
  });
  it('long digests list 25 and count the rest, and every channel can send them', () => {
    const many = Array.from({ length: 40 }, (_, i) => makeEvent({ id: String(i), title: `e${i}`, severity: 'info', occurredAt: `2025-05-01T08:${String(i).padStart(2, '0')}:00.000Z` }));
    const msg = formatDigest(many, window);
    expect(msg.event.summary!.split('\n')).toHaveLength(26);
    expect(msg.event.summary!.split('\n').at(-1)).toBe('…and 15 more');
    expect(validateSlackMessage(buildSlackMessage(msg))).toBeNull();
    expect(discordProblems(buildDiscordMessage(msg) as Json)).toEqual([]);
    expect(adaptiveCardProblems((buildTeamsMessage(msg) as Json).attachments[0].content)).toEqual([]);
  });
  it('an empty digest is an error', () => {
    expect(() => formatDigest([], window)).toThrow('a digest needs at least one event');
  });
});

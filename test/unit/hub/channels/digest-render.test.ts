// A herald.digest event (as the digest scheduler stores it) through every channel's
// formatter: each lists the window's events one per line, escaped, within its limits.
import { describe, expect, it } from 'vitest';
import { buildPopup } from '../../../../electron/hub/channels/desktop.js';
import { buildDiscordMessage } from '../../../../electron/hub/channels/discord.js';
import { buildEmail } from '../../../../electron/hub/channels/email.js';
import { buildSlackMessage } from '../../../../electron/hub/channels/slack.js';
import { buildTeamsMessage } from '../../../../electron/hub/channels/teams.js';
import { webhookBody } from '../../../../electron/hub/channels/webhook.js';
import { buildDigestEvent } from '../../../../electron/hub/delivery/digests.js';
import { discordProblems } from '../../../helpers/fake-discord.js';
import { validateSlackMessage } from '../../../helpers/fake-slack.js';
import { adaptiveCardProblems } from '../../../helpers/fake-teams.js';
import { makeEvent } from '../../../helpers/fake-event.js';

type Json = Record<string, any>;
const T0 = Date.parse('2025-05-01T08:00:00.000Z');
const window = { ruleId: 'hourly', ruleName: 'Hourly', start: T0, end: T0 + 3_600_000 };
const titles = ['deploy <!channel> broke', 'tests *failed* on main', 'scan found <script>x()</script>'];
const events = titles.map((title, i) =>
  makeEvent({ id: `e${i}`, title, severity: i === 1 ? 'warning' : 'critical', occurredAt: new Date(T0 + (i + 1) * 60_000).toISOString() }),
);
const digest = buildDigestEvent(window, events, T0 + 3_600_000, 'digest-1');
const message = { event: digest, rule: { id: 'hourly', name: 'Hourly' } };
const many = buildDigestEvent(
  window,
  Array.from({ length: 60 }, (_, i) => makeEvent({ id: `m${i}`, title: `event ${i} ${'<&>'.repeat(100)}`, occurredAt: new Date(T0 + i * 1000).toISOString() })),
  T0 + 3_600_000,
  'digest-2',
);

describe('a digest on every channel', () => {
  it('Slack: the title, then every line in one section, escaped', () => {
    const msg = buildSlackMessage(message);
    expect(validateSlackMessage(msg)).toBeNull();
    const wire = JSON.stringify(msg);
    expect(msg.text).toContain('3 events in the last hour (2 critical, 1 warning)');
    expect(wire).not.toContain('<!channel>');
    expect(wire).toContain('&lt;!channel&gt;');
    // Each line links its event (makeEvent's url), the title escaped inside the link.
    expect(wire).toContain('08:01 UTC · 🔴 <https://github.com/acme/api/actions/runs/1|deploy &lt;!channel&gt; broke>\\n08:02 UTC · 🟠 <https://github.com/acme/api/actions/runs/1|tests');
    expect(validateSlackMessage(buildSlackMessage({ event: many }))).toBeNull();
  });

  it('Teams (Adaptive Card): one bullet per event, escaped; MessageCard: one paragraph per event', () => {
    const card = (buildTeamsMessage(message) as Json).attachments[0].content;
    expect(adaptiveCardProblems(card)).toEqual([]);
    const list = (card.body as Json[]).find((b) => b.type === 'TextBlock' && String(b.text).startsWith('- '))!.text as string;
    expect(list.split('\r')).toEqual([
      '- 08:01 UTC · 🔴 deploy \\<!channel\\> broke · [Open](https://github.com/acme/api/actions/runs/1)',
      '- 08:02 UTC · 🟠 tests \\*failed\\* on main · [Open](https://github.com/acme/api/actions/runs/1)',
      '- 08:03 UTC · 🔴 scan found \\<script\\>x\\(\\)\\</script\\> · [Open](https://github.com/acme/api/actions/runs/1)',
    ]);
    const big = (buildTeamsMessage({ event: many }) as Json).attachments[0].content;
    expect(adaptiveCardProblems(big)).toEqual([]);
    const bigList = (big.body as Json[]).find((b) => String(b.text).startsWith('- '))!.text as string;
    expect(bigList.split('\r').length).toBeGreaterThan(5);
    expect(bigList.split('\r').every((item) => item.startsWith('- '))).toBe(true);
    const legacy = buildTeamsMessage(message, 'messagecard') as Json;
    expect(legacy.sections[0].text.split('\n\n')).toHaveLength(3);
  });

  it('Discord: the lines in the embed, escaped, within limits', () => {
    const msg = buildDiscordMessage(message) as Json;
    expect(discordProblems(msg)).toEqual([]);
    const description = msg.embeds[0].description as string;
    expect(description.split('\n')).toHaveLength(3);
    expect(description).toContain('tests \\*failed\\* on main');
    expect(discordProblems(buildDiscordMessage({ event: many }) as Json)).toEqual([]);
  });

  it('email: the subject counts them, the text lists them, the HTML escapes them', () => {
    const mail = buildEmail(message);
    expect(mail.subject).toBe('[Herald] 🔴 3 events in the last hour (2 critical, 1 warning) — acme/api');
    expect(mail.text).toContain(events.map((e, i) => `08:0${i + 1} UTC · ${i === 1 ? '🟠' : '🔴'} ${e.title}\n    ${e.url}`).join('\n'));
    expect(mail.text).toContain('Herald digest · 2025-05-01 09:00 UTC · rule Hourly');
    expect(mail.html).toContain('scan found &lt;script&gt;x()&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
  });

  it('desktop: a popup counting them, with the first lines', () => {
    const popup = buildPopup(digest, 'plain');
    expect(popup.title).toBe('✖ 3 events in the last hour (2 critical, 1 warning) · acme/api');
    expect(popup.body.split('\n').slice(0, 3)).toEqual(events.map((e, i) => `08:0${i + 1} UTC · ${i === 1 ? '🟠' : '🔴'} ${e.title}`));
    expect(buildPopup(many, 'plain').body.length).toBeLessThanOrEqual(500);
  });

  it('webhook: the event JSON carries the count, the window and the event ids; templates see them', () => {
    const body = JSON.parse(webhookBody(message, undefined)) as Json;
    expect(body.event).toMatchObject({ type: 'herald.digest', title: '3 events in the last hour (2 critical, 1 warning)' });
    expect(body.event.data.digest).toMatchObject({ count: 3, eventIds: ['e0', 'e1', 'e2'], windowSeconds: 3600, start: '2025-05-01T08:00:00.000Z' });
    expect(body.rule).toEqual({ id: 'hourly', name: 'Hourly' });
    const templated = JSON.parse(webhookBody(message, '{"text": "{{title}}", "lines": "{{summary}}"}')) as Json;
    expect(templated.lines.split('\n')).toHaveLength(3);
  });
});

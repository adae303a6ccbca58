// A storm group's herald.group event (as the group sender stores it) through every channel's
// formatter: each names the count and the group, lists the events one per line, escaped for
// where it lands and within its limits; webhook templates get the list as variables.
import { describe, expect, it } from 'vitest';
import { buildPopup } from '../../../../electron/hub/channels/desktop.js';
import { buildDiscordMessage } from '../../../../electron/hub/channels/discord.js';
import { buildEmail } from '../../../../electron/hub/channels/email.js';
import { buildNtfyMessage } from '../../../../electron/hub/channels/ntfy.js';
import { buildSlackMessage } from '../../../../electron/hub/channels/slack.js';
import { buildTeamsMessage } from '../../../../electron/hub/channels/teams.js';
import { webhookBody } from '../../../../electron/hub/channels/webhook.js';
import { buildGroupEvent } from '../../../../electron/hub/rules/storm-group-sender.js';
import type { StormGroup } from '../../../../electron/hub/rules/storm-groups.js';
import { renderJsonTemplate } from '../../../../shared/json-template.js';
import { templateVariables } from '../../../../shared/template-variables.js';
import { discordProblems } from '../../../helpers/fake-discord.js';
import { makeEvent } from '../../../helpers/fake-event.js';
import { validateSlackMessage } from '../../../helpers/fake-slack.js';
import { adaptiveCardProblems } from '../../../helpers/fake-teams.js';

type Json = Record<string, any>;
const T0 = Date.parse('2025-05-01T08:00:00.000Z');
const group: StormGroup = {
  ruleId: 'storms',
  ruleName: 'CI storms',
  key: '[["project","acme/api"]]',
  by: { project: 'acme/api' },
  waitSeconds: 10,
  intervalSeconds: 300,
  openedAt: T0,
  dueAt: T0 + 10_000,
  messages: 0,
};
const titles = ['deploy <!channel> broke', 'tests *failed* on main', 'scan found <script>x()</script>'];
const events = titles.map((title, i) =>
  makeEvent({ id: `e${i}`, title, subject: { project: 'acme/api', branch: `b${i}` }, occurredAt: new Date(T0 + i * 1000).toISOString() }),
);
const grouped = buildGroupEvent(group, events, T0 + 10_000, 'group-1');
const message = { event: grouped, rule: { id: 'storms', name: 'CI storms' } };
const storm = buildGroupEvent(
  group,
  Array.from({ length: 400 }, (_, i) => makeEvent({ id: `m${i}`, title: `run ${i} ${'<&>'.repeat(60)}`, subject: { project: 'acme/api', branch: `b${i}` } })),
  T0 + 10_000,
  'group-2',
);
const lines = titles.map((t) => `08:00 UTC · 🔴 ${t}`);

describe('a storm group on every channel', () => {
  it('is one herald.group event: count and group in the title, a line per event, the list in data.group', () => {
    expect(grouped).toMatchObject({ type: 'herald.group', severity: 'critical', title: '3 failures in acme/api', subject: { project: 'acme/api' } });
    expect(grouped.summary!.split('\n')).toEqual(lines);
    expect(grouped.data!.group).toMatchObject({
      count: 3,
      by: { project: 'acme/api' },
      message: 1,
      eventIds: ['e0', 'e1', 'e2'],
      first: { id: 'e0', title: titles[0], subject: { project: 'acme/api', branch: 'b0' } },
      last: { id: 'e2', title: titles[2] },
    });
    // 400 events: the count stays, the list shrinks to fit the event's data limit.
    expect(storm.title).toBe('400 failures in acme/api');
    expect((storm.data!.group as Json).count).toBe(400);
    expect((storm.data!.group as Json).last.id).toBe('m399');
    expect(JSON.stringify(storm.data).length).toBeLessThanOrEqual(16 * 1024);
    expect(storm.summary!.split('\n').at(-1)).toBe('…and 375 more');
  });

  it('Slack: the count as heading, every line in a section, mentions escaped', () => {
    const msg = buildSlackMessage(message);
    expect(validateSlackMessage(msg)).toBeNull();
    expect(msg.text).toContain('3 failures in acme/api');
    const wire = JSON.stringify(msg);
    expect(wire).not.toContain('<!channel>');
    // Each line links its run (makeEvent's url), the title escaped inside the link.
    expect(wire).toContain('08:00 UTC · 🔴 <https://github.com/acme/api/actions/runs/1|deploy &lt;!channel&gt; broke>\\n08:00 UTC · 🔴 <https://github.com/acme/api/actions/runs/1|tests *failed* on main>');
    expect(validateSlackMessage(buildSlackMessage({ event: storm }))).toBeNull();
  });

  it('Teams: one bullet per event, Markdown escaped, card within limits', () => {
    const card = (buildTeamsMessage(message) as Json).attachments[0].content;
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(card.body[0].items[0].text).toContain('3 failures in acme/api');
    const list = (card.body as Json[]).find((b) => b.type === 'TextBlock' && String(b.text).startsWith('- '))!.text as string;
    expect(list.split('\r')).toEqual([
      '- 08:00 UTC · 🔴 deploy \\<!channel\\> broke · [Open](https://github.com/acme/api/actions/runs/1)',
      '- 08:00 UTC · 🔴 tests \\*failed\\* on main · [Open](https://github.com/acme/api/actions/runs/1)',
      '- 08:00 UTC · 🔴 scan found \\<script\\>x\\(\\)\\</script\\> · [Open](https://github.com/acme/api/actions/runs/1)',
    ]);
    expect(adaptiveCardProblems((buildTeamsMessage({ event: storm }) as Json).attachments[0].content)).toEqual([]);
  });

  it('Discord: the lines in the embed, escaped, mentions off, within limits', () => {
    const msg = buildDiscordMessage(message) as Json;
    expect(discordProblems(msg)).toEqual([]);
    expect(msg.embeds[0].title).toBe('🔴 3 failures in acme/api');
    expect((msg.embeds[0].description as string).split('\n')).toHaveLength(3);
    expect(msg.embeds[0].description).toContain('tests \\*failed\\* on main');
    expect(msg.allowed_mentions).toEqual({ parse: [] });
    expect(discordProblems(buildDiscordMessage({ event: storm }) as Json)).toEqual([]);
  });

  it('email: the subject counts them, the text lists them, the HTML escapes them', () => {
    const mail = buildEmail(message);
    expect(mail.subject).toBe('[Herald] 🔴 3 failures in acme/api');
    expect(mail.text).toContain(lines.map((l) => `${l}\n    https://github.com/acme/api/actions/runs/1`).join('\n'));
    expect(mail.html).toContain('scan found &lt;script&gt;x()&lt;/script&gt;');
    expect(mail.html).not.toContain('<script>');
  });

  it('ntfy: the count as title, the lines as message', () => {
    const msg = buildNtfyMessage(message, 'alerts') as Json;
    expect(msg.title).toBe('3 failures in acme/api');
    expect((msg.message as string).startsWith(lines.join('\n'))).toBe(true);
    expect(msg.tags).toContain('herald.group');
  });

  it('desktop: ONE popup "3 failures in acme/api" with the first lines', () => {
    const popup = buildPopup(grouped, 'plain');
    expect(popup.title).toBe('✖ 3 failures in acme/api');
    expect(popup.body.split('\n').slice(0, 3)).toEqual(lines);
    expect(popup.urgency).toBe('critical');
    // notify-send reads Pango markup: the list is escaped for it.
    expect(buildPopup(grouped, 'pango').body).toContain('scan found &lt;script&gt;x()&lt;/script&gt;');
    expect(buildPopup(storm, 'plain').body.length).toBeLessThanOrEqual(500);
  });

  it('webhook: the event JSON carries data.group; templates get group.count, group.items, group.first, group.last, group.by', () => {
    const body = JSON.parse(webhookBody(message, undefined)) as Json;
    expect(body.event).toMatchObject({ type: 'herald.group', title: '3 failures in acme/api', data: { group: { count: 3 } } });
    const template = '{"text": "{{group.count}} in {{group.by}}: first {{group.first}}", "count": {{group.count}}, "items": {{group.items}}, "last": {{group.last}}, "by": {{group.by}}}';
    const rendered = JSON.parse(webhookBody(message, template)) as Json;
    expect(rendered.count).toBe(3);
    expect(rendered.items.map((i: Json) => [i.id, i.title, i.subject.branch])).toEqual(titles.map((t, i) => [`e${i}`, t, `b${i}`]));
    expect(rendered.last.id).toBe('e2');
    expect(rendered.by).toEqual({ project: 'acme/api' });
    expect(rendered.text).toContain('3 in {"project":"acme/api"}');
    // Event text stays inside its string: it neither ends the JSON nor adds keys.
    expect(Object.keys(rendered)).toEqual(['text', 'count', 'items', 'last', 'by']);
    // Any other event is a group of one: the same template serves it.
    const single = JSON.parse(renderJsonTemplate(template, templateVariables(makeEvent({ id: 'one', title: 'just <b>one</b>' })))) as Json;
    expect(single).toMatchObject({ count: 1, items: [{ id: 'one', title: 'just <b>one</b>' }], last: { id: 'one' }, by: {} });
  });
});

// Teams channel against a strict fake that parses every card with the adaptivecards library.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamsChannelSchema } from '../../../../shared/config.js';
import { buildTeamsMessage, teamsChannel, TEAMS_MAX_CARD_BYTES } from '../../../../electron/hub/channels/teams.js';
import { adaptiveCardProblems, startFakeTeams, type FakeTeams } from '../../../helpers/fake-teams.js';
import { makeEvent } from '../../../helpers/fake-event.js';

let teams: FakeTeams;
beforeAll(async () => {
  teams = await startFakeTeams();
});
afterAll(() => teams.close());

const config = (format: 'adaptive' | 'messagecard' = 'adaptive') =>
  TeamsChannelSchema.parse({ id: 'teams', kind: 'teams', name: 'Teams', webhookUrl: 'keychain:teams', format });
const url = (last: string) => `${teams.url}/workflows/abc123/triggers/manual/paths/${last}?api-version=2016-06-01&sig=SECRETSIG`;
const message = { event: makeEvent(), rule: { id: 'r', name: 'Prod' } };
const send = (last: string, format?: 'adaptive' | 'messagecard', msg = message) =>
  teamsChannel.send(msg, config(format), { webhookUrl: url(last) }, new AbortController().signal);

describe('Teams Workflows webhook (Adaptive Card 1.4)', () => {
  it('posts a card the adaptivecards library parses without a problem', async () => {
    const before = teams.accepted.length;
    expect(await send('invoke')).toEqual({ kind: 'ok', detail: 'HTTP 202' });
    const card = teams.accepted[before]!.attachments[0].content;
    expect(adaptiveCardProblems(card)).toEqual([]);
    expect(card.version).toBe('1.4');
    expect(card.body[0].items[0]).toMatchObject({ type: 'TextBlock', text: '🔴 ci failed on main — acme/api', color: 'Attention', weight: 'Bolder' });
    expect(card.body[1]).toMatchObject({ type: 'TextBlock', text: 'Job "test" failed.' });
    expect(card.body[2].facts).toEqual([
      { title: 'Project', value: 'acme/api' },
      { title: 'Environment', value: 'production' },
      { title: 'Pipeline', value: 'ci' },
      { title: 'Branch', value: 'main' },
      { title: 'Actor', value: 'ana' },
    ]);
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open', url: 'https://github.com/acme/api/actions/runs/1' }]);
  });

  const answers: [string, string, RegExp, number?][] = [
    ['404 gone → fail', 'gone', /^fail HTTP 404: The workflow was not found\.$/],
    ['403 → fail', 'forbidden', /^fail HTTP 403: The request must be authenticated\.$/],
    ['429 → retry after Retry-After', 'throttled', /^retry HTTP 429: Rate limit is exceeded\.$/, 2000],
    ['502 → retry', 'broken', /^retry HTTP 502: Bad gateway\.$/],
  ];
  it.each(answers)('%s', async (_name, last, expected, afterMs) => {
    const result = await send(last);
    expect(`${result.kind} ${result.kind === 'ok' ? '' : result.reason}`).toMatch(expected);
    expect((result as { afterMs?: number }).afterMs).toBe(afterMs);
    expect(JSON.stringify(result)).not.toContain('SECRETSIG');
  });

  it('the fake refuses a broken card (400 with the library\'s words) and an oversize one (413)', async () => {
    const broken = { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4', body: [{ type: 'TextBlock', text: 'x', color: 'purple' }] } }] };
    let res = await fetch(url('invoke'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(broken) });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Invalid value \\"purple\\" for property \\"color\\"');
    res = await fetch(url('invoke'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(30_000) }) });
    expect(res.status).toBe(413);
  });

  it('100 kB of multi-byte text still makes a card under the limit that Teams accepts', async () => {
    const big = makeEvent({ title: '界'.repeat(50_000), summary: '🚀 déploiement '.repeat(8_000), subject: { project: 'p'.repeat(300), environment: 'é'.repeat(300) } });
    const payload = buildTeamsMessage({ event: big });
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThanOrEqual(TEAMS_MAX_CARD_BYTES);
    expect(await send('invoke', 'adaptive', { event: big, rule: message.rule })).toMatchObject({ kind: 'ok' });
  });
});

describe('Teams legacy connector (MessageCard)', () => {
  it('posts a MessageCard with theme colour, facts and an Open action', async () => {
    const before = teams.accepted.length;
    expect(await send('legacy', 'messagecard')).toEqual({ kind: 'ok', detail: 'HTTP 200' });
    const card = teams.accepted[before]!;
    expect(card).toMatchObject({
      '@type': 'MessageCard',
      themeColor: 'D40E0D',
      title: '🔴 ci failed on main — acme/api',
      summary: 'ci failed on main — acme/api',
      potentialAction: [{ '@type': 'OpenUri', name: 'Open', targets: [{ os: 'default', uri: 'https://github.com/acme/api/actions/runs/1' }] }],
    });
    expect(card.sections[0].facts[0]).toEqual({ name: 'Project', value: 'acme/api' });
  });

  it('escapes event text for Markdown and HTML without garbling quotes', async () => {
    const before = teams.accepted.length;
    const event = makeEvent({ title: `Merge branch 'main' of "acme" <b>x</b> & *y*` });
    expect(await send('legacy', 'messagecard', { ...message, event })).toEqual({ kind: 'ok', detail: 'HTTP 200' });
    expect(teams.accepted[before]!.title).toBe(`🔴 Merge branch 'main' of "acme" &lt;b&gt;x&lt;/b&gt; &amp; \\*y\\* — acme/api`);
  });
});

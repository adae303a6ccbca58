// A storm of real GitHub workflow_run failures (@octokit/webhooks-examples, mapped by the
// real source) and a digest of real DefectDojo findings, as the developer receives them: in
// every chat channel each listed line links to ITS run or finding, within the channel's
// limits (a link that does not fit leaves that line plain, never a cut link); the desktop
// popup lists whole lines and how many more; Herald's own messages do not say "Herald" twice.
import { describe, expect, it } from 'vitest';
import { buildPopup } from '../../../../electron/hub/channels/desktop.js';
import { buildDiscordMessage } from '../../../../electron/hub/channels/discord.js';
import { buildEmail } from '../../../../electron/hub/channels/email.js';
import { listedEvents } from '../../../../electron/hub/channels/format.js';
import { popupActions } from '../../../../electron/hub/channels/popup-decisions.js';
import { buildSlackMessage, SLACK_LIMITS } from '../../../../electron/hub/channels/slack.js';
import { buildTeamsMessage } from '../../../../electron/hub/channels/teams.js';
import { buildDigestEvent } from '../../../../electron/hub/delivery/digests.js';
import { buildGroupEvent } from '../../../../electron/hub/rules/storm-group-sender.js';
import type { StormGroup } from '../../../../electron/hub/rules/storm-groups.js';
import { mapWorkflowRun } from '../../../../electron/hub/sources/github.js';
import { parseKosliWebhook } from '../../../../electron/hub/sources/kosli-webhook.js';
import type { HeraldEvent } from '../../../../shared/event.js';
import { workflowRun } from '../../../helpers/ci-webhooks.js';
import { discordProblems } from '../../../helpers/fake-discord.js';
import { makeEvent } from '../../../helpers/fake-event.js';
import { validateSlackMessage } from '../../../helpers/fake-slack.js';
import { adaptiveCardProblems } from '../../../helpers/fake-teams.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, any>;
const T0 = Date.parse('2025-05-01T08:00:00.000Z');
const FIXTURES = join(import.meta.dirname, '../../../fixtures');

/** Run `n` of the example workflow_run, failed, with its own run page (`pad` lengthens the URL). */
function failedRun(n: number, pad = 0): HeraldEvent {
  const payload = workflowRun('failure', { run: n });
  payload.workflow_run.html_url = `https://github.com/octo-org/octo-repo/actions/runs/${1000 + n}${pad ? `?${'x'.repeat(pad)}` : ''}`;
  const input = mapWorkflowRun(payload, 'gh');
  if (typeof input === 'string') throw new Error(input);
  return makeEvent({ ...input, id: `run-${n}`, severity: 'critical', summary: input.summary, occurredAt: new Date(T0 + n * 1000).toISOString() });
}
const runUrl = (n: number) => `https://github.com/octo-org/octo-repo/actions/runs/${1000 + n}`;

const group: StormGroup = {
  ruleId: 'storms',
  ruleName: 'CI storms',
  key: '[["project","octo-org/octo-repo"]]',
  by: { project: 'octo-org/octo-repo' },
  waitSeconds: 10,
  intervalSeconds: 300,
  openedAt: T0,
  dueAt: T0 + 10_000,
  messages: 0,
};
const storm = buildGroupEvent(group, Array.from({ length: 40 }, (_, i) => failedRun(i + 1)), T0 + 60_000, 'storm-1');
const message = { event: storm, rule: { id: 'storms', name: 'CI storms' } };
/** The same storm with 1,900-character run URLs: 25 linked lines cannot fit one Slack section. */
const longStorm = buildGroupEvent(group, Array.from({ length: 40 }, (_, i) => failedRun(i + 1, 1_850)), T0 + 60_000, 'storm-2');

describe('a storm of real GitHub failures: every listed line links to its own run', () => {
  it('pairs each summary line with its run, and counts the rest', () => {
    const listed = listedEvents(storm);
    expect(listed.lines).toHaveLength(25);
    expect(listed.more).toBe(15);
    expect(listed.lines.map((l) => l.url)).toEqual(Array.from({ length: 25 }, (_, i) => runUrl(i + 1)));
    expect(listed.lines[0]).toMatchObject({ lead: '08:00 UTC · 🔴 ', text: 'octo-org/octo-repo: test failed on master' });
  });

  it('Slack: `<run|title>` per line, then "…and 15 more"', () => {
    const msg = buildSlackMessage(message);
    expect(validateSlackMessage(msg)).toBeNull();
    const list = msg.attachments[0]!.blocks[0] as Json;
    const lines = (list.text.text as string).split('\n');
    expect(lines[0]).toBe(`08:00 UTC · 🔴 <${runUrl(1)}|octo-org/octo-repo: test failed on master>`);
    expect(lines[1]).toBe(`08:00 UTC · 🔴 <${runUrl(2)}|octo-org/octo-repo: test failed on master>`);
    expect(lines.at(-1)).toBe('…and 15 more');
  });

  it('Slack: links that do not fit the 3,000-character section leave lines plain; nothing is lost from the count', () => {
    const msg = buildSlackMessage({ event: longStorm });
    expect(validateSlackMessage(msg)).toBeNull();
    const text = (msg.attachments[0]!.blocks[0] as Json).text.text as string;
    expect(text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^08:00 UTC · 🔴 <https:\/\/github\.com\/octo-org\/octo-repo\/actions\/runs\/1001\?x+\|octo-org\/octo-repo: test failed on master>$/);
    expect(lines[1]).toBe('08:00 UTC · 🔴 octo-org/octo-repo: test failed on master');
    // Every link that is there is whole.
    for (const link of text.match(/<[^>]*>/g) ?? []) expect(link).toMatch(/^<https:\/\/github\.com\/\S+\|[^|]+>$/);
    const listedCount = lines.filter((l) => l.startsWith('08:00')).length;
    expect(listedCount + Number(/…and (\d+) more$/.exec(text)?.[1] ?? 0)).toBe(40);
  });

  it('Discord: `[title](run)` per line, within the embed limits', () => {
    const msg = buildDiscordMessage(message) as Json;
    expect(discordProblems(msg)).toEqual([]);
    const lines = (msg.embeds[0].description as string).split('\n');
    expect(lines[0]).toBe(`08:00 UTC · 🔴 [octo-org/octo-repo: test failed on master](${runUrl(1)})`);
    expect(lines.at(-1)).toBe('…and 15 more');
    expect(discordProblems(buildDiscordMessage({ event: longStorm }) as Json)).toEqual([]);
  });

  it('Teams: a bullet per line, each with an Open link whose text holds no escapes, the card within its size', () => {
    const card = (buildTeamsMessage(message) as Json).attachments[0].content;
    expect(adaptiveCardProblems(card)).toEqual([]);
    const list = (card.body as Json[]).find((b) => String(b.text).startsWith('- '))!.text as string;
    expect(list.split('\r')[0]).toBe(`- 08:00 UTC · 🔴 octo-org/octo-repo: test failed on master · [Open](${runUrl(1)})`);
    // A title Markdown must escape stays outside the link (Teams breaks links whose text holds a backslash).
    const hashed = buildGroupEvent(group, [makeEvent({ ...failedRun(1), title: 'build #7 (nightly) failed' })], T0 + 60_000, 'storm-3');
    const one = (buildTeamsMessage({ event: hashed }) as Json).attachments[0].content.body.find((b: Json) => String(b.text).startsWith('- ')).text;
    expect(one).toBe(`- 08:00 UTC · 🔴 build \\#7 \\(nightly\\) failed · [Open](${runUrl(1)})`);
    expect(list.split('\r').at(-1)).toBe('- …and 15 more');
    expect(adaptiveCardProblems((buildTeamsMessage({ event: longStorm }) as Json).attachments[0].content)).toEqual([]);
  });

  it('email: the HTML links each line; the text part puts each link under its line', () => {
    const mail = buildEmail(message);
    expect(mail.html).toContain(`08:00 UTC · 🔴 <a href="${runUrl(1)}">octo-org/octo-repo: test failed on master</a>\n`);
    expect(mail.html).toContain(`<a href="${runUrl(25)}">`);
    expect(mail.html).not.toContain(`<a href="${runUrl(26)}">`);
    expect(mail.html).toContain('…and 15 more');
    // Mail read as text: each run's link on the line under its line.
    expect(mail.text).toContain(`08:00 UTC · 🔴 octo-org/octo-repo: test failed on master\n    ${runUrl(1)}\n08:00 UTC · 🔴 octo-org/octo-repo: test failed on master\n    ${runUrl(2)}\n`);
    expect(mail.text).toContain(`    ${runUrl(25)}\n…and 15 more`);
  });

  it('desktop: whole lines, then "…and N more", never a line cut in half; no "via Herald"', () => {
    const body = buildPopup(storm, 'plain').body;
    const lines = body.split('\n');
    const listed = lines.filter((l) => l.startsWith('08:00 UTC · 🔴 '));
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const l of listed) expect(l).toBe('08:00 UTC · 🔴 octo-org/octo-repo: test failed on master');
    expect(lines[listed.length]).toBe(`…and ${40 - listed.length} more`);
    expect(body).not.toContain('via Herald');
  });

  it('a line whose data item does not match it gets no link rather than a wrong one', () => {
    const data = storm.data as Json;
    const shuffled = { ...storm, data: { group: { ...data.group, items: [{ ...data.group.items[0], title: 'something else entirely' }, ...data.group.items.slice(1)] } } };
    const listed = listedEvents(shuffled);
    expect(listed.lines[0]!.url).toBeUndefined();
    expect(listed.lines[1]!.url).toBe(runUrl(2));
  });
});

describe('a digest of real DefectDojo findings links each finding', () => {
  const bodies = JSON.parse(readFileSync(join(FIXTURES, 'defectdojo/webhook-bodies.json'), 'utf8')) as Json;
  const findings = bodies.scan_added.findings as Json;
  const events = (['new', 'reactivated', 'mitigated'] as const).flatMap((kind, k) =>
    (findings[kind] as Json[]).map((f, i) =>
      makeEvent({ id: `${kind}-${i}`, type: 'finding.new', severity: 'warning', title: `${f.severity}: ${f.title}`, url: f.url_ui, occurredAt: new Date(T0 + k * 60_000).toISOString() }),
    ),
  );
  const digest = buildDigestEvent({ ruleId: 'hourly', ruleName: 'Hourly', start: T0, end: T0 + 3_600_000 }, events, T0 + 3_600_000, 'digest-1');

  it('says what it counts: findings, not events', () => {
    expect(digest.title).toBe('3 findings in the last hour (3 warning)');
  });

  it('Slack and email link each finding to its page; the context says "Herald digest" once', () => {
    const slack = JSON.stringify(buildSlackMessage({ event: digest }));
    const mail = buildEmail({ event: digest, rule: { id: 'hourly', name: 'Hourly' } });
    for (const e of events) {
      expect(slack).toContain(`<${e.url}|${e.title}>`);
      expect(mail.html).toContain(`<a href="${e.url}">${e.title}</a>`);
    }
    expect(mail.text).toContain('Herald digest · 2025-05-01 09:00 UTC · rule Hourly');
  });
});

describe('a popup\'s open action says where it opens', () => {
  it('"Open the run" for a run, "Open in Kosli" for an artifact that started (the Kosli fixture)', () => {
    const body = readFileSync(join(FIXTURES, 'kosli/custom-webhook-sample.json'));
    const parsed = parseKosliWebhook({ body, headers: {}, pathRest: '' });
    if (parsed.kind !== 'events') throw new Error(JSON.stringify(parsed));
    const started = makeEvent({ ...parsed.events[0]!, source: { kind: 'kosli-webhook', id: 'kosli', name: 'Kosli' } });
    expect(popupActions(started)[0]).toEqual({ id: 'default', label: 'Open in Kosli' });
    expect(popupActions(failedRun(1))[0]).toEqual({ id: 'default', label: 'Open the run' });
  });
});

describe('ntfy and the popup for a storm or a digest', () => {
  it('ntfy: a tap on the storm opens its latest listed run; a digest is never urgent (priority ≤ 3), a storm keeps its severity', async () => {
    const { buildNtfyMessage } = await import('../../../../electron/hub/channels/ntfy.js');
    const storm1 = buildNtfyMessage({ event: storm }, 't');
    expect(storm1).toMatchObject({ click: runUrl(25), priority: 5 });
    const criticalDigest = buildDigestEvent(
      { ruleId: 'hourly', ruleName: 'Hourly', start: T0, end: T0 + 3_600_000 },
      [failedRun(1), failedRun(2)],
      T0 + 3_600_000,
      'digest-2',
    );
    expect(criticalDigest.severity).toBe('critical');
    expect(buildNtfyMessage({ event: criticalDigest }, 't')).toMatchObject({ click: runUrl(2), priority: 3 });
  });

  it('desktop: a critical storm is a critical popup; a critical digest a normal one (it does not stay until dismissed)', () => {
    const criticalDigest = buildDigestEvent({ ruleId: 'hourly', ruleName: 'Hourly', start: T0, end: T0 + 3_600_000 }, [failedRun(1)], T0 + 3_600_000, 'digest-3');
    expect(buildPopup(storm, 'plain').urgency).toBe('critical');
    expect(buildPopup(criticalDigest, 'plain').urgency).toBe('normal');
  });
});

// The `teams` channel: a Workflows (Power Automate) webhook with an Adaptive Card 1.4
// message, or — for the retiring Office 365 connectors — a MessageCard. Event text is
// Markdown-escaped (TextBlocks and facts render Markdown), and the card is kept under
// Teams' size limit by shortening the summary, then the facts.
import type { ChannelConfig } from '../../../shared/config.js';
import { escapeMarkdown, fitEscaped } from '../../../shared/text-escaping.js';
import { fail, type Channel, type Message } from './channel.js';
import { contextLine, eventFacts, headline, listsEvents, markdownLines, safeLink, SEVERITY_STYLE } from './format.js';
import { sendJson } from './http.js';

export type TeamsChannelConfig = Extract<ChannelConfig, { kind: 'teams' }>;

/**
 * Teams documents 28 KB per message, and 413s have been seen near 21 KB once Teams wraps
 * the card: stay well under both.
 */
export const TEAMS_MAX_CARD_BYTES = 20_000;

interface Budget {
  title: number;
  summary: number;
  fact: number;
}
const FULL_BUDGET: Budget = { title: 300, summary: 4_000, fact: 300 };

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

function adaptiveCard(message: Message, budget: Budget): Record<string, unknown> {
  const event = message.event;
  const style = SEVERITY_STYLE[event.severity];
  const md = (text: string, max: number) => fitEscaped(text, max, escapeMarkdown);
  const body: Record<string, unknown>[] = [
    {
      type: 'Container',
      style: style.cardStyle,
      bleed: true,
      items: [
        {
          type: 'TextBlock',
          // The project as Slack's heading and the email subject name it (`Critical: New Finding — notif prod`).
          text: `${style.emoji} ${md(headline(event, { emoji: false }), budget.title)}`,
          weight: 'Bolder',
          size: 'Medium',
          color: style.cardColor,
          wrap: true,
        },
      ],
    },
  ];
  if (event.summary?.trim() && budget.summary > 0) {
    // A digest or a storm group lists one event per line: a bullet list (Teams joins single line breaks into one paragraph).
    const text = listsEvents(event) ? markdownLines(event, budget.summary, '\r', '- ', 'suffix') : paragraphs(md(event.summary.trim(), budget.summary));
    body.push({ type: 'TextBlock', text, wrap: true });
  }
  const facts = eventFacts(event);
  if (facts.length && budget.fact > 0) {
    body.push({ type: 'FactSet', facts: facts.map((f) => ({ title: f.label, value: md(f.value, budget.fact) })) });
  }
  body.push({ type: 'TextBlock', text: md(contextLine(event, message.rule, message.test), 500), isSubtle: true, size: 'Small', wrap: true });
  const link = safeLink(event.url);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open', url: link }] } : {}),
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

/** Markdown (CommonMark) joins single line breaks: keep each line on its own. */
function paragraphs(escaped: string): string {
  return escaped.replace(/\n+/g, '\n\n');
}

/**
 * MessageCard text renders Markdown and some HTML: escape both. Text content, never an
 * attribute, so `& < >` are the HTML to escape: an apostrophe as `&#39;` would have its
 * `#` escaped for Markdown and show as `&#39;` ("Merge branch 'main'").
 */
const escapeHtmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const card = (text: string, max: number) => fitEscaped(text, max, (s) => escapeMarkdown(escapeHtmlText(s)));

function messageCard(message: Message, budget: Budget): Record<string, unknown> {
  const event = message.event;
  const style = SEVERITY_STYLE[event.severity];
  const link = safeLink(event.url);
  const title = `${style.emoji} ${card(headline(event, { emoji: false }), budget.title)}`;
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: card(headline(event, { emoji: false }), 200),
    themeColor: style.hex.slice(1),
    title,
    sections: [
      {
        activitySubtitle: card(contextLine(event, message.rule, message.test), 500),
        ...(event.summary?.trim() && budget.summary > 0 ? { text: paragraphs(card(event.summary.trim(), budget.summary)) } : {}),
        facts: budget.fact > 0 ? eventFacts(event).map((f) => ({ name: f.label, value: card(f.value, budget.fact) })) : [],
        markdown: true,
      },
    ],
    ...(link ? { potentialAction: [{ '@type': 'OpenUri', name: 'Open', targets: [{ os: 'default', uri: link }] }] } : {}),
  };
}

/** Pure: the payload for one event, shortened until it fits TEAMS_MAX_CARD_BYTES. */
export function buildTeamsMessage(message: Message, format: TeamsChannelConfig['format'] = 'adaptive'): Record<string, unknown> {
  const build = format === 'adaptive' ? adaptiveCard : messageCard;
  const budget = { ...FULL_BUDGET };
  let payload = build(message, budget);
  // Multi-byte text can triple the bytes: shrink the long parts until the card fits.
  while (bytes(payload) > TEAMS_MAX_CARD_BYTES) {
    if (budget.summary > 200) budget.summary = Math.floor(budget.summary / 2);
    else if (budget.fact > 40) budget.fact = Math.floor(budget.fact / 2);
    else if (budget.title > 60) budget.title = Math.floor(budget.title / 2);
    else if (budget.summary > 0) budget.summary = 0;
    else break;
    payload = build(message, budget);
  }
  return payload;
}

export const teamsChannel: Channel<TeamsChannelConfig> = {
  kind: 'teams',
  async send(message, config, secrets, signal) {
    const url = secrets.webhookUrl;
    if (!url) return fail(`the Teams webhook URL has no value: set it (${config.webhookUrl}) in the channel settings`);
    return sendJson(url, buildTeamsMessage(message, config.format), { timeoutMs: config.timeoutMs, signal });
  },
};

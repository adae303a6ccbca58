// The `discord` channel: a webhook message with one embed (colour by severity, linked
// title, summary, subject fields, time). Event text is Markdown-escaped, and
// `allowed_mentions: {parse: []}` means nothing in it can ping @everyone or a user.
import type { ChannelConfig } from '../../../shared/config.js';
import { escapeMarkdown, fitEscaped } from '../../../shared/text-escaping.js';
import { fail, type Channel, type Message } from './channel.js';
import { contextLine, eventFacts, headline, listsEvents, markdownLines, safeLink, SEVERITY_STYLE } from './format.js';
import { sendJson } from './http.js';

export type DiscordChannelConfig = Extract<ChannelConfig, { kind: 'discord' }>;

/** Discord's documented webhook/embed limits. */
export const DISCORD_LIMITS = {
  content: 2_000,
  embeds: 10,
  title: 256,
  description: 4_096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1_024,
  footer: 2_048,
  /** All text in all embeds of a message together. */
  embedTotal: 6_000,
  username: 80,
} as const;

const md = (text: string, max: number) => fitEscaped(text, max, escapeMarkdown);

/** Pure: the payload for one event, within Discord's limits. */
export function buildDiscordMessage(message: Message, config?: Pick<DiscordChannelConfig, 'username' | 'avatarUrl'>): Record<string, unknown> {
  const event = message.event;
  const style = SEVERITY_STYLE[event.severity];
  const title = md(`${style.emoji} ${event.title.replace(/\s+/g, ' ').trim()}`, DISCORD_LIMITS.title);
  const fields = eventFacts(event)
    .slice(0, DISCORD_LIMITS.fields)
    .map((f) => ({ name: f.label, value: md(f.value, 200), inline: true }));
  // The embed's timestamp shows the time, in the reader's own zone: the footer need not repeat it in UTC.
  const footer = md(contextLine(event, message.rule, message.test, { time: false }), 300);
  // What is left of the 6,000 shared characters goes to the description.
  const used = title.length + footer.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const descriptionMax = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.embedTotal - used - 10);
  const description = event.summary?.trim() ? (listsEvents(event) ? markdownLines(event, descriptionMax, '\n', '') : md(event.summary.trim(), descriptionMax)) : undefined;
  const link = safeLink(event.url);
  return {
    content: md(headline(event), 300),
    embeds: [
      {
        title,
        ...(link ? { url: link } : {}),
        ...(description ? { description } : {}),
        color: Number.parseInt(style.hex.slice(1), 16),
        ...(fields.length ? { fields } : {}),
        footer: { text: footer },
        timestamp: new Date(Date.parse(event.occurredAt) || Date.now()).toISOString(),
      },
    ],
    allowed_mentions: { parse: [] },
    ...(config?.username ? { username: config.username } : {}),
    ...(config?.avatarUrl ? { avatar_url: config.avatarUrl } : {}),
  };
}

export const discordChannel: Channel<DiscordChannelConfig> = {
  kind: 'discord',
  async send(message, config, secrets, signal) {
    const url = secrets.webhookUrl;
    if (!url) return fail(`the Discord webhook URL has no value: set it (${config.webhookUrl}) in the channel settings`);
    // 404 (Unknown Webhook) fails, 429 retries after Retry-After or the body's retry_after: http.ts knows both.
    return sendJson(url, buildDiscordMessage(message, config), { timeoutMs: config.timeoutMs, signal });
  },
};

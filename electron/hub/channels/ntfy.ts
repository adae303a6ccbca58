// The `ntfy` channel: a push to a phone through ntfy (ntfy.sh or self-hosted). One JSON
// publish per event to the server root (ntfy docs "Publish as JSON"; server/server.go
// transformBodyJSON): {topic, title, message, priority, tags, click}.
//
// What ntfy checks, and Herald keeps within (server/config.go, server/server.go):
// - the topic: 1-64 of [-_A-Za-z0-9], not a reserved name (checked by the config schema);
// - the message: at most 4,096 bytes (DefaultMessageSizeLimit; longer ones turn into an
//   attachment or are refused), the JSON body at most twice that (413, code 41303);
// - auth: `Authorization: Bearer tk_…` (access token) or basic auth; 401/403 otherwise;
// - rate: 60 requests in a burst, then one per 5 s per visitor (429, code 42901).
// The message is plain text (no Markdown), so event text needs no escaping.
import type { ChannelConfig } from '../../../shared/config.js';
import type { Severity } from '../../../shared/event.js';
import { truncateText } from '../../../shared/text-escaping.js';
import { fail, type Channel, type Message } from './channel.js';
import { contextLine, eventFacts, headline, listedEvents, listsEvents, safeLink } from './format.js';
import { sendJson } from './http.js';
import { CHANNEL_LIMITS } from './limits.js';

export type NtfyChannelConfig = Extract<ChannelConfig, { kind: 'ntfy' }>;

export const NTFY_LIMITS = {
  /** Bytes of the message (ntfy's DefaultMessageSizeLimit). */
  message: 4096,
  /** Characters of the title: ntfy sets none, phones show about one line. */
  title: 250,
} as const;

/** ntfy priorities: 1 min, 2 low, 3 default, 4 high, 5 max (urgent: it may break through Do Not Disturb). */
export const NTFY_PRIORITY: Record<Severity, 1 | 2 | 3 | 4 | 5> = { critical: 5, warning: 4, success: 3, info: 2 };

/** A digest's highest priority: ntfy's default (3), however bad what it lists. */
export const NTFY_DIGEST_MAX_PRIORITY = 3;

/** Tags that are emoji short codes show as the emoji before the title. */
const SEVERITY_TAG: Record<Severity, string> = { critical: 'rotating_light', warning: 'warning', success: 'white_check_mark', info: 'information_source' };

/** Cut to at most `max` UTF-8 bytes at a line end if one is near, else at a character; says so. */
export function fitBytes(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  const marker = '\n…';
  let cut = Buffer.from(text).subarray(0, max - Buffer.byteLength(marker)).toString('utf8');
  // A character cut in half decodes as U+FFFD: drop it.
  cut = cut.replace(/\uFFFD+$/, '');
  const lineEnd = cut.lastIndexOf('\n');
  if (lineEnd > cut.length * 0.6) cut = cut.slice(0, lineEnd);
  return `${cut}${marker}`;
}

/** Pure: the JSON publish for one event (a digest reads as its list of lines). */
export function buildNtfyMessage(message: Message, topic: string, messageBytes: number = NTFY_LIMITS.message): Record<string, unknown> {
  const event = message.event;
  const facts = eventFacts(event).map((f) => `${f.label}: ${f.value}`);
  const parts = [event.summary?.trim(), facts.join(' · '), contextLine(event, message.rule, message.test)].filter((p): p is string => Boolean(p));
  // A digest or storm group links nowhere itself: a tap opens its latest listed event that has a link.
  const link = safeLink(event.url) ?? (listsEvents(event) ? [...listedEvents(event).lines].reverse().find((l) => l.url)?.url : undefined);
  return {
    topic,
    // The lock screen shows the title first: it names the project as every other channel's heading does (the tag is the emoji).
    title: truncateText(headline(event, { emoji: false }), NTFY_LIMITS.title),
    message: fitBytes(parts.join('\n\n'), messageBytes),
    // A digest is what the user chose to get in batches: never urgent (5 breaks through Do Not Disturb).
    priority: event.type === 'herald.digest' ? Math.min(NTFY_PRIORITY[event.severity], NTFY_DIGEST_MAX_PRIORITY) : NTFY_PRIORITY[event.severity],
    tags: [SEVERITY_TAG[event.severity], event.type],
    ...(link && { click: link }),
  };
}

/**
 * The JSON text, within ntfy's body limit: JSON escaping can make a message of 4,096 bytes
 * take more (quotes, line breaks), so the message is cut further until the body fits.
 */
export function ntfyBody(message: Message, topic: string): string {
  const max = CHANNEL_LIMITS.ntfy.maxBodyBytes ?? Infinity;
  let budget: number = NTFY_LIMITS.message;
  for (;;) {
    const body = JSON.stringify(buildNtfyMessage(message, topic, budget));
    const over = Buffer.byteLength(body) - max;
    if (over <= 0 || budget <= 64) return body;
    budget = Math.max(64, budget - over);
  }
}

function authorization(config: NtfyChannelConfig, secrets: Record<string, string>): string | undefined | { missing: string } {
  if (config.token !== undefined) {
    const token = secrets.token;
    return token ? `Bearer ${token}` : { missing: `the access token has no value: set it (${config.token}) in the channel settings` };
  }
  if (config.username !== undefined) {
    const password = secrets.password;
    if (password === undefined) return { missing: `the password has no value: set it (${config.password}) in the channel settings` };
    return `Basic ${Buffer.from(`${config.username}:${password}`).toString('base64')}`;
  }
  return undefined;
}

export const ntfyChannel: Channel<NtfyChannelConfig> = {
  kind: 'ntfy',
  async send(message, config, secrets, signal) {
    const auth = authorization(config, secrets);
    if (typeof auth === 'object') return fail(auth.missing);
    const body = ntfyBody(message, config.topic);
    // Published to the server root: the topic is in the body (a path prefix on the server URL is kept).
    const url = `${config.server.replace(/\/+$/, '')}/`;
    return sendJson(url, body, { headers: { ...(auth && { authorization: auth }) }, timeoutMs: config.timeoutMs, signal });
  },
};

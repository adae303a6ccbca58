// The `slack` channel: an incoming webhook (@slack/webhook) or a bot token and channel
// (chat.postMessage through @slack/web-api). One Block Kit message: the linked title with
// a severity emoji, then a coloured attachment with summary, subject fields and context.
// Event text is escaped for mrkdwn (& < >), so it cannot mention or link.
import type { Logger } from '@slack/web-api';
import type { ChannelConfig } from '../../../shared/config.js';
import { escapeSlack, fitEscaped } from '../../../shared/text-escaping.js';
import { fail, ok, retry, type Channel, type Message, type SendResult } from './channel.js';
import { eventFacts, contextLine, fitListedEvents, headline, listedEvents, listsEvents, safeLink, SEVERITY_STYLE } from './format.js';
import { classifyHttpResponse, describeFetchError } from './http.js';
import { deadlineSignal } from '../timeout-signal.js';

export type SlackChannelConfig = Extract<ChannelConfig, { kind: 'slack' }>;

/** Slack's documented limits (Block Kit reference). */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Top-level `text`: Slack truncates beyond 40,000; a notification line needs far less. */
  text: 40_000,
} as const;

const TITLE_CHARS = 300;
const FALLBACK_CHARS = 500;
const SUMMARY_CHARS = 2_900;
const FIELD_CHARS = 300;
/** The heading's link, escaped: with the title, project and emoji it stays under sectionText. */
const SLACK_LINK_CHARS = 2_000;
const CONTEXT_CHARS = 1_000;

export interface SlackPayload {
  text: string;
  blocks: Record<string, unknown>[];
  attachments: { color: string; blocks: Record<string, unknown>[]; fallback: string }[];
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const esc = (text: string, max: number) => fitEscaped(text, max, escapeSlack);

/** `<url|text>`: the URL must not carry `|` or `>` itself. */
function slackLink(url: string, label: string): string {
  return `<${escapeSlack(url).replace(/\|/g, '%7C')}|${label}>`;
}

/** The summary as mrkdwn; a digest's or storm group's lines each link to their event. */
function summaryText(message: Message): string {
  const event = message.event;
  if (!listsEvents(event)) return esc(event.summary!.trim(), SUMMARY_CHARS);
  return fitListedEvents(listedEvents(event), SUMMARY_CHARS, {
    line: (l, linked) => `${escapeSlack(l.lead)}${linked ? slackLink(l.url!, escapeSlack(l.text)) : escapeSlack(l.text)}`,
    more: (n) => `…and ${n} more`,
    separator: '\n',
  });
}

/** Pure: the message for one event, within Slack's limits and escaped. */
export function buildSlackMessage(message: Message): SlackPayload {
  const event = message.event;
  const style = SEVERITY_STYLE[event.severity];
  const title = esc(event.title.replace(/\s+/g, ' ').trim(), TITLE_CHARS);
  // Escaped (`&` → `&amp;`), the link must still leave the heading within a section's 3,000 characters.
  const candidate = safeLink(event.url);
  const link = candidate && escapeSlack(candidate).length <= SLACK_LINK_CHARS ? candidate : undefined;
  const project = event.subject.project && !event.title.includes(event.subject.project) ? ` — ${esc(event.subject.project, FIELD_CHARS)}` : '';
  const heading = `${style.slackEmoji} *${link ? slackLink(link, title) : title}*${project}`;

  const detail: Record<string, unknown>[] = [];
  if (event.summary?.trim()) detail.push({ type: 'section', text: mrkdwn(summaryText(message)) });
  const facts = eventFacts(event).slice(0, SLACK_LIMITS.fields);
  if (facts.length) {
    detail.push({ type: 'section', fields: facts.map((f) => mrkdwn(`*${f.label}*\n${esc(f.value, FIELD_CHARS)}`)) });
  }
  detail.push({ type: 'context', elements: [mrkdwn(esc(contextLine(event, message.rule, message.test), CONTEXT_CHARS))] });

  const fallback = escapeSlack(Array.from(headline(event)).slice(0, FALLBACK_CHARS).join(''));
  return {
    text: fallback,
    blocks: [{ type: 'section', text: mrkdwn(heading) }],
    attachments: [{ color: style.hex, blocks: detail, fallback }],
  };
}

/** What Slack's Web API error codes mean for a user, and whether a retry can help. */
const PLATFORM_ERRORS: Record<string, { retry: boolean; hint?: string }> = {
  channel_not_found: { retry: false, hint: 'check the channel id or name' },
  not_in_channel: { retry: false, hint: 'invite the bot to the channel (/invite @your-app)' },
  is_archived: { retry: false, hint: 'the channel is archived' },
  invalid_auth: { retry: false, hint: 'the bot token is not valid' },
  not_authed: { retry: false, hint: 'no bot token was sent' },
  token_revoked: { retry: false, hint: 'the bot token was revoked' },
  account_inactive: { retry: false, hint: 'the bot token belongs to a deleted user or app' },
  missing_scope: { retry: false, hint: 'the bot token needs the chat:write scope' },
  restricted_action: { retry: false, hint: 'a workspace setting forbids this app to post there' },
  ratelimited: { retry: true },
  fatal_error: { retry: true },
  internal_error: { retry: true },
  service_unavailable: { retry: true },
  request_timeout: { retry: true },
};

function describePlatformError(data: { error?: string; response_metadata?: { messages?: string[] } }): SendResult {
  const code = data.error ?? 'unknown_error';
  const known = PLATFORM_ERRORS[code];
  const details = data.response_metadata?.messages?.slice(0, 3).join('; ');
  const reason = `Slack: ${code}${known?.hint ? ` — ${known.hint}` : ''}${details ? ` (${details})` : ''}`;
  return known?.retry ? retry(reason) : fail(reason);
}

/** Slack's clients log through console by default; a channel reports through its result instead. */
const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => 'error' as never,
  setName: () => undefined,
};

// The SDKs load with the first Slack message: a hub without a Slack channel never holds them in memory.
let webhookSdk: Promise<typeof import('@slack/webhook')> | undefined;
let webApiSdk: Promise<typeof import('@slack/web-api')> | undefined;
const loadWebhookSdk = () => (webhookSdk ??= import('@slack/webhook'));
const loadWebApiSdk = () => (webApiSdk ??= import('@slack/web-api'));

/** fetch with the delivery's abort signal and timeout, remembering the last answer's headers (Retry-After). */
function signalledFetch(signal: AbortSignal, timeoutMs: number) {
  const state: { headers?: Headers } = {};
  const fetchFn = async (url: string | URL, init?: RequestInit) => {
    // The SDKs ask for `redirect: 'error'`, which surfaces as a bare network error (retried
    // forever); 'manual' hands the 3xx to classifyHttpResponse, which fails it as http.ts does.
    const response = await fetch(url, { ...init, redirect: 'manual', signal: deadlineSignal(timeoutMs, signal) });
    state.headers = response.headers;
    return response;
  };
  return { fetchFn, state };
}

async function sendWebhook(url: string, payload: SlackPayload, config: SlackChannelConfig, signal: AbortSignal): Promise<SendResult> {
  const { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } = await loadWebhookSdk();
  const { fetchFn, state } = signalledFetch(signal, config.timeoutMs);
  const webhook = new IncomingWebhook(url, { fetch: fetchFn as never, timeout: 0, retryConfig: { retries: 0 } });
  try {
    await webhook.send(payload as never);
    return ok();
  } catch (err) {
    if (err instanceof IncomingWebhookHTTPError) {
      return classifyHttpResponse(err.statusCode, state.headers ?? {}, err.body);
    }
    if (err instanceof IncomingWebhookRequestError) return describeFetchError(err.original, { url, timeoutMs: config.timeoutMs });
    return describeFetchError(err, { url, timeoutMs: config.timeoutMs });
  }
}

async function sendBot(token: string, payload: SlackPayload, config: SlackChannelConfig, signal: AbortSignal): Promise<SendResult> {
  const { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient } = await loadWebApiSdk();
  const { fetchFn } = signalledFetch(signal, config.timeoutMs);
  const client = new WebClient(token, {
    slackApiUrl: config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`,
    fetch: fetchFn as never,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: silentLogger,
  });
  const url = `${config.apiUrl}chat.postMessage`;
  try {
    await client.chat.postMessage({
      channel: config.channel!,
      text: payload.text,
      blocks: payload.blocks as never,
      attachments: payload.attachments as never,
      unfurl_links: false,
      unfurl_media: false,
    });
    return ok();
  } catch (err) {
    if (err instanceof WebAPIPlatformError) return describePlatformError(err.data as never);
    if (err instanceof WebAPIRateLimitedError) return retry('Slack: rate limited', err.retryAfter * 1000);
    if (err instanceof WebAPIHTTPError) {
      return classifyHttpResponse(err.statusCode, err.headers as Record<string, string>, typeof err.body === 'string' ? err.body : JSON.stringify(err.body ?? ''));
    }
    if (err instanceof WebAPIRequestError) return describeFetchError(err.original, { url, timeoutMs: config.timeoutMs });
    return describeFetchError(err, { url, timeoutMs: config.timeoutMs });
  }
}

export const slackChannel: Channel<SlackChannelConfig> = {
  kind: 'slack',
  async send(message, config, secrets, signal) {
    const payload = buildSlackMessage(message);
    if (config.webhookUrl !== undefined) {
      const url = secrets.webhookUrl;
      if (!url) return fail(`the Slack webhook URL has no value: set it (${config.webhookUrl}) in the channel settings`);
      return sendWebhook(url, payload, config, signal);
    }
    const token = secrets.botToken;
    if (!token) return fail(`the Slack bot token has no value: set it (${config.botToken}) in the channel settings`);
    return sendBot(token, payload, config, signal);
  },
};

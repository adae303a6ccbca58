// The `webhook` channel (Devtron's): any URL, method and headers, and a JSON body from
// the user's `{{variable}}` template, or the event itself when there is none.
import type { ChannelConfig } from '../../../shared/config.js';
import { TemplateError, renderJsonTemplate } from '../../../shared/json-template.js';
import { outboundEvent, templateValues } from '../../../shared/template-variables.js';
import { safeJsonStringify } from '../../../shared/text-escaping.js';
import { fail, type Channel, type Message, type SendResult } from './channel.js';
import { sendJson } from './http.js';
import { CHANNEL_LIMITS } from './limits.js';

export type WebhookChannelConfig = Extract<ChannelConfig, { kind: 'webhook' }>;

/** The request body: the rendered template, or `{event, rule}` as JSON. Throws TemplateError. */
export function webhookBody(message: Message, template: string | undefined): string {
  if (template === undefined) return safeJsonStringify({ event: outboundEvent(message.event), rule: message.rule ?? null });
  // Only the variables the template uses are computed.
  return renderJsonTemplate(template, templateValues(message.event, { rule: message.rule }));
}

type WebhookHeaders = { headers: Readonly<Record<string, string>> } | { problem: SendResult };

/** Checked as fetch's Headers checks them (a valid name, Latin-1, no line breaks); names lower-cased, values trimmed. */
function checkedHeaders(entries: readonly [string, string][]): WebhookHeaders {
  const headers = new Headers();
  for (const [name, value] of entries) {
    try {
      headers.set(name, value);
    } catch {
      // Never quote the value: it may be a secret.
      return { problem: fail(`header ${name}: the value is not a valid HTTP header value (Latin-1 text, no line breaks)`) };
    }
  }
  const checked: Record<string, string> = {};
  headers.forEach((value, name) => void (checked[name] = value));
  return { headers: Object.freeze(checked) };
}

/** A channel's plain headers, checked once per config (not on every send). */
const PLAIN_HEADERS = new WeakMap<object, WebhookHeaders>();

/** Plain headers, then secret ones from the keychain; a secret that is not set is named. */
export function webhookHeaders(config: WebhookChannelConfig, secrets: Record<string, string>): WebhookHeaders {
  const entries: [string, string][] = Object.entries(config.headers);
  const secretHeaders = Object.entries(config.secretHeaders);
  if (secretHeaders.length === 0) {
    let plain = PLAIN_HEADERS.get(config.headers);
    if (!plain) PLAIN_HEADERS.set(config.headers, (plain = checkedHeaders(entries)));
    return plain;
  }
  for (const [name, ref] of secretHeaders) {
    const value = secrets[`secretHeaders.${name}`];
    if (value === undefined) return { problem: fail(`secret header ${name} has no value: set it (${ref}) in the channel settings`) };
    entries.push([name, value]);
  }
  return checkedHeaders(entries);
}

export const webhookChannel: Channel<WebhookChannelConfig> = {
  kind: 'webhook',
  async send(message, config, secrets, signal) {
    let body: string;
    try {
      body = webhookBody(message, config.template);
    } catch (e) {
      if (e instanceof TemplateError) return fail(`template: ${e.message}`);
      throw e;
    }
    const maxBytes = CHANNEL_LIMITS.webhook.maxBodyBytes ?? Infinity;
    const bytes = Buffer.byteLength(body);
    if (bytes > maxBytes) return fail(`the rendered body is ${bytes} bytes, over the ${maxBytes}-byte limit`);
    const headers = webhookHeaders(config, secrets);
    if ('problem' in headers) return headers.problem;
    return sendJson(config.url, body, { method: config.method, headers: headers.headers, timeoutMs: config.timeoutMs, signal });
  },
};

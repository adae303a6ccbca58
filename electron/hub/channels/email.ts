// The `email` channel: nodemailer over SMTP (TLS or STARTTLS, auth, pooled, rate
// limited) or Amazon SES (SESv2 client). Each message is multipart text + HTML; event
// text is HTML-escaped in the HTML part, and the subject is one line.
import { rootCertificates } from 'node:tls';
import { getSystemErrorName } from 'node:util';
import type { Transporter } from 'nodemailer';
import { EmailRuleOptionsSchema, splitEmailList, type ChannelConfig, type RuleConfig, type Settings } from '../../../shared/config.js';
import { escapeHtml, truncateText } from '../../../shared/text-escaping.js';
import { fail, ok, retry, type Channel, type Message, type ResolvedSecrets, type SendResult } from './channel.js';
import { contextLine, eventFacts, fitListedEvents, headline, listedEvents, listsEvents, safeLink, SEVERITY_STYLE } from './format.js';
import { describeFetchError } from './http.js';

export type EmailChannelConfig = Extract<ChannelConfig, { kind: 'email' }>;

const SUBJECT_CHARS = 200;
const SUMMARY_CHARS = 20_000;
const FACT_CHARS = 500;

/** The recipients a rule gave this channel (`channelOptions.<id>.to`, checked by EmailRuleOptionsSchema when saved). */
function ruleRecipients(config: EmailChannelConfig, rule: RuleConfig | undefined): string | undefined {
  const parsed = EmailRuleOptionsSchema.safeParse(rule?.channelOptions?.[config.id] ?? {});
  return parsed.success && parsed.data.to?.trim() ? parsed.data.to : undefined;
}

/**
 * Who gets a message sent for `rule` (absent: "send test" to the channel's own): the
 * rule's recipients replace the channel's (SecObserve: per product). The one place the
 * delivery worker and "send test" take recipients from.
 */
export function emailRecipients(config: EmailChannelConfig, rule: RuleConfig | undefined): string | undefined {
  return ruleRecipients(config, rule) ?? config.to;
}

/**
 * The config as sent for a rule: its recipients (emailRecipients), and the settings'
 * default sender (SecObserve's EMAIL_FROM) when the channel names none.
 */
export function emailConfigFor(config: EmailChannelConfig, rule: RuleConfig | undefined, settings: Pick<Settings, 'email'>): EmailChannelConfig {
  return { ...config, to: emailRecipients(config, rule), from: config.from ?? settings.email?.defaultFrom };
}

/** "Send test" without recipients of the channel's own: the first rule that gives it some. */
export function emailTestRule(config: EmailChannelConfig, rules: readonly RuleConfig[]): RuleConfig | undefined {
  return config.to ? undefined : rules.find((r) => r.channels.includes(config.id) && ruleRecipients(config, r) !== undefined);
}

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** A digest's or storm group's lines for the text part: each event's link on the line under it, for mail read as text. */
function textLines(message: Message): string {
  return fitListedEvents(listedEvents(message.event), SUMMARY_CHARS, {
    line: (l, linked) => `${l.lead}${l.text}${linked ? `\n    ${l.url}` : ''}`,
    more: (n) => `…and ${n} more`,
    separator: '\n',
  });
}

/** A digest's or storm group's lines as HTML, each title linked to its event. */
function htmlLines(message: Message): string {
  return fitListedEvents(listedEvents(message.event), SUMMARY_CHARS * 8, {
    line: (l, linked) => `${escapeHtml(l.lead)}${linked ? `<a href="${escapeHtml(l.url!)}">${escapeHtml(l.text)}</a>` : escapeHtml(l.text)}`,
    more: (n) => `…and ${n} more`,
    separator: '\n',
  });
}

/** Pure: subject, text and HTML for one event. */
export function buildEmail(message: Message, subjectPrefix = '[Herald]'): EmailContent {
  const event = message.event;
  const style = SEVERITY_STYLE[event.severity];
  const oneLine = (s: string) => s.replace(/[\r\n\t\u0000-\u001f\u007f]+/g, ' ').trim();
  const subject = truncateText(oneLine(`${subjectPrefix ? `${subjectPrefix} ` : ''}${message.test ? '(test) ' : ''}${headline(event)}`), SUBJECT_CHARS);
  const summary = event.summary?.trim() ? truncateText(event.summary.trim(), SUMMARY_CHARS) : undefined;
  const facts = eventFacts(event).map((f) => ({ label: f.label, value: truncateText(oneLine(f.value), FACT_CHARS) }));
  const link = safeLink(event.url);
  const context = contextLine(event, message.rule, message.test);

  const text = [
    truncateText(oneLine(headline(event)), 1_000),
    ...(summary ? ['', listsEvents(event) ? textLines(message) : summary] : []),
    ...(facts.length ? ['', ...facts.map((f) => `${f.label}: ${f.value}`)] : []),
    ...(link ? ['', `Open: ${link}`] : []),
    '',
    context,
    '-- ',
    'Sent by Herald',
  ].join('\n');

  const title = escapeHtml(truncateText(oneLine(event.title), 1_000));
  const rows = facts
    .map((f) => `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555;font-weight:600">${escapeHtml(f.label)}</th><td style="padding:2px 0">${escapeHtml(f.value)}</td></tr>`)
    .join('');
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${title}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1d1d1d">
<div style="border-left:4px solid ${style.hex};padding:4px 12px">
<h2 style="margin:0 0 8px;font-size:18px">${style.emoji} ${link ? `<a href="${escapeHtml(link)}" style="color:inherit">${title}</a>` : title}</h2>
${summary ? `<p style="white-space:pre-wrap;margin:0 0 12px">${listsEvents(event) ? htmlLines(message) : escapeHtml(summary)}</p>` : ''}
${rows ? `<table style="border-collapse:collapse;margin:0 0 12px">${rows}</table>` : ''}
${link ? `<p style="margin:0 0 12px"><a href="${escapeHtml(link)}">Open</a></p>` : ''}
<p style="color:#777;font-size:12px;margin:0">${escapeHtml(context)}</p>
</div>
</body></html>`;
  return { subject, text, html };
}

// ── Transports (pooled SMTP connections live between sends, per channel instance) ──

interface CachedTransport {
  key: string;
  transporter: Promise<Transporter>;
}

// Loaded on the first email sent: a hub without email channels does not carry them
// (the AWS SDK alone is ~22 MB of memory).
async function createTransporter(config: EmailChannelConfig, secrets: ResolvedSecrets): Promise<Transporter> {
  const nodemailer = (await import('nodemailer')).default;
  if (config.transport === 'ses') {
    const { SendEmailCommand, SESv2Client } = await import('@aws-sdk/client-sesv2');
    const sesClient = new SESv2Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      ...(config.accessKeyId ? { credentials: { accessKeyId: secrets.accessKeyId ?? '', secretAccessKey: secrets.secretAccessKey ?? '' } } : {}),
      maxAttempts: 1, // the delivery worker retries
      requestHandler: { requestTimeout: config.timeoutMs, connectionTimeout: config.timeoutMs },
    });
    return nodemailer.createTransport({ SES: { sesClient, SendEmailCommand } } as never);
  }
  return nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    ...(config.username ? { auth: { user: config.username, pass: secrets.password ?? '' } } : {}),
    ...(config.pool ? { pool: true, maxConnections: config.maxConnections } : {}),
    ...(config.pool && config.ratePerSecond ? { rateDelta: 1000, rateLimit: config.ratePerSecond } : {}),
    // An extra CA adds to the system's roots instead of replacing them.
    ...(config.tlsCa ? { tls: { ca: [...rootCertificates, config.tlsCa] } } : {}),
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
  } as never);
}

/** One channel's transport: made on its first send, made anew when its connection settings or secrets change. */
class TransportSlot {
  private cached: CachedTransport | undefined;

  get(config: EmailChannelConfig, secrets: ResolvedSecrets): Promise<Transporter> {
    const { name: _n, enabled: _e, to: _t, from: _f, subjectPrefix: _s, concurrency: _c, ...connection } = config;
    const key = JSON.stringify([connection, secrets.password, secrets.accessKeyId, secrets.secretAccessKey]);
    const cached = this.cached;
    if (cached?.key === key) return cached.transporter;
    if (cached) closeLater(cached);
    // One promise: concurrent first sends share one transport (one SMTP pool).
    const transporter = createTransporter(config, secrets);
    const entry = { key, transporter };
    this.cached = entry;
    // A transport that could not be made is tried again on the next send.
    transporter.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return transporter;
  }

  close(): void {
    if (this.cached) closeLater(this.cached);
    this.cached = undefined;
  }
}

function closeLater(cached: CachedTransport): void {
  cached.transporter.then(
    (t) => t.close(),
    () => undefined,
  );
}

// ── Errors ─────────────────────────────────────────────────────────────────

interface MailError {
  name?: string;
  code?: string;
  message?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  reason?: string;
  cause?: unknown;
  errno?: number;
  $metadata?: { httpStatusCode?: number };
}

/** nodemailer replaces a socket error's code with ESOCKET; its errno still says what happened. */
function systemCode(e: MailError): string | undefined {
  if (typeof e.errno !== 'number' || e.errno >= 0) return undefined;
  try {
    return getSystemErrorName(e.errno);
  } catch {
    return undefined;
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/;

const SES_FAILS: Record<string, string> = {
  MessageRejected: 'SES rejected the message',
  MailFromDomainNotVerifiedException: 'the sender domain is not verified in SES',
  AccountSuspendedException: 'the SES account is suspended',
  SendingPausedException: 'sending is paused for this SES account',
  NotFoundException: 'SES: a resource was not found',
  BadRequestException: 'SES: bad request',
  AccessDeniedException: 'SES: access denied — check the IAM permissions (ses:SendEmail)',
  UnrecognizedClientException: 'SES: the access key id is not valid',
  InvalidClientTokenId: 'SES: the access key id is not valid',
  InvalidSignatureException: 'SES: the secret access key is wrong',
  SignatureDoesNotMatch: 'SES: the secret access key is wrong',
};

/** Say what went wrong with SMTP or SES, and whether a retry can help. */
export function describeMailError(err: unknown, where: string): SendResult {
  const e = (err ?? {}) as MailError;
  const serverText = (e.response ?? '').replace(/\s+/g, ' ').trim().slice(0, 300);
  const nested = (e.cause ?? {}) as MailError;
  const code = e.code && e.code !== 'ESOCKET' && e.code !== 'ECONNECTION' && e.code !== 'ESES' ? e.code : (systemCode(e) ?? nested.code ?? e.code);
  const message = (e.message ?? String(err)).slice(0, 300);

  // SMTP reply codes: 4xx temporary, 5xx permanent.
  if (typeof e.responseCode === 'number') {
    const what = e.code === 'EAUTH' ? 'authentication failed' : e.code === 'EENVELOPE' ? 'a recipient or the sender was refused' : 'the server refused the message';
    const reason = `SMTP ${e.responseCode}: ${what}${serverText ? ` — ${serverText}` : ''}`;
    return e.responseCode >= 400 && e.responseCode < 500 ? retry(reason) : fail(reason);
  }
  if (e.code === 'EAUTH') return fail(`SMTP: authentication failed — ${message}`);
  if (e.code === 'ENOAUTH') return fail('SMTP: the server needs a username and password');
  if (e.code === 'EENVELOPE') return fail(`SMTP: ${message}`);
  if (e.code === 'ETLS' || e.code === 'EREQUIRETLS') return fail(`TLS: ${message} (${where})`);
  if (code && TLS_CODE.test(code)) return describeFetchError({ cause: { code, message } }, { url: `tcp://${where}` });
  if (/certificate|self[- ]signed|wrong version number|SSL routines/i.test(message)) return fail(`TLS: ${message} (${where})`);
  if (e.code === 'EDNS') return retry(`DNS: ${where.replace(/:\d+$/, '')} could not be resolved (${message})`);
  if (code && NETWORK_CODES.has(code)) return describeFetchError({ cause: { code, message } }, { url: `tcp://${where}` });
  if (e.code === 'ETIMEDOUT') return retry(`timeout: ${where} did not answer in time`);

  // SES (AWS SDK errors carry a name and the HTTP status).
  if (e.name && e.name in SES_FAILS) return fail(`${SES_FAILS[e.name]}: ${message}`);
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) {
    const reason = `SES ${e.name ?? 'error'} (HTTP ${status}): ${message}`;
    if (status === 429 || status >= 500 || /Throttl|TooManyRequests|LimitExceeded/.test(e.name ?? '')) return retry(reason);
    return fail(reason);
  }
  return retry(`${where}: ${message}`);
}

/**
 * The secret values as a server could quote them back in a reply the reason repeats (some
 * echo what they were sent): as is, and base64 as AUTH LOGIN and AUTH PLAIN carry them.
 */
function secretForms(config: EmailChannelConfig, secrets: ResolvedSecrets): string[] {
  const values = [secrets.password, secrets.secretAccessKey].filter((v): v is string => typeof v === 'string' && v.length > 0);
  const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return values.flatMap((v) => [v, base64(v), ...(config.username ? [base64(`\u0000${config.username}\u0000${v}`)] : [])]);
}

function withoutSecrets(result: SendResult, forms: readonly string[]): SendResult {
  if (result.kind === 'ok') return result;
  let reason = result.reason;
  // Longest first: a base64 form may contain the plain value's own characters.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) reason = reason.split(form).join('[redacted]');
  return { ...result, reason };
}

// ── The channel ────────────────────────────────────────────────────────────

function sesHost(config: EmailChannelConfig): string {
  try {
    if (config.endpoint) return new URL(config.endpoint).host;
  } catch {
    /* the schema checked it; fall through */
  }
  return `email.${config.region}.amazonaws.com`;
}

const NO_SENDER = 'no sender: set From on the channel, or the default sender in Settings';

/** Why an email channel cannot send as configured (no From of its own or in Settings), said when it is saved and listed. */
export function emailSetupProblem(config: EmailChannelConfig, settings: Settings): string | undefined {
  return config.from || settings.email?.defaultFrom ? undefined : NO_SENDER;
}

/** An email channel instance: it owns its pooled SMTP connections; close() ends them (channel edited or removed, hub stopped). */
export function createEmailChannel(): Channel<EmailChannelConfig> & { close(): void } {
  const transport = new TransportSlot();
  return {
    kind: 'email',
    send: (message, config, secrets, signal) => sendEmail(transport, message, config, secrets, signal),
    configFor: (config, { rule, settings }) => emailConfigFor(config, rule, settings),
    testRule: emailTestRule,
    close: () => transport.close(),
  };
}

async function sendEmail(
  transport: TransportSlot,
  message: Message,
  config: EmailChannelConfig,
  secrets: ResolvedSecrets,
  signal: AbortSignal,
): Promise<SendResult> {
  const to = config.to ? splitEmailList(config.to) : [];
  if (!to.length) return fail('no recipients: set To on the channel, or recipients on the rule');
  if (!config.from) return fail(NO_SENDER);
  if (config.username && !secrets.password) return fail(`the SMTP password has no value: set it (${config.password}) in the channel settings`);
  if (config.accessKeyId && (!secrets.accessKeyId || !secrets.secretAccessKey)) {
    return fail('the SES access keys have no value: set them in the channel settings');
  }
  if (signal.aborted) return retry('cancelled before sending');

  const content = buildEmail(message, config.subjectPrefix);
  const where = config.transport === 'ses' ? sesHost(config) : `${config.host}:${config.port}`;
  const transporter = await transport.get(config, secrets);
  const sending = transporter
    .sendMail({
      from: config.from,
      to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      headers: {
        'Auto-Submitted': 'auto-generated',
        'X-Herald-Event-Id': message.event.id,
        'X-Herald-Event-Type': message.event.type,
      },
    })
    .then((info: { response?: string; messageId?: string }) => ok(info.response ?? info.messageId))
    .catch((err: unknown) => withoutSecrets(describeMailError(err, where), secretForms(config, secrets)));
  // nodemailer takes no abort signal: stop waiting (the message may still go out; delivery is at least once).
  const aborted = new Promise<SendResult>((resolve) =>
    signal.addEventListener('abort', () => resolve(retry('cancelled while sending')), { once: true }),
  );
  return Promise.race([sending, aborted]);
}

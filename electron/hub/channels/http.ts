// HTTP helpers shared by every HTTP channel (as Alertmanager's notify package): post
// JSON, turn a status into ok/retry/fail, say exactly what a network error was, and
// keep webhook tokens out of every message.
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { fail, ok, retry, type SendResult } from './channel.js';

export { CHANNEL_LIMITS, type ChannelLimits } from './limits.js';

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  bodyText: string;
}

export interface PostOptions {
  method?: 'POST' | 'PUT' | 'PATCH';
  headers?: Record<string, string> | Headers;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Enough of an answer to quote the service's error; a longer one is cut off there. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
const USER_AGENT = 'Herald';
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

// undici's own dispatcher rather than node:http or fetch: on the delivery hot path it
// costs about a third of node:http's CPU per request (bench/ingest.mjs, README), and it
// keeps connections to each service alive. It follows no redirects: a moved webhook should
// be fixed in its config, not silently turned into a GET.
// Only the dispatcher, not the package's entry point: that one also loads fetch,
// WebSocket, caches and mocks, 130 files and about 8 MB more RSS for nothing.
const requireUndici = createRequire(import.meta.url);
const Agent = requireUndici('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
const { RequestAbortedError } = requireUndici('undici/lib/core/errors.js') as { RequestAbortedError: new () => Error };
const { parseHeaders } = requireUndici('undici/lib/core/util.js') as { parseHeaders: (raw: Buffer[]) => Record<string, string | string[]> };
const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 4_000, connect: { timeout: DEFAULT_TIMEOUT_MS } });

/** What a request goes to, from its URL: parsed once per URL (a channel sends to the same one again and again). */
interface Target {
  origin: string;
  path: string;
  host: string;
  /** Basic auth from `https://user:pass@host/…`, as browsers and curl read it. */
  authorization?: string;
}
const TARGETS = new Map<string, Target>();
const TARGETS_MAX = 256;

/** Throws TypeError for a URL that does not parse or is not http(s). */
function targetOf(url: string): Target {
  const cached = TARGETS.get(url);
  if (cached) return cached;
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError(`unsupported URL scheme ${u.protocol}`);
  const target: Target = { origin: u.origin, path: `${u.pathname}${u.search}`, host: u.host };
  if (u.username || u.password) {
    const credentials = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
    target.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  if (TARGETS.size >= TARGETS_MAX) TARGETS.clear();
  TARGETS.set(url, Object.freeze(target));
  return target;
}

function requestHeaders(given: PostOptions['headers'], target: Target, bytes: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (given instanceof Headers) given.forEach((value, name) => void (headers[name] = value));
  else if (given) for (const [name, value] of Object.entries(given)) headers[name.toLowerCase()] = value;
  headers['content-type'] ??= 'application/json';
  headers['user-agent'] ??= USER_AGENT;
  headers['content-length'] = String(bytes);
  if (target.authorization !== undefined && headers.authorization === undefined) headers.authorization = target.authorization;
  return headers;
}

function flatHeaders(headers: Record<string, string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

/** An answer whose headers and text are decoded only when someone reads them (a 2xx to a webhook: nobody does). */
class Answer implements HttpResponse {
  #headers: Record<string, string> | undefined;
  #bodyText: string | undefined;
  constructor(
    readonly status: number,
    private readonly rawHeaders: Buffer[],
    private readonly chunks: Buffer[],
    private readonly size: number,
  ) {}
  get headers(): Record<string, string> {
    return (this.#headers ??= flatHeaders(parseHeaders(this.rawHeaders)));
  }
  get bodyText(): string {
    if (this.#bodyText === undefined) {
      const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      this.#bodyText = body.subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
    }
    return this.#bodyText;
  }
}

/**
 * One request through the dispatcher with a handler of our own, in the interface undici's
 * own request() implements (onConnect/onHeaders/onData/onComplete/onError): the answer is
 * collected from its chunks as they come, without the Readable stream, async resource and
 * body promise request() makes for every response. Its text is kept up to
 * MAX_RESPONSE_BYTES; a longer answer is cut off there and its connection closed. The
 * signal aborts the request (rejecting with its reason, as request() does).
 */
function exchange(options: Dispatcher.DispatchOptions, signal: AbortSignal | undefined): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    dispatcher.dispatch(options, new ExchangeHandler(signal, resolve, reject) as unknown as Dispatcher.DispatchHandler);
  });
}

/** exchange()'s handler: its methods on the prototype, so a request allocates one object and one listener, not a closure per callback. */
class ExchangeHandler {
  private abortRequest: ((reason: Error) => void) | undefined;
  private reason: Error | undefined;
  private settled = false;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly onAbort: (() => void) | undefined;

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (answer: HttpResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    if (signal?.aborted) this.reason = (signal.reason as Error | undefined) ?? new RequestAbortedError();
    else if (signal) {
      this.onAbort = () => {
        this.reason = (signal.reason as Error | undefined) ?? new RequestAbortedError();
        this.abortRequest?.(this.reason);
      };
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  private settle(error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    if (error) this.reject(error);
    else this.resolve(new Answer(this.status, this.rawHeaders, this.chunks, this.size));
  }

  onConnect(abortRequest: (reason: Error) => void): void {
    this.abortRequest = abortRequest;
    if (this.reason) abortRequest(this.reason);
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    // 1xx (100 Continue, 103 Early Hints): the answer is still to come.
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = headers;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size >= MAX_RESPONSE_BYTES) {
      // Enough to quote the service's error: stop reading, and close the connection (its answer is not over).
      this.settle(undefined);
      this.abortRequest?.(new RequestAbortedError());
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.settle(undefined);
  }

  onError(error: Error): void {
    this.settle(error);
  }
}

/**
 * POST (or PUT/PATCH) a JSON body. A string body is sent as is (a rendered template);
 * anything else is JSON-encoded. Throws what the request throws (errors carry Node's or
 * undici's `code`); no answer within timeoutMs throws a TimeoutError. `describeFetchError`
 * explains each.
 */
export async function postJson(url: string, body: unknown, options: PostOptions = {}): Promise<HttpResponse> {
  const target = targetOf(url);
  options.signal?.throwIfAborted();
  const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    return await exchange(
      {
        origin: target.origin,
        path: target.path,
        method: options.method ?? 'POST',
        headers: requestHeaders(options.headers, target, payload.length),
        body: payload,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      },
      options.signal,
    );
  } catch (error) {
    if (TIMEOUT_CODES.has((error as { code?: string }).code ?? '')) throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    throw error;
  }
}

/** postJson + classification, with the URL redacted in every reason. */
export async function sendJson(url: string, body: unknown, options: PostOptions = {}): Promise<SendResult> {
  try {
    const response = await postJson(url, body, options);
    // A 2xx says all there is to say: its headers and text are not decoded.
    if (response.status >= 200 && response.status < 300) return ok(`HTTP ${response.status}`);
    return classifyHttpResponse(response.status, response.headers, response.bodyText);
  } catch (err) {
    return describeFetchError(err, { url, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }
}

// ── Status classification ──────────────────────────────────────────────────

/** `Retry-After: 7` or `Retry-After: <HTTP-date>` → milliseconds from now (never negative). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const MAX_ERROR_TEXT = 300;

/** The service's own words, short: a JSON error field if there is one, else the text without markup. */
export function serviceErrorText(bodyText: string, contentType?: string | null): string {
  let text = bodyText.trim();
  if (!text) return '';
  try {
    const json: unknown = JSON.parse(text);
    const pick = (v: unknown): string | undefined => {
      if (typeof v === 'string' && v) return v;
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        for (const key of ['message', 'error_description', 'error', 'detail', 'title', 'code']) {
          const found = pick(o[key]);
          if (found) return found;
        }
        if (Array.isArray(o.errors)) return pick(o.errors[0]);
      }
      return undefined;
    };
    const picked = pick(json);
    if (picked) text = picked;
  } catch {
    if (contentType?.includes('html') || /^<(!doctype|html)/i.test(text)) {
      text = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
    }
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 1)}…` : text;
}

function retryAfterFromBody(bodyText: string): number | undefined {
  try {
    const v = (JSON.parse(bodyText) as { retry_after?: unknown }).retry_after;
    return typeof v === 'number' && v >= 0 ? Math.ceil(v * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/** 2xx ok; 408/425/429/5xx retry (with Retry-After); other codes fail with the service's text. */
export function classifyHttpResponse(
  status: number,
  headers: Headers | Record<string, string>,
  bodyText: string,
  now = Date.now(),
): SendResult {
  if (status >= 200 && status < 300) return ok(`HTTP ${status}`);
  const h = headers instanceof Headers ? headers : new Headers(headers);
  const text = serviceErrorText(bodyText, h.get('content-type'));
  const describe = `HTTP ${status}: ${text || STATUS_CODES[status] || 'no error text'}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const afterMs = parseRetryAfter(h.get('retry-after'), now) ?? (status === 429 ? retryAfterFromBody(bodyText) : undefined);
    return retry(describe, afterMs);
  }
  if (status >= 300 && status < 400) {
    const location = h.get('location');
    return fail(`HTTP ${status}: the URL redirects${location ? ` to ${redactUrl(location)}` : ''}; update it in the channel settings`);
  }
  return fail(describe);
}

// ── Network errors ─────────────────────────────────────────────────────────

interface ErrorWithCode {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  errors?: unknown[];
}

function rootCause(err: unknown): ErrorWithCode | undefined {
  let cause = (err as ErrorWithCode | undefined)?.cause as ErrorWithCode | undefined;
  // Happy eyeballs: several addresses tried, each failed; the first tells the story.
  if (cause && !cause.code && Array.isArray(cause.errors) && cause.errors.length) cause = cause.errors[0] as ErrorWithCode;
  return cause;
}

const TLS_PROBLEMS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate is in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is signed by an unknown authority',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate is signed by an unknown authority',
  CERT_REVOKED: 'the certificate has been revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is for a different host name',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port (should the URL start with http://?)',
};

/** Say exactly what went wrong, and whether a retry can help. */
export function describeFetchError(err: unknown, context: { url?: string; timeoutMs?: number } = {}): SendResult {
  let host = 'the server';
  try {
    if (context.url) host = new URL(context.url).host;
  } catch {
    /* keep the generic name */
  }
  const scrub = (text: string) => (context.url ? text.split(context.url).join(redactUrl(context.url)) : text);
  const e = err as ErrorWithCode | undefined;
  if (e?.name === 'TimeoutError') {
    return retry(`timeout: no answer from ${host}${context.timeoutMs ? ` within ${context.timeoutMs} ms` : ''}`);
  }
  if (e?.name === 'AbortError') return retry('cancelled before the request finished');

  const cause = rootCause(err);
  let code = cause?.code ?? e?.code;
  // node:https reports TLS handshake failures as EPROTO with OpenSSL's reason in the message.
  if (code === 'EPROTO' && /wrong version number/i.test(cause?.message ?? e?.message ?? '')) code = 'ERR_SSL_WRONG_VERSION_NUMBER';
  const detail = scrub(cause?.message ?? e?.message ?? String(err));
  switch (code) {
    case 'ENOTFOUND':
      return retry(`DNS: ${host.replace(/:\d+$/, '')} not found (ENOTFOUND); check the host name`);
    case 'EAI_AGAIN':
      return retry(`DNS: lookup of ${host.replace(/:\d+$/, '')} failed temporarily (EAI_AGAIN); is the network up?`);
    case 'ECONNREFUSED':
      return retry(`connection refused by ${host} (ECONNREFUSED): nothing is listening there`);
    case 'ECONNRESET':
      return retry(`connection reset by ${host} (ECONNRESET)`);
    case 'UND_ERR_SOCKET':
      return retry(`connection closed by ${host} before it answered (${detail})`);
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return retry(`timeout: could not connect to ${host} (${code})`);
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return retry(`timeout: ${host} stopped answering (${code})`);
    case 'UND_ERR_ABORTED':
      return retry('cancelled before the request finished');
    case 'UND_ERR_INVALID_ARG':
      // The request itself was refused before it was sent (a bad header value): a retry cannot help.
      return fail(`invalid request: ${detail}`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return retry(`${host} is unreachable (${code}); is the network up?`);
    case undefined:
      break;
    default:
      if (code in TLS_PROBLEMS) return fail(`TLS: ${TLS_PROBLEMS[code]} for ${host} (${code})`);
      if (/^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_)/.test(code)) return fail(`TLS: ${detail} for ${host} (${code})`);
      return retry(`network error talking to ${host}: ${detail} (${code})`);
  }
  // No cause: the request was refused before it was sent (bad header value, bad URL): a retry cannot help.
  if (e instanceof TypeError && !cause) return fail(`invalid request: ${detail}`);
  return retry(`network error talking to ${host}: ${detail}`);
}

// ── Redaction ──────────────────────────────────────────────────────────────

/** A path segment that reads like a word (`services`, `api`, `webhooks`), not like a token. */
const PLAIN_SEGMENT = /^[a-z][a-z_-]{0,23}$/;

/**
 * Hide what makes a webhook URL a secret: path segments from the first token-like one
 * on, query values, and credentials. `https://hooks.slack.com/services/T0/B0/XX` →
 * `https://hooks.slack.com/services/***`.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  const auth = u.username || u.password ? '***@' : '';
  const kept: string[] = [];
  const segments = u.pathname.split('/').slice(1);
  let redacted = false;
  for (const segment of segments) {
    if (!segment) continue;
    if (!PLAIN_SEGMENT.test(segment)) {
      redacted = true;
      break;
    }
    kept.push(segment);
  }
  const path = `/${kept.join('/')}${redacted ? `${kept.length ? '/' : ''}***` : ''}`;
  const query = [...u.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=***`).join('&');
  return `${u.protocol}//${auth}${u.host}${path === '/' ? '' : path}${query ? `?${query}` : ''}`;
}

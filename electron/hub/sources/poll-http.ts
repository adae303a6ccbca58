// The one HTTP GET every poller uses: auth header per tool, ETag / Last-Modified
// validators (304 → "unchanged", nothing parsed), a timeout, a custom CA or self-signed
// TLS per source, JSON parsing, and errors that say exactly what failed (DNS, TLS,
// refused, timeout, 401/403, 404, bad JSON, unexpected shape).
//
// node:https rather than fetch: Node 20's global fetch cannot take a CA per request
// without pulling in undici's Agent, and node:https gives the TLS error codes directly.
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { isRecord as isObject } from './json-readers.js';

/** TLS options of a self-hosted server (the source config's `tls`). */
export interface PollTls {
  /** A CA certificate (PEM) to trust besides the system's. */
  caPem?: string;
  /** Accept any certificate (self-signed, expired, other host): only for a lab server. */
  insecureSkipVerify?: boolean;
}

export type PollErrorKind =
  | 'dns'
  | 'tls'
  | 'refused'
  | 'timeout'
  | 'network'
  | 'auth'
  | 'not_found'
  | 'http'
  | 'bad_json'
  | 'shape'
  | 'aborted'
  | 'rate_limited';

/** A failed poll, classified; the message is what the user reads in health and "test connection". */
export class PollError extends Error {
  constructor(
    readonly kind: PollErrorKind,
    message: string,
    /** The server said when to come back (Retry-After, a rate limit's reset): the scheduler waits that long instead of its backoff. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'PollError';
  }
}

/** The server answered, but not in the shape the tool documents. */
export function shapeError(what: string): PollError {
  return new PollError('shape', `unexpected response shape: ${what}`);
}

/** Validators remembered from the last answer for one URL. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface GetJsonOptions {
  /** Extra headers, e.g. the tool's `Authorization`. */
  headers?: Record<string, string>;
  signal: AbortSignal;
  timeoutMs: number;
  tls?: PollTls;
  /** Sent as If-None-Match / If-Modified-Since; a 304 answers `unchanged`. */
  validators?: Validators;
  /** Largest body accepted; default 20 MB. */
  maxBytes?: number;
  /** Sees every answer first (rate-limit headers); may turn an error status into its own PollError. */
  inspect?: (answer: HttpAnswer) => PollError | undefined;
}

/** An answer as the server gave it, for `inspect`. */
export interface HttpAnswer {
  url: URL;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type JsonAnswer =
  | { kind: 'unchanged'; headers: http.IncomingHttpHeaders }
  | { kind: 'json'; json: unknown; validators: Validators; headers: http.IncomingHttpHeaders };

const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
const MAX_REDIRECTS = 3;

/** `https://user:pw@host/a?token=x` → `https://host/a`: nothing secret reaches a message. */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** GET a JSON document; throws PollError with the exact failure class. */
export async function getJson(url: string | URL, options: GetJsonOptions): Promise<JsonAnswer> {
  let target = new URL(url);
  const origin = target.origin;
  for (let hop = 0; ; hop++) {
    const response = await request(target, options, target.origin === origin);
    if (response.status >= 300 && response.status < 400 && response.status !== 304 && response.location) {
      if (hop >= MAX_REDIRECTS) throw new PollError('http', `too many redirects from ${describeUrl(new URL(url))}`);
      // A redirect to another origin drops the credentials (request() sends it none of options.headers).
      target = new URL(response.location, target);
      continue;
    }
    const own = options.inspect?.({ url: target, status: response.status, headers: response.headers, body: response.body });
    if (own) throw own;
    return interpret(target, response);
  }
}

interface RawResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  location?: string;
  body: Buffer;
}

function interpret(url: URL, response: RawResponse): JsonAnswer {
  const where = describeUrl(url);
  const { status } = response;
  if (status === 304) return { kind: 'unchanged', headers: response.headers };
  if (status === 401 || status === 403) {
    throw new PollError('auth', `HTTP ${status} from ${where}: token rejected — check the API token and its permissions${serverReason(response)}`);
  }
  if (status === 404) throw new PollError('not_found', `HTTP 404 from ${where}: wrong URL or org/product/environment name${serverReason(response)}`);
  if (status < 200 || status >= 300) {
    throw new PollError('http', `HTTP ${status} ${response.statusText} from ${where}${serverReason(response)}`.replace(/\s+$/, ''));
  }
  const text = response.body.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const type = response.headers['content-type'] ?? 'no content type';
    throw new PollError('bad_json', `response from ${where} is not valid JSON (${type}): ${(error as Error).message}; it starts with ${JSON.stringify(text.slice(0, 60))}`);
  }
  const validators: Validators = {};
  const etag = response.headers.etag;
  const lastModified = response.headers['last-modified'];
  if (typeof etag === 'string') validators.etag = etag;
  if (typeof lastModified === 'string') validators.lastModified = lastModified;
  return { kind: 'json', json, validators, headers: response.headers };
}

/** The server's own one-line reason (`{message}` in Kosli, `{detail}` in DRF), when it gave one. */
function serverReason(response: RawResponse): string {
  try {
    const body = JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
    const reason = body.message ?? body.detail ?? body.error;
    if (typeof reason === 'string' && reason.trim()) return ` (server says: ${reason.trim().slice(0, 200)})`;
  } catch {
    // Not JSON: no reason to add.
  }
  return '';
}

function request(url: URL, options: GetJsonOptions, sameOrigin: boolean): Promise<RawResponse> {
  const where = describeUrl(url);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'Herald' };
  // Another origin gets none of the tool's headers: not only Authorization carries a token
  // (GitLab's PRIVATE-TOKEN, Devtron's `token`), and a redirect is the server's choice.
  if (sameOrigin) Object.assign(headers, options.headers);
  if (options.validators?.etag) headers['if-none-match'] = options.validators.etag;
  if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified;

  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') {
    return Promise.reject(new PollError('network', `${where}: only http and https URLs can be polled`));
  }
  const tlsOptions: https.RequestOptions = isHttps
    ? {
        rejectUnauthorized: !options.tls?.insecureSkipVerify,
        // A custom CA is added to the system's, not instead of them.
        ...(options.tls?.caPem && { ca: [...rootCertificates, options.tls.caPem] }),
      }
    : {};

  return new Promise<RawResponse>((resolve, reject) => {
    if (options.signal.aborted) {
      reject(new PollError('aborted', `polling ${where} was cancelled`));
      return;
    }
    let settled = false;
    const fail = (error: PollError) => {
      if (settled) return;
      settled = true;
      cleanup();
      req.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new PollError('timeout', `no answer from ${where} within ${options.timeoutMs < 1000 ? `${options.timeoutMs} ms` : `${Math.round(options.timeoutMs / 1000)} s`} (timeout)`)),
      options.timeoutMs,
    );
    const onAbort = () => fail(new PollError('aborted', `polling ${where} was cancelled`));
    options.signal.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
    };

    const module = isHttps ? https : http;
    const req = module.request(url, { method: 'GET', headers, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          fail(new PollError('http', `response from ${where} is larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        cleanup();
        const location = res.headers.location;
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          headers: res.headers,
          ...(typeof location === 'string' && { location }),
          body: Buffer.concat(chunks),
        });
      });
      res.on('error', (error) => fail(classifyNetworkError(error, url)));
    });
    req.on('error', (error) => fail(classifyNetworkError(error, url)));
    req.end();
  });
}

const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in a self-signed CA that is not trusted',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate was issued by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate was issued by an unknown CA',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate was issued by an unknown CA',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is for another host name',
  CERT_REVOKED: 'the certificate was revoked',
  EPROTO: 'the TLS handshake failed (is it really an https server?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server did not answer with TLS (is it an http server?)',
};

/** Node's socket and TLS errors → one sentence naming the class and what to check. */
export function classifyNetworkError(error: unknown, url: URL): PollError {
  const where = describeUrl(url);
  const err = error as NodeJS.ErrnoException & { reason?: string };
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new PollError('dns', `DNS lookup failed for ${url.hostname} (${code}): check the host name in the URL`);
  }
  if (code in TLS_REASONS || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /CERT/.test(code)) {
    const reason = TLS_REASONS[code] ?? err.message;
    const fix = code === 'CERT_HAS_EXPIRED' || code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? '' : ': add its CA certificate under tls.caPem, or allow self-signed for a lab server';
    return new PollError('tls', `TLS error from ${where}: ${reason} (${code})${fix}`);
  }
  if (code === 'ECONNREFUSED') return new PollError('refused', `connection refused by ${url.host} (ECONNREFUSED): is the server running on that port?`);
  if (code === 'ECONNRESET') return new PollError('network', `connection to ${url.host} was reset (ECONNRESET)`);
  if (code === 'ETIMEDOUT' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH') {
    return new PollError(code === 'ETIMEDOUT' ? 'timeout' : 'network', `cannot reach ${url.host} (${code})`);
  }
  return new PollError('network', `request to ${where} failed: ${err.message}${code ? ` (${code})` : ''}`);
}

/** Any thrown value → the message a user reads; PollErrors are already phrased. */
export function describePollError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

// ── Reading untrusted JSON ──────────────────────────────────────────────────
// The lenient readers are json-readers.ts's (here under the names pollers use); the strict
// ones below fail the poll with a shape error naming the path.

export { isRecord as isObject, str as optionalText, httpUrl as optionalUrl } from './json-readers.js';

/** The value at `path` must be an object; else a shape error naming the path. */
export function objectAt(value: unknown, path: string): Record<string, unknown> {
  if (!isObject(value)) throw shapeError(`${path}: expected an object, got ${kindOf(value)}`);
  return value;
}

export function arrayAt(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw shapeError(`${path}: expected an array, got ${kindOf(value)}`);
  return value;
}

export function stringAt(value: unknown, path: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.trim() === '') throw shapeError(`${path}: expected a non-empty string, got ${kindOf(value)}`);
  return value.trim();
}

export function integerAt(value: unknown, path: string): number {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw shapeError(`${path}: expected an integer, got ${kindOf(value)}`);
  return n;
}

export function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}

/** Joins a base URL (which may carry a path prefix) and an API path. */
export function apiUrl(base: string, path: string, query: Record<string, string | number | boolean | undefined> = {}): URL {
  const url = new URL(base.replace(/\/+$/, '') + path);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
  return url;
}

// ── Django REST Framework lists (SecObserve, DefectDojo) ────────────────────

export interface PagedOptions extends GetJsonOptions {
  /** Where the list is, for shape errors: `products`, `findings`. */
  what: string;
  /** Stop after this many pages (a safety bound on one poll). */
  maxPages: number;
  /** Seen everything needed (e.g. the list is newest first and reached the cursor): stop paging. */
  enough?: (page: unknown[]) => boolean;
}

export interface PagedAnswer {
  items: unknown[];
  /** The first page answered 304: nothing changed since the validators were taken. */
  unchanged: boolean;
  /** Validators of the first page, to send next time. */
  validators: Validators;
  /** maxPages was reached with more pages left. */
  truncated: boolean;
}

/**
 * Walks `{count, next, previous, results}` pages. `next` is followed by its query only,
 * on our own base URL: behind a proxy DRF may build `next` with an internal host name.
 */
export async function getAllPages(first: URL, options: PagedOptions): Promise<PagedAnswer> {
  const items: unknown[] = [];
  let url: URL | undefined = first;
  let validators: Validators = {};
  for (let page = 0; url; page++) {
    if (page >= options.maxPages) return { items, unchanged: false, validators, truncated: true };
    const answer = await getJson(url, { ...options, ...(page > 0 && { validators: undefined }) });
    if (answer.kind === 'unchanged') {
      if (page === 0) return { items: [], unchanged: true, validators: options.validators ?? {}, truncated: false };
      throw new PollError('http', `page ${page + 1} of ${options.what} answered 304 without validators`);
    }
    if (page === 0) validators = answer.validators;
    const body = objectAt(answer.json, options.what);
    const results = arrayAt(body.results, `${options.what}.results`);
    items.push(...results);
    if (options.enough?.(results)) break;
    const next = body.next;
    if (next === null || next === undefined || next === '') break;
    let nextUrl: URL;
    try {
      nextUrl = new URL(stringAt(next, `${options.what}.next`), first);
    } catch (error) {
      if (error instanceof PollError) throw error;
      throw shapeError(`${options.what}.next: not a URL: ${JSON.stringify(next).slice(0, 80)}`);
    }
    url = new URL(first);
    url.search = nextUrl.search;
  }
  return { items, unchanged: false, validators, truncated: false };
}

/** `Link: <https://api.example/…?page=2>; rel="next", <…>; rel="last"` (GitHub, GitLab) → the next page, if on the same origin. */
export function nextLink(link: string | string[] | undefined, current: URL): URL | undefined {
  const text = Array.isArray(link) ? link.join(',') : link;
  if (!text) return undefined;
  for (const part of text.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (!match || !match[2]!.split(/\s+/).includes('next')) continue;
    try {
      const next = new URL(match[1]!, current);
      // The token goes only where the API is.
      return next.origin === current.origin ? next : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

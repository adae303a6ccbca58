// GitHub's REST API as the github-actions poller uses it: one client per poll that sends
// the token, GitHub's media type and API version, conditional requests (an answer of 304
// to If-None-Match does not count against the rate limit), follows `Link: rel="next"`
// pages up to a bound, and reads every answer's X-RateLimit-* headers.
//
// Errors say what GitHub said, phrased for the user:
// - 403/429 with Retry-After, or a message naming the secondary rate limit → a PollError
//   with retryAfterMs (GitHub: wait at least a minute when it gives no Retry-After): the
//   scheduler pauses the source until then and shows why;
// - 403/429 with X-RateLimit-Remaining: 0 → paused until X-RateLimit-Reset;
// - 403 "Resource not accessible by personal access token" → the fine-grained token lacks
//   the permission the route needs (Actions, Deployments or Metadata: read);
// - 401 → the token is wrong, expired or revoked; 404 on a repository → it does not exist
//   or the token cannot see it.
import type { IncomingHttpHeaders } from 'node:http';
import type { RateLimitView } from '../../../shared/api.js';
import { clockTime } from './ci-filters.js';
import { apiUrl, arrayAt, describeUrl, getJson, type HttpAnswer, nextLink, objectAt, PollError, type PollTls, type Validators } from './poll-http.js';

export { nextLink };

export const GITHUB_API_VERSION = '2022-11-28';
/** GitHub asks clients to wait at least a minute after a secondary limit that names no Retry-After. */
const SECONDARY_DEFAULT_WAIT_MS = 60_000;

export interface GithubApiOptions {
  apiUrl: string;
  token: string;
  signal: AbortSignal;
  timeoutMs: number;
  tls?: PollTls;
  now: () => number;
  /** Every answer's budget, as soon as it is read. */
  onRateLimit?: (rateLimit: RateLimitView) => void;
}

export type GithubAnswer<T> = { kind: 'unchanged' } | { kind: 'json'; json: T; validators: Validators; headers: IncomingHttpHeaders };

export interface GithubPages {
  items: unknown[];
  /** The first page answered 304. */
  unchanged: boolean;
  validators: Validators;
  /** More pages were left when maxPages was reached. */
  truncated: boolean;
}

export class GithubApi {
  /** Requests made, and those GitHub counted against the rate limit (all but 304s). */
  requests = 0;
  counted = 0;
  rateLimit: RateLimitView | undefined;
  /** The token's OAuth scopes (classic tokens); undefined when GitHub sent no X-OAuth-Scopes (fine-grained, apps). */
  scopes: string[] | undefined;

  constructor(private readonly options: GithubApiOptions) {}

  /** The site behind the API: https://github.com for api.github.com, https://host for GHES' https://host/api/v3. */
  get webUrl(): string {
    const api = new URL(this.options.apiUrl);
    if (api.hostname === 'api.github.com') return 'https://github.com';
    return `${api.protocol}//${api.host}${api.pathname.replace(/\/api\/v3\/?$/, '').replace(/\/+$/, '')}`;
  }

  async get<T = unknown>(path: string, query: Record<string, string | number | undefined> = {}, validators?: Validators): Promise<GithubAnswer<T>> {
    return this.fetch<T>(apiUrl(this.options.apiUrl, path, query), validators);
  }

  /** A list route, `Link: rel="next"` followed (same origin only) up to maxPages; `listKey` for `{total_count, <key>: [...]}` bodies. */
  async pages(
    path: string,
    query: Record<string, string | number | undefined>,
    options: { maxPages: number; listKey?: string; validators?: Validators; enough?: (page: unknown[]) => boolean },
  ): Promise<GithubPages> {
    const items: unknown[] = [];
    let url: URL | undefined = apiUrl(this.options.apiUrl, path, query);
    let validators: Validators = {};
    for (let page = 0; url; page++) {
      if (page >= options.maxPages) return { items, unchanged: false, validators, truncated: true };
      const answer: GithubAnswer<unknown> = await this.fetch(url, page === 0 ? options.validators : undefined);
      if (answer.kind === 'unchanged') {
        if (page === 0) return { items: [], unchanged: true, validators: options.validators ?? {}, truncated: false };
        throw new PollError('http', `page ${page + 1} of ${describeUrl(url)} answered 304 without validators`);
      }
      if (page === 0) validators = answer.validators;
      const list = options.listKey ? arrayAt(objectAt(answer.json, path)[options.listKey], `${path}.${options.listKey}`) : arrayAt(answer.json, path);
      items.push(...list);
      if (options.enough?.(list)) break;
      url = nextLink(answer.headers.link, url);
    }
    return { items, unchanged: false, validators, truncated: false };
  }

  private async fetch<T>(url: URL, validators: Validators | undefined): Promise<GithubAnswer<T>> {
    this.requests++;
    const answer = await getJson(url, {
      headers: {
        authorization: `Bearer ${this.options.token}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': GITHUB_API_VERSION,
      },
      signal: this.options.signal,
      timeoutMs: this.options.timeoutMs,
      ...(this.options.tls && { tls: this.options.tls }),
      ...(validators && { validators }),
      inspect: (raw) => this.inspect(raw),
    });
    if (answer.kind === 'unchanged') return { kind: 'unchanged' };
    return { kind: 'json', json: answer.json as T, validators: answer.validators, headers: answer.headers };
  }

  private inspect(answer: HttpAnswer): PollError | undefined {
    if (answer.status !== 304) this.counted++;
    const limit = headerInt(answer.headers['x-ratelimit-limit']);
    const remaining = headerInt(answer.headers['x-ratelimit-remaining']);
    const reset = headerInt(answer.headers['x-ratelimit-reset']);
    if (limit !== undefined && remaining !== undefined && reset !== undefined) {
      this.rateLimit = { limit, remaining, resetAt: new Date(reset * 1000).toISOString() };
      this.options.onRateLimit?.(this.rateLimit);
    }
    const scopes = answer.headers['x-oauth-scopes'];
    if (typeof scopes === 'string') {
      this.scopes = scopes
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    }
    if (answer.status < 400) return undefined;
    return this.classify(answer, remaining, reset);
  }

  private classify(answer: HttpAnswer, remaining: number | undefined, reset: number | undefined): PollError | undefined {
    const { status } = answer;
    const message = githubMessage(answer.body);
    const where = describeUrl(answer.url);
    const said = message ? ` (GitHub says: ${message})` : '';
    if (status === 403 || status === 429) {
      const retryAfter = headerInt(answer.headers['retry-after']);
      if (retryAfter !== undefined || /secondary rate limit/i.test(message ?? '')) {
        const waitMs = retryAfter !== undefined ? retryAfter * 1000 : SECONDARY_DEFAULT_WAIT_MS;
        return new PollError(
          'rate_limited',
          `GitHub's secondary rate limit: paused until ${clockTime(this.options.now() + waitMs)} (${retryAfter !== undefined ? `Retry-After ${retryAfter} s` : 'GitHub asks for at least a minute'})${said}`,
          waitMs,
        );
      }
      if (remaining === 0 && reset !== undefined) {
        const waitMs = Math.max(1000, reset * 1000 - this.options.now());
        return new PollError('rate_limited', `GitHub's rate limit is used up (0 requests left): paused until ${clockTime(reset * 1000)}, when it resets${said}`, waitMs);
      }
      if (/not accessible by (personal access|integration)/i.test(message ?? '')) {
        return new PollError('auth', `HTTP 403 from ${where}: the token may not read this — a fine-grained token needs "${permissionFor(answer.url)}: read" on the repository${said}`);
      }
      return new PollError('auth', `HTTP ${status} from ${where}: GitHub refused the request${said}`);
    }
    if (status === 401) return new PollError('auth', `HTTP 401 from ${where}: GitHub does not accept the token (wrong, expired or revoked)${said}`);
    if (status === 404 && /\/repos\//.test(answer.url.pathname)) {
      return new PollError(
        'not_found',
        `HTTP 404 from ${where}: no such repository, or the token cannot see it (a private repository needs a classic token's "repo" scope, or the repository in a fine-grained token's list)`,
      );
    }
    return undefined;
  }
}

/** The permission a fine-grained token needs for a route. */
export function permissionFor(url: URL): string {
  if (/\/actions\//.test(url.pathname)) return 'Actions';
  if (/\/deployments/.test(url.pathname)) return 'Deployments';
  return 'Metadata';
}

function githubMessage(body: Buffer): string | undefined {
  try {
    const json = JSON.parse(body.toString('utf8')) as { message?: unknown };
    return typeof json.message === 'string' && json.message.trim() ? json.message.trim().slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

function headerInt(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}

// Polls any cctray.xml feed (Jenkins, GoCD, TeamCity, Buildkite, CruiseControl…) and
// emits events only on transitions.
//
// - The first poll (no saved state) records a baseline and emits nothing, so adding a feed
//   with 200 projects does not flood anyone. A project that appears later also starts
//   silently from its first sighting; a project that disappears is forgotten.
// - activity → Building (from anything else) → pipeline.triggered.
// - A new build result (lastBuildLabel, lastBuildTime or lastBuildStatus changed) →
//   Success: pipeline.succeeded; Failure: pipeline.failed; Exception: pipeline.failed
//   ("error": the CI server could not run it); Unknown: nothing.
// - HTTP validators: the last ETag / Last-Modified go out as If-None-Match /
//   If-Modified-Since; a 304 returns the same state and no events without parsing.
// - Errors throw an Error that names the feed and the problem; the hub's poll scheduler
//   turns repeated failures into backoff and a health event.
// - GoCD names projects `pipeline :: stage[ :: job]`: project = the GoCD pipeline,
//   pipeline = the whole name, so rules can match either.
import { createRequire } from 'node:module';
import type { SourceConfig } from '../../../shared/config.js';
import { defaultDedupKey, type EventInput, type Subject } from '../../../shared/event.js';
import { compact, compactSubject, httpUrl, isoTime, pipelineTitle, str, type PipelineVerb } from './ci-common.js';
import type { PollContext, PollingSource, PollResult } from './source.js';
import { deadlineSignal } from '../timeout-signal.js';

export type CctraySourceConfig = Extract<SourceConfig, { kind: 'cctray' }>;

export interface CctrayProject {
  name: string;
  activity: string;
  lastBuildStatus: string;
  lastBuildLabel?: string;
  lastBuildTime?: string;
  webUrl?: string;
}

export interface CctrayProjectState {
  activity: string;
  lastBuildStatus: string;
  lastBuildLabel?: string;
  lastBuildTime?: string;
}

export interface CctrayState {
  etag?: string;
  lastModified?: string;
  projects: Record<string, CctrayProjectState>;
}

export const CCTRAY_DEFAULT_INTERVAL_SECONDS = 60;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_FEED_BYTES = 20 * 1024 * 1024;

type XmlParser = import('fast-xml-parser').XMLParser;
let parser: XmlParser | undefined;
/** Loaded with the first feed (synchronously, through its CommonJS build): a hub without cctray sources never holds it. */
function xmlParser(): XmlParser {
  if (parser) return parser;
  const { XMLParser } = createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser');
  parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    // Entity processing stays on (names and URLs carry &amp;); the library caps DOCTYPE expansion.
    isArray: (name) => name === 'Project',
  });
  return parser;
}

/** Parse a cctray document into its projects; throws when it is not one. */
export function parseCctrayFeed(xml: string): CctrayProject[] {
  let doc: unknown;
  try {
    doc = xmlParser().parse(xml, true);
  } catch (err) {
    throw new Error(`not valid XML: ${(err as Error).message}`);
  }
  const root = (doc as Record<string, unknown> | undefined)?.Projects;
  if (root === undefined) throw new Error('not a cctray feed: no <Projects> root element');
  // `<Projects/>` parses to "" — an empty feed is valid.
  const list = typeof root === 'object' && root !== null ? (root as { Project?: unknown[] }).Project ?? [] : [];
  const projects: CctrayProject[] = [];
  for (const p of list) {
    if (typeof p !== 'object' || p === null) continue;
    const a = p as Record<string, unknown>;
    const name = str(a.name, 500);
    if (!name) continue;
    projects.push({
      name,
      activity: str(a.activity, 50) ?? 'Unknown',
      lastBuildStatus: str(a.lastBuildStatus, 50) ?? 'Unknown',
      ...compact({ lastBuildLabel: str(a.lastBuildLabel, 200), lastBuildTime: str(a.lastBuildTime, 100), webUrl: str(a.webUrl, 2000) }),
    });
  }
  return projects;
}

/** GoCD's `pipeline :: stage :: job` → project "pipeline"; other names are their own project. */
export function cctraySubject(name: string): Subject {
  const parts = name.split(' :: ').map((p) => p.trim()).filter((p) => p !== '');
  return compactSubject({ project: str(parts.length > 1 ? parts[0] : name), pipeline: str(name) });
}

export interface CctrayDeps {
  /** The feed parser; tests wrap it to count parses. */
  parse?: (xml: string) => CctrayProject[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function createCctraySource(deps: CctrayDeps = {}): PollingSource<CctraySourceConfig, CctrayState> {
  const parse = deps.parse ?? parseCctrayFeed;
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? REQUEST_TIMEOUT_MS;

  return {
    kind: 'cctray',
    defaultIntervalSeconds: CCTRAY_DEFAULT_INTERVAL_SECONDS,
    async poll(ctx, lastState) {
      const feed = redactUrl(ctx.config.url);
      const headers: Record<string, string> = { accept: 'application/xml, text/xml;q=0.9, */*;q=0.5' };
      if (lastState?.etag) headers['if-none-match'] = lastState.etag;
      if (lastState?.lastModified) headers['if-modified-since'] = lastState.lastModified;
      const auth = authorization(ctx);
      if (auth) headers.authorization = auth;

      let res: Response;
      try {
        res = await doFetch(withoutCredentials(ctx.config.url), {
          headers,
          signal: deadlineSignal(timeoutMs, ctx.signal),
          redirect: 'follow',
        });
      } catch (err) {
        // Error texts can quote the URL; only the redacted form may reach the UI and logs.
        const why = describeFetchError(err, timeoutMs).split(ctx.config.url).join(feed);
        throw new Error(`cctray feed ${feed} is unreachable: ${why}`);
      }

      if (res.status === 304 && lastState) {
        await res.body?.cancel();
        return { events: [], state: lastState };
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new Error(`cctray feed ${feed} answered HTTP ${res.status}: check the ${auth ? 'username/password or token' : 'credentials (none are set)'}`);
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`cctray feed ${feed} answered HTTP ${res.status} ${res.statusText}`.trimEnd());
      }
      const length = Number(res.headers.get('content-length'));
      if (length > MAX_FEED_BYTES) {
        await res.body?.cancel();
        throw new Error(`cctray feed ${feed} is ${length} bytes, over the ${MAX_FEED_BYTES}-byte limit`);
      }
      const xml = await cappedText(res, MAX_FEED_BYTES, () => new Error(`cctray feed ${feed} is larger than the ${MAX_FEED_BYTES}-byte limit`));

      let projects: CctrayProject[];
      try {
        projects = parse(xml);
      } catch (err) {
        throw new Error(`cctray feed ${feed}: ${(err as Error).message}`);
      }

      const next: CctrayState = {
        ...compact({ etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined }),
        projects: {},
      };
      const events: EventInput[] = [];
      for (const p of projects) {
        next.projects[p.name] = compact({
          activity: p.activity,
          lastBuildStatus: p.lastBuildStatus,
          lastBuildLabel: p.lastBuildLabel,
          lastBuildTime: p.lastBuildTime,
        }) as CctrayProjectState;
        const before = lastState?.projects[p.name];
        if (before) events.push(...transitions(ctx.config.id, before, p, ctx.now));
      }
      return { events, state: next } satisfies PollResult<CctrayState>;
    },
  };
}

export const cctraySource = createCctraySource();

/** The interval the poll scheduler should use for this source. */
export function pollIntervalSeconds(config: Pick<CctraySourceConfig, 'pollIntervalSeconds'>): number {
  return config.pollIntervalSeconds ?? CCTRAY_DEFAULT_INTERVAL_SECONDS;
}

const OUTCOMES: Record<string, { type: 'pipeline.succeeded' | 'pipeline.failed'; verb: PipelineVerb; reason?: string }> = {
  success: { type: 'pipeline.succeeded', verb: 'succeeded' },
  failure: { type: 'pipeline.failed', verb: 'failed' },
  exception: { type: 'pipeline.failed', verb: 'failed', reason: 'error' },
};

/** Events for one project between two polls. */
export function transitions(sourceId: string, before: CctrayProjectState, now: CctrayProject, at: Date): EventInput[] {
  const subject = cctraySubject(now.name);
  const url = httpUrl(now.webUrl);
  const data = compact({ name: now.name, activity: now.activity, lastBuildStatus: now.lastBuildStatus, lastBuildLabel: now.lastBuildLabel, lastBuildTime: now.lastBuildTime });
  const events: EventInput[] = [];

  if (isBuilding(now.activity) && !isBuilding(before.activity)) {
    events.push({
      type: 'pipeline.triggered',
      title: pipelineTitle('started', { pipeline: subject.pipeline }),
      subject,
      dedupKey: defaultDedupKey(sourceId, 'pipeline.triggered', subject),
      occurredAt: at.toISOString(),
      ...compact({ url }),
      data,
    });
  }

  const newResult =
    now.lastBuildLabel !== before.lastBuildLabel ||
    now.lastBuildTime !== before.lastBuildTime ||
    now.lastBuildStatus !== before.lastBuildStatus;
  const outcome = OUTCOMES[now.lastBuildStatus.toLowerCase()];
  if (newResult && outcome) {
    const label = now.lastBuildLabel ? `Build ${now.lastBuildLabel}` : 'The last build';
    events.push({
      type: outcome.type,
      title: pipelineTitle(outcome.verb, { pipeline: subject.pipeline }, outcome.reason),
      subject,
      dedupKey: defaultDedupKey(sourceId, outcome.type, subject),
      summary: `${label} ended ${now.lastBuildStatus}${before.lastBuildStatus !== now.lastBuildStatus ? ` (was ${before.lastBuildStatus})` : ''}.`,
      ...compact({ url, occurredAt: isoTime(now.lastBuildTime) ?? at.toISOString() }),
      data,
    });
  }
  return events;
}

function isBuilding(activity: string): boolean {
  return activity.toLowerCase() === 'building';
}

function authorization(ctx: PollContext<CctraySourceConfig>): string | undefined {
  const { username, password, token } = ctx.config;
  if (token !== undefined) {
    const value = ctx.secrets.token;
    if (!value) throw new Error('cctray source has a bearer token configured but its secret is not set');
    return `Bearer ${value}`;
  }
  if (username !== undefined && password !== undefined) {
    const value = ctx.secrets.password;
    if (value === undefined) throw new Error('cctray source has basic auth configured but its password secret is not set');
    return `Basic ${Buffer.from(`${username}:${value}`, 'utf8').toString('base64')}`;
  }
  return undefined;
}

/** The config schema refuses credentials in the URL; never send them even if one slips through. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/** Feed URLs may carry credentials or tokens in the query; errors show neither. */
/**
 * The body as text, read until `max` bytes and no further: a feed without Content-Length
 * (chunked) is not taken whole into memory on the server's word. Over it: cancelled, throws.
 */
async function cappedText(res: Response, max: number, tooLarge: () => Error): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    // Leaving the loop cancels the stream, and with it the connection.
    if (size > max) throw tooLarge();
    chunks.push(chunk);
  }
  // As res.text() decodes: UTF-8, a byte order mark dropped.
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`;
  if (e?.name === 'AbortError') return 'the poll was cancelled';
  const cause = e?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? e?.message ?? String(err);
}

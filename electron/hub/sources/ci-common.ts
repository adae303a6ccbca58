// Helpers the CI sources (GitHub, GitLab, Jenkins, cctray) share: parsing a webhook body,
// timestamps as CI servers write them, and the title wording streaks.ts relies on. The
// lenient readers of untrusted JSON are json-readers.ts's (re-exported for the sources).
import { formatDuration } from '../../../shared/duration.js';
import type { Subject } from '../../../shared/event.js';
import { isRecord, str } from './json-readers.js';

export { httpUrl, isRecord, num, obj, str } from './json-readers.js';

export type JsonResult = { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };

/** Parse a webhook body that must be a JSON object. */
export function parseJsonObject(body: Buffer | string): JsonResult {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return { ok: false, reason: 'empty body: expected a JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (!isRecord(value)) return { ok: false, reason: 'body must be a JSON object' };
  return { ok: true, value };
}

/**
 * An ISO-8601 timestamp from what CI servers send: ISO strings, GitLab's
 * `2016-08-12 15:23:28 UTC` / `2021-04-28 21:50:00 +0200`, or epoch milliseconds.
 */
export function isoTime(v: unknown): string | undefined {
  let ms: number;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
    ms = v;
  } else if (typeof v === 'string' && v.trim() !== '') {
    const s = v
      .trim()
      .replace(/^(\d{4}-\d\d-\d\d) (\d\d:\d\d)/, '$1T$2')
      .replace(/ UTC$/, 'Z')
      .replace(/ ([+-]\d\d):?(\d\d)$/, '$1:$2');
    ms = Date.parse(s);
  } else {
    return undefined;
  }
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

export function shortSha(sha: unknown): string | undefined {
  const s = str(sha, 100);
  return s && /^[0-9a-f]{7,64}$/i.test(s) ? s.slice(0, 7) : s;
}

/** A commit message's first line, one line of at most 120 characters (what a developer recognises a commit by). */
export function commitTitle(message: unknown): string | undefined {
  const first = str(message, 10_000)?.split('\n')[0]?.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!first) return undefined;
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}

/**
 * `Commit 3484a3f by Mona Lisa: Update milestone-created.yml.` — the commit as CI's own
 * notifications show it: short SHA, author, first line of the message (each when known).
 */
export function commitSentence(sha: unknown, message?: unknown, author?: unknown): string | undefined {
  const short = shortSha(sha);
  if (!short) return undefined;
  const by = str(author, 200);
  const title = commitTitle(message);
  return `Commit ${short}${by ? ` by ${by}` : ''}${title ? `: ${title}${/[.!?…]$/.test(title) ? '' : '.'}` : '.'}`;
}

/** `Took 4 min 12 s.` for a run's duration in ms; nothing for none or under a second. */
export function tookSentence(ms: number | undefined): string | undefined {
  return ms !== undefined && Number.isFinite(ms) && ms >= 1000 ? `Took ${formatDuration(ms, 'exact')}.` : undefined;
}

/** Drop undefined fields so `data` stays small and JSON-clean. */
export function compact<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

export function compactSubject(s: Subject): Subject {
  return compact(s) as Subject;
}

/**
 * The verbs CI titles use. streaks.ts rewrites "failed" to "still failing (n)" and
 * "succeeded" to "recovered after n failures", so every source words its titles this way.
 */
export type PipelineVerb = 'started' | 'succeeded' | 'failed' | 'was cancelled';

/** `owner/repo: CI failed (timed out) on main` */
export function pipelineTitle(
  verb: PipelineVerb,
  what: { project?: string; pipeline?: string; branch?: string },
  reason?: string,
): string {
  const name = what.pipeline ?? 'pipeline';
  const prefix = what.project && what.project !== what.pipeline ? `${what.project}: ` : '';
  const because = reason ? ` (${reason})` : '';
  const where = what.branch ? ` on ${what.branch}` : '';
  return clipTitle(`${prefix}${name} ${verb}${because}${where}`);
}

/** `owner/repo: deployment to production failed` */
export function deploymentTitle(
  verb: 'started' | 'succeeded' | 'failed',
  what: { project?: string; environment?: string },
  reason?: string,
): string {
  const prefix = what.project ? `${what.project}: ` : '';
  const env = what.environment ? ` to ${what.environment}` : '';
  return clipTitle(`${prefix}deployment${env} ${verb}${reason ? ` (${reason})` : ''}`);
}

export function clipTitle(t: string): string {
  return t.length > 500 ? `${t.slice(0, 499)}…` : t;
}

/** Join the non-empty parts of a summary into sentences. */
export function sentences(...parts: Array<string | undefined | false>): string | undefined {
  const s = parts.filter((p): p is string => typeof p === 'string' && p !== '').join(' ');
  return s === '' ? undefined : s.slice(0, 10_000);
}

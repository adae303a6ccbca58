// EventStore.list over a real SQLite file: full-text search, every filter and cursors give
// the same events, in the same order, as a plain in-memory filter of what was stored; totals
// come with the first page only, exact or capped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventQuery, EventQueryInput } from '../../../../shared/api.js';
import type { EventInput, HeraldEvent, Severity } from '../../../../shared/event.js';
import { TOTAL_COUNT_CAP, toFtsQuery } from '../../../../electron/hub/store/events.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';

const PROJECTS = ['payments-api', 'web-frontend', 'search-indexer', 'auth-service', 'data-lake'];
const BRANCHES = ['main', 'develop', 'release/2.4', 'feature/checkout-v2'];
const TYPES = ['pipeline.failed', 'pipeline.succeeded', 'deployment.succeeded', 'finding.new'];
const SEVERITIES: Severity[] = ['info', 'success', 'warning', 'critical'];
const WORDS = ['timeout', 'flaky', 'openssl', 'migration', 'rollback', 'canary', 'lint', 'terraform'];
const SOURCES = [
  { kind: 'generic', id: 'ci', name: 'Team CI' },
  { kind: 'github', id: 'gh', name: 'GitHub Acme' },
];
/** More than the count cap, so a capped total is reachable with a broad filter. */
const EVENTS = 1600;
const T0 = Date.parse('2025-03-01T00:00:00Z');
const MINUTE = 60_000;

function input(i: number): EventInput {
  const project = PROJECTS[i % PROJECTS.length]!;
  const word = WORDS[(i * 7) % WORDS.length]!;
  return {
    type: TYPES[(i * 3) % TYPES.length]!,
    severity: SEVERITIES[(i * 5) % SEVERITIES.length]!,
    title: `${project} run ${i} ${word}`,
    summary: i % 4 === 0 ? undefined : `step ${WORDS[(i * 11) % WORDS.length]} took ${i % 90} s`,
    subject: { project, branch: BRANCHES[i % BRANCHES.length]!, ...(i % 3 === 0 && { environment: i % 2 ? 'prod' : 'staging' }) },
    actor: i % 5 === 0 ? 'renovate-bot' : undefined,
    dedupKey: `k-${i}`,
  };
}

// ── the reference: what list() must return, computed without SQL ──
const tokens = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
/** The text columns the FTS index holds (see the insert trigger in migrations.ts). */
function ftsColumns(e: HeraldEvent): string[][] {
  const s = e.subject;
  const subject = [s.project, s.group, s.environment, s.pipeline, s.branch, s.cluster, s.artifact, e.source.name, e.type, e.actor];
  return [tokens(e.title), tokens(e.summary ?? ''), tokens(subject.filter(Boolean).join(' '))];
}
/** FTS5 semantics of toFtsQuery's output: every quoted term a phrase (AND), the last a prefix; empty phrases ignored. */
function textMatches(e: HeraldEvent, text: string): boolean {
  const terms = text
    .split(/\s+/)
    .map((t) => tokens(t.replace(/"/g, '')))
    .filter((t) => t.length > 0);
  if (terms.length === 0) return toFtsQuery(text) === undefined;
  const columns = ftsColumns(e);
  return terms.every((phrase, ti) => {
    const prefix = ti === terms.length - 1;
    return columns.some((col) =>
      col.some((_, start) =>
        phrase.every((tok, k) => {
          const have = col[start + k];
          return have !== undefined && (prefix && k === phrase.length - 1 ? have.startsWith(tok) : have === tok);
        }),
      ),
    );
  });
}
function reference(all: HeraldEvent[], q: EventQueryInput): HeraldEvent[] {
  return all.filter(
    (e) =>
      (!q.text || textMatches(e, q.text)) &&
      (!q.sources?.length || q.sources.includes(e.source.id)) &&
      (!q.types?.length || q.types.includes(e.type)) &&
      (!q.severities?.length || q.severities.includes(e.severity)) &&
      (q.project === undefined || e.subject.project === q.project) &&
      (q.environment === undefined || e.subject.environment === q.environment) &&
      (q.branch === undefined || e.subject.branch === q.branch) &&
      (q.unread === undefined || e.read === !q.unread) &&
      (!q.since || Date.parse(e.receivedAt) >= Date.parse(q.since)) &&
      (!q.until || Date.parse(e.receivedAt) < Date.parse(q.until)),
  );
}

let dir: string;
let store: Store;
/** Newest first, as stored (read flags and deletions applied as the tests make them). */
let stored: HeraldEvent[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'herald-store-events-'));
  store = openStore(dir);
  const accepted: HeraldEvent[] = [];
  // One request per 50 events, a minute apart: received_at varies for since/until.
  for (let start = 0; start < EVENTS; start += 50) {
    const inputs = Array.from({ length: 50 }, (_, j) => input(start + j));
    const source = SOURCES[(start / 50) % SOURCES.length]!;
    const [outcome] = store.ingest([{ source, inputs }], () => [], new Date(T0 + (start / 50) * MINUTE));
    if (outcome?.status !== 'accepted') throw new Error('ingest refused the seed events');
    accepted.push(...outcome.events);
  }
  stored = accepted.reverse();
  // Some read, so `unread` filters both ways.
  const read = stored.filter((_, i) => i % 3 === 1).map((e) => e.id);
  store.events.markRead({ ids: read }, true);
  stored = stored.map((e, i) => ({ ...e, read: i % 3 === 1 }));
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every page of a query, by cursor; checks the per-page rules on the way. */
function allPages(q: EventQueryInput) {
  const limit = q.limit ?? 100;
  const pages = [];
  let cursor: string | undefined;
  do {
    const page = store.events.list({ ...q, limit, ...(cursor !== undefined && { cursor }) } as EventQuery);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    if (page.nextCursor !== undefined) expect(page.items).toHaveLength(limit);
    if (cursor !== undefined) expect(page.total).toBeUndefined();
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > EVENTS) throw new Error('cursor loop');
  } while (cursor !== undefined);
  return { first: pages[0]!, items: pages.flatMap((p) => p.items), pages: pages.length };
}

const cases: Array<[string, EventQueryInput]> = [
  ['everything', { limit: 200 }],
  ['everything, small pages', { limit: 7 }],
  ['one word', { text: 'timeout', limit: 50 }],
  ['a prefix', { text: 'terra', limit: 50 }],
  ['two words (AND)', { text: 'canary payments', limit: 30 }],
  ['a hyphenated phrase', { text: 'payments-api', limit: 100 }],
  ['a subject field by text', { text: 'renovate', limit: 25 }],
  ['an event type by text', { text: 'pipeline.failed', limit: 40 }],
  ['quotes are ignored', { text: '"rollback', limit: 100 }],
  ['no match', { text: 'nothing-like-this', limit: 10 }],
  ['text + type', { text: 'run', types: ['pipeline.failed'], limit: 60 }],
  ['text + severity + source', { text: 'lint', severities: ['critical', 'warning'], sources: ['gh'], limit: 9 }],
  ['text + unread', { text: 'openssl', unread: true, limit: 20 }],
  ['text + project + environment', { text: 'run', project: 'data-lake', environment: 'prod', limit: 11 }],
  ['text + time range', { text: 'migration', since: new Date(T0 + 5 * MINUTE).toISOString(), until: new Date(T0 + 20 * MINUTE).toISOString(), limit: 13 }],
  ['source', { sources: ['ci'], limit: 100 }],
  ['two types', { types: ['finding.new', 'deployment.succeeded'], limit: 100 }],
  ['severity', { severities: ['critical'], limit: 64 }],
  ['branch', { branch: 'release/2.4', limit: 100 }],
  ['read only', { unread: false, limit: 100 }],
  ['unread only', { unread: true, limit: 200 }],
  ['since', { since: new Date(T0 + 25 * MINUTE).toISOString(), limit: 17 }],
  ['until', { until: new Date(T0 + 3 * MINUTE).toISOString(), limit: 17 }],
  ['filters that exclude each other', { project: 'payments-api', environment: 'nowhere', limit: 10 }],
];

describe('EventStore.list', () => {
  it.each(cases)('%s: same events, order and total as a plain filter, across every page', (_name, q) => {
    const expected = reference(stored, q);
    const { first, items, pages } = allPages(q);
    expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(items).toEqual(expected);
    expect(pages).toBe(Math.max(1, Math.ceil(expected.length / (q.limit ?? 100))));
    const { limit: _limit, text, ...filters } = q;
    const onlyText = Object.keys(filters).length === 0;
    if (onlyText || expected.length <= TOTAL_COUNT_CAP) {
      // No filter, or text alone, or few enough: the exact number.
      expect(first.total).toBe(expected.length);
      expect(first.totalCapped).toBeUndefined();
    } else {
      expect(first.total).toBe(TOTAL_COUNT_CAP);
      expect(first.totalCapped).toBe(true);
    }
    // A case that matches nothing proves little; only 'no match' and the exclusive filters may.
    if (text !== 'nothing-like-this' && filters.environment !== 'nowhere') expect(expected.length).toBeGreaterThan(0);
  });

  it('the seed reaches the cap with a filter and beyond it with text alone (so both total paths run)', () => {
    expect(reference(stored, { unread: true }).length).toBeGreaterThan(TOTAL_COUNT_CAP);
    expect(reference(stored, { text: 'run' }).length).toBeGreaterThan(TOTAL_COUNT_CAP);
    const page = store.events.list({ text: 'run', limit: 10 });
    expect(page.total).toBe(reference(stored, { text: 'run' }).length);
    expect(page.totalCapped).toBeUndefined();
  });

  it('a cursor from the middle continues right after it, with or without text', () => {
    for (const q of [{ limit: 5 }, { limit: 5, text: 'timeout' }, { limit: 5, text: 'timeout', severities: ['info' as const] }]) {
      const expected = reference(stored, q);
      const cursorEvent = expected[20]!;
      const seq = store.events.get(cursorEvent.id)!.seq;
      const page = store.events.list({ ...q, cursor: String(seq) });
      expect(page.items.map((e) => e.id)).toEqual(expected.slice(21, 26).map((e) => e.id));
    }
  });

  it.each(['abc', '12abc', '-5', '1.5', ''])('refuses a cursor that no page gave: %j', (cursor) => {
    expect(() => store.events.list({ limit: 10, cursor })).toThrow(/cursor: not a cursor from a previous page/);
  });

  it('after deletions and read changes, search and counts follow (the FTS index drops deleted rows)', () => {
    const doomed = reference(stored, { text: 'canary' }).slice(0, 40);
    expect(store.events.delete(doomed.map((e) => e.id))).toBe(40);
    const gone = new Set(doomed.map((e) => e.id));
    stored = stored.filter((e) => !gone.has(e.id));
    const flip = reference(stored, { text: 'flaky', unread: true }).slice(0, 15);
    store.events.markRead({ ids: flip.map((e) => e.id) }, true);
    const flipped = new Set(flip.map((e) => e.id));
    stored = stored.map((e) => (flipped.has(e.id) ? { ...e, read: true } : e));

    for (const q of [{ text: 'canary', limit: 50 }, { text: 'flaky', unread: true, limit: 50 }, { limit: 300 }] as EventQueryInput[]) {
      const expected = reference(stored, q);
      const { first, items } = allPages(q);
      expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      expect(first.total).toBe(expected.length);
    }
  });
});

describe('toFtsQuery', () => {
  it.each<[string, string | undefined]>([
    ['timeout', '"timeout"*'],
    ['  build   failed ', '"build" "failed"*'],
    ['payments-api', '"payments-api"*'],
    ['say "hello" OR NOT', '"say" "hello" "OR" "NOT"*'],
    ['a*b NEAR(c)', '"a*b" "NEAR(c)"*'],
    ['"""', undefined],
    ['   ', undefined],
    ['', undefined],
    ['dep\u0000loy\tfail', '"dep" "loy" "fail"*'],
    [Array.from({ length: 25 }, (_, i) => `w${i}`).join(' '), `${Array.from({ length: 19 }, (_, i) => `"w${i}"`).join(' ')} "w19"*`],
  ])('%j → %j', (text, fts) => {
    expect(toFtsQuery(text)).toBe(fts);
  });

  it.each(['AND', 'OR "', 'NEAR(', '*', '^x', 'col:x', '(((', '-x'])('user syntax never reaches FTS5 as syntax: %j', (text) => {
    expect(() => store.events.list({ limit: 5, text })).not.toThrow();
  });
});

describe('event ids', () => {
  it('are UUIDv7: unique, and in the order the events were accepted', () => {
    const oldestFirst = stored.slice().reverse().map((e) => e.id);
    expect(new Set(oldestFirst).size).toBe(oldestFirst.length);
    for (const id of oldestFirst) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Sorted as text they keep the acceptance order (what keeps the id index growing at its end).
    expect(oldestFirst.slice().sort()).toEqual(oldestFirst);
  });
});

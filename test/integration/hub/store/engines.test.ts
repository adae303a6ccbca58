// The store's behaviour, the same on both engines: every case runs on SQLite (a temp file)
// and on PostgreSQL (a fresh database in one real cluster for this file), through the async
// store interface the hub uses. History search is checked against a plain in-memory filter
// with FTS5's semantics, so both engines must find the same events in the same order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerJson, type EventQuery, type EventQueryInput, type RuleOutcome } from '../../../../shared/api.js';
import { RuleSchema, type RuleConfigInput } from '../../../../shared/config.js';
import { boardMuteKey } from '../../../../shared/board.js';
import type { EventInput, HeraldEvent, Severity } from '../../../../shared/event.js';
import { routeEvent } from '../../../../shared/rules.js';
import { buildDigestEvent, digestReason } from '../../../../electron/hub/delivery/digests.js';
import type { DigestWindow } from '../../../../electron/hub/rules/digest-windows.js';
import { buildGroupEvent } from '../../../../electron/hub/rules/storm-group-sender.js';
import type { StormGroup } from '../../../../electron/hub/rules/storm-groups.js';
import { TOTAL_COUNT_CAP, toFtsQuery } from '../../../../electron/hub/store/events.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import type { EngineRouter as Router, StoreEngine as TestEngine } from '../../../../electron/hub/store/engine.js';
import { type PostgresCluster, startPostgresCluster } from '../../../helpers/postgres-cluster.js';
import { storeEngines } from '../../../helpers/store-engines.js';
import { commitGate } from '../../../helpers/commit-gate.js';
import type { SqliteEngine } from '../../../../electron/hub/store/sqlite-engine.js';
import type { PostgresEngine } from '../../../../electron/hub/store/postgres/engine.js';

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster();
});
afterAll(async () => {
  await cluster?.destroy();
});

const noRules: Router = () => [];
const routerFor = (rules: RuleConfigInput[], channels: Record<string, string> = { sink: 'webhook', mail: 'email' }): Router => {
  const parsed = rules.map((r) => RuleSchema.parse(r));
  const channelKinds = new Map(Object.entries(channels));
  return (event, lookups) =>
    routeEvent(event, parsed, {
      now: new Date(event.receivedAt),
      lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k),
      channelKinds,
      settings: {},
      muteFor: () => undefined,
    });
};
const routedTo = (channels: string[]): Router => () => [{ ruleId: 'r', ruleName: 'R', outcome: 'routed', channels, heldBack: [], reason: 't' } satisfies RuleOutcome];

// ── history search: the seed and the reference (as test/unit/hub/store/events.test.ts) ──
const PROJECTS = ['payments-api', 'web-frontend', 'search-indexer', 'auth-service', 'data-lake'];
const BRANCHES = ['main', 'develop', 'release/2.4', 'feature/checkout-v2'];
const TYPES = ['pipeline.failed', 'pipeline.succeeded', 'deployment.succeeded', 'finding.new'];
const SEVERITIES: Severity[] = ['info', 'success', 'warning', 'critical'];
const WORDS = ['timeout', 'flaky', 'openssl', 'migration', 'rollback', 'canary', 'lint', 'terraform', 'Café', 'naïve-résumé'];
const SOURCES = [
  { kind: 'generic', id: 'ci', name: 'Team CI' },
  { kind: 'github', id: 'gh', name: 'GitHub Acme' },
];
const EVENTS = 1300;
const T0 = Date.parse('2025-03-01T00:00:00Z');
const MINUTE = 60_000;

function input(i: number): EventInput {
  const project = PROJECTS[i % PROJECTS.length]!;
  const word = WORDS[(i * 7) % WORDS.length]!;
  return {
    type: TYPES[(i * 3) % TYPES.length]!,
    severity: SEVERITIES[(i * 5) % SEVERITIES.length]!,
    title: `${project} run ${i} ${word}`,
    summary: i % 4 === 0 ? undefined : `step ${WORDS[(i * 11) % WORDS.length]} took ${i % 90} s at api.example.com/v1.2`,
    subject: { project, branch: BRANCHES[i % BRANCHES.length]!, ...(i % 3 === 0 && { environment: i % 2 ? 'prod' : 'staging' }) },
    actor: i % 5 === 0 ? 'renovate-bot' : undefined,
    dedupKey: `k-${i}`,
  };
}
const tokens = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
function ftsColumns(e: HeraldEvent): string[][] {
  const s = e.subject;
  const subject = [s.project, s.group, s.environment, s.pipeline, s.branch, s.cluster, s.artifact, e.source.name, e.type, e.actor];
  return [tokens(e.title), tokens(e.summary ?? ''), tokens(subject.filter(Boolean).join(' '))];
}
/** FTS5 semantics of toFtsQuery's output: every quoted term a phrase (AND) within one column, the last a prefix. */
function textMatches(e: HeraldEvent, text: string): boolean {
  const terms = text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
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
const searchCases: Array<[string, EventQueryInput]> = [
  ['everything', { limit: 200 }],
  ['everything, small pages', { limit: 9 }],
  ['one word', { text: 'timeout', limit: 50 }],
  ['a prefix', { text: 'terra', limit: 50 }],
  ['two words (AND)', { text: 'canary payments', limit: 30 }],
  ['a hyphenated phrase', { text: 'payments-api', limit: 100 }],
  ['a phrase that spans columns does not match', { text: 'renovate-bot-team', limit: 10 }],
  ['a phrase with a prefix at its end', { text: 'search-ind', limit: 100 }],
  ['a subject field by text', { text: 'renovate', limit: 25 }],
  ['an event type by text', { text: 'pipeline.failed', limit: 40 }],
  ['a host name splits into words', { text: 'example', limit: 100 }],
  ['a version number', { text: 'v1.2', limit: 100 }],
  ['diacritics and case ignored', { text: 'CAFE', limit: 100 }],
  ['a word with diacritics typed with them', { text: 'résumé', limit: 100 }],
  ['quotes are ignored', { text: '"rollback', limit: 100 }],
  ['an empty phrase among words is ignored', { text: 'lint - ***', limit: 100 }],
  ['nothing searchable matches nothing', { text: '--- ***', limit: 10 }],
  ['no match', { text: 'nothing-like-this', limit: 10 }],
  ['text + type', { text: 'run', types: ['pipeline.failed'], limit: 60 }],
  ['text + severity + source', { text: 'lint', severities: ['critical', 'warning'], sources: ['gh'], limit: 9 }],
  ['text + unread', { text: 'openssl', unread: true, limit: 20 }],
  ['text + project + environment', { text: 'run', project: 'data-lake', environment: 'prod', limit: 11 }],
  ['text + time range', { text: 'migration', since: new Date(T0 + 5 * MINUTE).toISOString(), until: new Date(T0 + 20 * MINUTE).toISOString(), limit: 13 }],
  ['source', { sources: ['ci'], limit: 100 }],
  ['two types', { types: ['finding.new', 'deployment.succeeded'], limit: 100 }],
  ['branch', { branch: 'release/2.4', limit: 100 }],
  ['unread only', { unread: true, limit: 300 }],
  ['since', { since: new Date(T0 + 20 * MINUTE).toISOString(), limit: 17 }],
  ['filters that exclude each other', { project: 'payments-api', environment: 'nowhere', limit: 10 }],
];
const MATCHES_NOTHING = new Set(['no match', 'filters that exclude each other', 'nothing searchable matches nothing', 'a phrase that spans columns does not match']);

const build = (now: number) => (w: DigestWindow, events: HeraldEvent[], channels: string[]) => ({
  event: buildDigestEvent(w, events, now),
  reason: digestReason(w, events.length, channels),
});

describe.each(storeEngines(() => cluster))('the store on $name', (factory) => {
  describe('history', () => {
    let engine: TestEngine;
    let stored: HeraldEvent[];
    beforeAll(async () => {
      engine = await factory.open();
      const accepted: HeraldEvent[] = [];
      for (let start = 0; start < EVENTS; start += 50) {
        const inputs = Array.from({ length: Math.min(50, EVENTS - start) }, (_, j) => input(start + j));
        const source = SOURCES[(start / 50) % SOURCES.length]!;
        const [outcome] = await engine.ingest([{ source, inputs }], { router: noRules, now: new Date(T0 + (start / 50) * MINUTE) });
        if (outcome?.status !== 'accepted') throw new Error('ingest refused the seed events');
        accepted.push(...outcome.events);
      }
      stored = accepted.reverse();
      await engine.events.markRead({ ids: stored.filter((_, i) => i % 3 === 1).map((e) => e.id) }, true);
      stored = stored.map((e, i) => ({ ...e, read: i % 3 === 1 }));
    }, 120_000);
    afterAll(async () => {
      await engine?.close();
    });

    async function allPages(q: EventQueryInput) {
      const limit = q.limit ?? 100;
      const pages = [];
      let cursor: string | undefined;
      do {
        const page = await engine.events.list({ ...q, limit, ...(cursor !== undefined && { cursor }) } as EventQuery);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        if (page.nextCursor !== undefined) expect(page.items).toHaveLength(limit);
        if (cursor !== undefined) expect(page.total).toBeUndefined();
        pages.push(page);
        cursor = page.nextCursor;
        if (pages.length > EVENTS) throw new Error('cursor loop');
      } while (cursor !== undefined);
      return { first: pages[0]!, items: pages.flatMap((p) => p.items) };
    }

    it.each(searchCases)('%s: same events, order and total as a plain filter', async (name, q) => {
      const expected = reference(stored, q);
      const { first, items } = await allPages(q);
      expect(items.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      expect(items).toEqual(expected);
      const { limit: _limit, text: _text, ...filters } = q;
      if (Object.keys(filters).length === 0 || expected.length <= TOTAL_COUNT_CAP) {
        expect(first.total).toBe(expected.length);
        expect(first.totalCapped).toBeUndefined();
      } else {
        expect(first).toMatchObject({ total: TOTAL_COUNT_CAP, totalCapped: true });
      }
      if (!MATCHES_NOTHING.has(name)) expect(expected.length).toBeGreaterThan(0);
    });

    it.each(['AND', 'OR "', 'NEAR(', '*', '^x', 'col:x', '(((', '-x', "it's", 'a\\b', '&|!<->', ':*'])('user syntax is only text: %j', async (text) => {
      const { items } = await allPages({ text, limit: 200 });
      expect(items.map((e) => e.id)).toEqual(reference(stored, { text }).map((e) => e.id));
    });

    it('a cursor from the middle continues right after it', async () => {
      for (const q of [{ limit: 5 }, { limit: 5, text: 'timeout' }]) {
        const expected = reference(stored, q);
        const seq = (await engine.events.get(expected[20]!.id))!.seq;
        const page = await engine.events.list({ ...q, cursor: String(seq) });
        expect(page.items.map((e) => e.id)).toEqual(expected.slice(21, 26).map((e) => e.id));
      }
    });

    it.each(['abc', '-5', '1.5', ''])('refuses a cursor no page gave: %j', async (cursor) => {
      await expect(engine.events.list({ limit: 10, cursor })).rejects.toThrow(/cursor: not a cursor from a previous page/);
    });

    it('recent, counts and source stats', async () => {
      expect((await engine.events.recent(3)).map((e) => e.id)).toEqual(stored.slice(0, 3).map((e) => e.id));
      expect(await engine.events.counts()).toEqual({ events: stored.length, unread: stored.filter((e) => !e.read).length });
      const stats = await engine.events.sourceStats('gh');
      expect(stats.count).toBe(stored.filter((e) => e.source.id === 'gh').length);
      expect(stats.lastEventAt).toBe(stored.find((e) => e.source.id === 'gh')!.receivedAt);
    });

    it('after deletions and read changes, search and counts follow', async () => {
      const doomed = reference(stored, { text: 'canary' }).slice(0, 40);
      expect(await engine.events.delete(doomed.map((e) => e.id))).toBe(40);
      const gone = new Set(doomed.map((e) => e.id));
      stored = stored.filter((e) => !gone.has(e.id));
      const flip = reference(stored, { text: 'flaky', unread: true }).slice(0, 15);
      expect(await engine.events.markRead({ ids: flip.map((e) => e.id) }, true)).toBe(15);
      const flipped = new Set(flip.map((e) => e.id));
      stored = stored.map((e) => (flipped.has(e.id) ? { ...e, read: true } : e));
      for (const q of [{ text: 'canary', limit: 50 }, { text: 'flaky', unread: true, limit: 50 }, { limit: 300 }] as EventQueryInput[]) {
        const { first, items } = await allPages(q);
        expect(items.map((e) => e.id)).toEqual(reference(stored, q).map((e) => e.id));
        expect(first.total).toBe(reference(stored, q).length);
      }
    });
  });

  describe('ingest and the tables it writes', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await factory.open();
    });
    afterAll(async () => {
      await engine?.close();
    });
    const src = (id: string) => ({ kind: 'generic', id, name: id.toUpperCase() });

    it('an event with its payload, outcomes and deliveries; get gives them back', async () => {
      const raw = JSON.stringify({ big: 'x'.repeat(5000) });
      const { storedRaw } = await import('../../../../electron/hub/store/raw-payload.js');
      const [outcome] = await engine.ingest(
        [{ source: src('one'), inputs: [{ type: 'pipeline.failed', title: 'build broke', subject: { project: 'p', commit: 'abcdef1234' } }], rawStored: storedRaw(undefined, raw)! }],
        { router: routedTo(['sink', 'mail']), now: new Date(T0) },
      );
      expect(outcome).toMatchObject({ status: 'accepted', deliveries: 2 });
      const event = outcome!.status === 'accepted' ? outcome!.events[0]! : undefined;
      const found = (await engine.events.get(event!.id))!;
      expect(found.event).toEqual(event);
      expect(found.raw).toEqual(JSON.parse(raw));
      expect(found.matches.map((m) => m.ruleId)).toEqual(['r']);
      expect(await engine.events.forDelivery(found.seq)).toEqual(event);
      expect(await engine.events.getBySeq(found.seq)).toEqual(event);
      const deliveries = await engine.outbox.list({ eventId: event!.id, limit: 10 });
      expect(deliveries.map((d) => [d.channelId, d.status, d.attempts]).sort()).toEqual([
        ['mail', 'pending', 0],
        ['sink', 'pending', 0],
      ]);
      expect(await engine.events.thread('abcdef', 10)).toEqual({ commit: 'abcdef1234', events: [event], truncated: false });
      expect((await engine.events.list({ limit: 10, commit: 'ABCDEF' })).items.map((e) => e.id)).toEqual([event!.id]);
    });

    it('a redelivery (same delivery id) is stored once; another source may use the same id', async () => {
      const item = (source: string): IngestItem => ({ source: src(source), deliveryId: 'gh-delivery-1', inputs: [{ type: 'pipeline.failed', title: 't' }] });
      const [a, b] = await engine.ingest([item('dup'), item('dup')], { router: noRules });
      expect([a!.status, b!.status]).toEqual(['accepted', 'duplicate']);
      expect((await engine.ingest([item('dup')], { router: noRules }))[0]!.status).toBe('duplicate');
      expect((await engine.ingest([item('dup2')], { router: noRules }))[0]!.status).toBe('accepted');
    });

    it('all or nothing: a router failing on the third item leaves nothing of the batch', async () => {
      const before = await engine.events.counts();
      const failing: Router = (event) => {
        if (event.title === 'boom') throw new Error('router broke');
        return [];
      };
      const items: IngestItem[] = ['a', 'b', 'boom'].map((title) => ({ source: src('atomic'), deliveryId: `d-${title}`, inputs: [{ type: 'pipeline.failed', title }], state: { key: 'cursor', value: title } }));
      await expect(engine.ingest(items, { router: failing })).rejects.toThrow(/router broke/);
      expect(await engine.events.counts()).toEqual(before);
      expect(await engine.sourceState.get('atomic', 'cursor')).toBeUndefined();
      // The delivery ids were not kept either: the sender's retry is accepted.
      expect((await engine.ingest(items.slice(0, 2), { router: noRules })).map((o) => o.status)).toEqual(['accepted', 'accepted']);
      expect(await engine.sourceState.get('atomic', 'cursor')).toBe('b');
      await engine.sourceState.clear('atomic');
      expect(await engine.sourceState.get('atomic', 'cursor')).toBeUndefined();
    });

    it('throttle memory: a repeat within the window is throttled, after it routed again', async () => {
      const router = routerFor([{ id: 'thr', name: 'Throttled', channels: ['sink'], throttle: { windowSeconds: 600 } }]);
      const send = async (at: number) => {
        const [o] = await engine.ingest([{ source: src('thr'), inputs: [{ type: 'pipeline.failed', title: 'again', dedupKey: 'same-key' }] }], { router, now: new Date(at) });
        return o!.status === 'accepted' ? o!.deliveries : -1;
      };
      expect(await send(T0)).toBe(1);
      expect(await send(T0 + 60_000)).toBe(0);
      expect(await send(T0 + 11 * 60_000)).toBe(1);
      // Within one batch too: the second event sees the first's routing.
      const [batch] = await engine.ingest(
        [{ source: src('thr'), inputs: [{ type: 'pipeline.failed', title: 'x', dedupKey: 'batch-key' }, { type: 'pipeline.failed', title: 'y', dedupKey: 'batch-key' }] }],
        { router, now: new Date(T0) },
      );
      expect(batch).toMatchObject({ status: 'accepted', deliveries: 1 });
    });

    it('source state with the events, and an enricher reading and writing it', async () => {
      const enrich = (item: IngestItem, state: { get(k: string): unknown; set(k: string, v: unknown): void; delete(k: string): void }) =>
        item.inputs.map((i) => {
          const n = ((state.get('streak') as number | undefined) ?? 0) + 1;
          state.set('streak', n);
          if (n === 3) state.delete('other');
          return { ...i, title: `${i.title} #${n}` };
        });
      await engine.ingest([{ source: src('enr'), inputs: [{ type: 't', title: 'seed' }], state: { key: 'other', value: { a: 1 } } }], { router: noRules });
      expect(await engine.sourceState.get('enr', 'other')).toEqual({ a: 1 });
      const [o] = await engine.ingest([{ source: src('enr'), inputs: [1, 2, 3].map((i) => ({ type: 't', title: `e${i}` })) }], { router: noRules, enrich });
      expect(o!.status === 'accepted' && o!.events.map((e) => e.title)).toEqual(['e1 #1', 'e2 #2', 'e3 #3']);
      expect(await engine.sourceState.get('enr', 'streak')).toBe(3);
      expect(await engine.sourceState.get('enr', 'other')).toBeUndefined();
    });

    it('occurrences: a run stored by one source of a tool is dropped from another of the same tool', async () => {
      const run = { type: 'pipeline.failed', title: 'run 7', occurrence: 'run-7' };
      const [first] = await engine.ingest([{ source: { kind: 'github-actions', id: 'poll', name: 'Poll' }, inputs: [run] }], { router: noRules });
      const [second] = await engine.ingest([{ source: { kind: 'github', id: 'hook', name: 'Hook' }, inputs: [run, { type: 'pipeline.failed', title: 'run 8', occurrence: 'run-8' }] }], { router: noRules });
      expect(first!.status === 'accepted' && first!.events.length).toBe(1);
      expect(second!.status === 'accepted' && second!.events.map((e) => e.title)).toEqual(['run 8']);
      const [again] = await engine.ingest([{ source: { kind: 'github-actions', id: 'poll', name: 'Poll' }, inputs: [run] }], { router: noRules });
      expect(again!.status === 'accepted' && again!.events.length).toBe(1);
    });
  });

  describe('outbox and health', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await factory.open();
    });
    afterAll(async () => {
      await engine?.close();
    });
    const source = { kind: 'generic', id: 'o', name: 'O' };

    it('claims due deliveries per channel up to the count, records results, retries, cancels', async () => {
      let told = 0;
      const off = engine.onDeliveriesDue(() => told++);
      await engine.ingest([{ source, inputs: Array.from({ length: 5 }, (_, i) => ({ type: 't', title: `o${i}` })) }], { router: routedTo(['a', 'b']), now: new Date(T0) });
      expect(told).toBeGreaterThan(0);
      off();
      expect(await engine.outbox.counts()).toEqual({ pending: 10, failed: 0 });
      expect(await engine.outbox.nextDue('a')).toBe(T0);
      const { claimed } = await engine.deliveryTick({ now: T0 + 1, record: [], health: [], claim: [['a', 3], ['b', 0]] });
      expect(claimed.map((c) => [c.channelId, c.attempt])).toEqual([['a', 1], ['a', 1], ['a', 1]]);
      expect(claimed.map((c) => c.id)).toEqual([...claimed.map((c) => c.id)].sort((x, y) => x - y));
      const [c0, c1, c2] = claimed as [typeof claimed[0], typeof claimed[0], typeof claimed[0]];
      expect((await engine.outbox.get(c0.id))!.status).toBe('sending');
      // A second claim does not hand out what is being sent.
      const again = await engine.deliveryTick({ now: T0 + 2, record: [], health: [], claim: [['a', 5]] });
      expect(again.claimed.map((c) => c.id)).not.toContain(c0.id);
      expect(again.claimed).toHaveLength(2);
      const result = await engine.deliveryTick({
        now: T0 + 3,
        record: [
          { id: c0.id, result: 'delivered' },
          { id: c1.id, result: 'retry', at: T0 + 60_000, error: 'HTTP 503' },
          { id: c2.id, result: 'failed', error: 'HTTP 400: bad payload' },
          ...again.claimed.map((c) => ({ id: c.id, result: 'requeue' as const, at: T0 + 3 })),
        ],
        health: [
          { kind: 'channel', id: 'a', ok: false, error: 'HTTP 503', unhealthyAfter: 2 },
          { kind: 'channel', id: 'a', ok: false, error: 'HTTP 400', unhealthyAfter: 2 },
        ],
        claim: [],
      });
      expect(result.transitions).toEqual([undefined, 'became_unhealthy']);
      expect(await engine.health.get('channel', 'a')).toMatchObject({ healthy: false, consecutiveFailures: 2, lastError: 'HTTP 400' });
      expect(await engine.outbox.get(c0.id)).toMatchObject({ status: 'delivered', attempts: 1, lastError: null, nextAttemptAt: null });
      expect(await engine.outbox.get(c1.id)).toMatchObject({ status: 'pending', lastError: 'HTTP 503', nextAttemptAt: new Date(T0 + 60_000).toISOString() });
      expect(await engine.outbox.get(c2.id)).toMatchObject({ status: 'failed', lastError: 'HTTP 400: bad payload' });
      expect(await engine.outbox.get(again.claimed[0]!.id)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await engine.outbox.counts()).toEqual({ pending: 8, failed: 1 });
      expect(await engine.outbox.channelCounts('a')).toEqual({ pending: 3, failed: 1 });
      expect((await engine.outbox.list({ status: 'failed', limit: 10 })).map((d) => d.id)).toEqual([String(c2.id)]);

      expect(await engine.outbox.retryNow(c2.id, T0 + 4)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await engine.outbox.dueNow('a', T0 + 5)).toBe(1);
      expect(await engine.outbox.nextDue('a')).toBeLessThanOrEqual(T0 + 5);
      const recovered = await engine.deliveryTick({ now: T0 + 6, record: [], health: [{ kind: 'channel', id: 'a', ok: true }], claim: [] });
      expect(recovered.transitions).toEqual(['recovered']);
      expect(await engine.outbox.cancelForChannel('b', 'the channel was deleted', T0 + 7)).toBe(5);
      expect(await engine.outbox.cancelOrphans(['b'], T0 + 8)).toBe(4);
      expect(await engine.outbox.counts()).toEqual({ pending: 0, failed: 0 });
      expect(await engine.outbox.nextDue('a')).toBeUndefined();
    });

    it("retries every failed delivery of one channel from its first attempt, due now; another channel's and cancelled ones stay", async () => {
      await engine.ingest([{ source, inputs: Array.from({ length: 3 }, (_, i) => ({ type: 't', title: `f${i}` })) }], { router: routedTo(['fa', 'fb']), now: new Date(T0) });
      const { claimed } = await engine.deliveryTick({ now: T0 + 1, record: [], health: [], claim: [['fa', 3], ['fb', 3]] });
      expect(claimed).toHaveLength(6);
      const [first] = claimed.filter((c) => c.channelId === 'fa');
      await engine.deliveryTick({
        now: T0 + 2,
        record: claimed.map((c) => (c === first ? { id: c.id, result: 'delivered' as const } : { id: c.id, result: 'failed' as const, error: 'HTTP 401: token expired' })),
        health: [],
        claim: [],
      });
      expect(await engine.outbox.channelCounts('fa')).toEqual({ pending: 0, failed: 2 });
      let told = 0;
      const off = engine.onDeliveriesDue(() => told++);
      expect(await engine.outbox.retryFailed('fa', T0 + 10)).toBe(2);
      off();
      expect(told).toBeGreaterThan(0);
      expect(await engine.outbox.channelCounts('fa')).toEqual({ pending: 2, failed: 0 });
      expect(await engine.outbox.channelCounts('fb')).toEqual({ pending: 0, failed: 3 });
      expect(await engine.outbox.get(first!.id)).toMatchObject({ status: 'delivered' });
      const again = await engine.deliveryTick({ now: T0 + 10, record: [], health: [], claim: [['fa', 5]] });
      expect(again.claimed.map((c) => c.attempt)).toEqual([1, 1]);
      await engine.deliveryTick({ now: T0 + 11, record: again.claimed.map((c) => ({ id: c.id, result: 'delivered' as const })), health: [], claim: [] });
      expect(await engine.outbox.channelCounts('fa')).toEqual({ pending: 0, failed: 0 });
      // Nothing failed left: nothing to do.
      expect(await engine.outbox.retryFailed('fa', T0 + 12)).toBe(0);
      await engine.outbox.cancelForChannel('fb', 'the channel was deleted', T0 + 13);
      expect(await engine.outbox.retryFailed('fb', T0 + 14)).toBe(3);
      await engine.outbox.cancelForChannel('fb', 'the channel was deleted', T0 + 15);
      expect(await engine.outbox.retryFailed('fb', T0 + 16)).toBe(0);
    });

    it('retention keeps undelivered events and forgets old delivery ids', async () => {
      const at = new Date('2026-06-01T00:00:00Z');
      await engine.ingest(Array.from({ length: 30 }, (_, i) => ({ source, inputs: [{ type: 't', title: `old${i}` }] })), { router: noRules, now: new Date('2026-01-01T00:00:00Z') });
      await engine.ingest(Array.from({ length: 20 }, (_, i) => ({ source, inputs: [{ type: 't', title: `q${i}` }] })), { router: routedTo(['x']), now: at });
      const before = (await engine.events.counts()).events;
      expect(await engine.enforceRetention(30, 100_000, new Date('2026-06-02T00:00:00Z'))).toBe(before - 20);
      expect((await engine.events.counts()).events).toBe(20);
      expect(await engine.enforceRetention(1, 5, new Date('2026-07-01T00:00:00Z'))).toBe(0);
      await engine.outbox.cancelOrphans([], at.getTime());
      expect(await engine.enforceRetention(1, 5, new Date('2026-07-01T00:00:00Z'))).toBe(20);

      const item = { source, deliveryId: 'week', inputs: [{ type: 't', title: 't' }] };
      expect((await engine.ingest([item], { router: noRules, now: at }))[0]!.status).toBe('accepted');
      await engine.enforceRetention(365, 1000, new Date(at.getTime() + 6 * 86_400_000));
      expect((await engine.ingest([item], { router: noRules, now: at }))[0]!.status).toBe('duplicate');
      await engine.enforceRetention(365, 1000, new Date(at.getTime() + 8 * 86_400_000));
      expect((await engine.ingest([item], { router: noRules, now: at }))[0]!.status).toBe('accepted');
      expect(await engine.sizeBytes()).toBeGreaterThan(0);
    });
  });

  describe('a delivery tick whose commit fails (a full disk)', () => {
    let engine: TestEngine;
    /** Makes each commit that updated a delivery fail while on: a deferred constraint checked at COMMIT. */
    let failCommits: (on: boolean) => Promise<void>;
    beforeAll(async () => {
      engine = await factory.open();
      if (factory.name === 'sqlite') {
        const gate = commitGate((engine as SqliteEngine).sync.db);
        failCommits = async (on) => void gate(on);
      } else {
        const pg = engine as PostgresEngine;
        await pg.query(`CREATE TABLE commit_gate (on_ int);
          CREATE FUNCTION fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF EXISTS (SELECT 1 FROM commit_gate) THEN RAISE EXCEPTION 'could not write: disk full (test)'; END IF; RETURN NULL; END $$;
          CREATE CONSTRAINT TRIGGER fail_at_commit AFTER UPDATE ON deliveries DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_at_commit();`);
        failCommits = async (on) => void (await pg.query(on ? 'INSERT INTO commit_gate VALUES (1)' : 'DELETE FROM commit_gate'));
      }
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('leaves the claims as before it; the worker recording again claims what was left, nothing twice, and the health success is written', async () => {
      const source = { kind: 'generic', id: 'f', name: 'F' };
      await engine.ingest([{ source, inputs: Array.from({ length: 4 }, (_, i) => ({ type: 't', title: `f${i}` })) }], { router: routedTo(['a']), now: new Date(T0) });
      const first = (await engine.deliveryTick({ now: T0 + 1, record: [], health: [], claim: [['a', 2]] })).claimed;
      expect(first).toHaveLength(2);
      const statuses = async () => (await engine.outbox.list({ limit: 10 })).map((d) => [Number(d.id), d.status]).sort(([x], [y]) => Number(x) - Number(y));
      const before = await statuses();
      expect(before.map(([, status]) => status)).toEqual(['sending', 'sending', 'pending', 'pending']);

      await failCommits(true);
      const tick = {
        now: T0 + 2,
        record: first.map((c) => ({ id: c.id, result: 'delivered' as const })),
        health: [{ kind: 'channel' as const, id: 'a', ok: true as const }],
        claim: [['a', 64]] as [string, number][],
      };
      await expect(engine.deliveryTick(tick)).rejects.toThrow(/FOREIGN KEY|disk full/);
      await failCommits(false);
      // Nothing recorded, nothing claimed: the two still in flight, the other two still claimable.
      expect(await statuses()).toEqual(before);
      const retried = await engine.deliveryTick(tick);
      expect(retried.claimed.map((c) => c.id).sort((x, y) => x - y)).toEqual(before.filter(([, status]) => status === 'pending').map(([id]) => id));
      expect((await statuses()).map(([, status]) => status)).toEqual(['delivered', 'delivered', 'sending', 'sending']);
      expect((await engine.health.get('channel', 'a')).lastSuccessAt).toBe(new Date(T0 + 2).toISOString());
      const last = await engine.deliveryTick({ now: T0 + 3, record: retried.claimed.map((c) => ({ id: c.id, result: 'delivered' })), health: [], claim: [['a', 64]] });
      expect(last.claimed).toEqual([]);
      expect(await engine.outbox.counts()).toEqual({ pending: 0, failed: 0 });
    });
  });

  describe('digests, mutes and the board', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await factory.open();
    });
    afterAll(async () => {
      await engine?.close();
    });
    const source = { kind: 'generic', id: 'ci', name: 'CI' };
    const hourly = routerFor([{ id: 'hourly', name: 'Hourly digest', channels: ['sink', 'mail'], digest: {} }]);

    it('a digest window collects events and closes once into one event with a delivery per channel', async () => {
      const [o] = await engine.ingest([{ source, inputs: ['a', 'b'].map((title) => ({ type: 'pipeline.failed', title })) }], { router: hourly, now: new Date(T0) });
      expect(o).toMatchObject({ status: 'accepted', deliveries: 0, digested: 2 });
      await engine.ingest([{ source, inputs: [{ type: 'pipeline.failed', title: 'c' }] }], { router: hourly, now: new Date(T0 + 10 * MINUTE) });
      expect(await engine.digests.waiting('hourly')).toBe(3);
      // What the Rules page shows: three waiting for the digest due at the window's end.
      expect(await engine.digests.held()).toEqual([{ ruleId: 'hourly', waiting: 3, nextAt: T0 + 60 * MINUTE }]);
      expect(await engine.digests.nextDue()).toBe(T0 + 60 * MINUTE);
      expect(await engine.digests.due(T0 + 59 * MINUTE)).toEqual([]);
      const [window] = await engine.digests.due(T0 + 60 * MINUTE);
      expect(window).toEqual({ ruleId: 'hourly', ruleName: 'Hourly digest', start: T0, end: T0 + 60 * MINUTE });
      const now = T0 + 61 * MINUTE;
      const closed = await engine.closeDigest(window!, build(now), { now, keepChannel: (id) => id !== 'mail' });
      expect(closed).toMatchObject({ channels: ['sink'], covered: 3 });
      expect(await engine.closeDigest(window!, build(now), { now })).toBeUndefined();
      expect(await engine.digests.waiting('hourly')).toBe(0);
      expect(await engine.digests.held()).toEqual([]);
      expect(await engine.digests.nextDue()).toBeUndefined();
      const digest = (await engine.events.list({ types: ['herald.digest'], limit: 5 })).items;
      expect(digest).toHaveLength(1);
      const deliveries = await engine.outbox.list({ eventId: digest[0]!.id, limit: 5 });
      expect(deliveries.map((d) => d.channelId)).toEqual(['sink']);
      // Each digested event names the digest that carried it (its detail links to it).
      const members = (await engine.events.list({ sources: ['ci'], types: ['pipeline.failed'], limit: 5 })).items;
      expect(members.map((e) => e.title)).toEqual(['c', 'b', 'a']);
      for (const member of members) {
        expect(await engine.events.summariesOf(member.id)).toEqual([{ id: digest[0]!.id, type: 'herald.digest', title: digest[0]!.title, occurredAt: digest[0]!.occurredAt }]);
      }
      expect(await engine.events.summariesOf(digest[0]!.id)).toEqual([]);
      // …and the digest names them, in the order they came, as many as asked, with how many in all.
      const ref = (e: HeraldEvent) => ({ id: e.id, type: e.type, title: e.title, occurredAt: e.occurredAt });
      expect(await engine.events.membersOf(digest[0]!.id, 2)).toEqual({ events: [members[2]!, members[1]!].map(ref), total: 3 });
      expect(await engine.events.membersOf(members[0]!.id, 2)).toEqual({ events: [], total: 0 });
      expect(await engine.events.membersOf('no-such-event', 2)).toEqual({ events: [], total: 0 });
    });

    it('mutes: add, active, list, lift on pass inside ingest, purge and next expiry', async () => {
      const ref = { sourceId: 'ci', project: 'acme/api', pipeline: 'ci', branch: 'main' };
      const timed = await engine.mutes.add({ ...ref, branch: 'dev', sourceName: 'CI' }, { untilMs: T0 + 30 * MINUTE }, T0);
      const passes = await engine.mutes.add(ref, { untilPasses: true }, T0 + 1);
      expect(timed).toMatchObject({ sourceName: 'CI', until: new Date(T0 + 30 * MINUTE).toISOString(), untilPasses: false });
      expect((await engine.mutes.list(new Date(T0 + 2))).map((m) => m.key)).toEqual([passes.key, timed.key]);
      expect(await engine.mutes.active(timed.key, new Date(T0 + 31 * MINUTE))).toBeUndefined();
      expect(await engine.mutes.active(passes.key, new Date(T0 + 31 * MINUTE))).toEqual(passes);
      expect(await engine.mutes.nextExpiry(T0)).toBe(T0 + 30 * MINUTE);

      // A failure while muted is held back; a success lifts the mute in the same transaction and is routed.
      const { pipelineKey, isPipelinePass, pipelineOf } = await import('../../../../shared/mutes.js');
      const router: Router = (event, lookups) => {
        const key = pipelineOf(event) && pipelineKey(pipelineOf(event)!);
        if (key && isPipelinePass(event)) lookups.liftMuteOnPass(key);
        const muted = key ? lookups.activeMute(key, new Date(event.receivedAt)) : undefined;
        return [{ ruleId: 'r', ruleName: 'R', outcome: muted ? 'muted' : 'routed', channels: muted ? [] : ['sink'], heldBack: [], reason: muted ? 'muted' : 'ok' } as RuleOutcome];
      };
      const subject = { project: 'acme/api', pipeline: 'ci', branch: 'main' };
      const [failed] = await engine.ingest([{ source, inputs: [{ type: 'pipeline.failed', title: 'red', subject }] }], { router, now: new Date(T0 + 2 * MINUTE) });
      expect(failed).toMatchObject({ deliveries: 0 });
      const [passed] = await engine.ingest([{ source, inputs: [{ type: 'pipeline.succeeded', title: 'green', subject }] }], { router, now: new Date(T0 + 3 * MINUTE) });
      expect(passed).toMatchObject({ deliveries: 1 });
      expect(await engine.mutes.active(passes.key, new Date(T0 + 4 * MINUTE))).toBeUndefined();

      expect(await engine.mutes.purgeExpired(T0 + 31 * MINUTE)).toBe(1);
      expect(await engine.mutes.remove(timed.key)).toBe(false);
      const again = await engine.mutes.add(ref, { untilMs: T0 + 90 * MINUTE }, T0 + 5 * MINUTE);
      expect(await engine.mutes.remove(again.key)).toBe(true);
    });

    it('storm groups: events join their group, the group sends after its wait, again after its interval, ends when quiet', async () => {
      const rules = routerFor([{ id: 'storm', name: 'Storms', channels: ['sink'], group: { by: ['project'], waitSeconds: 10, intervalSeconds: 300 } }]);
      const fail = (project: string, n: number) => Array.from({ length: n }, (_, i) => ({ type: 'pipeline.failed', title: `${project} ${i}`, subject: { project } }));
      const [o] = await engine.ingest([{ source, inputs: [...fail('api', 3), ...fail('web', 2)] }], { router: rules, now: new Date(T0) });
      expect(o).toMatchObject({ status: 'accepted', deliveries: 0, grouped: 5 });
      expect((await engine.groups.open('storm')).map((g) => [g.by, g.dueAt, g.messages])).toEqual([
        [{ project: 'api' }, T0 + 10_000, 0],
        [{ project: 'web' }, T0 + 10_000, 0],
      ]);
      expect(await engine.groups.waiting('storm')).toBe(5);
      expect(await engine.groups.held()).toEqual([{ ruleId: 'storm', waiting: 5, groups: 2, nextAt: T0 + 10_000 }]);
      expect(await engine.groups.nextDue()).toBe(T0 + 10_000);
      expect(await engine.groups.due(T0 + 9_999)).toEqual([]);
      const make = (now: number) => (g: StormGroup, events: HeraldEvent[], channels: string[]) => ({
        event: buildGroupEvent(g, events, now),
        reason: `grouped ${events.length} for ${channels.join(', ')}`,
      });
      const [api, web] = await engine.groups.due(T0 + 10_000);
      const sent = await engine.sendGroup(api!, make(T0 + 10_000), { now: T0 + 10_000 });
      expect(sent).toMatchObject({ channels: ['sink'], covered: 3 });
      expect(await engine.outbox.list({ eventId: sent!.event.id, limit: 5 })).toHaveLength(1);
      // Sent: due again an interval later; sending it again now does nothing.
      expect((await engine.groups.open('storm')).find((g) => g.key === api!.key)).toMatchObject({ messages: 1, dueAt: T0 + 310_000 });
      // The sent group, open with nothing waiting, is not held: only web's two wait.
      expect(await engine.groups.held()).toEqual([{ ruleId: 'storm', waiting: 2, groups: 1, nextAt: T0 + 10_000 }]);
      expect(await engine.sendGroup({ ...api!, dueAt: T0 + 310_000 }, make(T0 + 310_000), { now: T0 + 310_000 })).toBeUndefined();
      expect((await engine.groups.open('storm')).map((g) => g.key)).toEqual([web!.key]);
      expect(await engine.sendGroup(web!, make(T0 + 11_000), { now: T0 + 11_000, keepChannel: () => false })).toBeUndefined();
      expect(await engine.groups.waiting('storm')).toBe(0);
      // A waiting group keeps its events from retention until it is sent.
      await engine.ingest([{ source, inputs: fail('ret', 1) }], { router: rules, now: new Date(T0) });
      await engine.enforceRetention(1, 100_000, new Date(T0 + 30 * 86_400_000));
      expect(await engine.groups.waiting('storm')).toBe(1);
    });

    it('the board follows ingest, shows a mute, lists by filter and prunes', async () => {
      const gh = { kind: 'github', id: 'gh', name: 'GitHub' };
      const at = (m: number) => new Date(T0 + m * MINUTE);
      const subject = (branch: string) => ({ project: 'acme/board', pipeline: 'ci', branch });
      const before = await engine.board.count();
      await engine.ingest([{ source: gh, inputs: [{ type: 'pipeline.failed', title: 'f1', subject: subject('main'), occurredAt: at(0).toISOString() }] }], { router: noRules, now: at(0) });
      const [o] = await engine.ingest(
        [{ source: gh, inputs: [{ type: 'pipeline.failed', title: 'f2', subject: subject('main'), occurredAt: at(1).toISOString() }, { type: 'pipeline.succeeded', title: 'ok', subject: subject('dev'), occurredAt: at(1).toISOString() }] }],
        { router: noRules, now: at(1) },
      );
      expect(o!.status === 'accepted' && o!.board?.length).toBe(2);
      // The mutes case left the CI source's pipeline on the board: this case looks at GitHub's.
      const list = await engine.board.list({ sources: ['gh'] }, at(2));
      expect(list.map((i) => [i.subject.branch, i.state, i.streak])).toEqual([
        ['main', 'failing', 2],
        ['dev', 'passing', 1],
      ]);
      expect(await engine.board.count()).toBe(before + 2);
      expect((await engine.board.list({ states: ['passing'], project: 'acme/board' }, at(2))).map((i) => i.subject.branch)).toEqual(['dev']);
      expect(await engine.board.list({ project: 'other' }, at(2))).toEqual([]);
      const main = list[0]!;
      await engine.mutes.add({ sourceId: 'gh', ...subject('main') }, { untilPasses: true }, at(2).getTime());
      expect(await engine.board.keysMutedBy(boardMuteKey(main)!)).toEqual([main.key]);
      expect((await engine.board.items([main.key, 'missing'], at(3)))[0]).toMatchObject({ key: main.key, mutedUntil: 'passes' });
      // The api's answer: the same items; the JSON it may carry (SQLite's) is theirs.
      const answer = await engine.board.answer({ sources: ['gh'] }, at(3));
      expect(answer.items).toEqual(await engine.board.list({ sources: ['gh'] }, at(3)));
      const json = answerJson(answer);
      if (json !== undefined) expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(answer)));
      await engine.board.save();
      expect(await engine.board.prune((t) => t.key !== main.key)).toEqual([main.key]);
      expect(await engine.board.count()).toBe(before + 1);
    });
  });

  it('says where a grouped event waits, per channel, until its group is sent', async () => {
    const engine = await factory.open();
    try {
      const grouped: Router = () => [
        { ruleId: 'storms', ruleName: 'Storms', outcome: 'routed', channels: ['sink', 'mail'], heldBack: [], reason: 't', group: { by: { project: 'p' }, waitSeconds: 10, intervalSeconds: 300 } } satisfies RuleOutcome,
      ];
      const now = new Date(T0);
      const [outcome] = await engine.ingest([{ source: SOURCES[0]!, inputs: [{ type: 'pipeline.failed', title: 'grouped', subject: { project: 'p' } }] }], { router: grouped, now });
      expect(outcome).toMatchObject({ status: 'accepted', grouped: 1 });
      const id = (outcome as { events: HeraldEvent[] }).events[0]!.id;
      expect(await engine.groups.waitingFor(id)).toEqual([
        { ruleId: 'storms', channelId: 'mail', dueAt: T0 + 10_000 },
        { ruleId: 'storms', channelId: 'sink', dueAt: T0 + 10_000 },
      ]);
      expect(await engine.groups.waitingFor('no-such-event')).toEqual([]);
      // Sent: no longer waiting.
      const [group] = await engine.groups.due(T0 + 10_000);
      expect(await engine.events.summariesOf(id)).toEqual([]);
      const sendAt = (ms: number) => engine.sendGroup(group!, (g: StormGroup, events: HeraldEvent[]) => ({ event: buildGroupEvent(g, events, ms), reason: 'grouped' }), { now: ms });
      const first = await sendAt(T0 + 10_000);
      expect(await engine.groups.waitingFor(id)).toEqual([]);
      // …and which message carried it: the group's first; a later message of the same group lists only its own events.
      const message = { id: first!.event.id, type: 'herald.group', title: first!.event.title, occurredAt: first!.event.occurredAt };
      expect(await engine.events.summariesOf(id)).toEqual([message]);
      const [later] = await engine.ingest([{ source: SOURCES[0]!, inputs: [{ type: 'pipeline.failed', title: 'grouped later', subject: { project: 'p' } }] }], { router: grouped, now: new Date(T0 + 20_000) });
      const laterId = (later as { events: HeraldEvent[] }).events[0]!.id;
      const second = await sendAt(T0 + 310_000);
      expect(second).toMatchObject({ covered: 1 });
      expect(await engine.events.summariesOf(id)).toEqual([message]);
      expect(await engine.events.summariesOf(laterId)).toEqual([expect.objectContaining({ id: second!.event.id, type: 'herald.group' })]);
      expect(await engine.events.membersOf(first!.event.id, 100)).toEqual({ events: [expect.objectContaining({ id, title: 'grouped' })], total: 1 });
      expect(await engine.events.membersOf(second!.event.id, 100)).toEqual({ events: [expect.objectContaining({ id: laterId, title: 'grouped later' })], total: 1 });
      // The message deleted, its members no longer name it.
      await engine.events.delete([first!.event.id]);
      expect(await engine.events.summariesOf(id)).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  describe('the board in pages', () => {
    let engine: TestEngine;
    beforeAll(async () => {
      engine = await factory.open();
    });
    afterAll(async () => {
      await engine?.close();
    });
    const gh = { kind: 'github', id: 'gh', name: 'GitHub' };
    const at = (m: number) => new Date(T0 + m * MINUTE);
    // 30 pipelines: a third failing, the rest passing, each since its own minute; two projects.
    const branch = (n: number) => `b${String(n).padStart(2, '0')}`;
    const run = (n: number, type: string, minute: number): EventInput => ({
      type,
      title: `${type} ${n}`,
      subject: { project: n % 2 ? 'acme/odd' : 'acme/even', pipeline: 'ci', branch: branch(n) },
      occurredAt: at(minute).toISOString(),
    });
    const ingest = (inputs: EventInput[], minute: number) => engine.ingest(inputs.map((i) => ({ source: gh, inputs: [i] })), { router: noRules, now: at(minute) });
    /** Every page of a query, walked with `next`; the branches in the order they came. */
    const walk = async (query: { states?: Array<'failing' | 'passing'>; project?: string }, limit: number) => {
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 100; pages++) {
        const page = await engine.board.answer({ ...query, limit, ...(after !== undefined && { after }) }, at(100));
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items.map((i) => i.subject.branch!));
        if (page.next === undefined) return seen;
        expect(page.items).toHaveLength(limit);
        after = page.next;
      }
      throw new Error('more than 100 pages');
    };

    beforeAll(async () => {
      await ingest(
        Array.from({ length: 30 }, (_, n) => run(n, n % 3 === 0 ? 'pipeline.failed' : 'pipeline.succeeded', n)),
        30,
      );
      // One red one rebuilding; one red one muted.
      await ingest([run(3, 'pipeline.triggered', 31)], 31);
      await engine.mutes.add({ sourceId: 'gh', project: 'acme/even', pipeline: 'ci', branch: branch(6) }, { untilPasses: true }, at(32).getTime());
    });

    it('walks the board worst first, a page at a time, with the counts of everything on every page', async () => {
      const all = (await engine.board.list({}, at(100))).map((i) => i.subject.branch!);
      expect(all).toHaveLength(30);
      for (const limit of [1, 7, 10, 29, 30, 1000]) expect(await walk({}, limit)).toEqual(all);
      const first = await engine.board.answer({ limit: 7 }, at(100));
      expect(first.counts).toEqual({ failing: 10, running: 0, unknown: 0, passing: 20, mutedFailing: 1, rebuilding: 1 });
      const second = await engine.board.answer({ limit: 7, after: first.next! }, at(100));
      expect(second.counts).toEqual(first.counts);
      // The default page holds them all (fewer than BOARD_PAGE_DEFAULT): no next.
      const whole = await engine.board.answer({}, at(100));
      expect(whole.items.map((i) => i.subject.branch)).toEqual(all);
      expect(whole.next).toBeUndefined();
      // The JSON SQLite's board carries is the answer's, next and counts included.
      const json = answerJson(second);
      if (json !== undefined) expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(second)));
    });

    it('filters and pages together; counts follow the filters; limit 0 answers the counts alone', async () => {
      const failing = (await engine.board.list({ states: ['failing'] }, at(100))).map((i) => i.subject.branch!);
      expect(failing).toEqual(['b00', 'b03', 'b06', 'b09', 'b12', 'b15', 'b18', 'b21', 'b24', 'b27']);
      expect(await walk({ states: ['failing'] }, 3)).toEqual(failing);
      expect(await walk({ project: 'acme/odd', states: ['passing'] }, 4)).toEqual(['b01', 'b05', 'b07', 'b11', 'b13', 'b17', 'b19', 'b23', 'b25', 'b29']);
      const odd = await engine.board.answer({ project: 'acme/odd', limit: 0 }, at(100));
      expect(odd).toEqual({ items: [], counts: { failing: 5, running: 0, unknown: 0, passing: 10, mutedFailing: 0, rebuilding: 1 } });
      expect((await engine.board.answer({ sources: ['nobody'] }, at(100))).counts).toEqual({ failing: 0, running: 0, unknown: 0, passing: 0, mutedFailing: 0, rebuilding: 0 });
    });

    it('a cursor stays put while the board moves: nothing that did not change is skipped or repeated', async () => {
      const first = await engine.board.answer({ limit: 12 }, at(100));
      const seen = first.items.map((i) => i.subject.branch!);
      expect(seen.slice(0, 10)).toEqual(['b00', 'b03', 'b06', 'b09', 'b12', 'b15', 'b18', 'b21', 'b24', 'b27']);
      // Between pages: a red one already seen turns green (sorts later now), a green one not
      // yet seen turns red (sorts before the cursor now), one not yet seen leaves, one is new.
      await ingest([run(0, 'pipeline.succeeded', 40), run(29, 'pipeline.failed', 40), run(31, 'pipeline.failed', 40)], 40);
      const changed = new Set(['b00', 'b29', 'b31']);
      const rest: string[] = [];
      let after = first.next;
      while (after !== undefined) {
        const page = await engine.board.answer({ limit: 5, after }, at(100));
        rest.push(...page.items.map((i) => i.subject.branch!));
        after = page.next;
      }
      const now = (await engine.board.list({}, at(100))).map((i) => i.subject.branch!);
      const unchanged = now.filter((b) => !changed.has(b));
      // Every unchanged thing exactly once across the pages, in board order.
      expect([...seen, ...rest].filter((b) => !changed.has(b))).toEqual(unchanged);
      // The changed ones show where they sort now: b00 (green since minute 40) after the cursor, b29 and b31 (red) before it.
      expect(rest).toContain('b00');
      expect(rest).not.toContain('b29');
      expect(rest).not.toContain('b31');
    });

    it('refuses a cursor it did not make, naming the field', async () => {
      for (const after of ['nope', 'b1.', 'b1.!!!!', `b1.${'A'.repeat(10)}`]) {
        await expect(engine.board.answer({ after }, at(100))).rejects.toThrow(/^after: is not a board cursor/);
      }
    });

    it('a page and its counts are of one moment, while ingest moves the board', async () => {
      // Ten pipelines of their own project flip red and green, one commit after the other,
      // while pages of all of them are asked for: each page must count what it lists (on
      // PostgreSQL the two came from two queries on two connections, and disagreed).
      const flips = Array.from({ length: 10 }, (_, n) => n);
      const flip = (n: number, minute: number): EventInput => ({
        type: (n + minute) % 2 ? 'pipeline.failed' : 'pipeline.succeeded',
        title: `flip ${n}`,
        subject: { project: 'acme/flip', pipeline: 'ci', branch: `f${n}` },
        occurredAt: at(minute).toISOString(),
      });
      await ingest(flips.map((n) => flip(n, 50)), 50);
      let writing = true;
      const writer = (async () => {
        for (let minute = 51; writing && minute < 2_000; minute++) await ingest([flip(minute % 10, minute)], minute);
      })();
      let checked = 0;
      try {
        for (; checked < 300; checked++) {
          const page = await engine.board.answer({ project: 'acme/flip', limit: 1000 }, at(3_000));
          const listed = { failing: 0, passing: 0 };
          for (const item of page.items) if (item.state === 'failing' || item.state === 'passing') listed[item.state]++;
          expect(page.items).toHaveLength(10);
          expect({ failing: page.counts.failing, passing: page.counts.passing }).toEqual(listed);
        }
      } finally {
        writing = false;
        await writer;
      }
      expect(checked).toBe(300);
    });
  });
});

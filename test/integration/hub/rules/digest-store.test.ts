// Digest windows in a real SQLite file: ingest adds a digest rule's events to the rule's
// window (fixed, from the first event); closing a window stores one herald.digest event
// with one delivery per channel and removes the window, all or nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { RuleSchema, type RuleConfigInput } from '../../../../shared/config.js';
import { EventInputSchema, EventSchema, type HeraldEvent } from '../../../../shared/event.js';
import { routeEvent } from '../../../../shared/rules.js';
import { buildDigestEvent, digestReason } from '../../../../electron/hub/delivery/digests.js';
import type { DigestWindow } from '../../../../electron/hub/rules/digest-windows.js';
import type { Router } from '../../../../electron/hub/rules/router.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';
import { tempDir } from '../../../helpers/hub-process.js';

const T0 = Date.parse('2025-05-01T08:00:00.000Z');
const MIN = 60_000;
const SOURCE = { kind: 'generic', id: 'ci', name: 'CI' };

const routerFor = (rules: RuleConfigInput[], channels: Record<string, string> = { sink: 'webhook', mail: 'email', desk: 'desktop' }): Router => {
  const parsed = rules.map((r) => RuleSchema.parse(r));
  const channelKinds = new Map(Object.entries(channels));
  return (event, lookups) => routeEvent(event, parsed, { now: new Date(event.receivedAt), lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k), channelKinds, settings: {} });
};
const hourly = routerFor([{ id: 'hourly', name: 'Hourly digest', channels: ['sink', 'mail'], digest: {} }]);

let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});
const open = (dir = tempDir('herald-digest-store-')) => {
  store = openStore(dir);
  return { store, dir };
};

const ingest = (s: Store, at: number, titles: string[], router: Router = hourly) =>
  s.ingest([{ source: SOURCE, inputs: titles.map((title) => ({ type: 'pipeline.failed', title })) }], router, new Date(at));

const build = (now: number) => (w: DigestWindow, events: HeraldEvent[], channels: string[]) => ({
  event: buildDigestEvent(w, events, now),
  reason: digestReason(w, events.length, channels),
});

const deliveriesOf = (s: Store) => s.db.prepare('SELECT event_seq, channel_id, rule_id FROM deliveries ORDER BY id').all() as Array<{ event_seq: number; channel_id: string; rule_id: string }>;
const digestEvents = (s: Store) => s.events.list({ types: ['herald.digest'], limit: 100 }).items;

describe('routing a digest rule', () => {
  it('routes to the channels with the digest window and says so', () => {
    const router = routerFor([
      { id: 'hourly', name: 'Hourly', channels: ['sink'], digest: {} },
      { id: 'quarter', name: 'Quarter', channels: ['sink'], digest: { windowSeconds: 900 } },
      { id: 'now', name: 'At once', channels: ['sink'] },
    ]);
    const event = { ...EventSchema.parse({ id: 'e', source: SOURCE, type: 'pipeline.failed', severity: 'critical', subject: {}, title: 't', occurredAt: '2025-05-01T08:00:00Z', receivedAt: '2025-05-01T08:00:00Z', dedupKey: 'k', read: false }) };
    const outcomes = router(event, { lastRoutedAt: () => undefined, activeMute: () => undefined, liftMuteOnPass: () => false });
    expect(outcomes.map((o) => [o.ruleId, o.outcome, o.channels, o.digest])).toEqual([
      ['hourly', 'routed', ['sink'], { windowSeconds: 3600 }],
      ['quarter', 'routed', ['sink'], { windowSeconds: 900 }],
      ['now', 'routed', ['sink'], undefined],
    ]);
    expect(outcomes[0]!.reason).toBe('matched every event (no filters); added to the hourly digest for sink');
    expect(outcomes[1]!.reason).toMatch(/added to the 15-minute digest for sink$/);
    expect(outcomes[2]!.reason).toMatch(/sent to sink$/);
  });

  it.each([
    [{ windowSeconds: 59 }, /^digest\.windowSeconds: must be at least 1 minute$/],
    [{ windowSeconds: 86_401 }, /^digest\.windowSeconds: must be at most 24 hours$/],
    [{ windowSeconds: 90.5 }, /^digest\.windowSeconds: must be whole seconds$/],
  ])('rejects the window %j', (digest, message) => {
    const result = RuleSchema.safeParse({ id: 'r', name: 'R', digest });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toMatch(message);
  });
});

describe('digest windows in the store', () => {
  it('collects a window\'s events instead of delivering them, and closes it into one digest with one delivery per channel', () => {
    const { store: s } = open();
    const outcomes = ingest(s, T0, ['one', 'two']);
    ingest(s, T0 + 30 * MIN, ['three']);
    expect(outcomes[0]).toMatchObject({ status: 'accepted', deliveries: 0, digested: 2 });
    expect(deliveriesOf(s)).toEqual([]);
    expect(s.digests.waiting('hourly')).toBe(3);
    // Fixed from the first event: due an hour after it, not after the last.
    expect(s.digests.nextDue()).toBe(T0 + 60 * MIN);
    expect(s.digests.due(T0 + 60 * MIN - 1)).toEqual([]);
    const [window] = s.digests.due(T0 + 60 * MIN);
    expect(window).toEqual({ ruleId: 'hourly', ruleName: 'Hourly digest', start: T0, end: T0 + 60 * MIN });

    const closed = s.closeDigest(window!, build(T0 + 61 * MIN), { now: T0 + 61 * MIN });
    expect(closed).toMatchObject({ channels: ['mail', 'sink'], covered: 3 });
    expect(s.digests.waiting('hourly')).toBe(0);
    expect(s.digests.nextDue()).toBeUndefined();
    const [digest] = digestEvents(s);
    expect(digest).toMatchObject({
      type: 'herald.digest',
      source: { kind: 'herald', id: 'herald', name: 'Herald' },
      severity: 'critical',
      title: '3 events in the last hour (3 critical)',
      occurredAt: '2025-05-01T09:00:00.000Z',
      receivedAt: '2025-05-01T09:01:00.000Z',
      dedupKey: 'digest:hourly:2025-05-01T08:00:00.000Z',
    });
    expect(digest!.summary!.split('\n').map((l) => l.replace(/^.* · 🔴 /, ''))).toEqual(['one', 'two', 'three']);
    const data = digest!.data!.digest as { count: number; eventIds: string[]; windowSeconds: number; start: string; end: string };
    const ids = s.events.list({ types: ['pipeline.failed'], limit: 10 }).items.map((e) => e.id).reverse();
    expect(data).toMatchObject({ count: 3, eventIds: ids, windowSeconds: 3600, start: '2025-05-01T08:00:00.000Z', end: '2025-05-01T09:00:00.000Z' });
    const seq = s.events.get(digest!.id)!.seq;
    expect(deliveriesOf(s)).toEqual([
      { event_seq: seq, channel_id: 'mail', rule_id: 'hourly' },
      { event_seq: seq, channel_id: 'sink', rule_id: 'hourly' },
    ]);
    expect(s.events.get(digest!.id)!.matches).toEqual([
      {
        ruleId: 'hourly',
        ruleName: 'Hourly digest',
        outcome: 'routed',
        channels: ['mail', 'sink'],
        heldBack: [],
        reason: 'the hourly digest of 3 events (2025-05-01T08:00:00.000Z – 2025-05-01T09:00:00.000Z), sent to mail, sink',
        digest: { windowSeconds: 3600 },
      },
    ]);
    // Each event says where it went.
    const first = s.events.get(ids[0]!)!;
    expect(first.matches[0]).toMatchObject({ outcome: 'routed', channels: ['sink', 'mail'], digest: { windowSeconds: 3600 } });
    expect(first.matches[0]!.reason).toMatch(/added to the hourly digest for sink, mail$/);
    // Closing again finds nothing: a window is closed once.
    expect(s.closeDigest(window!, build(T0 + 62 * MIN), { now: T0 + 62 * MIN })).toBeUndefined();
    expect(digestEvents(s)).toHaveLength(1);
  });

  it('an event after the window ended opens the next window, even before the old one is closed', () => {
    const { store: s } = open();
    ingest(s, T0, ['a']);
    ingest(s, T0 + 60 * MIN + 5_000, ['b']);
    expect(s.digests.due(T0 + 60 * MIN + 5_000).map((w) => w.start)).toEqual([T0]);
    expect(s.digests.nextDue()).toBe(T0 + 60 * MIN);
    s.closeDigest(s.digests.due(T0 + 60 * MIN + 5_000)[0]!, build(T0 + 61 * MIN), { now: T0 + 61 * MIN });
    expect(s.digests.nextDue()).toBe(T0 + 120 * MIN + 5_000);
    expect(digestEvents(s)[0]!.data!.digest).toMatchObject({ count: 1 });
  });

  it('each rule has its own window', () => {
    const { store: s } = open();
    const router = routerFor([
      { id: 'fast', name: 'Fast', channels: ['sink'], digest: { windowSeconds: 300 } },
      { id: 'slow', name: 'Slow', channels: ['sink'], digest: { windowSeconds: 3600 } },
    ]);
    ingest(s, T0, ['x', 'y'], router);
    expect(s.digests.due(T0 + 5 * MIN).map((w) => w.ruleId)).toEqual(['fast']);
    expect(s.digests.due(T0 + 60 * MIN).map((w) => w.ruleId)).toEqual(['fast', 'slow']);
  });

  it('a failure while closing rolls everything back: the window stays, no digest event, no delivery', () => {
    const { store: s } = open();
    ingest(s, T0, ['a', 'b']);
    const window = s.digests.due(T0 + 60 * MIN)[0]!;
    // The disk "fills up" after the digest event was written, before its deliveries.
    s.db.exec(`CREATE TEMP TRIGGER fail_delivery BEFORE INSERT ON deliveries BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    expect(() => s.closeDigest(window, build(T0 + 60 * MIN), { now: T0 + 60 * MIN })).toThrow('database or disk is full');
    expect(digestEvents(s)).toEqual([]);
    expect(deliveriesOf(s)).toEqual([]);
    expect(s.digests.waiting('hourly')).toBe(2);
    s.db.exec('DROP TRIGGER fail_delivery');
    expect(s.closeDigest(window, build(T0 + 60 * MIN), { now: T0 + 60 * MIN })).toMatchObject({ covered: 2 });
    expect(digestEvents(s)).toHaveLength(1);
  });

  it('survives closing and reopening the file mid-window: nothing lost, nothing doubled', () => {
    const { store: first, dir } = open();
    ingest(first, T0, ['before restart 1', 'before restart 2']);
    first.close();
    store = undefined;
    const { store: s } = open(dir);
    ingest(s, T0 + 10 * MIN, ['after restart']);
    const windows = s.digests.due(T0 + 60 * MIN);
    expect(windows).toHaveLength(1);
    s.closeDigest(windows[0]!, build(T0 + 60 * MIN), { now: T0 + 60 * MIN });
    s.close();
    store = undefined;
    const { store: again } = open(dir);
    expect(again.digests.due(T0 + 600 * MIN)).toEqual([]);
    const digests = digestEvents(again);
    expect(digests).toHaveLength(1);
    expect(digests[0]!.data!.digest).toMatchObject({ count: 3 });
  });

  it('deleted events leave the digest; a deleted channel gets none; a window of only deleted events sends nothing', () => {
    const { store: s } = open();
    ingest(s, T0, ['keep', 'drop']);
    const drop = s.events.list({ text: 'drop', limit: 1 }).items[0]!;
    s.events.delete([drop.id]);
    const window = s.digests.due(T0 + 60 * MIN)[0]!;
    const closed = s.closeDigest(window, build(T0 + 60 * MIN), { now: T0 + 60 * MIN, keepChannel: (id) => id !== 'mail' });
    expect(closed).toMatchObject({ channels: ['sink'], covered: 1 });
    expect(s.events.get(closed!.event.id)!.matches[0]).toMatchObject({ channels: ['sink'], heldBack: ['mail'] });

    ingest(s, T0 + 2 * 60 * MIN, ['gone']);
    s.events.delete([s.events.list({ text: 'gone', limit: 1 }).items[0]!.id]);
    expect(s.digests.waiting('hourly')).toBe(0);
    expect(s.digests.due(T0 + 4 * 60 * MIN)).toEqual([]);
  });

  it('a desktop channel held back by snooze is not in the digest; throttled events are not collected', () => {
    const { store: s } = open();
    const rules = [{ id: 'hourly', name: 'H', channels: ['sink', 'desk'], digest: {}, throttle: { windowSeconds: 600 } }].map((r) => RuleSchema.parse(r));
    const router: Router = (event, lookups) =>
      routeEvent(event, rules, {
        now: new Date(event.receivedAt),
        lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k),
        channelKinds: new Map([['sink', 'webhook'], ['desk', 'desktop']]),
        settings: { snoozeUntil: '2030-01-01T00:00:00Z' },
      });
    s.ingest([{ source: SOURCE, inputs: [{ type: 'pipeline.failed', title: 'x', dedupKey: 'same' }, { type: 'pipeline.failed', title: 'x again', dedupKey: 'same' }] }], router, new Date(T0));
    expect(s.digests.waiting('hourly')).toBe(1);
    const closed = s.closeDigest(s.digests.due(T0 + 60 * MIN)[0]!, build(T0 + 60 * MIN), { now: T0 + 60 * MIN });
    expect(closed).toMatchObject({ channels: ['sink'], covered: 1 });
  });
});

describe('the digest event', () => {
  const window: DigestWindow = { ruleId: 'r', ruleName: 'Rule', start: T0, end: T0 + 60 * MIN };
  const many = (n: number, url = 'https://ci.example.com/') =>
    Array.from({ length: n }, (_, i) =>
      EventSchema.parse({
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        source: SOURCE,
        type: 'pipeline.failed',
        severity: i % 2 ? 'warning' : 'critical',
        subject: { project: 'acme/api' },
        title: `build ${i} ${'x'.repeat(300)}`,
        url: `${url}${'p'.repeat(1500)}/${i}`,
        occurredAt: new Date(T0 + i * 1000).toISOString(),
        receivedAt: new Date(T0 + i * 1000).toISOString(),
        dedupKey: `k${i}`,
        read: false,
      }),
    );

  it.each([1, 25, 26, 400, 5000])('%i events: a valid event whose data stays within the event limit and counts them all', (n) => {
    const events = many(n);
    const digest = buildDigestEvent(window, events, T0 + 60 * MIN, 'id-1');
    expect(EventInputSchema.safeParse({ type: digest.type, title: digest.title, summary: digest.summary, subject: digest.subject, data: digest.data, dedupKey: digest.dedupKey }).success).toBe(true);
    expect(JSON.stringify(digest.data).length).toBeLessThanOrEqual(16 * 1024);
    const data = digest.data!.digest as { count: number; eventIds: string[]; events: unknown[] };
    expect(data.count).toBe(n);
    expect(data.eventIds.length).toBeGreaterThan(0);
    expect(data.eventIds).toEqual(events.slice(0, data.eventIds.length).map((e) => e.id));
    expect(digest.summary!.split('\n')).toHaveLength(Math.min(n, 25) + (n > 25 ? 1 : 0));
    expect(digest.title).toBe(`${n} event${n === 1 ? '' : 's'} in the last hour (${Math.ceil(n / 2)} critical${n > 1 ? `, ${Math.floor(n / 2)} warning` : ''})`);
    expect(digest.subject).toEqual({ project: 'acme/api' });
  });
});

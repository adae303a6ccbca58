// Storm groups in a real SQLite file with an injected clock: a grouping rule's events join
// their group in the ingest transaction; the group's first message goes after waitSeconds,
// later ones at most every intervalSeconds; a group with nothing new at its interval ends.
// Several groups run side by side; a group waiting when the store closes is sent at its due
// time after it reopens. Composition: throttle, quiet hours and mutes come before grouping;
// snooze and quiet hours hold back a group's desktop popup at sending time; digest + group
// is refused by the schema.
import { afterEach, describe, expect, it } from 'vitest';
import { HeraldConfigSchema, RuleSchema, type RuleConfigInput } from '../../../../shared/config.js';
import type { EventInput } from '../../../../shared/event.js';
import type { Mute } from '../../../../shared/mutes.js';
import { desktopHold, routeEvent, type RoutingContext } from '../../../../shared/rules.js';
import type { Router } from '../../../../electron/hub/rules/router.js';
import { startStormGroupSender, type StormGroupSender } from '../../../../electron/hub/rules/storm-group-sender.js';
import type { SentGroup } from '../../../../electron/hub/rules/storm-groups.js';
import { openSqliteEngine, type SqliteEngine } from '../../../../electron/hub/store/sqlite-engine.js';
import { tempDir } from '../../../helpers/hub-process.js';

const T0 = Date.parse('2025-05-01T08:00:00.000Z');
const SEC = 1000;
const SOURCE = { kind: 'generic', id: 'ci', name: 'CI' };
const CHANNELS: Record<string, string> = { sink: 'webhook', desk: 'desktop' };

type Settings = RoutingContext['settings'];
const routerFor = (rules: RuleConfigInput[], clock: { now: number }, settings: Settings = {}, mute?: Mute): Router => {
  const parsed = rules.map((r) => RuleSchema.parse(r));
  const channelKinds = new Map(Object.entries(CHANNELS));
  return (event, lookups) =>
    routeEvent(event, parsed, {
      now: new Date(clock.now),
      lastRoutedAt: (r, k) => lookups.lastRoutedAt(r, k),
      channelKinds,
      settings,
      ...(mute && { muteFor: (e: { subject: { project?: string } }) => (e.subject.project === mute.project ? mute : undefined) }),
    });
};

let engine: SqliteEngine | undefined;
let sender: StormGroupSender | undefined;
afterEach(async () => {
  await sender?.stop();
  await engine?.close();
  engine = sender = undefined;
});

/**
 * The SQLite engine on a real file (`s`: its synchronous store, for reading rows), a router
 * over `rules`, and a sender on the same injected clock (its timer stopped: the test calls sendDue).
 */
async function setup(rules: RuleConfigInput[], options: { dir?: string; settings?: Settings; mute?: Mute } = {}) {
  const clock = { now: T0 };
  const dir = options.dir ?? tempDir('herald-storm-store-');
  engine = await openSqliteEngine(dir, { checkpointIntervalMs: false });
  const s = engine.sync;
  const settings = options.settings ?? {};
  const router = routerFor(rules, clock, settings, options.mute);
  const sent: SentGroup[] = [];
  sender = startStormGroupSender({
    store: engine,
    sendsGroup: (channelId) => CHANNELS[channelId] !== 'desktop' || desktopHold(new Date(clock.now), settings) === null,
    onSent: (g) => sent.push(g),
    now: () => clock.now,
  });
  await sender.stop();
  const ingest = (inputs: EventInput[]) => s.ingest([{ source: SOURCE, inputs }], router, new Date(clock.now));
  const fail = (project: string, n: number, extra: Partial<EventInput> = {}): EventInput[] =>
    Array.from({ length: n }, (_, i) => ({ type: 'pipeline.failed', title: `${project} run ${i + 1} failed`, subject: { project, branch: `b${i}` }, ...extra }));
  const deliveries = () => s.db.prepare('SELECT event_seq, channel_id, rule_id FROM deliveries ORDER BY id').all() as Array<{ event_seq: number; channel_id: string; rule_id: string }>;
  return { s, dir, clock, sent, ingest, fail, deliveries, sendDue: () => sender!.sendDue() };
}

const byProject: RuleConfigInput = { id: 'storm', name: 'Storms', channels: ['sink'], group: { by: ['project'], waitSeconds: 10, intervalSeconds: 300 } };

describe('the group option', () => {
  it('defaults wait 10 s and interval 5 min, by nothing', async () => {
    expect(RuleSchema.parse({ id: 'r', name: 'R', group: {} }).group).toEqual({ by: [], waitSeconds: 10, intervalSeconds: 300 });
  });

  it.each([
    [{ by: ['projet'] }, 'group.by.0: "projet" is not a subject field; group by project, group, environment, pipeline, branch, cluster, artifact, commit'],
    [{ by: ['project', 'project'] }, 'group.by: names "project" twice'],
    [{ by: 'project' }, 'group.by: must be a list of subject fields, e.g. [project, branch]'],
    [{ waitSeconds: -1 }, 'group.waitSeconds: must not be negative'],
    [{ waitSeconds: 3601 }, 'group.waitSeconds: must be at most 1 hour'],
    [{ waitSeconds: 2.5 }, 'group.waitSeconds: must be whole seconds'],
    [{ intervalSeconds: 9 }, 'group.intervalSeconds: must be at least 10 seconds'],
    [{ intervalSeconds: 86_401 }, 'group.intervalSeconds: must be at most 24 hours'],
    [{ intervalSeconds: '5m' }, 'group.intervalSeconds: must be a number of seconds'],
    [{ window: 10 }, 'group: Unrecognized key: "window"'],
  ])('refuses %j, naming the problem', (group, message) => {
    const result = RuleSchema.safeParse({ id: 'r', name: 'R', group });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toBe(message);
  });

  it('refuses a rule that both digests and groups, in the whole config too', async () => {
    const result = HeraldConfigSchema.safeParse({ rules: [{ id: 'r', name: 'R', digest: {}, group: {} }] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'rules.0.group: a rule either sends a digest or groups storms, not both: remove digest or group',
    ]);
  });
});

describe('storm groups in the store', () => {
  it('the first event waits waitSeconds for company, then ONE message lists the group; nothing per event', async () => {
    const t = await setup([byProject]);
    const [outcome] = t.ingest(t.fail('acme/api', 3));
    expect(outcome).toMatchObject({ status: 'accepted', deliveries: 0, grouped: 3 });
    const detail = t.s.events.get((outcome as { events: Array<{ id: string }> }).events[0]!.id)!;
    expect(detail.matches).toEqual([
      expect.objectContaining({ outcome: 'routed', channels: ['sink'], group: { by: { project: 'acme/api' }, waitSeconds: 10, intervalSeconds: 300 } }),
    ]);
    expect(detail.matches[0]!.reason).toBe('matched every event (no filters); added to the group project=acme/api for sink');
    t.clock.now += 5 * SEC;
    t.ingest(t.fail('acme/api', 2));
    expect(t.s.groups.open('storm')).toMatchObject([{ by: { project: 'acme/api' }, dueAt: T0 + 10 * SEC, messages: 0 }]);
    t.clock.now = T0 + 10 * SEC - 1;
    expect(await t.sendDue()).toEqual([]);
    expect(t.deliveries()).toEqual([]);

    t.clock.now = T0 + 10 * SEC;
    const [sent] = await t.sendDue();
    expect(sent!.covered).toBe(5);
    expect(sent!.event).toMatchObject({ type: 'herald.group', severity: 'critical', title: '5 failures in acme/api', subject: { project: 'acme/api' } });
    expect(sent!.event.summary!.split('\n')).toHaveLength(5);
    expect(sent!.event.data!.group).toMatchObject({ count: 5, by: { project: 'acme/api' }, message: 1, waitSeconds: 10, intervalSeconds: 300 });
    expect(t.deliveries()).toEqual([{ event_seq: expect.any(Number), channel_id: 'sink', rule_id: 'storm' }]);
    const stored = t.s.events.get(sent!.event.id)!;
    expect(stored.matches[0]!.reason).toBe('the group project=acme/api of 5 events (after waiting 10 s for company), sent to sink');
    expect(t.s.groups.waiting('storm')).toBe(0);
    expect(t.s.groups.open('storm')).toMatchObject([{ dueAt: T0 + 310 * SEC, messages: 1 }]);
  });

  it('later events go out together at most every intervalSeconds; an interval with nothing new ends the group', async () => {
    const t = await setup([byProject]);
    t.ingest(t.fail('acme/api', 1));
    t.clock.now = T0 + 10 * SEC;
    expect(await t.sendDue()).toHaveLength(1);
    // Joins after the first message: waits for the interval, not for another wait.
    t.clock.now = T0 + 20 * SEC;
    t.ingest(t.fail('acme/api', 2));
    t.clock.now = T0 + 30 * SEC;
    expect(await t.sendDue()).toEqual([]);
    t.clock.now = T0 + 200 * SEC;
    t.ingest(t.fail('acme/api', 1));
    t.clock.now = T0 + 310 * SEC - 1;
    expect(await t.sendDue()).toEqual([]);
    t.clock.now = T0 + 310 * SEC;
    const [second] = await t.sendDue();
    expect(second!.covered).toBe(3);
    expect(second!.event.data!.group).toMatchObject({ count: 3, message: 2 });
    expect(t.s.events.get(second!.event.id)!.matches[0]!.reason).toBe('the group project=acme/api of 3 events (message 2, 300 s after the last), sent to sink');
    // Nothing new for an interval: no message, and the group ends.
    t.clock.now = T0 + 610 * SEC;
    expect(await t.sendDue()).toEqual([]);
    expect(t.s.groups.open('storm')).toEqual([]);
    // The next event opens a new group that waits again.
    t.clock.now = T0 + 700 * SEC;
    t.ingest(t.fail('acme/api', 1));
    expect(t.s.groups.open('storm')).toMatchObject([{ openedAt: T0 + 700 * SEC, dueAt: T0 + 710 * SEC, messages: 0 }]);
  });

  it('keeps several groups at once: one message per group, each at its own time', async () => {
    const t = await setup([{ ...byProject, group: { by: ['project', 'environment'], waitSeconds: 10 } }]);
    t.ingest([
      ...t.fail('acme/api', 2, { subject: { project: 'acme/api', environment: 'prod' } }),
      ...t.fail('acme/web', 3, { subject: { project: 'acme/web', environment: 'prod' } }),
      ...t.fail('acme/api', 1, { subject: { project: 'acme/api', environment: 'staging' } }),
      // No environment: its own group, the absent field left out of its values.
      ...t.fail('acme/api', 1, { subject: { project: 'acme/api' } }),
    ]);
    t.clock.now += 4 * SEC;
    t.ingest(t.fail('acme/ops', 1, { subject: { project: 'acme/ops', environment: 'prod' } }));
    t.clock.now = T0 + 10 * SEC;
    const first = await t.sendDue();
    expect(first.map((g) => [g.event.title, g.covered]).sort()).toEqual([
      ['1 failure in acme/api · staging', 1],
      ['1 failure in acme/api', 1],
      ['2 failures in acme/api · prod', 2],
      ['3 failures in acme/web · prod', 3],
    ]);
    t.clock.now = T0 + 14 * SEC;
    expect((await t.sendDue()).map((g) => g.event.title)).toEqual(['1 failure in acme/ops · prod']);
    expect(t.deliveries()).toHaveLength(5);
  });

  it('a group waiting when the store closes is sent at its due time after it reopens, once', async () => {
    const first = await setup([byProject]);
    first.ingest(first.fail('acme/api', 4));
    first.clock.now += 3 * SEC;
    await engine!.close();
    engine = undefined;

    const again = await setup([byProject], { dir: first.dir });
    again.clock.now = T0 + 6 * SEC;
    expect(again.s.groups.waiting('storm')).toBe(4);
    expect(await again.sendDue()).toEqual([]);
    again.ingest(again.fail('acme/api', 1));
    again.clock.now = T0 + 10 * SEC;
    const sent = await again.sendDue();
    expect(sent.map((g) => g.covered)).toEqual([5]);
    expect(await again.sendDue()).toEqual([]);
    expect(again.deliveries()).toHaveLength(1);
  });

  it('throttle comes first: an event throttled by the rule never joins the group', async () => {
    const t = await setup([{ ...byProject, throttle: { windowSeconds: 600 } }]);
    const same = (title: string): EventInput => ({ type: 'pipeline.failed', title, subject: { project: 'acme/api' }, dedupKey: 'acme/api:ci' });
    t.ingest([same('first')]);
    t.clock.now += 2 * SEC;
    const [outcome] = t.ingest([same('again')]);
    const again = t.s.events.get((outcome as { events: Array<{ id: string }> }).events[0]!.id)!;
    expect(again.matches[0]).toMatchObject({ outcome: 'throttled' });
    expect(again.matches[0]!.group).toBeUndefined();
    t.clock.now = T0 + 10 * SEC;
    expect((await t.sendDue()).map((g) => [g.covered, g.event.title])).toEqual([[1, '1 failure in acme/api']]);
  });

  it('rule quiet hours come first: an event inside them never joins the group', async () => {
    const t = await setup([{ ...byProject, quietHours: { start: '07:00', end: '09:00', timeZone: 'UTC' } }]);
    const [outcome] = t.ingest(t.fail('acme/api', 2));
    expect(outcome).toMatchObject({ deliveries: 0 });
    expect((outcome as { grouped?: number }).grouped).toBeUndefined();
    expect(t.s.groups.open('storm')).toEqual([]);
  });

  it('a muted pipeline comes first: its failures never join the group, the others do', async () => {
    const mute: Mute = { key: 'ci|acme/api||', sourceId: 'ci', project: 'acme/api', untilPasses: true, createdAt: new Date(T0).toISOString() };
    const t = await setup([byProject], { mute });
    const [muted] = t.ingest(t.fail('acme/api', 2));
    expect(muted).toMatchObject({ deliveries: 0 });
    expect((muted as { grouped?: number }).grouped).toBeUndefined();
    const detail = t.s.events.get((muted as { events: Array<{ id: string }> }).events[0]!.id)!;
    expect(detail.matches[0]).toMatchObject({ outcome: 'muted', channels: [] });
    t.ingest(t.fail('acme/web', 1));
    t.clock.now = T0 + 10 * SEC;
    expect((await t.sendDue()).map((g) => g.event.title)).toEqual(['1 failure in acme/web']);
  });

  it('snooze and quiet hours: a desktop channel held back at routing joins no group; one held back at sending time gets no popup, the other channels the message', async () => {
    const rule: RuleConfigInput = { ...byProject, channels: ['sink', 'desk'] };
    // Snoozed while the events come: only the sink's items are kept.
    const snoozed = await setup([rule], { settings: { snoozeUntil: new Date(T0 + 5 * SEC).toISOString() } });
    const [outcome] = snoozed.ingest(snoozed.fail('acme/api', 2));
    const detail = snoozed.s.events.get((outcome as { events: Array<{ id: string }> }).events[0]!.id)!;
    expect(detail.matches[0]).toMatchObject({ outcome: 'routed', channels: ['sink'], heldBack: ['desk'] });
    snoozed.clock.now = T0 + 10 * SEC;
    const [sent] = await snoozed.sendDue();
    expect(sent!.channels).toEqual(['sink']);
    await engine!.close();
    engine = undefined;

    // Quiet hours (08:00–09:00 UTC) begin while the group waits: its popup is held back then, the sink still gets it.
    const later = await setup([rule], { settings: { quietHours: { start: '08:00', end: '09:00', timeZone: 'UTC' } } });
    later.clock.now = T0 - 5 * SEC;
    const [routed] = later.ingest(later.fail('acme/api', 2));
    const before = later.s.events.get((routed as { events: Array<{ id: string }> }).events[0]!.id)!;
    expect(before.matches[0]).toMatchObject({ channels: ['sink', 'desk'], heldBack: [] });
    later.clock.now = T0 + 5 * SEC;
    const [message] = await later.sendDue();
    expect(message!.channels).toEqual(['sink']);
    expect(later.s.events.get(message!.event.id)!.matches[0]).toMatchObject({ channels: ['sink'], heldBack: ['desk'] });
  });

  it('an event the grouping rule does not match joins nothing; a rule without group still delivers it at once', async () => {
    const t = await setup([
      { ...byProject, match: { types: ['pipeline.failed'] } },
      { id: 'deploys', name: 'Deploys', match: { types: ['deployment.*'] }, channels: ['sink'] },
    ]);
    const [outcome] = t.ingest([{ type: 'deployment.succeeded', title: 'deployed', subject: { project: 'acme/api' } }]);
    expect(outcome).toMatchObject({ deliveries: 1 });
    expect(t.s.groups.open('storm')).toEqual([]);
  });

  it('retention keeps an event that waits in a group', async () => {
    const t = await setup([byProject]);
    t.ingest(t.fail('acme/api', 3));
    expect(t.s.enforceRetention(1, 100, new Date(T0 + 10 * 86_400_000))).toBe(0);
    expect(t.s.groups.waiting('storm')).toBe(3);
  });
});

// The ingest transaction on PostgreSQL (store/ingest-transaction.ts on SQLite): an accepted
// request's delivery id, source state, events, rule outcomes, throttle memory, digest items,
// board and deliveries in ONE transaction, all or nothing — and correct with several
// replicas ingesting at once: delivery ids by the primary key (INSERT … ON CONFLICT), throttle
// memory, digest windows, board things and source state (streaks) read under advisory locks
// held to commit.
//
// The router and the enricher are synchronous pure functions over lookups (the router asks
// for throttle memory and mutes, the enricher for its source's state). Here a lookup answers
// from what this transaction has loaded; a key not loaded yet throws a miss, the engine loads
// it and calls again from the start (engine.ts routeWithLoads). Writes an attempt asked for (a mute
// lifted, source state set) are applied after the attempt that completes.
import type { RuleOutcome } from '../../../../shared/api.js';
import { completeEvent, type EventInput, type HeraldEvent } from '../../../../shared/event.js';
import { isMuteActive, type Mute } from '../../../../shared/mutes.js';
import type { ClosedDigest, DigestBuilder, DigestWindow } from '../../rules/digest-windows.js';
import type { GroupBuilder, SentGroup, StormGroup } from '../../rules/storm-groups.js';
import { type IngestRouting, LookupMiss, routeWithLoads, type RoutingLookups } from '../engine.js';
import type { BoardChange } from '../board.js';
import { eventId } from '../event-ids.js';
import type { IngestItem, IngestOutcome, SourceStateTx } from '../ingest-transaction.js';
import type { PgBoardStore } from './board.js';
import type { PgDigestWindows } from './digest-windows.js';
import type { PgEventStore } from './events.js';
import type { PgMuteStore } from './mutes.js';
import type { PgOutbox } from './outbox.js';
import type { PgSeenDeliveries } from './seen-deliveries.js';
import type { PgSourceStateStore } from './source-state.js';
import type { PgStormGroups } from './storm-groups.js';
import type { Sql } from './sql.js';
import type { PgThrottleMemory } from './throttle-memory.js';

export interface PgIngestTables {
  events: PgEventStore;
  outbox: PgOutbox;
  seenDeliveries: PgSeenDeliveries;
  sourceState: PgSourceStateStore;
  throttle: PgThrottleMemory;
  digests: PgDigestWindows;
  mutes: PgMuteStore;
  groups: PgStormGroups;
  board?: PgBoardStore | undefined;
}

const DELETED = Symbol('deleted');

/** One ingest's transaction: its SQL connection and what it has loaded for routing. */
class IngestRun {
  private readonly throttleSeen = new Map<string, number | undefined>();
  private readonly mutesSeen = new Map<string, Mute | undefined>();
  private readonly stateSeen = new Map<string, unknown>();
  deliveries = 0;

  constructor(
    private readonly sql: Sql,
    private readonly tables: PgIngestTables,
    private readonly now: Date,
  ) {}

  async item(item: IngestItem, routing: IngestRouting, forDelivery: Array<[number, HeraldEvent]>): Promise<IngestOutcome> {
    const { sql, tables, now } = this;
    const nowMs = now.getTime();
    if (item.deliveryId !== undefined && !(await tables.seenDeliveries.firstTime(sql, item.source.id, item.deliveryId, nowMs))) return { status: 'duplicate' };
    if (item.state) {
      await tables.sourceState.set(sql, item.source.id, item.state.key, item.state.value, nowMs);
      this.stateSeen.set(`${item.source.id}\u0000${item.state.key}`, item.state.value);
    }
    if (item.inputs.some((input) => input.occurrence !== undefined)) {
      const kept: EventInput[] = [];
      for (const input of item.inputs) {
        if (input.occurrence === undefined || (await tables.seenDeliveries.firstOccurrence(sql, item.source.kind, item.source.id, input.occurrence, nowMs))) kept.push(input);
      }
      item = { ...item, inputs: kept };
    }
    if (routing.enrich) item = { ...item, inputs: await this.enrich(item, routing.enrich) };
    const raw = item.rawStored ?? null;
    const events: HeraldEvent[] = [];
    const boardChanges: BoardChange[] = [];
    let deliveries = 0;
    let digested = 0;
    let grouped = 0;
    for (const input of item.inputs) {
      const event: HeraldEvent = { ...completeEvent(input, item.source, now), id: eventId(), read: false };
      const { outcomes, throttling, lifted } = await this.route(event, routing.router);
      for (const key of lifted) {
        await tables.mutes.liftOnPass(sql, key);
        this.mutesSeen.set(key, undefined);
      }
      const seq = await tables.events.insert(sql, event, nowMs, item.inputs.length === 1 ? raw : null, outcomes);
      const change = await tables.board?.apply(sql, event, nowMs);
      if (change) boardChanges.push(change);
      for (const outcome of outcomes) {
        if (outcome.outcome !== 'routed') continue;
        if (throttling.has(outcome.ruleId)) {
          await tables.throttle.remember(sql, outcome.ruleId, event.dedupKey, nowMs);
          this.throttleSeen.set(`${outcome.ruleId}\u0000${event.dedupKey}`, nowMs);
        }
        if (outcome.digest) {
          await tables.digests.add(sql, outcome, outcome.digest.windowSeconds, seq, nowMs);
          digested++;
          continue;
        }
        if (outcome.group) {
          await tables.groups.add(sql, { ...outcome, group: outcome.group }, seq, nowMs);
          grouped++;
          continue;
        }
        await tables.outbox.enqueue(sql, seq, outcome.channels, outcome.ruleId, nowMs);
        deliveries += outcome.channels.length;
        if (outcome.channels.length > 0) forDelivery.push([seq, event]);
      }
      events.push(event);
    }
    this.deliveries += deliveries;
    return {
      status: 'accepted',
      events,
      deliveries,
      ...(digested > 0 && { digested }),
      ...(grouped > 0 && { grouped }),
      ...(boardChanges.length > 0 && { board: boardChanges }),
    };
  }

  /** The router over this transaction's lookups; what it asked for is loaded (and locked) first. */
  private async route(event: HeraldEvent, router: IngestRouting['router']) {
    const { sql, tables } = this;
    return routeWithLoads(() => {
      const throttling = new Set<string>();
      const lifted = new Set<string>();
      const lookups: RoutingLookups = {
        lastRoutedAt: (ruleId, dedupKey) => {
          throttling.add(ruleId);
          const key = `${ruleId}\u0000${dedupKey}`;
          if (!this.throttleSeen.has(key)) {
            throw new LookupMiss(async () => void this.throttleSeen.set(key, await tables.throttle.lastRoutedAt(sql, ruleId, dedupKey)));
          }
          return this.throttleSeen.get(key);
        },
        activeMute: (key, at) => {
          if (lifted.has(key)) return undefined;
          const mute = this.mute(key);
          return mute && isMuteActive(mute, at) ? mute : undefined;
        },
        liftMuteOnPass: (key) => {
          if (lifted.has(key)) return false;
          const mute = this.mute(key);
          if (!mute?.untilPasses) return false;
          lifted.add(key);
          return true;
        },
      };
      const outcomes = router(event, lookups);
      return { outcomes, throttling, lifted };
    });
  }

  private mute(key: string): Mute | undefined {
    if (!this.mutesSeen.has(key)) throw new LookupMiss(async () => void this.mutesSeen.set(key, await this.tables.mutes.find(key, this.sql)));
    return this.mutesSeen.get(key);
  }

  /** The enricher over its source's state, loaded key by key; its writes applied after it completes. */
  private async enrich(item: IngestItem, enrich: NonNullable<IngestRouting['enrich']>): Promise<EventInput[]> {
    const { sql, tables, now } = this;
    const sourceId = item.source.id;
    let writes = new Map<string, unknown>();
    const inputs = await routeWithLoads(() => {
      writes = new Map();
      const state: SourceStateTx = {
        get: (key) => {
          if (writes.has(key)) {
            const value = writes.get(key);
            return value === DELETED ? undefined : value;
          }
          const seen = `${sourceId}\u0000${key}`;
          if (!this.stateSeen.has(seen)) throw new LookupMiss(async () => void this.stateSeen.set(seen, await tables.sourceState.getLocked(sql, sourceId, key)));
          return this.stateSeen.get(seen);
        },
        set: (key, value) => void writes.set(key, value),
        delete: (key) => void writes.set(key, DELETED),
      };
      return enrich(item, state);
    });
    for (const [key, value] of writes) {
      if (value === DELETED) await tables.sourceState.delete(sql, sourceId, key);
      else await tables.sourceState.set(sql, sourceId, key, value, now.getTime());
      this.stateSeen.set(`${sourceId}\u0000${key}`, value === DELETED ? undefined : value);
    }
    return inputs;
  }
}

/** Runs the items of one ingest on a transaction's connection (the engine begins and commits it). */
export async function ingestItems(
  sql: Sql,
  tables: PgIngestTables,
  items: readonly IngestItem[],
  routing: IngestRouting,
): Promise<{ outcomes: IngestOutcome[]; forDelivery: Array<[number, HeraldEvent]>; deliveries: number }> {
  const run = new IngestRun(sql, tables, routing.now ?? new Date());
  const forDelivery: Array<[number, HeraldEvent]> = [];
  const outcomes: IngestOutcome[] = [];
  for (const item of items) outcomes.push(await run.item(item, routing, forDelivery));
  // Other replicas' open UIs show the new events too (in the same statement as waking their workers).
  const stored = outcomes.some((o) => o.status === 'accepted' && o.events.length > 0);
  await tables.outbox.notifyDue(sql, stored ? 'events' : undefined, run.deliveries > 0);
  return { outcomes, forDelivery, deliveries: run.deliveries };
}

type SummaryTables = Pick<PgIngestTables, 'events' | 'outbox'>;

/**
 * Closes one digest window, all or nothing (store/ingest-transaction.ts closeDigest): its
 * items taken under the rule's lock, so two replicas closing it at once send it once.
 */
export async function closeDigestWindow(
  sql: Sql,
  tables: SummaryTables & Pick<PgIngestTables, 'digests'>,
  window: DigestWindow,
  build: DigestBuilder,
  options: { now: number; keepChannel?: (id: string) => boolean },
): Promise<ClosedDigest | undefined> {
  const items = await tables.digests.takeItems(sql, window);
  if (items.length === 0) return undefined;
  return storeSummary(sql, tables, items, options, (events, channels) => {
    const { event, reason } = build(window, events, channels);
    return { event, ruleId: window.ruleId, ruleName: window.ruleName, reason, extra: { digest: { windowSeconds: Math.round((window.end - window.start) / 1000) } } };
  });
}

/**
 * Sends one due storm group, all or nothing (store/ingest-transaction.ts sendGroup). A group
 * another replica sent meanwhile (no longer due) is left as it is.
 */
export async function sendStormGroup(
  sql: Sql,
  tables: SummaryTables & Pick<PgIngestTables, 'groups'>,
  group: StormGroup,
  build: GroupBuilder,
  options: { now: number; keepChannel?: (id: string) => boolean },
): Promise<SentGroup | undefined> {
  const items = await tables.groups.take(sql, group, options.now);
  if (items === 'not due') return undefined;
  if (items.length === 0) {
    await tables.groups.end(sql, group);
    return undefined;
  }
  await tables.groups.sent(sql, group, options.now + group.intervalSeconds * 1000);
  return storeSummary(sql, tables, items, options, (events, channels) => {
    const { event, reason } = build(group, events, channels);
    return { event, ruleId: group.ruleId, ruleName: group.ruleName, reason, extra: { group: { by: group.by, waitSeconds: group.waitSeconds, intervalSeconds: group.intervalSeconds } } };
  });
}

/** The events the items name (deleted ones left out), one summary event for them, and a delivery per kept channel. */
async function storeSummary(
  sql: Sql,
  tables: SummaryTables,
  items: ReadonlyArray<{ channelId: string; eventSeq: number }>,
  options: { now: number; keepChannel?: (id: string) => boolean },
  make: (events: HeraldEvent[], channels: string[]) => { event: HeraldEvent; ruleId: string; ruleName: string; reason: string; extra: Pick<RuleOutcome, 'digest' | 'group'> },
): Promise<{ event: HeraldEvent; channels: string[]; covered: number } | undefined> {
  const named = [...new Set(items.map((r) => r.channelId))].sort();
  const channels = named.filter((id) => options.keepChannel?.(id) ?? true);
  const events: HeraldEvent[] = [];
  const memberSeqs: number[] = [];
  for (const seq of new Set(items.map((r) => r.eventSeq))) {
    const event = await tables.events.getBySeq(seq, sql);
    if (!event) continue;
    events.push(event);
    memberSeqs.push(seq);
  }
  if (events.length === 0 || channels.length === 0) return undefined;
  const { event, ruleId, ruleName, reason, extra } = make(events, channels);
  const outcome: RuleOutcome = { ruleId, ruleName, outcome: 'routed', channels, heldBack: named.filter((id) => !channels.includes(id)), reason, ...extra };
  const seq = await tables.events.insert(sql, event, options.now, null, [outcome]);
  await tables.events.noteSummarized(sql, seq, memberSeqs);
  await tables.outbox.enqueue(sql, seq, channels, ruleId, options.now);
  await tables.outbox.notifyDue(sql, 'events');
  return { event, channels, covered: events.length };
}

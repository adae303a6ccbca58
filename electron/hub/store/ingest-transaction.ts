// The ingest transaction: the one place that writes several tables together. An accepted
// request's events, its delivery id, its source's state, the rule outcomes, throttle
// memory, digest items, storm group items and deliveries are committed in ONE transaction:
// all or nothing. Closing a digest window (its herald.digest event, its deliveries, the
// removal of its items) and sending a storm group (its herald.group event, its deliveries,
// its items removed and its next due time) are the others. Each table object writes only its own table;
// this module combines them, so a second database engine supplies the same table objects
// and a `transaction` and nothing above the store changes.
import type { RuleOutcome } from '../../../shared/api.js';
import { completeEvent, type EventInput, type HeraldEvent, type SourceRef } from '../../../shared/event.js';
import type { ClosedDigest, DigestBuilder, DigestWindow, DigestWindows } from '../rules/digest-windows.js';
import type { Router } from '../rules/router.js';
import type { GroupBuilder, SentGroup, StormGroup, StormGroups } from '../rules/storm-groups.js';
import type { ThrottleMemory } from '../rules/throttle-memory.js';
import { eventId } from './event-ids.js';
import type { BoardChange, BoardStore } from './board.js';
import type { RoutingLookups } from './engine.js';
import type { EventStore } from './events.js';
import type { MuteStore } from './mutes.js';
import type { Outbox } from './outbox.js';
import { bindableRaw, type StoredRaw } from './raw-payload.js';
import type { SeenDeliveries } from './seen-deliveries.js';
import type { SourceStateBatch, SourceStateStore } from './source-state.js';

/** One accepted request (or one poll): its events are stored together or not at all. */
export interface IngestItem {
  source: SourceRef;
  inputs: EventInput[];
  /** The sender's delivery id (X-GitHub-Delivery…): a redelivery with the same id is stored once. */
  deliveryId?: string;
  /** The payload as received, in its stored form (raw-payload.ts), for the event detail view. */
  rawStored?: StoredRaw;
  /** Source state committed with the events (a poller's cursor): a restart neither repeats nor misses. */
  state?: { key: string; value: unknown };
}

export type IngestOutcome =
  | {
      status: 'accepted';
      events: HeraldEvent[];
      deliveries: number;
      /** Events added to a digest window instead of a delivery (set when any). */
      digested?: number;
      /** Events added to a storm group instead of a delivery (set when any). */
      grouped?: number;
      /** What the events did to the board (set by followBoard when any): the UI is told once committed. */
      board?: BoardChange[];
    }
  | { status: 'duplicate' };

/** One source's state, read and written inside the ingest transaction. */
export interface SourceStateTx {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/** Rewrites an item's events inside the ingest transaction, with its source's state (pipeline streaks). */
export type Enricher = (item: IngestItem, state: SourceStateTx) => EventInput[];

/** The table objects the transactions combine. */
export interface IngestTables {
  events: EventStore;
  outbox: Outbox;
  seenDeliveries: SeenDeliveries;
  sourceState: SourceStateStore;
  throttle: ThrottleMemory;
  digests: DigestWindows;
  groups: StormGroups;
  /** The board, following each transaction's events once committed (left out only by the ingest benchmarks). */
  board?: BoardStore | undefined;
  /** Pipeline mutes routing looks up (and a success lifts); without them nothing is muted. */
  mutes?: MuteStore | undefined;
}

/**
 * Events stored before the ingest transaction adds them to the full-text index in one go
 * (store/events.ts indexForSearch): 128 costs a group commit of 8 a third less CPU per event
 * than a trigger per event did, and adds ~1.5 ms to one commit in sixteen.
 */
const SEARCH_INDEX_BATCH = 128;

/** Runs fn in one transaction of the engine (nested calls join the outer one). */
export type RunInTransaction = <T>(fn: () => T) => T;

export class IngestTransaction {
  constructor(
    private readonly tables: IngestTables,
    private readonly transaction: RunInTransaction,
  ) {}

  /**
   * Stores every item's events, their rule outcomes and their deliveries in ONE
   * transaction: all of it or none. Committed with the connection's synchronous setting;
   * the Ingestor commits without fsync and answers 2xx after `store.syncToDisk()`.
   */
  ingest(items: IngestItem[], router: Router, now = new Date(), enrich?: Enricher): IngestOutcome[] {
    // Remembered for the worker only once the transaction commits (a rollback frees the seqs).
    const forDelivery: Array<[number, HeraldEvent]> = [];
    const outcomes = this.transaction(() => {
        // Source state is read and written once per key per transaction (streaks of a storm).
        const state = this.tables.sourceState.batch(now.getTime());
        const done = items.map((item) => this.ingestOne(item, router, now, forDelivery, state, enrich));
        state.flush();
        // The search index takes the new events once enough wait: one FTS segment per
        // SEARCH_INDEX_BATCH events rather than one per commit (a search catches up first).
        this.tables.events.indexForSearch(undefined, SEARCH_INDEX_BATCH);
        return done;
      });
    for (const [seq, event] of forDelivery) this.tables.events.keepForDelivery(seq, event);
    return outcomes;
  }

  /**
   * The board follows the events `ingest` committed, in the order stored (they are its
   * journal: store/board.ts), and sets each outcome's `board` changes. Call right after
   * `ingest` returns, in the same synchronous step, before anything reads the board: the
   * hub does it while the disk syncs the commit (sqlite-engine.ts), so a sender's 2xx does
   * not wait for it. Never throws for a failed save (the events are committed).
   */
  followBoard(outcomes: readonly IngestOutcome[]): void {
    const { board } = this.tables;
    if (!board) return;
    for (const outcome of outcomes) {
      if (outcome.status !== 'accepted') continue;
      let changes: BoardChange[] | undefined;
      for (const event of outcome.events) {
        const change = board.apply(event);
        if (change) (changes ??= []).push(change);
      }
      if (changes) outcome.board = changes;
    }
    board.saveIfDue();
  }

  private ingestOne(item: IngestItem, router: Router, now: Date, forDelivery: Array<[number, HeraldEvent]>, sourceState: SourceStateBatch, enrich?: Enricher): IngestOutcome {
    const { events: eventTable, outbox, seenDeliveries, throttle, digests, groups, mutes } = this.tables;
    const nowMs = now.getTime();
    if (item.deliveryId !== undefined && !seenDeliveries.firstTime(item.source.id, item.deliveryId, nowMs)) return { status: 'duplicate' };
    if (item.state) sourceState.set(item.source.id, item.state.key, item.state.value);
    // A run stored by another source of the same tool (webhook and poll) is dropped; before
    // the streaks, so a run stored once moves one streak once.
    if (item.inputs.some((input) => input.occurrence !== undefined)) {
      const { kind, id } = item.source;
      item = { ...item, inputs: item.inputs.filter((input) => input.occurrence === undefined || seenDeliveries.firstOccurrence(kind, id, input.occurrence, nowMs)) };
    }
    // After the duplicate check: a redelivery must not move a streak twice.
    if (enrich) item = { ...item, inputs: enrich(item, sourceState.forSource(item.source.id)) };
    const raw = bindableRaw(item.rawStored ?? null);
    // The router asks for throttle memory only for rules that throttle: remember those alone.
    const throttling = new Set<string>();
    const lookups: RoutingLookups = {
      lastRoutedAt: (ruleId, dedupKey) => {
        throttling.add(ruleId);
        return throttle.lastRoutedAt(ruleId, dedupKey);
      },
      activeMute: (key, at) => mutes?.active(key, at),
      liftMuteOnPass: (key) => mutes?.liftOnPass(key) ?? false,
    };
    const events: HeraldEvent[] = [];
    let deliveries = 0;
    let digested = 0;
    let grouped = 0;
    for (const input of item.inputs) {
      const event: HeraldEvent = { ...completeEvent(input, item.source, now), id: eventId(), read: false };
      throttling.clear();
      const outcomes = router(event, lookups);
      const seq = eventTable.insert(event, nowMs, item.inputs.length === 1 ? raw : null, outcomes);
      for (const outcome of outcomes) {
        if (outcome.outcome !== 'routed') continue;
        if (throttling.has(outcome.ruleId)) throttle.remember(outcome.ruleId, event.dedupKey, nowMs);
        if (outcome.digest) {
          // A digest rule: the event waits in the rule's window; one message goes when it closes.
          digests.add(outcome, outcome.digest.windowSeconds, seq, nowMs);
          digested++;
          continue;
        }
        if (outcome.group) {
          // A grouping rule: the event joins its storm group; the group's message goes when it is due.
          groups.add({ ...outcome, group: outcome.group }, seq, nowMs);
          grouped++;
          continue;
        }
        for (const channelId of outcome.channels) {
          outbox.enqueue(seq, channelId, outcome.ruleId, nowMs);
          deliveries++;
        }
        if (outcome.channels.length > 0) forDelivery.push([seq, event]);
      }
      events.push(event);
    }
    return {
      status: 'accepted',
      events,
      deliveries,
      ...(digested > 0 && { digested }),
      ...(grouped > 0 && { grouped }),
    };
  }

  /**
   * Closes one digest window, all or nothing: reads its events, stores the digest `build`
   * makes with one delivery per channel `keepChannel` accepts, and removes the window's
   * items. Undefined when there is nothing to send (closed already, its events deleted, or
   * no channel left); the items are removed then too. The digest is not routed again.
   */
  closeDigest(window: DigestWindow, build: DigestBuilder, options: { now: number; keepChannel?: (id: string) => boolean }): ClosedDigest | undefined {
    const { digests } = this.tables;
    return this.transaction(() => {
      const items = digests.items(window);
      if (items.length === 0) return undefined;
      digests.remove(window);
      return this.storeSummary(items, options, (events, channels) => {
        const { event, reason } = build(window, events, channels);
        return { event, ruleId: window.ruleId, ruleName: window.ruleName, reason, extra: { digest: { windowSeconds: Math.round((window.end - window.start) / 1000) } } };
      });
    });
  }

  /**
   * Sends one due storm group, all or nothing: with events waiting, stores the message
   * `build` makes with one delivery per channel `keepChannel` accepts, removes the items
   * and makes the group due again an interval from `now`; with none waiting (a whole
   * interval without events), the group ends. Undefined when nothing is sent. The
   * message is not routed again.
   */
  sendGroup(group: StormGroup, build: GroupBuilder, options: { now: number; keepChannel?: (id: string) => boolean }): SentGroup | undefined {
    const { groups } = this.tables;
    return this.transaction(() => {
      const items = groups.items(group);
      if (items.length === 0) {
        groups.end(group);
        return undefined;
      }
      groups.sent(group, options.now + group.intervalSeconds * 1000);
      return this.storeSummary(items, options, (events, channels) => {
        const { event, reason } = build(group, events, channels);
        const extra = { group: { by: group.by, waitSeconds: group.waitSeconds, intervalSeconds: group.intervalSeconds } };
        return { event, ruleId: group.ruleId, ruleName: group.ruleName, reason, extra };
      });
    });
  }

  /**
   * Inside a closing transaction: the events the items name (deleted ones left out), one
   * summary event `make` builds for them, stored with its rule outcome and one delivery per
   * channel `keepChannel` accepts. Undefined when no event or no channel is left.
   */
  private storeSummary(
    items: ReadonlyArray<{ channelId: string; eventSeq: number }>,
    options: { now: number; keepChannel?: (id: string) => boolean },
    make: (events: HeraldEvent[], channels: string[]) => { event: HeraldEvent; ruleId: string; ruleName: string; reason: string; extra: Pick<RuleOutcome, 'digest' | 'group'> },
  ): { event: HeraldEvent; channels: string[]; covered: number } | undefined {
    const { events: eventTable, outbox } = this.tables;
    const named = [...new Set(items.map((r) => r.channelId))].sort();
    const channels = named.filter((id) => options.keepChannel?.(id) ?? true);
    const events: HeraldEvent[] = [];
    const memberSeqs: number[] = [];
    for (const seq of new Set(items.map((r) => r.eventSeq))) {
      const event = eventTable.getBySeq(seq);
      if (!event) continue;
      events.push(event);
      memberSeqs.push(seq);
    }
    if (events.length === 0 || channels.length === 0) return undefined;
    const { event, ruleId, ruleName, reason, extra } = make(events, channels);
    const outcome: RuleOutcome = { ruleId, ruleName, outcome: 'routed', channels, heldBack: named.filter((id) => !channels.includes(id)), reason, ...extra };
    const seq = eventTable.insert(event, options.now, null, [outcome]);
    eventTable.noteSummarized(seq, memberSeqs);
    for (const channelId of channels) outbox.enqueue(seq, channelId, ruleId, options.now);
    return { event, channels, covered: events.length };
  }
}

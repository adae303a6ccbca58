// The store as the hub sees it, whichever database is behind it: SQLite (one file, one
// process: the desktop and a single server) or PostgreSQL (a team: several hub replicas on
// one database). Every method returns a Promise, so the PostgreSQL engine can answer from
// the network; the SQLite engine (sqlite-engine.ts) answers from better-sqlite3's
// synchronous table objects. Nothing above the store knows which engine it has.
//
// Durability is the engine's concern: a resolved `ingest` (or any write) is committed for
// good — PostgreSQL's commit is durable; SQLite commits without fsync and resolves after
// a group fdatasync of its WAL (wal-sync.ts), so concurrent ingests share one fsync.
//
// The tables' method lists below name what the hub uses; their signatures are the SQLite
// table objects' (the source of truth for arguments and results), each returning a Promise.
import type { Mute } from '../../../shared/mutes.js';
import type { ClosedDigest, DigestBuilder, DigestWindow, DigestWindows } from '../rules/digest-windows.js';
import type { GroupBuilder, SentGroup, StormGroup, StormGroups } from '../rules/storm-groups.js';
import type { RuleOutcome } from '../../../shared/api.js';
import type { HeraldEvent } from '../../../shared/event.js';
import type { BoardStore } from './board.js';
import type { EventStore } from './events.js';
import type { HealthKind, HealthStore, HealthTransition } from './health.js';
import type { IngestItem, IngestOutcome, SourceStateTx } from './ingest-transaction.js';
import type { MuteStore } from './mutes.js';
import type { ClaimedDelivery, DeliveryOutcome, Outbox } from './outbox.js';
import type { SourceStateStore } from './source-state.js';

/** The same methods, each returning a Promise of what it returned. */
export type Async<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** History: the api's events.*, threads, the worker's event for a delivery. */
export type EventsTable = Async<Pick<EventStore, 'list' | 'get' | 'thread' | 'forDelivery' | 'getBySeq' | 'recent' | 'markRead' | 'delete' | 'counts' | 'sourceStats' | 'summariesOf' | 'membersOf'>>;

/** The outbox outside the worker's tick: manual retry, lists, counts, channel changes. */
export type OutboxTable = Async<Pick<Outbox, 'get' | 'list' | 'retryNow' | 'retryFailed' | 'dueNow' | 'cancelForChannel' | 'cancelOrphans' | 'counts' | 'channelCounts'>> & {
  /**
   * When the channel's next delivery is due (epoch ms on the caller's clock, `now`: default
   * Date.now()). On PostgreSQL also when another replica's claim's lease ends — kept on the
   * database's clock, and moved onto the caller's.
   */
  nextDue(channelId: string, now?: number): Promise<number | undefined>;
  /**
   * Extends the lease of claims still being sent (a send slower than the lease). SQLite has
   * no leases (one process; claims go back to pending at open) and does nothing.
   */
  renewLeases(ids: readonly number[], now: number): Promise<void>;
  /**
   * The replica is starting, and no other process runs under its id (the lease table checked):
   * claims under its name are from before it died — due again now; how many. SQLite did this
   * at open (its claims are not written) and answers 0.
   */
  releaseOwnClaims(now: number): Promise<number>;
};

/** Channel and source health (the api's status, health events). */
export type HealthTable = Async<Pick<HealthStore, 'get' | 'recordSuccess' | 'recordFailure'>>;

/** A source's persisted state outside ingest (a poller's cursor): writes go with an ingest (IngestItem.state). */
export type SourceStateTable = Async<Pick<SourceStateStore, 'get' | 'clear'>>;

/** Digest rules' open windows: the scheduler's questions (closing one is `closeDigest`). */
export type DigestsTable = Async<Pick<DigestWindows, 'nextDue' | 'due' | 'waiting' | 'held'>>;

/** Grouping rules' open storm groups: the sender's questions (sending one is `sendGroup`). */
export type GroupsTable = Async<Pick<StormGroups, 'nextDue' | 'due' | 'waiting' | 'waitingFor' | 'open' | 'held'>>;

/** Pipeline mutes (the api's mutes.*, the timer that ends timed mutes, the board's "muted until"). */
export type MutesTable = Async<Pick<MuteStore, 'add' | 'active' | 'list' | 'remove' | 'purgeExpired' | 'nextExpiry'>>;

/**
 * The board (what has a state now), kept by ingest. `answer` is `list` carrying its JSON
 * (shared/api.ts withAnswerJson); `save` writes what the engine holds unsaved (SQLite keeps
 * the board in memory and saves it in batches, store/board.ts; an engine that writes the
 * board in the ingest transaction has nothing to do).
 */
export type BoardTable = Async<Pick<BoardStore, 'list' | 'answer' | 'items' | 'keysMutedBy' | 'prune' | 'count' | 'save'>>;

/**
 * What routing may look up, inside the ingest transaction. Synchronous on purpose: the
 * router and the enricher are pure functions of these answers (shared/rules.ts), called
 * per event in the middle of the transaction. An engine whose queries are asynchronous
 * (PostgreSQL) answers from what it loaded in the same transaction; for a key it has not
 * loaded it throws `LookupMiss` (see `routeWithLoads`), loads it, and calls again — so a
 * router/enricher call may be repeated, and only the call that completes counts (its
 * writes — a lifted mute, source state — are applied by the engine after it).
 */
export interface RoutingLookups {
  /** When this rule last routed this dedupKey (throttle memory). */
  lastRoutedAt(ruleId: string, dedupKey: string): number | undefined;
  /** The mute holding this pipeline key now (shared/mutes.ts pipelineKey). */
  activeMute(key: string, now: Date): Mute | undefined;
  /** Lifts an "until it passes" mute on this key (a pipeline's success); whether there was one. */
  liftMuteOnPass(key: string): boolean;
}

/** Decides which rules route an event where: the hub's live config over the transaction's lookups. */
export type EngineRouter = (event: HeraldEvent, lookups: RoutingLookups) => RuleOutcome[];

/** What an ingest needs from the hub: it is run inside the engine's transaction. */
export interface IngestRouting {
  router: EngineRouter;
  /** Rewrites an item's events with its source's state (pipeline streaks), after the duplicate check. */
  enrich?: (item: IngestItem, state: SourceStateTx) => IngestItem['inputs'];
  /** The hub's clock (ingest time); default now. */
  now?: Date;
}

/**
 * A finished send's effect on its delivery row, decided by the worker's policy (outbox.ts):
 * delivered/retry/failed count the attempt; requeue (a send cut off by shutdown) does not.
 * Applied only to a row this process still holds (PostgreSQL: its claim's lease).
 */
export type { DeliveryOutcome };

/** A send's effect on its channel's health. */
export type HealthRecord =
  | { kind: HealthKind; id: string; ok: true }
  | { kind: HealthKind; id: string; ok: false; error: string; unhealthyAfter: number };

/** One worker tick: record what finished, then claim what is due (one transaction when there is something to record). */
export interface DeliveryTick {
  now: number;
  record: readonly DeliveryOutcome[];
  health: readonly HealthRecord[];
  /** Per channel, how many due deliveries to claim (oldest first); empty: claim nothing. */
  claim: ReadonlyArray<readonly [channelId: string, count: number]>;
}

export interface DeliveryTickResult {
  /**
   * Claimed for this replica. On PostgreSQL a claim is leased (FOR UPDATE SKIP LOCKED, then
   * a lease): a replica that dies mid-send loses it at `leaseUntil` and another claims it
   * again (at least once). SQLite leaves leaseUntil out.
   */
  claimed: Array<ClaimedDelivery & { leaseUntil?: number }>;
  /** One per `health` record, in order: what it did to the channel's health. */
  transitions: HealthTransition[];
}

/** Thrown when the engine takes nothing now: a damaged SQLite file, PostgreSQL unreachable. Its message is the one line a user sees. */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

/** SQLite committed an ingest but its disk did not confirm the write: refuse the senders, yet the rows exist (their deliveries go out). */
export class IngestNotConfirmed extends Error {
  override readonly name = 'IngestNotConfirmed';
}

export interface StoreEngine {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data lives, for logs and the status page: a file path, or the URL without its password. */
  readonly location: string;
  readonly events: EventsTable;
  readonly outbox: OutboxTable;
  readonly health: HealthTable;
  readonly sourceState: SourceStateTable;
  readonly digests: DigestsTable;
  readonly groups: GroupsTable;
  readonly mutes: MutesTable;
  readonly board: BoardTable;
  /**
   * Stores every item's events, their rule outcomes and deliveries, digest items, board,
   * delivery id and source state in ONE transaction: all or none. Resolves once durable.
   * Rejects with StoreUnavailable (nothing stored, say so to every sender), IngestNotConfirmed
   * (stored, not confirmed) or another error (this batch failed; the caller may try the items
   * one by one so one bad item does not cost the others).
   */
  ingest(items: IngestItem[], routing: IngestRouting): Promise<IngestOutcome[]>;
  /** Closes one digest window, all or nothing (ingest-transaction.ts closeDigest). */
  closeDigest(window: DigestWindow, build: DigestBuilder, options: { now: number; keepChannel?: (id: string) => boolean }): Promise<ClosedDigest | undefined>;
  /** Sends one due storm group, all or nothing (ingest-transaction.ts sendGroup). */
  sendGroup(group: StormGroup, build: GroupBuilder, options: { now: number; keepChannel?: (id: string) => boolean }): Promise<SentGroup | undefined>;
  /** The delivery worker's tick in one transaction (bookkeeping: a lost result means one more send, never a lost event). */
  deliveryTick(tick: DeliveryTick): Promise<DeliveryTickResult>;
  /**
   * Deletes events past the retention settings (never undelivered ones) and the dedup and
   * throttle memory older than the longest window they serve. Resolves to the events deleted.
   */
  enforceRetention(maxAgeDays: number, maxEvents: number, now?: Date): Promise<number>;
  /** Bytes the data takes (SQLite: file and WAL; PostgreSQL: the database's size). */
  sizeBytes(): Promise<number>;
  /** What is wrong with the store now (a damaged file, a full disk, the database unreachable), or undefined. */
  readonly problem: string | undefined;
  /** Told when `problem` changes (set or cleared). Returns the unsubscribe. */
  onProblem(listener: (problem: string | undefined) => void): () => void;
  /**
   * Told when deliveries may have become due: committed by this process or, on PostgreSQL,
   * by another replica (LISTEN/NOTIFY). The delivery worker sleeps between these (and its
   * own timers for retries), never busy-polls. Returns the unsubscribe.
   */
  onDeliveriesDue(listener: () => void): () => void;
  /**
   * PostgreSQL only: told when another replica changed what open UIs show — events stored,
   * read or deleted (`events`), mutes (`mutes`) — so this replica's UIs reload; also when the
   * LISTEN is re-established (anything may have changed meanwhile). Returns the unsubscribe.
   * One process owns a SQLite file: nothing changes it behind the hub's back.
   */
  onOtherReplicaChanged?(listener: (what: 'events' | 'mutes') => void): () => void;
  /** Closes the connections (SQLite: checkpoints the WAL first). */
  close(): Promise<void>;
}

/** An async engine's lookup for a key it has not loaded (see RoutingLookups): load it, then call again. */
export class LookupMiss extends Error {
  override readonly name = 'LookupMiss';
  constructor(readonly load: () => Promise<void>) {
    super('a routing lookup was not loaded yet');
  }
}

/**
 * Runs `attempt` (a router or enricher call over loaded lookups) until no lookup misses,
 * loading what each miss asks for. `attempt` starts afresh each time (the engine discards
 * writes of an attempt that missed). Bounded: a router that keeps asking for new keys is a bug.
 */
export async function routeWithLoads<T>(attempt: () => T, maxLoads = 1_000): Promise<T> {
  for (let loads = 0; ; loads++) {
    try {
      return attempt();
    } catch (error) {
      if (!(error instanceof LookupMiss) || loads >= maxLoads) throw error;
      await error.load();
    }
  }
}

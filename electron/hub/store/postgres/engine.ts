// The PostgreSQL engine of the store (store/engine.ts): a team's hub replicas share one
// database. Opening it connects (bounded), migrates under an advisory lock and refuses a
// database of a newer schema; then every table answers over a pool, the ingest, digest
// and delivery-tick transactions run on one connection each (retried on a deadlock or a
// serialization failure), and a LISTEN connection hears deliveries made due by any replica.
//
// While PostgreSQL is unreachable the engine says so (`problem`, StoreUnavailable): ingest
// refuses, nothing is half-written (a transaction commits or not), and the pool reconnects
// by itself once the server is back; the LISTEN connection is re-opened with a backoff.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ClosedDigest, DigestBuilder, DigestWindow } from '../../rules/digest-windows.js';
import { type DeliveryTick, type DeliveryTickResult, type IngestRouting, type StoreEngine, StoreUnavailable } from '../engine.js';
import type { HealthTransition } from '../health.js';
import type { IngestItem, IngestOutcome } from '../ingest-transaction.js';
import { PgBoardStore } from './board.js';
import { BadDatabaseUrl, createPool, withPassword, describeConnectionError, isUnavailable, parseDatabaseUrl, type PostgresConnectionOptions, type PostgresLocation } from './connection.js';
import { PgDigestWindows } from './digest-windows.js';
import { PgEventStore } from './events.js';
import { PgHealthStore } from './health.js';
import { closeDigestWindow, ingestItems, sendStormGroup } from './ingest-transaction.js';
import { migratePostgres, SchemaTooNew } from './migrations.js';
import { PgMuteStore } from './mutes.js';
import { CHANGES_CHANNEL, DUE_CHANNEL, PgOutbox, type ReplicaChange } from './outbox.js';
import { PgSeenDeliveries } from './seen-deliveries.js';
import { PgSourceStateStore } from './source-state.js';
import { PgStormGroups } from './storm-groups.js';
import { type Sql, sqlOn } from './sql.js';
import { PgThrottleMemory } from './throttle-memory.js';

export interface PostgresEngineOptions extends Omit<PostgresConnectionOptions, 'url'> {
  /** How long a delivery claim holds without renewal (default 60 s): a dead replica's sends are taken over after it. */
  leaseMs?: number;
  /** This replica's name in delivery claims (default host:pid:random). */
  replica?: string;
  /** Keep the board current in ingest (default); off only for benchmarks. */
  board?: boolean;
  log?: (line: string) => void;
}

/** Opening failed for a reason a user must fix (URL, password, database, schema version): one line, no password. */
export class PostgresOpenError extends Error {
  override readonly name = 'PostgresOpenError';
}

export interface PostgresEngine extends StoreEngine {
  readonly kind: 'postgres';
  /** This replica's name (delivery claims, leases). */
  readonly replica: string;
  /** One statement on the pool (its own transaction), for modules with tables of their own (leases, config). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /**
   * LISTENs on `channel` over the engine's listening connection: `onPayload` for each NOTIFY;
   * `onListening` each time the LISTEN is (re)established, so the caller reloads what it may
   * have missed while the connection was down. Resolves to the unsubscribe.
   */
  subscribe(channel: string, onPayload: (payload: string) => void, onListening?: () => void): Promise<() => void>;
}

const ignore = () => {};

/** Transaction retries on a deadlock (40P01) or serialization failure (40001): the loser runs again. */
const TX_ATTEMPTS = 5;

/** Connects (bounded), migrates and opens the engine; throws PostgresOpenError with one clear line when it cannot. */
export async function openPostgresEngine(url: string, options: PostgresEngineOptions = {}): Promise<PostgresEngine> {
  let where: PostgresLocation;
  try {
    where = parseDatabaseUrl(url);
  } catch (error) {
    if (error instanceof BadDatabaseUrl) throw new PostgresOpenError(error.message);
    throw error;
  }
  const log = options.log ?? (() => {});
  const replica = options.replica ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const maxConnections = options.maxConnections ?? 10;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const pool = createPool({ ...options, maxConnections, connectTimeoutMs, url, applicationName: options.applicationName ?? `herald ${replica}` });

  // Connect and migrate before anything else: a wrong URL or password, an unreachable host
  // or a newer schema is one clear error here, not a failure on the first request.
  try {
    const client = await pool.connect();
    client.on('error', ignore);
    try {
      await migratePostgres(client, { lockWaitMs: (options.lockTimeoutMs ?? 10_000) * 6 });
    } finally {
      client.off('error', ignore);
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof SchemaTooNew) throw new PostgresOpenError(`${where.display}: ${error.message}`);
    throw new PostgresOpenError(describeConnectionError(error, where));
  }

  const sql = sqlOn(pool);
  const tables = {
    events: new PgEventStore(sql),
    outbox: new PgOutbox(sql, replica, options.leaseMs ?? 60_000),
    seenDeliveries: new PgSeenDeliveries(sql),
    sourceState: new PgSourceStateStore(sql),
    throttle: new PgThrottleMemory(sql),
    digests: new PgDigestWindows(sql),
    mutes: new PgMuteStore(sql),
    groups: new PgStormGroups(sql),
    board: new PgBoardStore(sql),
    health: new PgHealthStore(sql),
  };
  const ingestTables = { ...tables, board: options.board === false ? undefined : tables.board };

  // ── problem: set while PostgreSQL is unreachable, cleared by the next statement that works ──
  let problem: string | undefined;
  const problemListeners = new Set<(problem: string | undefined) => void>();
  const setProblem = (next: string | undefined) => {
    if (next === problem) return;
    problem = next;
    log(next ? `store: ${next}` : `store: PostgreSQL at ${where.host}:${where.port} is reachable again`);
    for (const listener of problemListeners) listener(next);
  };
  // ── a full disk at the server (53100 disk_full): the problem until an ingest commits again ──
  // Not cleared by any statement that works, as unreachable is: reads, and a write that fits
  // in pages the table has, still work on a full disk while the next events do not.
  let diskFull: string | undefined;
  const diskFullChanged = (next: string | undefined) => {
    if (next === diskFull) return;
    diskFull = next;
    log(next ? `store: ${next}` : `store: PostgreSQL at ${where.host}:${where.port} stores events again (disk space)`);
    for (const listener of problemListeners) listener(problem ?? diskFull);
  };
  const noteDiskFull = (error: unknown) => {
    if ((error as { code?: string }).code !== '53100' || diskFull) return;
    diskFullChanged(
      `PostgreSQL at ${where.host}:${where.port} has no disk space left (${(error as Error).message}): events are refused (503, senders retry) until space is freed`,
    );
  };

  /** Runs a call; an unreachable database becomes StoreUnavailable (and the problem), success clears it. */
  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      if (problem) setProblem(undefined);
      return result;
    } catch (error) {
      // pg says "timeout exceeded when trying to connect" for a full pool too: every connection
      // busy is this replica's load, not the database gone — refused now, but not a problem to report.
      if (/timeout exceeded when trying to connect/i.test((error as Error).message) && pool.totalCount >= maxConnections) {
        throw new StoreUnavailable(`all ${maxConnections} connections to PostgreSQL at ${where.host}:${where.port} stayed busy for ${connectTimeoutMs / 1000} s (too much at once; try again)`);
      }
      if (isUnavailable(error)) {
        const message = describeConnectionError(error, where);
        setProblem(message);
        throw new StoreUnavailable(message);
      }
      throw error;
    }
  };

  /**
   * One transaction on one connection: committed, or rolled back and rethrown; a deadlock
   * loser runs again. `rolledBack` is told of each attempt that did not commit (memory kept
   * beside the rows is to forget what it did).
   */
  const transaction = <T>(fn: (sql: Sql) => Promise<T>, rolledBack?: () => void): Promise<T> =>
    guarded(async () => {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        // A connection lost while checked out is reported by the statement that fails; not an unhandled 'error'.
        client.on('error', ignore);
        let broken = false;
        let begun = false;
        try {
          await client.query('BEGIN');
          begun = true;
          const result = await fn(sqlOn(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          broken = isUnavailable(error);
          if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
          rolledBack?.();
          const code = (error as { code?: string }).code;
          if ((code === '40P01' || code === '40001') && attempt < TX_ATTEMPTS) continue;
          // A pooled connection the server closed while idle (a restart) fails at BEGIN, before
          // anything was sent: a fresh connection may work, so once more.
          if (broken && !begun && attempt === 1) continue;
          noteDiskFull(error);
          throw error;
        } finally {
          client.off('error', ignore);
          client.release(broken);
        }
      }
    });

  // ── LISTEN: one connection for every channel (deliveries due, and what other modules subscribe) ──
  const dueListeners = new Set<() => void>();
  const deliveriesDue = () => {
    for (const listener of dueListeners) listener();
  };
  const subscriptions = new Map<string, Set<{ onPayload: (payload: string) => void; onListening?: (() => void) | undefined }>>();
  subscriptions.set(DUE_CHANNEL, new Set([{ onPayload: (payload) => payload !== replica && deliveriesDue(), onListening: deliveriesDue }]));
  const changeListeners = new Set<(what: ReplicaChange) => void>();
  const othersChanged = (what: ReplicaChange) => {
    for (const listener of changeListeners) listener(what);
  };
  subscriptions.set(
    CHANGES_CHANNEL,
    new Set([
      {
        onPayload: (payload) => {
          const [from, what] = payload.split(' ');
          if (from !== replica && (what === 'events' || what === 'mutes')) othersChanged(what);
        },
        onListening: () => {
          othersChanged('events');
          othersChanged('mutes');
        },
      },
    ]),
  );
  /** After a change made on the pool (not in an ingest transaction): the other replicas' UIs hear of it. */
  const tellOthers = (what: ReplicaChange) => guarded(() => tables.outbox.notifyDue(sql, what, false));
  const quoteChannel = (channel: string) => `"${channel.replace(/"/g, '""')}"`;
  let listener: pg.Client | undefined;
  let listenTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let listenBackoff = 250;
  const listen = async () => {
    if (closed) return;
    const client = new pg.Client({
      connectionString: withPassword(url, options.password),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
      application_name: `herald ${replica} listen`,
    });
    let retried = false;
    const retry = () => {
      if (closed || retried) return;
      retried = true;
      if (listener === client) listener = undefined;
      listenTimer = setTimeout(() => {
        listenTimer = undefined;
        void listen();
      }, listenBackoff);
      listenTimer.unref();
      listenBackoff = Math.min(listenBackoff * 2, 5_000);
    };
    client.on('error', () => {
      client.end().catch(() => {});
      retry();
    });
    client.on('end', retry);
    client.on('notification', (message) => {
      // A NOTIFY's payload on our channel names the replica that committed; our own commits were told already.
      for (const s of subscriptions.get(message.channel) ?? []) s.onPayload(message.payload ?? '');
    });
    try {
      await client.connect();
      for (const channel of subscriptions.keys()) await client.query(`LISTEN ${quoteChannel(channel)}`);
      if (closed) return void client.end().catch(() => {});
      listener = client;
      listenBackoff = 250;
      // Listening again after an outage: the database is back even before a request proves it.
      if (problem) setProblem(undefined);
      // While not listening, something may have happened: every subscriber looks again.
      for (const set of subscriptions.values()) for (const s of set) s.onListening?.();
    } catch {
      client.end().catch(() => {});
      retry();
    }
  };
  await listen();

  /** Reads and writes outside a transaction of ours: the pool, guarded. */
  function promised<T extends object, K extends keyof T>(table: T, names: readonly K[]) {
    const out: Record<string, unknown> = {};
    for (const name of names) {
      const method = table[name] as unknown as (...args: unknown[]) => Promise<unknown>;
      out[name as string] = (...args: unknown[]) => guarded(() => method.apply(table, args));
    }
    return out as { [P in K]: T[P] };
  }

  const outbox = promised(tables.outbox, ['nextDue', 'get', 'list', 'retryNow', 'retryFailed', 'dueNow', 'cancelForChannel', 'cancelOrphans', 'counts', 'channelCounts', 'renewLeases']);

  const engine: PostgresEngine = {
    kind: 'postgres',
    location: where.display,
    replica,
    events: (() => {
      const events = promised(tables.events, ['list', 'get', 'thread', 'forDelivery', 'getBySeq', 'recent', 'markRead', 'delete', 'counts', 'sourceStats', 'summariesOf', 'membersOf']);
      return {
        ...events,
        markRead: async (...args: Parameters<typeof events.markRead>) => {
          const updated = await events.markRead(...args);
          if (updated > 0) await tellOthers('events');
          return updated;
        },
        delete: async (...args: Parameters<typeof events.delete>) => {
          const deleted = await events.delete(...args);
          if (deleted > 0) await tellOthers('events');
          return deleted;
        },
      };
    })(),
    outbox: {
      ...outbox,
      // A manual retry or a fixed channel makes deliveries due now, for every replica.
      retryNow: async (id: number, now: number) => {
        const delivery = await outbox.retryNow(id, now);
        if (delivery?.status === 'pending') await guarded(() => tables.outbox.notifyDue(sql)).then(deliveriesDue);
        return delivery;
      },
      retryFailed: async (channelId: string, now: number) => {
        const retried = await outbox.retryFailed(channelId, now);
        if (retried > 0) await guarded(() => tables.outbox.notifyDue(sql)).then(deliveriesDue);
        return retried;
      },
      dueNow: async (channelId: string, now: number) => {
        const moved = await outbox.dueNow(channelId, now);
        if (moved > 0) await guarded(() => tables.outbox.notifyDue(sql)).then(deliveriesDue);
        return moved;
      },
      renewLeases: (ids: readonly number[], now: number) => guarded(() => tables.outbox.renewLeases(ids, now)),
      releaseOwnClaims: async (now: number) => {
        const released = await guarded(() => tables.outbox.releaseOwnClaims(now));
        if (released > 0) await guarded(() => tables.outbox.notifyDue(sql)).then(deliveriesDue);
        return released;
      },
    },
    health: promised(tables.health, ['get', 'recordSuccess', 'recordFailure']),
    sourceState: promised(tables.sourceState, ['get', 'clear']),
    digests: promised(tables.digests, ['nextDue', 'due', 'waiting', 'held']),
    mutes: (() => {
      const mutes = promised(tables.mutes, ['add', 'active', 'list', 'remove', 'purgeExpired', 'nextExpiry']);
      return {
        ...mutes,
        add: async (...args: Parameters<typeof mutes.add>) => {
          const mute = await mutes.add(...args);
          await tellOthers('mutes');
          return mute;
        },
        remove: async (...args: Parameters<typeof mutes.remove>) => {
          const removed = await mutes.remove(...args);
          if (removed) await tellOthers('mutes');
          return removed;
        },
        purgeExpired: async (...args: Parameters<typeof mutes.purgeExpired>) => {
          const purged = await mutes.purgeExpired(...args);
          if (purged > 0) await tellOthers('mutes');
          return purged;
        },
      };
    })(),
    board: promised(tables.board, ['list', 'answer', 'items', 'keysMutedBy', 'prune', 'count', 'save']),
    groups: promised(tables.groups, ['nextDue', 'due', 'waiting', 'waitingFor', 'open', 'held']),

    async ingest(items: IngestItem[], routing: IngestRouting): Promise<IngestOutcome[]> {
      const result = await transaction((tx) => ingestItems(tx, ingestTables, items, routing));
      if (diskFull) diskFullChanged(undefined);
      for (const [seq, event] of result.forDelivery) tables.events.keepForDelivery(seq, event);
      if (result.deliveries > 0) deliveriesDue();
      return result.outcomes;
    },

    async closeDigest(window: DigestWindow, build: DigestBuilder, closeOptions: { now: number; keepChannel?: (id: string) => boolean }): Promise<ClosedDigest | undefined> {
      const closedDigest = await transaction((tx) => closeDigestWindow(tx, tables, window, build, closeOptions));
      if (closedDigest) deliveriesDue();
      return closedDigest;
    },

    async sendGroup(group, build, sendOptions) {
      const sent = await transaction((tx) => sendStormGroup(tx, tables, group, build, sendOptions));
      if (sent) deliveriesDue();
      return sent;
    },

    async deliveryTick(tick: DeliveryTick): Promise<DeliveryTickResult> {
      const { now } = tick;
      return transaction(async (tx) => {
        await tables.outbox.record(tx, tick.record, now);
        const transitions: HealthTransition[] = [];
        for (const h of tick.health) {
          transitions.push(h.ok ? await tables.health.recordSuccess(h.kind, h.id, now, tx) : await tables.health.recordFailure(h.kind, h.id, h.error, now, h.unhealthyAfter, tx));
        }
        // Claims are rows here: a failed commit takes them back with the results (no memory to undo).
        const claimed = tick.claim.length > 0 ? await tables.outbox.claimDue(tx, now, tick.claim) : [];
        return { claimed, transitions };
        // A success coalesced by the health store may not be on disk (a deadlock's rerun would skip it): the next one is written.
      }, () => tables.health.forgetWritten());
    },

    async enforceRetention(maxAgeDays: number, maxEvents: number, now = new Date()): Promise<number> {
      return guarded(async () => {
        const deleted = await tables.events.enforceRetention(maxAgeDays, maxEvents, now);
        await tables.seenDeliveries.forgetBefore(now.getTime() - 7 * 86_400_000);
        await tables.throttle.forgetBefore(now.getTime() - 31 * 86_400_000);
        return deleted;
      });
    },

    async sizeBytes(): Promise<number> {
      return guarded(async () => (await sql<{ n: number }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n);
    },

    get problem() {
      return problem ?? diskFull;
    },
    onProblem(listenerFn: (problem: string | undefined) => void) {
      problemListeners.add(listenerFn);
      return () => void problemListeners.delete(listenerFn);
    },
    onOtherReplicaChanged(listenerFn: (what: ReplicaChange) => void) {
      changeListeners.add(listenerFn);
      return () => void changeListeners.delete(listenerFn);
    },
    onDeliveriesDue(listenerFn: () => void) {
      dueListeners.add(listenerFn);
      return () => void dueListeners.delete(listenerFn);
    },
    query: (text, values) => guarded(() => pool.query(text, values as unknown[])),
    async subscribe(channel, onPayload, onListening) {
      const entry = { onPayload, onListening };
      let set = subscriptions.get(channel);
      if (!set) {
        set = new Set();
        subscriptions.set(channel, set);
        if (listener) await listener.query(`LISTEN ${quoteChannel(channel)}`);
      }
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },

    async close(): Promise<void> {
      closed = true;
      if (listenTimer) clearTimeout(listenTimer);
      listenTimer = undefined;
      const client = listener;
      listener = undefined;
      if (client) {
        client.removeAllListeners('end');
        await client.end().catch(() => {});
      }
      problemListeners.clear();
      dueListeners.clear();
      await pool.end();
    },
  };
  return engine;
}

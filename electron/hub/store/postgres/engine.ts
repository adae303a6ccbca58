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
import type { RuleOutcome } from '../../../../shared/api.js';
import type { HeraldEvent } from '../../../../shared/event.js';
import type { ClosedDigest, DigestBuilder, DigestWindow } from '../../rules/digest-windows.js';
import type { HealthKind, HealthTransition } from '../health.js';
import type { IngestItem, IngestOutcome, SourceStateTx } from '../ingest-transaction.js';
import type { ClaimedDelivery } from '../outbox.js';
import { PgBoardStore } from './board.js';
import { BadDatabaseUrl, createPool, describeConnectionError, isUnavailable, parseDatabaseUrl, type PostgresConnectionOptions, type PostgresLocation } from './connection.js';
import { PgDigestWindows } from './digest-windows.js';
import { PgEventStore } from './events.js';
import { PgHealthStore } from './health.js';
import { closeDigestWindow, ingestItems, type PgRoutingLookups } from './ingest-transaction.js';
import { migratePostgres, SchemaTooNew } from './migrations.js';
import { PgMuteStore } from './mutes.js';
import { DUE_CHANNEL, PgOutbox, type Settlement } from './outbox.js';
import { PgSeenDeliveries } from './seen-deliveries.js';
import { PgSourceStateStore } from './source-state.js';
import { type Sql, sqlOn } from './sql.js';
import { PgThrottleMemory } from './throttle-memory.js';

export interface PostgresEngineOptions extends PostgresConnectionOptions {
  /** How long a delivery claim holds without renewal (default 60 s): a dead replica's sends are taken over after it. */
  leaseMs?: number;
  /** This replica's name in delivery claims (default host:pid:random). */
  replica?: string;
  /** Keep the board current in ingest (default); off only for benchmarks. */
  board?: boolean;
  log?: (line: string) => void;
}

/** The engine cannot take anything now (PostgreSQL unreachable); the message is the one line a user sees. */
export class PostgresUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
}

/** Opening failed for a reason a user must fix (URL, password, database, schema version): one line, no password. */
export class PostgresOpenError extends Error {
  override readonly name = 'PostgresOpenError';
}

type HealthRecord = { kind: HealthKind; id: string; ok: true } | { kind: HealthKind; id: string; ok: false; error: string; unhealthyAfter: number };

export interface PgDeliveryTick {
  now: number;
  settle: readonly Settlement[];
  health: readonly HealthRecord[];
  claim: ReadonlyArray<readonly [channelId: string, count: number]>;
}

export interface PgIngestRoutingInput {
  router: (event: HeraldEvent, lookups: PgRoutingLookups) => RuleOutcome[];
  enrich?: (item: IngestItem, state: SourceStateTx) => IngestItem['inputs'];
  now?: Date;
}

/** Transaction retries on a deadlock (40P01) or serialization failure (40001): the loser runs again. */
const TX_ATTEMPTS = 5;

export async function openPostgresEngine(options: PostgresEngineOptions) {
  let where: PostgresLocation;
  try {
    where = parseDatabaseUrl(options.url);
  } catch (error) {
    if (error instanceof BadDatabaseUrl) throw new PostgresOpenError(error.message);
    throw error;
  }
  const log = options.log ?? (() => {});
  const replica = options.replica ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const pool = createPool({ ...options, applicationName: options.applicationName ?? `herald ${replica}` });

  // Connect and migrate before anything else: a wrong URL or password, an unreachable host
  // or a newer schema is one clear error here, not a failure on the first request.
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, { lockWaitMs: (options.lockTimeoutMs ?? 10_000) * 6 });
    } finally {
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
  /** Runs a call; an unreachable database becomes PostgresUnavailable (and the problem), success clears it. */
  const guarded = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      const result = await call();
      if (problem) setProblem(undefined);
      return result;
    } catch (error) {
      if (isUnavailable(error)) {
        const message = describeConnectionError(error, where);
        setProblem(message);
        throw new PostgresUnavailable(message);
      }
      throw error;
    }
  };

  /** One transaction on one connection: committed, or rolled back and rethrown; a deadlock loser runs again. */
  const transaction = <T>(fn: (sql: Sql) => Promise<T>): Promise<T> =>
    guarded(async () => {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await fn(sqlOn(client));
          await client.query('COMMIT');
          return result;
        } catch (error) {
          broken = isUnavailable(error);
          if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
          const code = (error as { code?: string }).code;
          if ((code === '40P01' || code === '40001') && attempt < TX_ATTEMPTS) continue;
          throw error;
        } finally {
          client.release(broken);
        }
      }
    });

  // ── deliveries due: this replica's commits at once, other replicas' by LISTEN/NOTIFY ──
  const dueListeners = new Set<() => void>();
  const deliveriesDue = () => {
    for (const listener of dueListeners) listener();
  };
  let listener: pg.Client | undefined;
  let listenTimer: NodeJS.Timeout | undefined;
  let closed = false;
  let listenBackoff = 250;
  const listen = async () => {
    if (closed) return;
    const client = new pg.Client({
      connectionString: options.url,
      ...(options.password !== undefined && { password: options.password }),
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
      application_name: `herald ${replica} listen`,
    });
    const retry = () => {
      if (closed || listenTimer) return;
      listener = undefined;
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
      // Our own commits were told already, when they committed.
      if (message.channel === DUE_CHANNEL && message.payload !== replica) deliveriesDue();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${DUE_CHANNEL}`);
      if (closed) return void client.end().catch(() => {});
      listener = client;
      listenBackoff = 250;
      // While not listening, another replica's deliveries may have become due: look now.
      deliveriesDue();
    } catch {
      client.removeAllListeners('end');
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

  const outbox = promised(tables.outbox, ['nextDue', 'get', 'list', 'retryNow', 'dueNow', 'cancelForChannel', 'cancelOrphans', 'counts', 'channelCounts', 'renewLeases']);

  return {
    kind: 'postgres' as const,
    location: where.display,
    replica,
    events: promised(tables.events, ['list', 'get', 'thread', 'forDelivery', 'getBySeq', 'recent', 'markRead', 'delete', 'counts', 'sourceStats']),
    outbox: {
      ...outbox,
      // A manual retry or a fixed channel makes deliveries due now, for every replica.
      retryNow: async (id: number, now: number) => {
        const delivery = await outbox.retryNow(id, now);
        if (delivery?.status === 'pending') await guarded(() => tables.outbox.notifyDue(sql)).then(deliveriesDue);
        return delivery;
      },
      dueNow: async (channelId: string, now: number) => {
        const moved = await outbox.dueNow(channelId, now);
        if (moved > 0) await guarded(() => tables.outbox.notifyDue(sql)).then(deliveriesDue);
        return moved;
      },
      renewLeases: (ids: readonly number[], now: number) => guarded(() => tables.outbox.renewLeases(ids, now)),
    },
    health: promised(tables.health, ['get', 'recordSuccess', 'recordFailure']),
    sourceState: promised(tables.sourceState, ['get', 'clear']),
    digests: promised(tables.digests, ['nextDue', 'due', 'waiting']),
    mutes: promised(tables.mutes, ['add', 'active', 'list', 'remove', 'purgeExpired', 'nextExpiry']),
    board: promised(tables.board, ['list', 'items', 'keysMutedBy', 'prune', 'count']),

    async ingest(items: IngestItem[], routing: PgIngestRoutingInput): Promise<IngestOutcome[]> {
      const result = await transaction((tx) => ingestItems(tx, ingestTables, items, routing));
      for (const [seq, event] of result.forDelivery) tables.events.keepForDelivery(seq, event);
      if (result.deliveries > 0) deliveriesDue();
      return result.outcomes;
    },

    async closeDigest(window: DigestWindow, build: DigestBuilder, closeOptions: { now: number; keepChannel?: (id: string) => boolean }): Promise<ClosedDigest | undefined> {
      const closedDigest = await transaction((tx) => closeDigestWindow(tx, tables, window, build, closeOptions));
      if (closedDigest) deliveriesDue();
      return closedDigest;
    },

    async deliveryTick(tick: PgDeliveryTick): Promise<{ claimed: Array<ClaimedDelivery & { leaseUntil?: number }>; transitions: HealthTransition[] }> {
      const { now } = tick;
      return transaction(async (tx) => {
        await tables.outbox.settle(tx, tick.settle, now);
        const transitions: HealthTransition[] = [];
        for (const h of tick.health) {
          transitions.push(h.ok ? await tables.health.recordSuccess(h.kind, h.id, now, tx) : await tables.health.recordFailure(h.kind, h.id, h.error, now, h.unhealthyAfter, tx));
        }
        const claimed = tick.claim.length > 0 ? await tables.outbox.claimDue(tx, now, tick.claim) : [];
        return { claimed, transitions };
      });
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
      return problem;
    },
    onProblem(listenerFn: (problem: string | undefined) => void) {
      problemListeners.add(listenerFn);
      return () => void problemListeners.delete(listenerFn);
    },
    onDeliveriesDue(listenerFn: () => void) {
      dueListeners.add(listenerFn);
      return () => void dueListeners.delete(listenerFn);
    },
    /** Statements for tests and tools that look at rows (the pool's, not a transaction's). */
    sql,

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
}

export type PostgresEngine = Awaited<ReturnType<typeof openPostgresEngine>>;

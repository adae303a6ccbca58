// The store's engines for an engine-neutral suite: each opens a fresh, empty store behind the
// same async interface (store/engine.ts): SQLite in a temp dir, PostgreSQL in a fresh database
// of one cluster the test file shares (test/helpers/postgres-cluster.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresEngine, type PostgresEngine, type PostgresEngineOptions } from '../../electron/hub/store/postgres/engine.js';
import { openStore } from '../../electron/hub/store/store.js';
import type { PostgresCluster } from './postgres-cluster.js';

/** The interface both engines present (PostgreSQL's shape is the async store interface). */
export type TestEngine = Omit<PostgresEngine, 'kind' | 'replica' | 'sql'> & { kind: 'sqlite' | 'postgres' };

export interface EngineFactory {
  name: 'sqlite' | 'postgres';
  open(options?: Partial<PostgresEngineOptions>): Promise<TestEngine>;
}

/** SQLite through the same async shape (the synchronous table objects, each answer a Promise). */
async function openSqlite(): Promise<TestEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-engine-'));
  const store = openStore(dir);
  const dueListeners = new Set<() => void>();
  const due = () => dueListeners.forEach((l) => l());
  // Typed as whatever the slot wants: each method of the synchronous table answers as a Promise.
  const promised = <T extends object>(table: T): never =>
    new Proxy(table, {
      get: (target, name) => {
        const value = (target as Record<string | symbol, unknown>)[name];
        return typeof value === 'function' ? async (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args) : value;
      },
    }) as never;
  const engine = {
    kind: 'sqlite' as const,
    location: store.file,
    events: promised(store.events),
    outbox: {
            retryNow: async (id: number, now: number) => store.outbox.retryNow(id, now),
      dueNow: async (channelId: string, now: number) => store.outbox.dueNow(channelId, now),
      nextDue: async (channelId: string) => store.outbox.nextDue(channelId),
      get: async (id: number) => store.outbox.get(id),
      list: async (filter: Parameters<TestEngine['outbox']['list']>[0]) => store.outbox.list(filter),
      cancelForChannel: async (channelId: string, reason: string, now: number) => store.outbox.cancelForChannel(channelId, reason, now),
      cancelOrphans: async (ids: readonly string[], now: number) => store.outbox.cancelOrphans(ids, now),
      counts: async () => store.outbox.counts(),
      channelCounts: async (channelId: string) => store.outbox.channelCounts(channelId),
      renewLeases: async () => undefined,
    },
    health: promised(store.health),
    sourceState: promised(store.sourceState),
    digests: promised(store.digests),
    mutes: promised(store.mutes),
    board: promised(store.board),
    async ingest(items, routing) {
      const outcomes = store.ingest(
        items,
        (event, lastRoutedAt) =>
          routing.router(event, { lastRoutedAt, activeMute: (key, at) => store.mutes.active(key, at), liftMuteOnPass: (key) => store.mutes.liftOnPass(key) }),
        routing.now,
        routing.enrich,
      );
      if (outcomes.some((o) => o.status === 'accepted' && o.deliveries > 0)) due();
      return outcomes;
    },
    async closeDigest(window, build, options) {
      return store.closeDigest(window, build, options);
    },
    async deliveryTick(tick) {
      return store.bookkeeping(() => {
        for (const s of tick.settle) {
          if (s.status === 'pending') store.outbox.requeue(s.id, tick.now);
          else if (s.status === 'delivered') store.outbox.delivered(s.id, tick.now);
          else if (s.status === 'retry') store.outbox.retryAt(s.id, s.at, s.error, tick.now);
          else store.outbox.failed(s.id, s.error, tick.now);
        }
        const transitions = tick.health.map((h) =>
          h.ok ? store.health.recordSuccess(h.kind, h.id, tick.now) : store.health.recordFailure(h.kind, h.id, h.error, tick.now, h.unhealthyAfter),
        );
        return { claimed: tick.claim.length > 0 ? store.outbox.claimDue(tick.now, tick.claim) : [], transitions };
      });
    },
    async enforceRetention(maxAgeDays, maxEvents, now) {
      return store.enforceRetention(maxAgeDays, maxEvents, now);
    },
    async sizeBytes() {
      return store.sizeBytes();
    },
    problem: undefined,
    onProblem: () => () => undefined,
    onDeliveriesDue(listener) {
      dueListeners.add(listener);
      return () => void dueListeners.delete(listener);
    },
    async close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  } satisfies TestEngine;
  return engine;
}

export function storeEngines(cluster: () => PostgresCluster): EngineFactory[] {
  return [
    { name: 'sqlite', open: () => openSqlite() },
    {
      name: 'postgres',
      open: async (options = {}) => openPostgresEngine({ url: await cluster().createDatabase(), ...options }),
    },
  ];
}

// A polled source as the hub runs it, minus the rest of the hub: a real SQLite store in a
// temp dir (its engine, as the hub opens it; `store` is the synchronous store under it), the real ingestor (events + poll state in one transaction), and the hub's own
// modules for polling (sources/polling.ts: the real scheduler and registry) and source
// health (health/integration-health.ts: health table + health.integration_unhealthy /
// _recovered events). restart() closes
// the store and opens it again, as a hub restart would. Start and restart return after
// the scheduler's own first poll is committed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SourceSchema, type SourceConfig } from '../../shared/config.js';
import type { HeraldEvent } from '../../shared/event.js';
import { HERALD_SOURCE, startHealthReporter } from '../../electron/hub/health/integration-health.js';
import { Ingestor } from '../../electron/hub/ingest.js';
import type { PollScheduler } from '../../electron/hub/sources/poller.js';
import { startPolling } from '../../electron/hub/sources/polling.js';
import { openSqliteEngine, type SqliteEngine } from '../../electron/hub/store/sqlite-engine.js';
import type { Store } from '../../electron/hub/store/store.js';

export interface PollHarness {
  readonly dataDir: string;
  store: Store;
  scheduler: PollScheduler;
  source: SourceConfig;
  /** Every event of the polled source, oldest first. */
  events(): HeraldEvent[];
  /** Herald's own health events about the source, oldest first. */
  healthEvents(): HeraldEvent[];
  /** Events stored since the last call of this, oldest first. */
  newEvents(): HeraldEvent[];
  poll(): ReturnType<PollScheduler['pollNow']>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPollHarness(config: unknown, options: { secrets: Record<string, string>; unhealthyAfter?: number }): Promise<PollHarness> {
  const source = SourceSchema.parse(config);
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-poll-'));
  const unhealthyAfter = options.unhealthyAfter ?? 3;
  let seen = 0;

  const inFlight = new Set<Promise<unknown>>();
  /** Wait (bounded) until every submitted ingest has been committed or refused. */
  const settled = async () => {
    const deadline = Date.now() + 10_000;
    while (inFlight.size > 0) {
      if (Date.now() > deadline) throw new Error(`${inFlight.size} ingest submissions still pending after 10 s`);
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, 1_000))]);
    }
  };

  const open = async () => {
    const engine: SqliteEngine = await openSqliteEngine(dataDir, { checkpointIntervalMs: false });
    const store = engine.sync;
    const ingestor = new Ingestor({ store: engine, router: () => () => [], onCommitted: () => undefined });
    // Every submission is tracked, so the harness can await the ones still in flight (the
    // health reporter submits its events after the poll's own commit) instead of sleeping.
    const ingest = (item: Parameters<Ingestor['submit']>[0]) => {
      const submitted = ingestor.submit(item);
      inFlight.add(submitted);
      void submitted.finally(() => inFlight.delete(submitted)).catch(() => undefined);
      return submitted;
    };
    const health = startHealthReporter({ store: engine, ingest, unhealthyAfter: () => unhealthyAfter });
    const scheduler = startPolling({ sources: () => [source], store: engine, ingest, resolveSecrets: async () => options.secrets, health });
    return { engine, store, scheduler };
  };

  /** The scheduler polls a source at once when it starts: wait for that poll to be committed. */
  const firstPoll = async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const state = parts.scheduler.states()[source.id];
      if (!state || (state.lastPollAt !== null && !state.running)) break;
      if (Date.now() > deadline) throw new Error('the first poll did not finish within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await settled();
  };

  let parts = await open();
  await firstPoll();
  const all = (sourceId: string) =>
    parts.store.events
      .list({ limit: 1000, sources: [sourceId] })
      .items.slice()
      .reverse();

  const harness: PollHarness = {
    dataDir,
    source,
    get store() {
      return parts.store;
    },
    get scheduler() {
      return parts.scheduler;
    },
    events: () => all(source.id),
    healthEvents: () => all(HERALD_SOURCE.id),
    newEvents() {
      const events = all(source.id);
      const fresh = events.slice(seen);
      seen = events.length;
      return fresh;
    },
    async poll() {
      const outcome = await parts.scheduler.pollNow(source.id);
      // Health events are submitted after the poll's own commit: await them.
      await settled();
      return outcome;
    },
    async restart() {
      await parts.scheduler.stop();
      await settled();
      await parts.engine.close();
      parts = await open();
      await firstPoll();
    },
    async close() {
      await parts.scheduler.stop();
      await settled();
      await parts.engine.close();
    },
  } as PollHarness;
  return harness;
}

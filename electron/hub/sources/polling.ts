// Polled sources (Kosli, SecObserve, DefectDojo, cctray…) as the hub runs them: the poll
// scheduler over the live sources, each poll's events and state committed in one
// transaction, each result counted as source health. The test harness runs the same.
import type { SourceConfig } from '../../../shared/config.js';
import type { HealthReporter } from '../health/integration-health.js';
import type { Lease } from '../leadership/leadership.js';
import type { IngestItem } from '../store/ingest-transaction.js';
import type { StoreEngine } from '../store/engine.js';
import { type PollScheduler, startPollScheduler, testPollingSource } from './poller.js';
import { pollingSourceFor } from './registry.js';

export interface PollingDeps {
  sources: () => SourceConfig[];
  store: Pick<StoreEngine, 'sourceState'>;
  ingest: (item: IngestItem) => Promise<unknown>;
  resolveSecrets: (source: SourceConfig) => Promise<Record<string, string>>;
  health: Pick<HealthReporter, 'sourceResult'>;
  /** The lease each source is polled under on a team hub (leadership.ts); default: this hub polls all. */
  lease?: (sourceId: string) => Lease;
  log?: (line: string) => void;
}

export function startPolling(deps: PollingDeps): PollScheduler {
  return startPollScheduler({
    sources: deps.sources,
    pollerFor: pollingSourceFor,
    resolveSecrets: deps.resolveSecrets,
    loadState: (sourceId) => deps.store.sourceState.get(sourceId, 'poll'),
    commit: async (source, events, state) => {
      await deps.ingest({ source: { kind: source.kind, id: source.id, name: source.name }, inputs: events, state: { key: 'poll', value: state } });
    },
    recordHealth: (source, result) => deps.health.sourceResult(source, result),
    ...(deps.lease && { lease: deps.lease }),
    ...(deps.log && { log: deps.log }),
  });
}

/** "Test connection" of a polled source: one poll, nothing committed, the exact failure. */
export function pollTester(deps: Pick<PollingDeps, 'store' | 'resolveSecrets'>): (source: SourceConfig) => Promise<{ ok: boolean; detail: string }> {
  return (source) =>
    testPollingSource(source, {
      pollerFor: pollingSourceFor,
      resolveSecrets: deps.resolveSecrets,
      loadState: (id) => deps.store.sourceState.get(id, 'poll'),
    });
}

/** Where a polled source reads from (cctray, SecObserve, DefectDojo: url; Kosli: host and org). */
function pollEndpoint(source: object): string {
  const { url, host, org } = source as { url?: unknown; host?: unknown; org?: unknown };
  return JSON.stringify([url, host, org]);
}

/**
 * An edit that points a poller at another server or org: its cursors and snapshots belong
 * to the old one (a DefectDojo finding cursor from another instance would hide every
 * finding below it), so it starts afresh.
 */
export function pollsElsewhere(before: SourceConfig, after: SourceConfig): boolean {
  return pollEndpoint(before) !== pollEndpoint(after);
}

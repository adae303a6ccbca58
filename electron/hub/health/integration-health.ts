// Health of channels and polled sources: a streak of failures turns one unhealthy, a
// success makes it recover, and each transition is itself an event from Herald
// (health.integration_unhealthy / _recovered, as the seeds do) plus a `health.changed`
// update. Channels' streaks are counted by the delivery worker; sources' here.
import type { EventInput } from '../../../shared/event.js';
import type { HealthTransition } from '../store/health.js';
import type { IngestItem } from '../store/ingest-transaction.js';
import type { StoreEngine } from '../store/engine.js';

export const HERALD_SOURCE = { kind: 'herald', id: 'herald', name: 'Herald' } as const;

type Transition = Exclude<HealthTransition, undefined>;
type Item = { id: string; name: string; kind: string };

/** Herald's own event when a channel or source turns unhealthy or recovers (as the seeds do). */
export function healthEvent(what: 'channel' | 'source', item: Item, transition: Transition, lastError: string | null): EventInput {
  const unhealthy = transition === 'became_unhealthy';
  return {
    type: unhealthy ? 'health.integration_unhealthy' : 'health.integration_recovered',
    title: unhealthy ? `${item.name} (${item.kind} ${what}) is failing` : `${item.name} (${item.kind} ${what}) works again`,
    ...(unhealthy && lastError && { summary: `Last error: ${lastError.slice(0, 2000)}` }),
    subject: { project: item.name },
    dedupKey: `herald:${what}:${item.id}:${unhealthy ? 'unhealthy' : 'recovered'}`,
    data: { [`${what}Id`]: item.id, kind: item.kind },
  };
}

export interface HealthReporterDeps {
  store: Pick<StoreEngine, 'health'>;
  ingest: (item: IngestItem) => Promise<unknown>;
  /** Failures in a row before a source turns unhealthy (settings.delivery.unhealthyAfter). */
  unhealthyAfter: () => number;
  onChanged?: () => void;
  log?: (line: string) => void;
}

export interface HealthReporter {
  /** A channel's transition, as the delivery worker reports it. */
  channelTransition(channel: Item, transition: Transition, lastError: string | null): void;
  /** A poll's result: counted, and a transition reported (never rejects: a failure to record is logged). */
  sourceResult(source: Item, result: { ok: true } | { ok: false; error: string }): Promise<void>;
}

export function startHealthReporter(deps: HealthReporterDeps): HealthReporter {
  const report = (what: 'channel' | 'source', item: Item, transition: Transition, lastError: string | null) => {
    deps.onChanged?.();
    void deps
      .ingest({ source: HERALD_SOURCE, inputs: [healthEvent(what, item, transition, lastError)] })
      .catch((error: Error) => deps.log?.(`health: could not record: ${error.message}`));
  };
  return {
    channelTransition: (channel, transition, lastError) => report('channel', channel, transition, lastError),
    async sourceResult(source, result) {
      const at = Date.now();
      try {
        const transition = result.ok
          ? await deps.store.health.recordSuccess('source', source.id, at)
          : await deps.store.health.recordFailure('source', source.id, result.error, at, deps.unhealthyAfter());
        if (transition) report('source', source, transition, result.ok ? null : result.error);
      } catch (error) {
        deps.log?.(`health: could not record ${source.id}'s result: ${(error as Error).message}`);
      }
    },
  };
}

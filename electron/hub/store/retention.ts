// Retention in the background: at start and then every interval (10 min by default), the
// store drops what the retention settings say (store.enforceRetention keeps undelivered
// events). A failure is logged and tried again next time.
import type { Settings } from '../../../shared/config.js';
import { type StoreEngine, StoreUnavailable } from './engine.js';

export interface RetentionDeps {
  store: Pick<StoreEngine, 'enforceRetention'>;
  settings: () => Settings;
  /** Events were deleted: open views reload. */
  onDeleted: () => void;
  intervalMs?: number;
  log?: (line: string) => void;
}

export function startRetention(deps: RetentionDeps): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const pass = async () => {
    try {
      const { maxAgeDays, maxEvents } = deps.settings().retention;
      const deleted = await deps.store.enforceRetention(maxAgeDays, maxEvents);
      if (deleted > 0) {
        deps.log?.(`retention: deleted ${deleted} events`);
        deps.onDeleted();
      }
    } catch (error) {
      // A store that takes nothing now (damaged, unreachable) says so itself, once, with the way out.
      if (!(error instanceof StoreUnavailable)) deps.log?.(`retention failed: ${(error as Error).message}`);
    }
  };
  // One pass at a time: a slow one is not joined by the next interval's.
  const run = () => {
    running ??= pass().finally(() => (running = undefined));
  };
  const first = setImmediate(run);
  const timer = setInterval(run, deps.intervalMs ?? 10 * 60_000);
  timer.unref();
  return {
    async stop() {
      clearImmediate(first);
      clearInterval(timer);
      await running;
    },
  };
}

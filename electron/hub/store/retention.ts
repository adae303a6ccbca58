// Retention in the background: at start and then every interval (10 min by default), the
// store drops what the retention settings say (store.enforceRetention keeps undelivered
// events). A failure is logged and tried again next time.
import type { Settings } from '../../../shared/config.js';
import type { Store } from './store.js';

export interface RetentionDeps {
  store: Pick<Store, 'enforceRetention' | 'noteError'>;
  settings: () => Settings;
  /** Events were deleted: open views reload. */
  onDeleted: () => void;
  intervalMs?: number;
  log?: (line: string) => void;
}

export function startRetention(deps: RetentionDeps): { stop(): void } {
  const run = () => {
    try {
      const { maxAgeDays, maxEvents } = deps.settings().retention;
      const deleted = deps.store.enforceRetention(maxAgeDays, maxEvents);
      if (deleted > 0) {
        deps.log?.(`retention: deleted ${deleted} events`);
        deps.onDeleted();
      }
    } catch (error) {
      // A damaged database is told once, by the store (its onDamaged), with the way out.
      if (!deps.store.noteError(error)) deps.log?.(`retention failed: ${(error as Error).message}`);
    }
  };
  const first = setImmediate(run);
  const timer = setInterval(run, deps.intervalMs ?? 10 * 60_000);
  timer.unref();
  return {
    stop() {
      clearImmediate(first);
      clearInterval(timer);
    },
  };
}

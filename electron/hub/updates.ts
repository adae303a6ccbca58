// The hub's live updates (shared/api.ts ApiUpdate) to every open view. A listener's
// exception (a UI transport) must not stall ingest or the worker that emitted.
import { EventEmitter } from 'node:events';
import type { ApiUpdate } from '../../shared/api.js';

export interface UpdateBus {
  emit(update: ApiUpdate): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (update: ApiUpdate) => void): () => void;
  /** Whether anyone listens: building an update can be skipped when not. */
  listening(): boolean;
}

export function createUpdateBus(log: (line: string) => void): UpdateBus {
  const updates = new EventEmitter();
  updates.setMaxListeners(0);
  return {
    emit(update) {
      try {
        updates.emit('update', update);
      } catch (error) {
        log(`updates: a listener failed: ${(error as Error).message}`);
      }
    },
    subscribe(listener) {
      updates.on('update', listener);
      return () => updates.off('update', listener);
    },
    listening: () => updates.listenerCount('update') > 0,
  };
}

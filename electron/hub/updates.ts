// The hub's live updates (shared/api.ts ApiUpdate) to every open view. A listener's
// exception (a UI transport) must not stall ingest or the worker that emitted.
import { EventEmitter } from 'node:events';
import type { ApiUpdate } from '../../shared/api.js';

/** How a listener takes updates: `json` when it sends them as JSON text (a browser's event stream). */
export interface UpdateListenerOptions {
  json?: boolean;
}

export interface UpdateBus {
  emit(update: ApiUpdate): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (update: ApiUpdate) => void, options?: UpdateListenerOptions): () => void;
  /** Whether anyone listens: building an update can be skipped when not. */
  listening(): boolean;
  /**
   * Whether a listener sends updates as JSON text: an update made ahead of time can carry
   * its JSON then (shared/api.ts withAnswerJson); Electron's IPC clones the object instead.
   */
  wantsJson(): boolean;
}

export function createUpdateBus(log: (line: string) => void): UpdateBus {
  const updates = new EventEmitter();
  updates.setMaxListeners(0);
  let jsonListeners = 0;
  return {
    emit(update) {
      try {
        updates.emit('update', update);
      } catch (error) {
        log(`updates: a listener failed: ${(error as Error).message}`);
      }
    },
    subscribe(listener, options) {
      updates.on('update', listener);
      if (options?.json) jsonListeners++;
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        updates.off('update', listener);
        if (options?.json) jsonListeners--;
      };
    },
    listening: () => updates.listenerCount('update') > 0,
    wantsJson: () => jsonListeners > 0,
  };
}

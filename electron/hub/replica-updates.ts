// A team hub's UIs follow every replica. Events posted through the load balancer land on any
// replica, but a UI hears only the replica it is open on: when another replica stores events
// or changes mutes (PostgreSQL NOTIFY, store.onOtherReplicaChanged), this one tells its open
// UIs to reload what they show — the history, the sidebar's counts, the board, the mutes.
// A burst is coalesced: at most one reload of each per COALESCE_MS.
import type { ApiUpdate } from '../../shared/api.js';
import type { StoreEngine } from './store/engine.js';

export const COALESCE_MS = 250;

const RELOADS: Record<'events' | 'mutes', ApiUpdate[]> = {
  events: [{ type: 'events.changed' }, { type: 'health.changed' }, { type: 'board.changed' }],
  mutes: [{ type: 'mutes.changed' }],
};

/** Starts following; returns the stop. Nothing to follow on SQLite (one process owns the file). */
export function followOtherReplicas(store: Pick<StoreEngine, 'onOtherReplicaChanged'>, emit: (update: ApiUpdate) => void, coalesceMs = COALESCE_MS): () => void {
  if (!store.onOtherReplicaChanged) return () => {};
  const waiting = new Map<'events' | 'mutes', NodeJS.Timeout>();
  const off = store.onOtherReplicaChanged((what) => {
    if (waiting.has(what)) return;
    const timer = setTimeout(() => {
      waiting.delete(what);
      for (const update of RELOADS[what]) emit(update);
    }, coalesceMs);
    timer.unref();
    waiting.set(what, timer);
  });
  return () => {
    off();
    for (const timer of waiting.values()) clearTimeout(timer);
    waiting.clear();
  };
}

// How the event detail keeps its deliveries current. Pushes (the updates stream) and api
// answers (the detail's load, a retry) travel on different connections, so an answer can
// arrive after a push that is newer than it. Pushes are ordered and every change sends one;
// these rules make the newest state win whatever the arrival order.
import type { Delivery } from '../../../shared/api.js';

/** Replaces the delivery with the same id, or appends a new one. */
export function upsertDelivery(list: readonly Delivery[], delivery: Delivery): Delivery[] {
  const i = list.findIndex((d) => d.id === delivery.id);
  if (i === -1) return [...list, delivery];
  const next = list.slice();
  next[i] = delivery;
  return next;
}

/** The loaded deliveries with the pushes that arrived while the load was under way, replayed in order. */
export function withEarlyUpdates(loaded: readonly Delivery[], early: readonly Delivery[]): Delivery[] {
  return early.reduce(upsertDelivery, loaded.slice());
}

export function isRetryable(delivery: Delivery | undefined): boolean {
  return delivery?.status === 'failed' || delivery?.status === 'cancelled';
}

/**
 * The retry's answer counts only while the delivery still shows the state that was retried:
 * the worker may already have sent it and pushed "sending" or "delivered" before the answer came.
 */
export function withRetryAnswer(list: readonly Delivery[], answer: Delivery): Delivery[] {
  const shown = list.find((d) => d.id === answer.id);
  return shown && !isRetryable(shown) ? list.slice() : upsertDelivery(list, answer);
}

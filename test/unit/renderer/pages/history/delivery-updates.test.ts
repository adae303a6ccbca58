// The event detail's deliveries stay on the newest state whatever order the detail's load,
// the retry's answer and the pushed updates arrive in.
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../../../../shared/api.js';
import { isRetryable, upsertDelivery, withEarlyUpdates, withRetryAnswer } from '../../../../../renderer/pages/history/delivery-updates.js';

const delivery = (id: string, status: Delivery['status'], attempts = 1): Delivery => ({
  id,
  eventId: 'e1',
  channelId: 'sink',
  ruleId: 'r1',
  status,
  attempts,
  nextAttemptAt: null,
  lastError: status === 'failed' ? 'HTTP 503' : null,
  createdAt: '2026-11-23T10:00:00.000Z',
  updatedAt: '2026-11-23T10:00:01.000Z',
  deliveredAt: status === 'delivered' ? '2026-11-23T10:00:01.000Z' : null,
});

describe('delivery updates in the event detail', () => {
  it('upsert replaces by id and appends what is new, without touching the input', () => {
    const list = [delivery('1', 'pending'), delivery('2', 'pending')];
    const next = upsertDelivery(list, delivery('2', 'delivered'));
    expect(next.map((d) => d.status)).toEqual(['pending', 'delivered']);
    expect(list[1]!.status).toBe('pending');
    expect(upsertDelivery(list, delivery('3', 'sending')).map((d) => d.id)).toEqual(['1', '2', '3']);
  });

  it('pushes that arrived while the detail loaded are replayed over it, in order', () => {
    // The load read the store before the send finished; "sending" then "failed" were pushed meanwhile.
    const loaded = [delivery('1', 'pending', 0)];
    const merged = withEarlyUpdates(loaded, [delivery('1', 'sending'), delivery('1', 'failed')]);
    expect(merged.map((d) => d.status)).toEqual(['failed']);
    expect(withEarlyUpdates(loaded, [])).toEqual(loaded);
  });

  it('a retry answer that comes back after the delivered push does not put it back to pending', () => {
    const afterPush = [delivery('1', 'delivered')];
    expect(withRetryAnswer(afterPush, delivery('1', 'pending', 0))[0]!.status).toBe('delivered');
    const sending = [delivery('1', 'sending')];
    expect(withRetryAnswer(sending, delivery('1', 'pending', 0))[0]!.status).toBe('sending');
  });

  it('a retry answer that comes first shows the delivery pending', () => {
    expect(withRetryAnswer([delivery('1', 'failed')], delivery('1', 'pending', 0))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect(withRetryAnswer([delivery('1', 'cancelled')], delivery('1', 'pending', 0))[0]!.status).toBe('pending');
  });

  it('only failed and cancelled deliveries offer a retry', () => {
    expect((['pending', 'sending', 'delivered', 'failed', 'cancelled'] as const).filter((s) => isRetryable(delivery('1', s)))).toEqual(['failed', 'cancelled']);
    expect(isRetryable(undefined)).toBe(false);
  });
});

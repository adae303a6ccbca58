// The Sources page's line for a subscribed source (the Chainloop audit stream): what it is
// connected to and has received, or why not and when it tries again.
import { describe, expect, it } from 'vitest';
import { describeSubscription, SUBSCRIBED_KINDS } from '../../../../../renderer/pages/sources/runtime-text.js';
import type { SubscriptionView } from '../../../../../shared/api.js';

const NOW = Date.parse('2025-03-04T12:00:00.000Z');
const view = (patch: Partial<SubscriptionView>): SubscriptionView => ({ state: 'connected', lastError: null, lastEventAt: null, received: 0, dropped: 0, ...patch });

describe('subscription line', () => {
  it.each([
    [view({ detail: 'consumer herald-audit on chainloop-audit' }), { tone: 'ok', state: 'connected (consumer herald-audit on chainloop-audit)', detail: 'nothing received yet' }],
    [
      view({ received: 1234, dropped: 2, lastEventAt: '2025-03-04T11:58:00.000Z', lastError: 'dropped stream message 9: not JSON' }),
      { tone: 'ok', state: 'connected', detail: '1,234 received · last 2 min ago · 2 dropped', error: 'dropped stream message 9: not JSON' },
    ],
    [view({ state: 'reconnecting', lastError: 'nats://x:4222 refused the connection', retryInMs: 8_000 }), { tone: 'bad', state: 'reconnecting in 8 s', error: 'nats://x:4222 refused the connection' }],
    [view({ state: 'connecting' }), { tone: 'warn', state: 'connecting…' }],
    [view({ state: 'stopped' }), { tone: 'muted', state: 'stopped' }],
  ])('%j', (sub, line) => {
    expect(describeSubscription(sub, NOW, NOW)).toEqual(line);
  });

  it('knows which kinds subscribe', () => {
    expect(SUBSCRIBED_KINDS.has('chainloop-audit')).toBe(true);
    expect(SUBSCRIBED_KINDS.has('chainloop-webhook')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  describeIgnored,
  describePoll,
  describeRelay,
  nextRefreshDelay,
  RUNTIME_REFRESH,
} from '../../../../../renderer/pages/sources/runtime-text.js';
import { formatUntil } from '../../../../../renderer/lib/time.js';
import type { PollView, RelayView } from '../../../../../shared/api.js';

const NOW = Date.parse('2025-03-04T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

describe('countdowns', () => {
  it.each([
    [NOW + 48_000, 'in 48 s'],
    [NOW + 47_200, 'in 48 s'],
    [NOW + 300, 'in 1 s'],
    [NOW, 'now'],
    [NOW - 5000, 'now'],
  ])('until %d → %s', (t, text) => expect(formatUntil(t, NOW)).toBe(text));
});

describe('relay line', () => {
  const relay = (patch: Partial<RelayView>): RelayView => ({ state: 'connected', lastError: null, lastEventAt: null, delivered: 0, ...patch });
  it.each([
    ['connected, idle', relay({}), { tone: 'ok', state: 'connected', detail: 'nothing relayed yet' }],
    [
      'connected, has relayed',
      relay({ delivered: 1234, lastEventAt: at(-120_000) }),
      { tone: 'ok', state: 'connected', detail: '1,234 relayed · last 2 min ago' },
    ],
    [
      'connected after a delivery problem',
      relay({ delivered: 2, lastError: 'ingress answered 401 to a relayed request' }),
      { tone: 'ok', state: 'connected', detail: '2 relayed', error: 'ingress answered 401 to a relayed request' },
    ],
    ['connecting', relay({ state: 'connecting' }), { tone: 'warn', state: 'connecting…' }],
    [
      'reconnecting, counted from when the view arrived',
      relay({ state: 'reconnecting', retryInMs: 10_000, lastError: 'relay unreachable: ECONNREFUSED' }),
      { tone: 'bad', state: 'reconnecting in 8 s', error: 'relay unreachable: ECONNREFUSED' },
    ],
    ['reconnecting without a wait', relay({ state: 'reconnecting', lastError: 'x' }), { tone: 'bad', state: 'reconnecting soon', error: 'x' }],
    ['stopped', relay({ state: 'stopped', lastError: 'relay not started: bad URL' }), { tone: 'muted', state: 'stopped', error: 'relay not started: bad URL' }],
  ])('%s', (_name, view, expected) => {
    expect(describeRelay(view, NOW, NOW - 2000)).toEqual(expected);
  });

  it('a finished wait reads "now", not a negative time', () => {
    expect(describeRelay(relay({ state: 'reconnecting', retryInMs: 1000 }), NOW, NOW - 5000).state).toBe('reconnecting now');
  });
});

describe('poll line', () => {
  const poll = (patch: Partial<PollView>): PollView => ({
    lastPollAt: at(-12_000),
    nextPollAt: at(48_000),
    lastError: null,
    backoffMs: 0,
    consecutiveFailures: 0,
    ...patch,
  });
  it.each([
    ['healthy', poll({}), 60, { tone: 'ok', schedule: 'polls every 1 min · last 12 s ago · next in 48 s' }],
    ['seconds interval', poll({}), 45, { tone: 'ok', schedule: 'polls every 45 s · last 12 s ago · next in 48 s' }],
    ['never polled', poll({ lastPollAt: null, nextPollAt: at(0) }), 300, { tone: 'muted', schedule: 'polls every 5 min · not polled yet · next now' }],
    ['polling right now', poll({ nextPollAt: null }), 60, { tone: 'ok', schedule: 'polls every 1 min · last 12 s ago · polling now…' }],
    ['unknown interval', poll({}), undefined, { tone: 'ok', schedule: 'polls on a schedule · last 12 s ago · next in 48 s' }],
    [
      'failing once',
      poll({ lastError: 'connection refused (ECONNREFUSED)', backoffMs: 60_000, consecutiveFailures: 1, nextPollAt: at(48_000) }),
      60,
      {
        tone: 'bad',
        schedule: 'polls every 1 min · last 12 s ago · next in 48 s',
        backoff: 'backing off: 1 failed poll in a row, now 1 min between tries',
        error: 'connection refused (ECONNREFUSED)',
      },
    ],
    [
      'failing repeatedly',
      poll({ lastError: 'HTTP 503', backoffMs: 240_000, consecutiveFailures: 3, nextPollAt: at(230_000) }),
      60,
      {
        tone: 'bad',
        schedule: 'polls every 1 min · last 12 s ago · next in 3 min',
        backoff: 'backing off: 3 failed polls in a row, now 4 min between tries',
        error: 'HTTP 503',
      },
    ],
  ])('%s', (_name, view, interval, expected) => {
    expect(describePoll(view, interval, NOW)).toEqual(expected);
  });

  it('an API budget and what the source does about it (GitHub)', () => {
    const view = poll({ rateLimit: { limit: 5000, remaining: 4812, resetAt: '2025-03-04T09:14:00.000Z' }, notice: 'slowed down to a poll every 90 s until 09:14 to stay within the rate limit' });
    expect(describePoll(view, 60, NOW, 'UTC')).toEqual({
      tone: 'warn',
      schedule: 'polls every 1 min · last 12 s ago · next in 48 s',
      budget: '4,812 of 5,000 requests left, resets 09:14',
      notice: 'slowed down to a poll every 90 s until 09:14 to stay within the rate limit',
    });
  });
});

describe('ignored request', () => {
  it('says what and when, with the reason as the hub wrote it', () => {
    expect(describeIgnored({ at: at(-120_000), reason: 'ping: GitHub checked the webhook (hook 1)' }, NOW)).toBe(
      'last ignored: ping: GitHub checked the webhook (hook 1) — 2 min ago',
    );
  });
});

describe('when to ask the hub again', () => {
  const poll = (nextPollAt: string | null): PollView => ({ lastPollAt: null, nextPollAt, lastError: null, backoffMs: 0, consecutiveFailures: 0 });
  it.each([
    ['nothing polled', [], RUNTIME_REFRESH.maxMs],
    ['a webhook source only', [undefined], RUNTIME_REFRESH.maxMs],
    ['a poll due in 10 s: just after it', [poll(at(10_000))], 10_000 + RUNTIME_REFRESH.afterDueMs],
    ['the earliest of several', [poll(at(20_000)), undefined, poll(at(5000))], 5000 + RUNTIME_REFRESH.afterDueMs],
    ['a poll running', [poll(null)], RUNTIME_REFRESH.whileRunningMs],
    ['a poll overdue', [poll(at(-60_000))], RUNTIME_REFRESH.whileRunningMs],
    ['a poll far off', [poll(at(3_600_000))], RUNTIME_REFRESH.maxMs],
  ])('%s', (_name, polls, delay) => {
    expect(nextRefreshDelay(polls, NOW)).toBe(delay);
  });
});

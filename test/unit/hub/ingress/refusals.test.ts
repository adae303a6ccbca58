// Refused webhook requests per source: the last one, the count over the last hour, and a log
// that says at most one line a minute per refusing source (a sender retrying with the wrong
// secret must not flood it). The clock is injected.
import { describe, expect, it } from 'vitest';
import { RefusalTracker } from '../../../../electron/hub/ingress/refusals.js';

const MINUTE = 60_000;

function tracker(start = Date.parse('2026-12-03T08:00:00Z')) {
  let now = start;
  const lines: string[] = [];
  let changes = 0;
  const refusals = new RefusalTracker({ now: () => now, log: (line) => lines.push(line), onChange: () => changes++ });
  return {
    refusals,
    lines,
    changes: () => changes,
    advance: (ms: number) => (now += ms),
    at: () => new Date(now).toISOString(),
  };
}

describe('RefusalTracker', () => {
  it('keeps the last refusal and counts the last hour', () => {
    const t = tracker();
    expect(t.refusals.view('ci')).toEqual({});
    t.refusals.record('ci', { status: 401, reason: 'signature or token missing or wrong', at: t.at() });
    t.advance(30 * MINUTE);
    t.refusals.record('ci', { status: 503, reason: 'the secret is unavailable', at: t.at() }, 4);
    expect(t.refusals.view('ci')).toEqual({ lastRejected: { status: 503, reason: 'the secret is unavailable', at: t.at() }, rejectedLastHour: 5 });
    t.advance(31 * MINUTE);
    expect(t.refusals.view('ci').rejectedLastHour).toBe(4);
    t.advance(30 * MINUTE);
    // Out of the hour, but still the last one refused.
    expect(t.refusals.view('ci')).toMatchObject({ rejectedLastHour: 0, lastRejected: { status: 503 } });
    expect(t.refusals.view('other')).toEqual({});
  });

  it('logs at most one line a minute per source, counting what it did not log', () => {
    const t = tracker();
    for (let i = 0; i < 100; i++) t.refusals.record('ci', { status: 401, reason: 'signature or token missing or wrong', at: t.at() });
    t.refusals.record('gh', { status: 400, reason: 'not JSON', at: t.at() });
    expect(t.lines).toEqual([
      'ingress: source "ci" refused a request: 401 signature or token missing or wrong',
      'ingress: source "gh" refused a request: 400 not JSON',
    ]);
    t.advance(59_000);
    t.refusals.record('ci', { status: 401, reason: 'signature or token missing or wrong', at: t.at() });
    expect(t.lines).toHaveLength(2);
    t.advance(1_000);
    t.refusals.record('ci', { status: 503, reason: 'secret unavailable', at: t.at() });
    expect(t.lines[2]).toBe('ingress: source "ci" refused a request: 503 secret unavailable (and 100 more not logged)');
  });

  it('forgets a deleted source', () => {
    const t = tracker();
    t.refusals.record('ci', { status: 401, reason: 'x', at: t.at() });
    t.refusals.retain(new Set(['other']));
    expect(t.refusals.view('ci')).toEqual({});
  });

  it('keeps its memory bounded under a flood: per-minute counts, not one entry per request', () => {
    const t = tracker();
    for (let i = 0; i < 100_000; i++) {
      t.refusals.record('ci', { status: 401, reason: 'x', at: t.at() });
      if (i % 1000 === 0) t.advance(1_000);
    }
    expect(t.refusals.view('ci').rejectedLastHour).toBe(100_000);
    expect(t.refusals.bucketCount('ci')).toBeLessThanOrEqual(61);
  });
});

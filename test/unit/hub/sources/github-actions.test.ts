// The github-actions poller's pure parts: Link headers and pacing against the rate budget.
import { describe, expect, it } from 'vitest';
import { nextLink, permissionFor } from '../../../../electron/hub/sources/github-api.js';
import { paceFor } from '../../../../electron/hub/sources/github-actions.js';

describe('Link: rel="next"', () => {
  const current = new URL('https://api.github.com/repos/a/b/actions/runs?per_page=30');
  it.each([
    ['GitHub’s usual header', '<https://api.github.com/repositories/1/actions/runs?per_page=30&page=2>; rel="next", <https://api.github.com/repositories/1/actions/runs?per_page=30&page=5>; rel="last"', 'https://api.github.com/repositories/1/actions/runs?per_page=30&page=2'],
    ['next not first', '<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=3>; rel="next"', 'https://api.github.com/x?page=3'],
    ['the last page (no next)', '<https://api.github.com/x?page=1>; rel="first", <https://api.github.com/x?page=4>; rel="prev"', undefined],
    ['another origin is never followed (the token would go with it)', '<https://evil.example/x?page=2>; rel="next"', undefined],
    ['no header', undefined, undefined],
  ])('%s', (_name, header, expected) => {
    expect(nextLink(header, current)?.toString()).toBe(expected);
  });
});

describe('pacing against the rate limit', () => {
  const now = Date.parse('2026-01-01T09:00:00Z');
  const at = (minutes: number) => new Date(now + minutes * 60_000).toISOString();
  it.each([
    ['plenty left: the interval stands', { limit: 5000, remaining: 4800, resetAt: at(30) }, 2, 60, undefined],
    // 30 min at one poll a minute, 10 counted each = 300; 1,000 − 500 reserve = 500 spendable: fine.
    ['enough to the reset', { limit: 5000, remaining: 1000, resetAt: at(30) }, 10, 60, undefined],
    // 600 − 500 = 100 spendable over 30 min at 10 a poll = 10 polls: one every 3 min.
    ['slows down to last until the reset', { limit: 5000, remaining: 600, resetAt: at(30) }, 10, 60, 180_000],
    ['within the reserve: waits for the reset', { limit: 5000, remaining: 400, resetAt: at(30) }, 1, 60, 30 * 60_000 + 1000],
  ])('%s', (_name, rateLimit, counted, interval, expected) => {
    expect(paceFor({ rateLimit, counted }, { pollIntervalSeconds: interval }, now).nextPollInMs).toBe(expected);
  });

  it('no budget known: no opinion', () => {
    expect(paceFor({ rateLimit: undefined, counted: 3 }, { pollIntervalSeconds: 60 }, now)).toEqual({});
  });
});

describe('which fine-grained permission a route needs', () => {
  it.each([
    ['/repos/a/b/actions/runs', 'Actions'],
    ['/repos/a/b/deployments', 'Deployments'],
    ['/repos/a/b/deployments/1/statuses', 'Deployments'],
    ['/orgs/a/repos', 'Metadata'],
  ])('%s → %s', (path, expected) => {
    expect(permissionFor(new URL(`https://api.github.com${path}`))).toBe(expected);
  });
});

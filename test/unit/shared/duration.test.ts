// The one duration-to-words function (shared/duration.ts). It replaced six copies; where
// they disagreed the choice is noted beside the case.
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../../shared/duration.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

describe('compact (how long something has stood)', () => {
  it.each([
    [0, '0 s'],
    [999, '0 s'],
    [S, '1 s'],
    [48 * S, '48 s'],
    [59 * S, '59 s'],
    [59_999, '59 s'],
    [MIN, '1 min'],
    // Seconds go beside minutes (the Now page ticks every 30 s; they would be stale).
    [2 * MIN + 5 * S, '2 min'],
    [59 * MIN + 59 * S, '59 min'],
    // An hour is "1 h" (the rules' explanation said "60 min" up to two hours; the board "1 h").
    [H, '1 h'],
    [90 * MIN, '1 h 30 min'],
    [2 * H, '2 h'],
    [3 * H + 12 * MIN + 40 * S, '3 h 12 min'],
    [D - 1, '23 h 59 min'],
    [D, '1 d'],
    [D + 5 * MIN, '1 d'],
    [2 * D + 4 * H + 5 * MIN, '2 d 4 h'],
    [3 * D, '3 d'],
    [400 * D, '400 d'],
  ])('%d ms reads %j', (ms, text) => expect(formatDuration(ms)).toBe(text));

  it('is the default', () => expect(formatDuration(3 * H + 12 * MIN)).toBe(formatDuration(3 * H + 12 * MIN, 'compact')));
});

describe('exact (a span someone chose)', () => {
  it.each([
    [0, '0 s'],
    [1500, '1 s'],
    [59 * S, '59 s'],
    [MIN, '1 min'],
    // Every unit it has: a 90 s poll interval is not "1 min" (the Sources page said so), nor "90 s".
    [90 * S, '1 min 30 s'],
    [10 * MIN, '10 min'],
    [H, '1 h'],
    [H + 2 * MIN + 5 * S, '1 h 2 min 5 s'],
    [H + 5 * S, '1 h 5 s'],
    [D, '1 d'],
    [2 * D, '2 d'],
    [D + 2 * H + 3 * MIN + 4 * S, '1 d 2 h 3 min 4 s'],
  ])('%d ms reads %j', (ms, text) => expect(formatDuration(ms, 'exact')).toBe(text));
});

describe('adjective (a digest window before "digest")', () => {
  it.each([
    [H, 'hourly'],
    [D, 'daily'],
    [MIN, '1-minute'],
    [15 * MIN, '15-minute'],
    [90 * MIN, '90-minute'],
    [2 * H, '2-hour'],
    [2 * D, '2-day'],
    [90 * S, '90-second'],
    [S, '1-second'],
  ])('%d ms reads %j', (ms, text) => expect(formatDuration(ms, 'adjective')).toBe(text));
});

describe('noun (a digest window after "the last" or "every")', () => {
  it.each([
    [H, 'hour'],
    [D, 'day'],
    [MIN, 'minute'],
    [S, 'second'],
    [15 * MIN, '15 minutes'],
    [90 * MIN, '90 minutes'],
    [2 * H, '2 hours'],
    [3 * D, '3 days'],
    [90 * S, '90 seconds'],
    [0, '0 seconds'],
  ])('%d ms reads %j', (ms, text) => expect(formatDuration(ms, 'noun')).toBe(text));
});

describe('what is not a duration', () => {
  it.each(['compact', 'exact', 'adjective', 'noun'] as const)('%s: negative reads as zero, not a number as nothing', (style) => {
    expect(formatDuration(-5000, style)).toBe(formatDuration(0, style));
    expect(formatDuration(Number.NaN, style)).toBe('');
    expect(formatDuration(Number.POSITIVE_INFINITY, style)).toBe('');
  });
});

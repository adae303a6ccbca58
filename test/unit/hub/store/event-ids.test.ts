// Event ids are UUIDv7: the version and variant bits right, the time in front, unique and
// strictly increasing even when thousands are made in one millisecond or the clock steps back.
import { describe, expect, it } from 'vitest';
import { eventId } from '../../../../electron/hub/store/event-ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timeOf = (id: string) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('eventId', () => {
  it('carries the millisecond it was made in, as RFC 9562 lays out v7', () => {
    const now = Date.parse('2026-11-23T12:00:00.000Z') + 7;
    const id = eventId(now + 10_000_000);
    expect(id).toMatch(V7);
    expect(timeOf(id)).toBe(now + 10_000_000);
  });

  it('10,000 ids in one millisecond: unique, sorted as made, borrowing the next millisecond only past 4,096', () => {
    const ms = Date.parse('2030-01-01T00:00:00.000Z');
    const ids = Array.from({ length: 10_000 }, () => eventId(ms));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice().sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(V7);
    expect(timeOf(ids[0]!)).toBe(ms);
    expect(timeOf(ids.at(-1)!)).toBeGreaterThan(ms);
    expect(timeOf(ids.at(-1)!)).toBeLessThanOrEqual(ms + 10);
  });

  it('a clock that steps back does not make ids go back', () => {
    const ms = Date.parse('2031-06-01T00:00:00.000Z');
    const before = eventId(ms);
    const after = eventId(ms - 60_000);
    expect(after > before).toBe(true);
  });

  it('the random part differs from id to id', () => {
    const ms = Date.parse('2032-01-01T00:00:00.000Z');
    const tails = new Set(Array.from({ length: 2_000 }, () => eventId(ms).slice(19)));
    expect(tails.size).toBe(2_000);
  });
});

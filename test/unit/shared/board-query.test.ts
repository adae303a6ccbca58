// board.list's query and page (shared/board.ts, shared/api.ts): the page size and its limit,
// the keyset cursor (opaque text that round-trips any key, and is refused when it is not one
// the hub made), as the api validates them before any engine sees the request; and an item
// as a page carries it (a row less what no reader needs, nothing a reader needs lost).
import { describe, expect, it } from 'vitest';
import { apiContract } from '../../../shared/api.js';
import { BOARD_PAGE_MAX, type BoardPosition, type BoardRow, boardItemOf, boardMuteKey, compareBoardItems, decodeBoardCursor, encodeBoardCursor } from '../../../shared/board.js';
import { describeZodError } from '../../../shared/event.js';

const parse = (input: unknown) => {
  const parsed = apiContract['board.list'].input.safeParse(input);
  return parsed.success ? { ok: parsed.data } : { error: describeZodError(parsed.error) };
};

describe('the board cursor', () => {
  it.each<[string, BoardPosition]>([
    ['a pipeline', { state: 'failing', since: '2026-01-01T08:00:00.000Z', key: 'pipeline:["gh","acme/api","ci","main"]' }],
    ['text outside ASCII and URL syntax', { state: 'passing', since: '2026-01-01T08:00:00.000Z', key: 'pipeline:["gh","café/naïve","ci ✓","feat/a&b=c?d#e%f+g"]' }],
    ['characters outside the BMP', { state: 'unknown', since: '', key: 'health:["herald","🚀","\\u0000"]' }],
    ['lengths 1 to 3 mod 3 (base64 padding)', { state: 'running', since: 'x', key: 'k' }],
  ])('round-trips %s, as text a URL or JSON carries as is', (_name, position) => {
    const cursor = encodeBoardCursor(position);
    expect(cursor).toMatch(/^b1\.[A-Za-z0-9_-]+$/);
    expect(decodeBoardCursor(cursor)).toEqual(position);
    for (const key of [`${position.key}a`, `${position.key}ab`]) expect(decodeBoardCursor(encodeBoardCursor({ ...position, key }))).toEqual({ ...position, key });
  });

  it('orders like the board: a position sorts where its item would', () => {
    const a = { state: 'failing' as const, since: '2026-01-01T08:00:00.000Z', key: 'a' };
    const b = decodeBoardCursor(encodeBoardCursor({ ...a, key: 'b' }))!;
    expect(compareBoardItems(a, b)).toBeLessThan(0);
  });

  it.each([
    ['empty', ''],
    ['no version prefix', 'eyJhIjoxfQ'],
    ['another version', `b2.${encodeBoardCursor({ state: 'failing', since: 's', key: 'k' }).slice(3)}`],
    ['not base64url', 'b1.a+b/c=='],
    ['a length base64 cannot have', 'b1.AAAAA'],
    ['base64 of text that is not JSON', `b1.${encodeBoardCursor({ state: 'failing', since: 's', key: 'k' }).slice(3, -2)}`],
    ['JSON of the wrong shape', `b1.${btoa(encodeURIComponent('{"state":"failing"}')).replace(/=+$/, '')}`],
    ['an unknown state', `b1.${btoa(encodeURIComponent('["red","s","k"]')).replace(/=+$/, '')}`],
    ['an empty key', `b1.${btoa(encodeURIComponent('["failing","s",""]')).replace(/=+$/, '')}`],
  ])('is undefined for text that is not a cursor: %s', (_name, text) => {
    expect(decodeBoardCursor(text)).toBeUndefined();
  });
});

describe("board.list's input, as the api checks it", () => {
  it('takes the filters, a limit and a cursor; no limit means the default page', () => {
    const after = encodeBoardCursor({ state: 'failing', since: '2026-01-01T08:00:00.000Z', key: 'k' });
    expect(parse({ states: ['failing'], sources: ['gh'], project: 'acme/api', limit: 50, after })).toEqual({ ok: { states: ['failing'], sources: ['gh'], project: 'acme/api', limit: 50, after } });
    expect(parse({})).toEqual({ ok: {} });
    expect(parse({ limit: 0 })).toEqual({ ok: { limit: 0 } });
    expect(parse({ limit: BOARD_PAGE_MAX })).toEqual({ ok: { limit: BOARD_PAGE_MAX } });
  });

  it.each<[string, unknown, RegExp]>([
    ['a page over the maximum, naming it', { limit: BOARD_PAGE_MAX + 1 }, new RegExp(`^limit: must be at most ${BOARD_PAGE_MAX} items a page: follow \`next\` for the rest$`)],
    ['a negative limit', { limit: -1 }, /^limit: /],
    ['a fractional limit', { limit: 2.5 }, /^limit: /],
    ['a cursor the hub did not make', { after: 'page-2' }, /^after: is not a board cursor: pass the previous page's `next` as it is$/],
    ['a cursor too long to be one', { after: `b1.${'A'.repeat(9000)}` }, /^after: is not a board cursor \(too long\)/],
    ['a cursor that is not text', { after: 2 }, /^after: /],
    ['an unknown field', { offset: 200 }, /offset/],
  ])('refuses %s', (_name, input, message) => {
    const result = parse(input);
    expect(result.error).toMatch(message);
  });
});

describe('an item as a page carries it', () => {
  const row: BoardRow = {
    key: 'pipeline:["gh","acme/api","ci","main"]',
    kind: 'pipeline',
    source: { id: 'gh', kind: 'github', name: 'GitHub' },
    subject: { project: 'acme/api', pipeline: 'ci', branch: 'main' },
    state: 'failing',
    running: false,
    since: '2026-01-01T08:00:00.000Z',
    streak: 2,
    lastEventId: 'e2',
    lastEventAt: '2026-01-01T08:10:00.000Z',
    title: 'CI failed',
    url: 'https://ci/2',
    commit: 'b'.repeat(40),
    brokenBy: { eventId: 'e1', actor: 'ana', commit: 'a'.repeat(40), url: 'https://ci/1' },
    muteKey: '["gh","acme/api","ci","main"]',
  };

  it('leaves out the source kind, a mute key the key holds, running when false and which event broke it; the mute end comes last', () => {
    const item = boardItemOf(row, 'passes');
    expect(item).toEqual({
      key: row.key,
      kind: 'pipeline',
      source: { id: 'gh', name: 'GitHub' },
      subject: row.subject,
      state: 'failing',
      since: row.since,
      streak: 2,
      lastEventId: 'e2',
      lastEventAt: row.lastEventAt,
      title: 'CI failed',
      url: 'https://ci/2',
      commit: 'b'.repeat(40),
      brokenBy: { actor: 'ana', commit: 'a'.repeat(40) },
      mutedUntil: 'passes',
    });
    expect(Object.keys(item).at(-1)).toBe('mutedUntil');
    expect(boardMuteKey(item)).toBe(row.muteKey);
    expect(boardItemOf({ ...row, running: true }).running).toBe(true);
    // A red thing whose breaker named neither who nor which commit: nothing to say.
    expect(boardItemOf({ ...row, brokenBy: { eventId: 'e1' } })).not.toHaveProperty('brokenBy');
  });

  it('keeps a mute key the key does not hold; a thing that is not a pipeline has none', () => {
    const odd = boardItemOf({ ...row, muteKey: '["gh","other"]' });
    expect(odd.muteKey).toBe('["gh","other"]');
    expect(boardMuteKey(odd)).toBe('["gh","other"]');
    const { muteKey: _none, ...deployment } = row;
    expect(boardMuteKey(boardItemOf({ ...deployment, kind: 'deployment', key: 'deployment:["gh","acme/api","prod",""]' }))).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { EventQuerySchema } from '../../../../shared/api.js';
import type { HeraldEvent } from '../../../../shared/event.js';
import { commitFilterError, EMPTY_FILTERS, isFiltered, matchesQuery, PAGE_SIZE, toQuery, typeFilterError, type HistoryFilters } from '../../../../renderer/lib/event-filters.js';

const event: HeraldEvent = {
  id: 'e1',
  source: { kind: 'generic', id: 'ci', name: 'CI' },
  type: 'pipeline.failed',
  severity: 'critical',
  subject: { project: 'api', environment: 'prod', branch: 'main' },
  title: 'Build failed',
  occurredAt: '2025-03-04T10:00:00.000Z',
  receivedAt: '2025-03-04T10:00:01.000Z',
  dedupKey: 'k',
  read: false,
};

describe('toQuery', () => {
  it('sends only what is filtered, and always a valid query', () => {
    expect(toQuery(EMPTY_FILTERS)).toEqual({ limit: PAGE_SIZE });
    expect(isFiltered(EMPTY_FILTERS)).toBe(false);
    const filters: HistoryFilters = {
      text: '  build failed ',
      source: 'ci',
      type: 'pipeline.failed',
      severities: ['critical'],
      subject: { project: 'api', environment: ' ', branch: 'main' },
      unread: true,
      since: '2025-03-04T09:00',
      until: '',
    };
    const query = toQuery(filters);
    expect(query).toEqual({
      limit: PAGE_SIZE,
      text: 'build failed',
      sources: ['ci'],
      types: ['pipeline.failed'],
      severities: ['critical'],
      project: 'api',
      branch: 'main',
      unread: true,
      since: new Date('2025-03-04T09:00').toISOString(),
    });
    expect(EventQuerySchema.safeParse(query).success).toBe(true);
    expect(isFiltered(filters)).toBe(true);
  });

  it('leaves out a type that is not an event type, and says why', () => {
    expect(typeFilterError('Pipeline Failed')).toMatch(/dotted lowercase/);
    expect(typeFilterError('pipeline.failed')).toBeUndefined();
    expect(toQuery({ ...EMPTY_FILTERS, type: 'Pipeline Failed' })).toEqual({ limit: PAGE_SIZE });
  });

  it('leaves out a commit that is not yet a SHA prefix (under 4 hex digits), and says why', () => {
    expect(commitFilterError('c0f')).toMatch(/first 4 hex digits/);
    expect(commitFilterError('zz12')).toMatch(/first 4 hex digits/);
    expect(commitFilterError('C0FFEE')).toBeUndefined();
    expect(toQuery({ ...EMPTY_FILTERS, subject: { commit: 'c0f' } })).toEqual({ limit: PAGE_SIZE });
    expect(toQuery({ ...EMPTY_FILTERS, subject: { commit: 'c0ff' } })).toEqual({ limit: PAGE_SIZE, commit: 'c0ff' });
  });
});

describe('matchesQuery', () => {
  const cases: Array<[string, Parameters<typeof matchesQuery>[1], boolean | undefined]> = [
    ['no filter', { limit: 10 }, true],
    ['its source', { sources: ['ci', 'gh'] }, true],
    ['another source', { sources: ['gh'] }, false],
    ['its type', { types: ['pipeline.failed'] }, true],
    ['another type', { types: ['pipeline.succeeded'] }, false],
    ['its severity', { severities: ['critical'] }, true],
    ['another severity', { severities: ['info'] }, false],
    ['its project', { project: 'api' }, true],
    ['another project', { project: 'web' }, false],
    ['a subject field it lacks', { cluster: 'eu-1' }, false],
    ['unread only', { unread: true }, true],
    ['read only', { unread: false }, false],
    ['since before', { since: '2025-03-04T09:00:00.000Z' }, true],
    ['since after', { since: '2025-03-04T11:00:00.000Z' }, false],
    ['until after', { until: '2025-03-04T11:00:00.000Z' }, true],
    ['until exactly (exclusive)', { until: '2025-03-04T10:00:01.000Z' }, false],
    ['full text: only the hub knows', { text: 'build' }, undefined],
  ];
  it.each(cases)('%s', (_name, query, expected) => {
    expect(matchesQuery(event, query)).toBe(expected);
  });
});

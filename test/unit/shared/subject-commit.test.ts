// subject.commit: what a commit is, how the generic source takes it, and that it joins
// threads without splitting what counts as "the same thing again" (dedup, throttling).
import { describe, expect, it } from 'vitest';
import { EventQuerySchema } from '../../../shared/api.js';
import { RuleMatchSchema } from '../../../shared/config.js';
import { commitOf, defaultDedupKey, EventInputSchema } from '../../../shared/event.js';
import { matchRule } from '../../../shared/rules.js';
import type { IncomingRequest } from '../../../electron/hub/sources/source.js';
import { webhookSourceFor } from '../../../electron/hub/sources/webhook-registry.js';
import { matchesQuery } from '../../../renderer/lib/event-filters.js';
import { makeEvent as fakeEvent } from '../../helpers/fake-event.js';

const SHA = '9fceb02d0ae598e95dc970b74767f19372d61af8';

describe('commitOf', () => {
  it.each([
    [SHA, SHA],
    [SHA.toUpperCase(), SHA],
    [`  ${SHA}\n`, SHA],
    ['a'.repeat(64), 'a'.repeat(64)],
    ['9fceb02', '9fceb02'],
    ['9fceb0', undefined],
    ['g'.repeat(40), undefined],
    ['a'.repeat(65), undefined],
    ['main', undefined],
    [42, undefined],
    [undefined, undefined],
  ])('%j → %j', (value, expected) => {
    expect(commitOf(value)).toBe(expected);
  });
});

describe('the generic source takes subject.commit', () => {
  const generic = webhookSourceFor('generic')!;
  const parse = (payload: unknown) => generic.parse({ headers: {}, body: Buffer.from(JSON.stringify(payload)), pathRest: '' } as IncomingRequest, {} as never);

  it('stores it lower-cased, so it joins the same commit from other tools', () => {
    const result = parse({ type: 'pipeline.failed', title: 'x', subject: { commit: SHA.toUpperCase() } });
    expect(result.kind === 'events' && result.events[0]!.subject).toEqual({ commit: SHA });
  });

  it('refuses a commit that is not a SHA, naming the field', () => {
    const result = parse({ type: 'pipeline.failed', title: 'x', subject: { commit: 'main' } });
    expect(result).toEqual({ kind: 'invalid', reason: 'not a Herald event: subject.commit: must be a git commit SHA (7 to 64 hex digits)' });
  });
});

describe('commit and the rest of the event', () => {
  it('a pipeline failing on the next commit is the same thing again: the dedup key leaves the commit out', () => {
    const subject = { project: 'api', pipeline: 'ci', branch: 'main' };
    expect(defaultDedupKey('gh', 'pipeline.failed', { ...subject, commit: SHA })).toBe(defaultDedupKey('gh', 'pipeline.failed', subject));
  });

  it('rules match commits with globs', () => {
    const event = fakeEvent({ subject: { project: 'api', commit: SHA } });
    const match = (commit: string | string[]) => matchRule(event, RuleMatchSchema.parse({ commit })).matched;
    expect(match('9fceb02*')).toBe(true);
    expect(match(SHA)).toBe(true);
    expect(match('abc*')).toBe(false);
    expect(match('!9fceb02*')).toBe(false);
    expect(matchRule(fakeEvent({ subject: { project: 'api' } }), RuleMatchSchema.parse({ commit: '*' })).matched).toBe(false);
  });

  it('the history filter takes a SHA or its first hex digits, and says what else it wants', () => {
    const event = fakeEvent({ subject: { commit: SHA } });
    expect(matchesQuery(event, { commit: '9FCEB02' })).toBe(true);
    expect(matchesQuery(event, { commit: '9fceb03' })).toBe(false);
    expect(matchesQuery(fakeEvent({ subject: {} }), { commit: '9fceb02' })).toBe(false);
    expect(EventQuerySchema.safeParse({ commit: '9fce' }).success).toBe(true);
    const bad = EventQuerySchema.safeParse({ commit: 'main' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('must be a commit SHA or at least its first 4 hex digits');
  });

  it('EventInputSchema keeps the commit beside the other subject fields', () => {
    expect(EventInputSchema.parse({ type: 'deployment.succeeded', title: 't', subject: { environment: 'prod', commit: SHA } }).subject).toEqual({
      environment: 'prod',
      commit: SHA,
    });
  });
});

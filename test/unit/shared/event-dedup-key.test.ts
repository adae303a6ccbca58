// The default dedup key stays within the schema's 500 characters whatever the subject
// holds (fields run to 300 each), and long subjects that differ keep different keys.
import { describe, expect, it } from 'vitest';
import { defaultDedupKey, EventInputSchema, type Subject } from '../../../shared/event.js';

const long = (c: string) => c.repeat(300);

describe('defaultDedupKey', () => {
  it('is source, type and subject as they are when short', () => {
    expect(defaultDedupKey('gh', 'pipeline.failed', { project: 'octo/repo', pipeline: 'CI', branch: 'main' })).toBe('gh:pipeline.failed:octo/repo|||CI|main||');
  });

  it('stays valid with every subject field at its 300-character maximum, room left for ":recovered"', () => {
    const subject: Subject = { project: long('p'), group: long('g'), environment: long('e'), pipeline: long('l'), branch: long('b'), cluster: long('c'), artifact: long('a') };
    const key = defaultDedupKey('cctray-gocd', 'pipeline.failed', subject);
    expect(key.length).toBeLessThanOrEqual(490);
    expect(key.startsWith('cctray-gocd:pipeline.failed:ppp')).toBe(true);
    expect(EventInputSchema.safeParse({ type: 'pipeline.failed', title: 't', subject, dedupKey: key }).success).toBe(true);
    expect(EventInputSchema.safeParse({ type: 'pipeline.failed', title: 't', subject, dedupKey: `${key}:recovered` }).success).toBe(true);
  });

  it('long subjects that differ only past the kept head still get different keys', () => {
    const a = defaultDedupKey('s', 'pipeline.failed', { project: long('p'), pipeline: `${long('x').slice(0, 299)}1` });
    const b = defaultDedupKey('s', 'pipeline.failed', { project: long('p'), pipeline: `${long('x').slice(0, 299)}2` });
    expect(a).not.toBe(b);
    expect(a.slice(0, 400)).toBe(b.slice(0, 400));
    // And the same subject always gives the same key (throttling depends on it).
    expect(defaultDedupKey('s', 'pipeline.failed', { project: long('p'), pipeline: `${long('x').slice(0, 299)}1` })).toBe(a);
  });
});

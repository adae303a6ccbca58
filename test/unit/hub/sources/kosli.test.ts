// Kosli snapshot parsing and diffing, table-driven: which step between two snapshots
// raises which events, and which malformed snapshot is refused with which reason.
import { describe, expect, it } from 'vitest';
import { diffSnapshots, type KosliSnapshot, parseSnapshot } from '../../../../electron/hub/sources/kosli.js';
import { PollError } from '../../../../electron/hub/sources/poll-http.js';

const snap = (index: number, compliant: boolean | null, artifacts: Record<string, [string, number, boolean?]>): KosliSnapshot => ({
  index,
  compliant,
  artifacts: Object.fromEntries(
    Object.entries(artifacts).map(([fp, [name, count, allowlisted]]) => [fp, { name, flow: name, count, ...(allowlisted && { allowlisted: true }) }]),
  ),
});
const ctx = { org: 'acme', environment: 'prod' };

describe('diffSnapshots', () => {
  it.each([
    ['nothing changed', snap(1, true, { a: ['api', 2] }), snap(2, true, { a: ['api', 2] }), []],
    ['an artifact starts', snap(1, true, {}), snap(2, true, { a: ['api', 2] }), [['artifact.started', 'api started running in prod', 0, 2]]],
    ['an artifact stops', snap(1, true, { a: ['api', 2] }), snap(2, true, {}), [['artifact.stopped', 'api stopped running in prod', 2, 0]]],
    ['scaled up', snap(1, true, { a: ['api', 1] }), snap(2, true, { a: ['api', 4] }), [['artifact.scaled', 'api scaled up from 1 to 4 in prod', 1, 4]]],
    ['scaled down', snap(1, true, { a: ['api', 4] }), snap(2, true, { a: ['api', 1] }), [['artifact.scaled', 'api scaled down from 4 to 1 in prod', 4, 1]]],
    [
      'a new version replaces the old one',
      snap(1, true, { a: ['api', 2] }),
      snap(2, true, { b: ['api', 2] }),
      [
        ['artifact.stopped', 'api stopped running in prod', 2, 0],
        ['artifact.started', 'api started running in prod', 0, 2],
      ],
    ],
    ['allow-listed', snap(1, false, { a: ['api', 1] }), snap(2, false, { a: ['api', 1, true] }), [['artifact.allowlisted', 'api was added to the allow-list of prod', undefined, undefined]]],
    ['still allow-listed', snap(1, true, { a: ['api', 1, true] }), snap(2, true, { a: ['api', 1, true] }), []],
    ['turns non-compliant', snap(1, true, {}), snap(2, false, {}), [['compliance.noncompliant', 'prod became non-compliant', undefined, undefined]]],
    ['compliant again', snap(1, false, {}), snap(2, true, {}), [['compliance.compliant', 'prod is compliant again', undefined, undefined]]],
    ['compliance unknown before', snap(1, null, {}), snap(2, false, {}), []],
  ])('%s', (_name, before, after, expected) => {
    const events = diffSnapshots(before, after, ctx);
    expect(events.map((e) => [e.type, e.title, e.data?.from, e.data?.to])).toEqual(expected);
    for (const e of events) expect(e.subject).toMatchObject({ group: 'acme', environment: 'prod' });
  });
});

it('an artifact\'s provenance commit goes on the subject of its events', () => {
  const before = parseSnapshot({ index: 1, artifacts: [] }, 'snapshot');
  const after = parseSnapshot({ index: 2, artifacts: [{ name: 'api', fingerprint: 'a', git_commit: '1ac157003dd6fb9ec764daa47726b7bfed65c312' }] }, 'snapshot');
  expect(diffSnapshots(before, after, ctx).map((e) => [e.type, e.subject?.commit])).toEqual([['artifact.started', '1ac157003dd6fb9ec764daa47726b7bfed65c312']]);
});

describe('parseSnapshot', () => {
  it('reads instance counts from annotation.now, else creation timestamps, and drops exited artifacts', () => {
    const parsed = parseSnapshot(
      {
        index: 7,
        timestamp: 1692616493.5,
        compliant: false,
        artifacts: [
          { name: 'api', fingerprint: 'a', flow_name: 'api-flow', git_commit: '1AC157003dd6fb9ec764daa47726b7bfed65c312', annotation: { type: 'changed', was: 1, now: 3 } },
          { name: 'web', fingerprint: 'b', creationTimestamp: [1, 2] },
          { name: 'old', fingerprint: 'c', annotation: { type: 'exited', was: 2, now: 0 } },
          { fingerprint: 'd'.repeat(64) },
        ],
      },
      'snapshot',
    );
    expect(parsed).toEqual({
      index: 7,
      compliant: false,
      timestamp: '2023-08-21T11:14:53.500Z',
      artifacts: { a: { name: 'api', flow: 'api-flow', commit: '1ac157003dd6fb9ec764daa47726b7bfed65c312', count: 3 }, b: { name: 'web', count: 2 }, ['d'.repeat(64)]: { name: 'dddddddddddd', count: 1 } },
    });
  });

  it('treats an environment with no snapshot yet as empty', () => {
    expect(parseSnapshot({}, 'snapshot')).toEqual({ index: 0, compliant: null, artifacts: {} });
  });

  it.each([
    ['not an object', [], 'unexpected response shape: snapshot of prod: expected an object, got an array'],
    ['no index', { artifacts: [] }, 'unexpected response shape: snapshot of prod.index: expected an integer, got nothing (the field is missing)'],
    ['artifacts not a list', { index: 1, artifacts: {} }, 'unexpected response shape: snapshot of prod.artifacts: expected an array, got an object'],
    ['an artifact without fingerprint', { index: 1, artifacts: [{ name: 'x' }] }, 'unexpected response shape: snapshot of prod.artifacts[0].fingerprint: expected a non-empty string, got nothing (the field is missing)'],
    ['a bad instance count', { index: 1, artifacts: [{ fingerprint: 'a', annotation: { now: 'many' } }] }, 'unexpected response shape: snapshot of prod.artifacts[0].annotation.now: expected an integer, got string "many"'],
  ])('refuses %s', (_name, json, message) => {
    expect(() => parseSnapshot(json, 'snapshot of prod')).toThrow(new PollError('shape', message));
    try {
      parseSnapshot(json, 'snapshot of prod');
    } catch (error) {
      expect((error as PollError).message).toBe(message);
    }
  });
});

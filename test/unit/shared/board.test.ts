// The board's state transitions (shared/board.ts), table-driven: each row is a sequence of
// events for one thing and the row the board holds after the last.
import { describe, expect, it } from 'vitest';
import { type BoardRow, boardVerdict, compareBoardItems, nextBoardRow, pipelineMuteKey, utcIso, worstState } from '../../../shared/board.js';
import type { HeraldEvent } from '../../../shared/event.js';

const SHA1 = '1111111111111111111111111111111111111111';
const SHA2 = '2222222222222222222222222222222222222222';
const SHA3 = '3333333333333333333333333333333333333333';

let n = 0;
function ev(type: string, minute: number, extra: Partial<HeraldEvent> = {}): HeraldEvent {
  n++;
  return {
    id: `e${n}`,
    source: { kind: 'github', id: 'gh', name: 'GitHub' },
    type,
    severity: 'info',
    subject: { project: 'acme/api', pipeline: 'ci', branch: 'main' },
    title: `${type} ${n}`,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 8, minute)).toISOString(),
    receivedAt: new Date(Date.UTC(2026, 0, 1, 8, minute)).toISOString(),
    dedupKey: 'k',
    read: false,
    ...extra,
  };
}
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 8, minute)).toISOString();

/** Folds events through nextBoardRow, as the ingest transaction does for one thing. */
function fold(events: HeraldEvent[]): BoardRow | undefined {
  let row: BoardRow | undefined;
  for (const e of events) {
    const next = nextBoardRow(row, e);
    if (next === 'unchanged') continue;
    row = 'remove' in next ? undefined : next.row;
  }
  return row;
}
const brief = (row: BoardRow | undefined) => row && { state: row.state, running: row.running, since: row.since, streak: row.streak, broken: row.brokenBy?.commit };

describe('pipelines', () => {
  const failed = (m: number, commit: string, actor = 'ana') => ev('pipeline.failed', m, { subject: { project: 'acme/api', pipeline: 'ci', branch: 'main', commit }, actor });
  it.each<[string, HeraldEvent[], ReturnType<typeof brief>]>([
    ['a first failure: failing since then, streak 1, broken by its commit', [failed(0, SHA1)], { state: 'failing', running: false, since: at(0), streak: 1, broken: SHA1 }],
    ['still failing: since and who broke it stay, the streak grows', [failed(0, SHA1), failed(5, SHA2, 'bo')], { state: 'failing', running: false, since: at(0), streak: 2, broken: SHA1 }],
    ['recovered: passing since the success, streak starts over', [failed(0, SHA1), failed(5, SHA2), ev('pipeline.recovered', 9)], { state: 'passing', running: false, since: at(9), streak: 1, broken: undefined }],
    ['a rebuild of a red pipeline is still red, and running', [failed(0, SHA1), ev('pipeline.triggered', 3)], { state: 'failing', running: true, since: at(0), streak: 1, broken: SHA1 }],
    ['a first run with no verdict yet is running', [ev('pipeline.triggered', 0)], { state: 'running', running: true, since: at(0), streak: 0, broken: undefined }],
    ['…and unknown when that run is cancelled', [ev('pipeline.triggered', 0), ev('pipeline.cancelled', 2)], { state: 'unknown', running: false, since: at(2), streak: 0, broken: undefined }],
    ['a cancelled run leaves a verdict as it was', [ev('pipeline.succeeded', 0), ev('pipeline.triggered', 1), ev('pipeline.cancelled', 2)], { state: 'passing', running: false, since: at(0), streak: 1, broken: undefined }],
    ['a late (older) failure does not turn a newer success red', [ev('pipeline.succeeded', 5), failed(3, SHA1)], { state: 'passing', running: false, since: at(5), streak: 1, broken: undefined }],
    ['passing again counts the streak', [ev('pipeline.succeeded', 0), ev('pipeline.succeeded', 1)], { state: 'passing', running: false, since: at(0), streak: 2, broken: undefined }],
    // Webhooks arrive out of order, and two replicas commit in either order.
    ['a late failure inside the red run still counts: three failures in any order are a streak of 3', [failed(0, SHA1), failed(6, SHA3), failed(3, SHA2)], { state: 'failing', running: false, since: at(0), streak: 3, broken: SHA1 }],
    ['a late failure older than the run it would join does not count (what came between is unknown)', [failed(4, SHA2), failed(6, SHA3), failed(1, SHA1)], { state: 'failing', running: false, since: at(4), streak: 2, broken: SHA2 }],
    ['a late success inside the red run neither counts nor turns it green', [failed(0, SHA1), failed(6, SHA3), ev('pipeline.succeeded', 3)], { state: 'failing', running: false, since: at(0), streak: 2, broken: SHA1 }],
  ])('%s', (_name, events, expected) => {
    expect(brief(fold(events))).toEqual(expected);
  });

  it('a late event that counts changes only the streak: the row still shows the newest event', () => {
    const newest = failed(6, SHA3, 'cy');
    const before = fold([failed(0, SHA1), newest])!;
    const late = nextBoardRow(before, failed(3, SHA2, 'bo'));
    expect(late).not.toBe('unchanged');
    const row = (late as { row: BoardRow }).row;
    expect(row).not.toBe(before); // a changed row is a new row (the board's saves and caches rely on it)
    expect(row).toEqual({ ...before, streak: 3 });
    expect(row.lastEventId).toBe(newest.id);
  });

  it('the row keeps the last event: its id, title, link and commit', () => {
    const last = ev('pipeline.failed', 4, { url: 'https://ci.example/run/4', subject: { project: 'acme/api', pipeline: 'ci', branch: 'main', commit: SHA3 } });
    const row = fold([ev('pipeline.failed', 1), last])!;
    expect(row).toMatchObject({ lastEventId: last.id, title: last.title, url: 'https://ci.example/run/4', commit: SHA3, lastEventAt: at(4) });
    expect(row.subject).toEqual({ project: 'acme/api', pipeline: 'ci', branch: 'main' });
  });

  it('one pipeline per source, project, pipeline and branch; its key carries the pipeline mute key', () => {
    const a = boardVerdict(ev('pipeline.failed', 0))!.thing;
    expect(boardVerdict(ev('pipeline.failed', 0, { subject: { project: 'acme/api', pipeline: 'ci', branch: 'dev' } }))!.thing.key).not.toBe(a.key);
    expect(boardVerdict(ev('pipeline.failed', 0, { source: { kind: 'gitlab', id: 'gl', name: 'GitLab' } }))!.thing.key).not.toBe(a.key);
    expect(boardVerdict(ev('pipeline.failed', 0, { subject: { project: 'acme/api', pipeline: 'ci', branch: 'main', commit: SHA2 } }))!.thing.key).toBe(a.key);
    expect(a.muteKey).toBe(JSON.stringify(['gh', 'acme/api', 'ci', 'main']));
    expect(a.key).toBe(`pipeline:${pipelineMuteKey('gh', { project: 'acme/api', pipeline: 'ci', branch: 'main' })}`);
  });
});

describe('other things', () => {
  const kosli = { kind: 'kosli-webhook', id: 'kosli', name: 'Kosli' };
  const env = { group: 'cyber-dojo', environment: 'aws-prod' };
  it.each<[string, HeraldEvent[], ReturnType<typeof brief>]>([
    [
      'environment compliance: non-compliant → still → compliant again',
      [ev('compliance.noncompliant', 0, { source: kosli, subject: env }), ev('compliance.noncompliant', 2, { source: kosli, subject: env }), ev('compliance.compliant', 7, { source: kosli, subject: env })],
      { state: 'passing', running: false, since: at(7), streak: 1, broken: undefined },
    ],
    [
      'a deployment that failed, then is being retried',
      [ev('deployment.failed', 0, { subject: { project: 'acme/api', environment: 'production' } }), ev('deployment.triggered', 1, { subject: { project: 'acme/api', environment: 'production' } })],
      { state: 'failing', running: true, since: at(0), streak: 1, broken: undefined },
    ],
    ['a security gate that failed', [ev('security_gate.failed', 0, { subject: { project: 'shop' } })], { state: 'failing', running: false, since: at(0), streak: 1, broken: undefined }],
    [
      'an integration that failed and recovered',
      [ev('health.integration_unhealthy', 0, { data: { channelId: 'slack' } }), ev('health.integration_recovered', 3, { data: { channelId: 'slack' } })],
      { state: 'passing', running: false, since: at(3), streak: 1, broken: undefined },
    ],
    [
      'an artifact started in an environment, then non-compliant per its provenance',
      [
        ev('artifact.started', 0, { source: kosli, subject: { ...env, artifact: 'runner' }, data: { fingerprint: 'f1', artifactStatus: 'compliant' } }),
        ev('artifact.scaled', 1, { source: kosli, subject: { ...env, artifact: 'runner' }, data: { fingerprint: 'f1', artifactStatus: 'non-compliant' } }),
      ],
      { state: 'failing', running: false, since: at(1), streak: 1, broken: undefined },
    ],
    [
      'an artifact that stopped is gone from the board',
      [ev('artifact.started', 0, { source: kosli, subject: { ...env, artifact: 'runner' }, data: { fingerprint: 'f1' } }), ev('artifact.stopped', 1, { source: kosli, subject: { ...env, artifact: 'runner' }, data: { fingerprint: 'f1' } })],
      undefined,
    ],
  ])('%s', (_name, events, expected) => {
    expect(brief(fold(events))).toEqual(expected);
  });

  it.each([
    ['finding.new', { project: 'shop' }],
    ['scan.imported', { project: 'shop' }],
    ['release.created', { project: 'shop' }],
    ['pipeline.failed', {}],
    ['artifact.started', { artifact: 'runner' }],
    ['herald.test', {}],
  ])('%s about %j has no state', (type, subject) => {
    expect(nextBoardRow(undefined, ev(type, 0, { subject }))).toBe('unchanged');
  });
});

describe('ordering and the worst state', () => {
  it('worst first, the longest-standing first within a state', () => {
    const items = [
      { key: 'a', state: 'passing' as const, since: at(0) },
      { key: 'b', state: 'failing' as const, since: at(5) },
      { key: 'c', state: 'running' as const, since: at(1) },
      { key: 'd', state: 'failing' as const, since: at(2) },
      { key: 'e', state: 'unknown' as const, since: at(0) },
    ];
    expect(items.sort(compareBoardItems).map((i) => i.key)).toEqual(['d', 'b', 'c', 'e', 'a']);
  });

  it('the worst state leaves muted items out', () => {
    expect(worstState([{ state: 'passing' }, { state: 'failing', mutedUntil: 'passes' }, { state: 'running' }])).toBe('running');
    expect(worstState([{ state: 'failing', mutedUntil: 'passes' }])).toBeUndefined();
    expect(worstState([])).toBeUndefined();
  });
});

describe('utcIso', () => {
  it('is toISOString of the time, whether sent in that form (returned as is), with an offset, or on a day a month may not have', () => {
    const times = [
      '2026-01-01T08:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      '2026-03-01T10:00:00+02:00',
      '2026-03-01T10:00:00Z',
      '2026-02-30T00:00:00.000Z', // Date rolls it over to 2 March: the form alone does not say it is a date
      '2026-02-28T24:00:00.000Z',
      '0001-01-01T00:00:00.000Z',
    ];
    for (const text of times) expect(utcIso(text), text).toBe(new Date(Date.parse(text)).toISOString());
    for (let i = 0; i < 2000; i++) {
      const text = new Date(Date.UTC(2000, 0, 1) + i * 15_778_463_917).toISOString();
      expect(utcIso(text)).toBe(text);
    }
  });
});

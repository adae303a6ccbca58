import { describe, expect, it } from 'vitest';
import { EventInputSchema, defaultDedupKey, type EventInput } from '../../../../shared/event.js';
import { applyPipelineStreak, isStreakEvent, pipelineStreakKey, type StreakState } from '../../../../electron/hub/sources/streaks.js';

const subject = { project: 'octo/repo', pipeline: 'CI', branch: 'main' };
const failed = (n: number): EventInput => ({
  type: 'pipeline.failed',
  title: 'octo/repo: CI failed on main',
  summary: `Workflow run #${n}.`,
  subject,
  occurredAt: `2025-01-0${n}T10:00:00.000Z`,
  dedupKey: defaultDedupKey('gh', 'pipeline.failed', subject),
  data: { runNumber: n },
});
const succeeded = (n: number): EventInput => ({
  type: 'pipeline.succeeded',
  title: 'octo/repo: CI succeeded on main',
  subject,
  occurredAt: `2025-01-0${n}T12:30:00.000Z`,
  dedupKey: defaultDedupKey('gh', 'pipeline.succeeded', subject),
  data: { runNumber: n },
});

/** Run a sequence through the streak logic as the hub would, keeping the state between events. */
function run(events: EventInput[]): EventInput[] {
  let state: StreakState | undefined;
  return events.map((e) => {
    const out = applyPipelineStreak(e, state);
    state = out.state;
    return EventInputSchema.parse(out.event);
  });
}

describe('pipeline streaks', () => {
  it('fail, fail, fail, success → failed, still failing (2), still failing (3), recovered after 3 failures', () => {
    const out = run([failed(1), failed(2), failed(3), succeeded(4)]);
    expect(out.map((e) => e.type)).toEqual(['pipeline.failed', 'pipeline.failed', 'pipeline.failed', 'pipeline.recovered']);
    expect(out.map((e) => e.title)).toEqual([
      'octo/repo: CI failed on main',
      'octo/repo: CI still failing (2) on main',
      'octo/repo: CI still failing (3) on main',
      'octo/repo: CI recovered after 3 failures on main',
    ]);
    expect(out.map((e) => e.data?.failureStreak)).toEqual([1, 2, 3, undefined]);
    expect(out[1]!.summary).toBe('Still failing (2 in a row). Workflow run #2.');
    // A person reads it: how long it was red, and since when, in words and a readable time — not raw ISO.
    expect(out[3]!.summary).toBe('Recovered after 3 failures (failing for 3 d 2 h, since 2025-01-01 10:00 UTC).');
    expect(out[3]!.data).toMatchObject({ recoveredAfter: 3, runNumber: 4 });
  });

  it('still-failing events keep the failure dedupKey (throttling counts the streak once); recovered gets its own', () => {
    const out = run([failed(1), failed(2), failed(3), succeeded(4)]);
    expect(new Set(out.slice(0, 3).map((e) => e.dedupKey)).size).toBe(1);
    expect(out[3]!.dedupKey).toBe(defaultDedupKey('gh', 'pipeline.recovered', subject));
  });

  it('one failure then success → "recovered after 1 failure"', () => {
    expect(run([failed(1), succeeded(2)])[1]!.title).toBe('octo/repo: CI recovered after 1 failure on main');
  });

  it('success after success stays succeeded; the streak resets after recovery', () => {
    const out = run([succeeded(1), succeeded(2), failed(3), succeeded(4), succeeded(5), failed(6)]);
    expect(out.map((e) => e.type)).toEqual([
      'pipeline.succeeded',
      'pipeline.succeeded',
      'pipeline.failed',
      'pipeline.recovered',
      'pipeline.succeeded',
      'pipeline.failed',
    ]);
    expect(out[5]!.data?.failureStreak).toBe(1);
    expect(out[5]!.title).toBe('octo/repo: CI failed on main');
  });

  it('triggered and cancelled pass through and do not break a failure streak', () => {
    const triggered: EventInput = { type: 'pipeline.triggered', title: 'octo/repo: CI started on main', subject };
    const cancelled: EventInput = { type: 'pipeline.cancelled', title: 'octo/repo: CI was cancelled on main', subject };
    const out = run([failed(1), triggered, cancelled, triggered, failed(2)]);
    expect(out[1]).toEqual(triggered);
    expect(out[2]).toEqual(cancelled);
    expect(out[4]!.title).toBe('octo/repo: CI still failing (2) on main');
  });

  it.each([
    ['octo/failed-tests: CI failed on main', 'octo/failed-tests: CI still failing (2) on main'],
    ['octo/repo: retry failed jobs failed (timed out) on main', 'octo/repo: retry failed jobs still failing (2) (timed out) on main'],
    ['octo/repo: deployment to failed-env failed', 'octo/repo: deployment to failed-env still failing (2)'],
    ['Build failed: 3 tests', 'Build still failing (2): 3 tests'],
  ])('only the verb is reworded, not a name that contains it: %s', (title, expected) => {
    const { event } = applyPipelineStreak({ ...failed(2), title }, { failures: 1 });
    expect(event.title).toBe(expected);
  });

  it('recovery rewords the verb the same way', () => {
    const { event } = applyPipelineStreak({ ...succeeded(2), title: 'octo/succeeded-app: CI succeeded on main' }, { failures: 2 });
    expect(event.title).toBe('octo/succeeded-app: CI recovered after 2 failures on main');
  });

  it('a title that words it differently gets the count appended', () => {
    const odd: EventInput = { ...failed(2), title: 'Build broke' };
    const { event } = applyPipelineStreak(odd, { failures: 4 });
    expect(event.title).toBe('Build broke — still failing (5)');
  });

  it('an event without a dedupKey stays without one (the hub derives it from the new type)', () => {
    const { dedupKey: _drop, ...noKey } = succeeded(1);
    const { event } = applyPipelineStreak(noKey, { failures: 2 });
    expect(event.type).toBe('pipeline.recovered');
    expect('dedupKey' in event).toBe(false);
  });

  it('the key is per project + pipeline + branch', () => {
    const key = pipelineStreakKey(failed(1));
    expect(pipelineStreakKey(succeeded(9))).toBe(key);
    expect(pipelineStreakKey({ subject: { ...subject, branch: 'dev' } })).not.toBe(key);
    expect(pipelineStreakKey({ subject: { ...subject, pipeline: 'Deploy' } })).not.toBe(key);
    expect(pipelineStreakKey({ subject: { ...subject, project: 'octo/other' } })).not.toBe(key);
    // Separators inside names cannot make two subjects collide.
    expect(pipelineStreakKey({ subject: { project: 'a|b', pipeline: 'c' } })).not.toBe(pipelineStreakKey({ subject: { project: 'a', pipeline: 'b|c' } }));
  });

  it('isStreakEvent: only failed and succeeded move a streak', () => {
    expect(['pipeline.failed', 'pipeline.succeeded', 'pipeline.triggered', 'pipeline.cancelled', 'deployment.failed'].map((type) => isStreakEvent({ type }))).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

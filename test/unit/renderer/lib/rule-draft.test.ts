import { describe, expect, it } from 'vitest';
import { RuleSchema } from '../../../../shared/config.js';
import { buildRule, describeMatch, matchWarnings, newRuleDraft, ruleDraftFrom } from '../../../../renderer/lib/rule-draft.js';

describe('rule drafts', () => {
  it('round-trips a stored rule through the form unchanged', () => {
    const rule = RuleSchema.parse({
      id: 'prod',
      name: 'Prod deploys',
      enabled: false,
      match: { types: ['deployment.*'], environment: ['prod-*', '!prod-test'], branch: 'release/{v1,v2}', severities: ['critical', 'warning'] },
      channels: ['ops', 'desk'],
      throttle: { windowSeconds: 600 },
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' },
      snoozedUntil: '2030-01-01T08:00:00.000Z',
    });
    expect(RuleSchema.parse(buildRule(ruleDraftFrom(rule)))).toEqual(rule);
  });

  it('round-trips a storm group; no group unless asked; bad seconds reach the schema as typed', () => {
    const stored = RuleSchema.parse({ id: 'storms', name: 'Storms', channels: ['sink'], group: { by: ['project', 'branch'], waitSeconds: 0, intervalSeconds: 600 } });
    const draft = ruleDraftFrom(stored);
    expect(draft).toMatchObject({ group: true, groupBy: ['project', 'branch'], groupWait: '0', groupInterval: '600' });
    expect(RuleSchema.parse(buildRule(draft))).toEqual(stored);
    expect(buildRule({ ...newRuleDraft(), name: 'x', id: 'x' })).not.toHaveProperty('group');
    const fresh = buildRule({ ...newRuleDraft(), name: 'x', id: 'x', group: true });
    expect(RuleSchema.parse(fresh).group).toEqual({ by: [], waitSeconds: 10, intervalSeconds: 300 });
    const bad = RuleSchema.safeParse(buildRule({ ...newRuleDraft(), name: 'x', id: 'x', group: true, groupWait: 'soon', groupInterval: '' }));
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['group.waitSeconds: must be a number of seconds']);
  });

  it('warns of a source id no source has and a type no source sends, with the likely one; globs and known ones pass', () => {
    const draft = (sources: string, types: string) => ({ ...newRuleDraft(), globs: { ...newRuleDraft().globs, sources, types } });
    expect(matchWarnings(draft('ci, gh', 'pipeline.failed, deployment.*'), ['ci', 'gh'])).toEqual({});
    expect(matchWarnings(draft('cii', 'pipeline.faild'), ['ci', 'gh'])).toEqual({
      sources: 'no source "cii": did you mean ci?',
      types: '"pipeline.faild" is not a type Herald\'s sources send: did you mean pipeline.failed?',
    });
    expect(matchWarnings(draft('nightly', 'backup.done'), ['ci'])).toEqual({
      sources: 'no source "nightly" yet: the rule matches its events once it exists',
      types: '"backup.done" is not a type Herald\'s sources send (fine for your own generic events)',
    });
    // Globs and exclusions are not judged.
    expect(matchWarnings(draft('c*, !legacy', 'pipe*.failed, !pipeline.started'), ['ci'])).toEqual({});
  });

  it('a rule pause that has ended is not shown, and not kept when saved', () => {
    const rule = RuleSchema.parse({ id: 'r', name: 'R', snoozedUntil: '2020-01-01T08:00:00.000Z' });
    const draft = ruleDraftFrom(rule);
    expect(draft.snooze).toBe(false);
    expect(buildRule(draft)).not.toHaveProperty('snoozedUntil');
  });

  it('a fresh draft with a name is a valid catch-all rule with no channels', () => {
    const rule = buildRule({ ...newRuleDraft(), id: 'all', name: 'All' });
    expect(rule).toEqual({ id: 'all', name: 'All', enabled: true, match: {}, channels: [] });
    expect(RuleSchema.safeParse(rule).success).toBe(true);
  });

  it('turns a bad throttle window into something the schema names', () => {
    const draft = { ...newRuleDraft(), id: 'x', name: 'X', throttle: true };
    for (const text of ['0', 'ten', '1.5']) {
      const result = RuleSchema.safeParse(buildRule({ ...draft, throttleSeconds: text }));
      expect(result.success).toBe(false);
      expect(result.error!.issues[0]!.path.join('.')).toBe('throttle.windowSeconds');
    }
    // Empty means the default window, as the schema says.
    expect(RuleSchema.parse(buildRule({ ...draft, throttleSeconds: '' })).throttle).toEqual({ windowSeconds: 3600 });
  });

  it('describes a rule in one line', () => {
    expect(describeMatch(RuleSchema.parse({ id: 'a', name: 'A' }))).toBe('every event');
    expect(describeMatch(RuleSchema.parse({ id: 'a', name: 'A', match: { types: 'pipeline.*', branch: ['main'], severities: ['critical'] } }))).toBe(
      'types pipeline.* · branch main · critical',
    );
  });
});

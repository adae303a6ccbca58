import { describe, expect, it, vi } from 'vitest';
import { RuleMatchSchema, RuleSchema, type QuietHours, type RuleConfig, type RuleConfigInput } from '../../../shared/config.js';
import type { HeraldEvent, Severity, Subject } from '../../../shared/event.js';
import { SUBJECT_FIELDS } from '../../../shared/event.js';
import {
  isInQuietHours,
  isSnoozed,
  matchRule,
  previewRule,
  routeEvent,
  type RoutingContext,
} from '../../../shared/rules.js';

// Count glob compilations, to check the per-match-object cache (1,000 rules test below).
const compiles = vi.hoisted(() => ({ count: 0 }));
vi.mock('picomatch/posix.js', async (importOriginal) => {
  const original = (await importOriginal<{ default: typeof import('picomatch') }>()).default;
  const makeRe: typeof original.makeRe = (...args) => {
    compiles.count++;
    return original.makeRe(...args);
  };
  return { default: Object.assign((...args: Parameters<typeof original>) => original(...args), original, { makeRe }) };
});

// ── Fixtures ───────────────────────────────────────────────────────────────

interface EventSpec {
  type?: string;
  severity?: Severity;
  source?: string;
  subject?: Subject;
  dedupKey?: string;
}

let nextId = 0;
function event(spec: EventSpec = {}): HeraldEvent {
  const type = spec.type ?? 'pipeline.failed';
  const source = spec.source ?? 'gitlab-prod';
  return {
    id: `evt-${++nextId}`,
    source: { kind: 'generic', id: source, name: source },
    type,
    severity: spec.severity ?? 'critical',
    subject: spec.subject ?? {},
    title: 'Something happened',
    occurredAt: '2025-06-01T10:00:00.000Z',
    receivedAt: '2025-06-01T10:00:00.000Z',
    dedupKey: spec.dedupKey ?? `${source}:${type}`,
    read: false,
  };
}

let ruleSeq = 0;
function rule(input: Partial<RuleConfigInput> = {}): RuleConfig {
  ruleSeq++;
  return RuleSchema.parse({ id: `rule-${ruleSeq}`, name: `Rule ${ruleSeq}`, ...input });
}

const NOW = new Date('2025-06-01T12:00:00.000Z'); // a Sunday, 14:00 in Berlin (CEST)
const CHANNELS = new Map([
  ['desk', 'desktop'],
  ['hook', 'webhook'],
  ['hook2', 'webhook'],
]);

function context(over: Partial<RoutingContext> & { routed?: Map<string, number> } = {}): RoutingContext {
  const routed = over.routed ?? new Map<string, number>();
  return {
    now: over.now ?? NOW,
    lastRoutedAt: over.lastRoutedAt ?? ((ruleId, dedupKey) => routed.get(`${ruleId}|${dedupKey}`)),
    channelKinds: over.channelKinds ?? CHANNELS,
    settings: over.settings ?? {},
    ...(over.pausedChannels && { pausedChannels: over.pausedChannels }),
  };
}

const minutesBefore = (minutes: number, now = NOW) => now.getTime() - minutes * 60_000;

// ── Matching ───────────────────────────────────────────────────────────────

type MatchRow = [name: string, match: Record<string, unknown>, event: EventSpec, expected: boolean];

const subjectRows: MatchRow[] = SUBJECT_FIELDS.flatMap((f): MatchRow[] => [
  [`${f}: glob matches`, { [f]: 'web-*' }, { subject: { [f]: 'web-api' } }, true],
  [`${f}: glob does not match`, { [f]: 'web-*' }, { subject: { [f]: 'api' } }, false],
  [`${f}: absent value fails a positive filter`, { [f]: 'web-*' }, { subject: {} }, false],
  [`${f}: absent value passes a negative-only filter`, { [f]: '!web-*' }, { subject: {} }, true],
  [`${f}: negative-only filter excludes`, { [f]: '!web-*' }, { subject: { [f]: 'web-api' } }, false],
  [`${f}: case-insensitive`, { [f]: 'Web-*' }, { subject: { [f]: 'WEB-API' } }, true],
  [`${f}: another field's value does not count`, { [f]: 'web-*' }, { subject: { [f === 'project' ? 'group' : 'project']: 'web-api' } }, false],
]);

const matchTable: MatchRow[] = [
  ['empty match matches everything', {}, { type: 'mention', severity: 'info' }, true],
  ['type pipeline.* matches pipeline.failed', { types: 'pipeline.*' }, { type: 'pipeline.failed' }, true],
  ['type pipeline.* matches pipeline.recovered', { types: 'pipeline.*' }, { type: 'pipeline.recovered' }, true],
  ['type pipeline.* does not match deployment.failed', { types: 'pipeline.*' }, { type: 'deployment.failed' }, false],
  ['type pipeline.* does not match bare pipeline', { types: 'pipeline.*' }, { type: 'pipeline' }, false],
  ['type *.failed matches security_gate.failed', { types: '*.failed' }, { type: 'security_gate.failed' }, true],
  ['type exact list OR', { types: ['mention', 'finding.new'] }, { type: 'finding.new' }, true],
  ['type with exclusion excludes', { types: ['pipeline.*', '!pipeline.succeeded'] }, { type: 'pipeline.succeeded' }, false],
  ['type with exclusion keeps the rest', { types: ['pipeline.*', '!pipeline.succeeded'] }, { type: 'pipeline.failed' }, true],
  ['type negative-only matches others', { types: '!pipeline.triggered' }, { type: 'mention' }, true],
  ['type braces', { types: '{pipeline,deployment}.failed' }, { type: 'deployment.failed' }, true],
  ['source glob matches', { sources: 'gitlab-*' }, { source: 'gitlab-prod' }, true],
  ['source glob does not match', { sources: 'gitlab-*' }, { source: 'github' }, false],
  ['source case-insensitive', { sources: 'GitLab-*' }, { source: 'gitlab-prod' }, true],
  ['source exclusion', { sources: ['*', '!gitlab-staging'] }, { source: 'gitlab-staging' }, false],
  ['severity in list', { severities: ['critical', 'warning'] }, { severity: 'warning' }, true],
  ['severity not in list', { severities: ['critical', 'warning'] }, { severity: 'info' }, false],
  ...subjectRows,
  ['branch release/* matches release/1.2', { branch: 'release/*' }, { subject: { branch: 'release/1.2' } }, true],
  ['branch release/* does not cross a slash', { branch: 'release/*' }, { subject: { branch: 'release/1.2/hotfix' } }, false],
  ['branch release/** crosses slashes', { branch: 'release/**' }, { subject: { branch: 'release/1.2/hotfix' } }, true],
  ['lone * matches a value with slashes', { branch: '*' }, { subject: { branch: 'feature/x/y' } }, true],
  ['lone ** matches any value', { branch: '**' }, { subject: { branch: 'a/b/c' } }, true],
  ['lone * does not match an absent value', { branch: '*' }, { subject: {} }, false],
  ['group org/** matches any depth', { group: 'org/**' }, { subject: { group: 'org/team/sub' } }, true],
  ['group org/** rejects another org', { group: 'org/**' }, { subject: { group: 'other/team' } }, false],
  ['? is one character', { environment: 'prod-?' }, { subject: { environment: 'prod-1' } }, true],
  ['? is only one character', { environment: 'prod-?' }, { subject: { environment: 'prod-12' } }, false],
  ['{a,b} alternatives', { environment: '{staging,prod}' }, { subject: { environment: 'prod' } }, true],
  ['{a,b} rejects others', { environment: '{staging,prod}' }, { subject: { environment: 'dev' } }, false],
  ['[abc] class', { cluster: 'eu-[abc]' }, { subject: { cluster: 'eu-b' } }, true],
  ['[abc] class rejects others', { cluster: 'eu-[abc]' }, { subject: { cluster: 'eu-d' } }, false],
  ['* does not match a prefix only', { project: 'pay*' }, { subject: { project: 'my-payments' } }, false],
  ['OR within a field', { branch: ['main', 'develop'] }, { subject: { branch: 'develop' } }, true],
  ['exclusion wins over inclusion', { branch: ['*', '!main'] }, { subject: { branch: 'main' } }, false],
  ['AND across fields: all hold', { types: 'pipeline.*', branch: 'main', severities: ['critical'] }, { subject: { branch: 'main' } }, true],
  ['AND across fields: one fails', { types: 'pipeline.*', branch: 'main' }, { subject: { branch: 'dev' } }, false],
  ['AND across fields: severity fails', { types: 'pipeline.*', severities: ['warning'] }, { severity: 'critical' }, false],
];

describe('matchRule', () => {
  it.each(matchTable)('%s', (_name, match, spec, expected) => {
    expect(matchRule(event(spec), RuleMatchSchema.parse(match)).matched).toBe(expected);
  });

  it('covers every subject field', () => {
    expect(new Set(subjectRows.map((r) => r[0].split(':')[0]))).toEqual(new Set(SUBJECT_FIELDS));
  });

  it('matches all current and future pipelines by glob', () => {
    const match = RuleMatchSchema.parse({ types: 'pipeline.*', pipeline: 'deploy-*' });
    // Pipeline names the rule never mentions, as if created after the rule was written.
    const names = ['deploy-eu', 'deploy-us-2031', 'Deploy-Canary', 'build-eu', 'undeploy-x'];
    const matched = names.filter((p) => matchRule(event({ subject: { pipeline: p } }), match).matched);
    expect(matched).toEqual(['deploy-eu', 'deploy-us-2031', 'Deploy-Canary']);
  });

  it.each([
    [{ types: 'pipeline.*', branch: 'main' }, { subject: { branch: 'main' } }, 'matched type pipeline.* and branch main'],
    [{ sources: 'gitlab-*', types: 'pipeline.*', severities: ['critical'] }, {}, 'matched source gitlab-*, type pipeline.* and severity critical'],
    [{ branch: '!release/*' }, { subject: { branch: 'main' } }, 'matched branch not release/*'],
    [{ branch: '!release/*' }, {}, 'matched branch absent'],
    [{}, {}, 'matched every event (no filters)'],
    [{ branch: 'main' }, {}, 'event has no branch'],
    [{ types: 'pipeline.*' }, { type: 'deployment.failed' }, 'type deployment.failed matches none of pipeline.*'],
    [{ types: ['pipeline.*', '!pipeline.failed'] }, {}, 'type pipeline.failed is excluded by !pipeline.failed'],
    [{ severities: ['critical', 'warning'] }, { severity: 'info' }, 'severity info is not critical, warning'],
  ] as [Record<string, unknown>, EventSpec, string][])('reason for %j on %j: %s', (match, spec, reason) => {
    expect(matchRule(event(spec), RuleMatchSchema.parse(match)).reason).toBe(reason);
  });
});

// ── Throttle ───────────────────────────────────────────────────────────────

describe('routeEvent: throttle', () => {
  const throttled = rule({ id: 'throttled', channels: ['hook'], throttle: { windowSeconds: 600 } });

  it.each([
    ['never routed', undefined, 'routed'],
    ['1 s ago (inside)', NOW.getTime() - 1_000, 'throttled'],
    ['599 s ago (inside)', NOW.getTime() - 599_000, 'throttled'],
    ['exactly the window ago (edge: the window has passed)', NOW.getTime() - 600_000, 'routed'],
    ['601 s ago (after)', NOW.getTime() - 601_000, 'routed'],
  ] as const)('window 600 s, last routed %s → %s', (_name, last, expected) => {
    const routed = new Map<string, number>();
    if (last !== undefined) routed.set(`throttled|k1`, last);
    const [out] = routeEvent(event({ dedupKey: 'k1' }), [throttled], context({ routed }));
    expect(out?.outcome).toBe(expected);
    expect(out?.channels).toEqual(expected === 'routed' ? ['hook'] : []);
    expect(out?.heldBack).toEqual(expected === 'routed' ? [] : ['hook']);
  });

  it('defaults to a one-hour window', () => {
    const r = rule({ id: 'hourly', channels: ['hook'], throttle: {} });
    const at = (minutes: number) =>
      routeEvent(event({ dedupKey: 'k' }), [r], context({ routed: new Map([['hourly|k', minutesBefore(minutes)]]) }))[0]?.outcome;
    expect([at(59), at(60), at(61)]).toEqual(['throttled', 'routed', 'routed']);
  });

  it('says how long ago and how long the window is', () => {
    const r = rule({ id: 'hourly', channels: ['hook'], throttle: { windowSeconds: 3600 } });
    const [out] = routeEvent(event({ dedupKey: 'k' }), [r], context({ routed: new Map([['hourly|k', minutesBefore(12)]]) }));
    expect(out?.reason).toBe('throttled: same dedupKey routed 12 min ago, window 1 h');
  });

  it('throttles per rule and per dedupKey', () => {
    const a = rule({ id: 'a', channels: ['hook'], throttle: { windowSeconds: 3600 } });
    const b = rule({ id: 'b', channels: ['hook2'], throttle: { windowSeconds: 3600 } });
    const routed = new Map([['a|k1', minutesBefore(5)]]);
    const ctx = context({ routed });
    expect(routeEvent(event({ dedupKey: 'k1' }), [a, b], ctx).map((o) => [o.ruleId, o.outcome])).toEqual([
      ['a', 'throttled'],
      ['b', 'routed'],
    ]);
    expect(routeEvent(event({ dedupKey: 'k2' }), [a, b], ctx).map((o) => [o.ruleId, o.outcome])).toEqual([
      ['a', 'routed'],
      ['b', 'routed'],
    ]);
  });

  it('asks the store with the rule id and the event dedupKey', () => {
    const lastRoutedAt = vi.fn<RoutingContext['lastRoutedAt']>(() => undefined);
    routeEvent(event({ dedupKey: 'the-key' }), [throttled], context({ lastRoutedAt }));
    expect(lastRoutedAt).toHaveBeenCalledWith('throttled', 'the-key');
  });

  it('does not ask the store for rules without throttle', () => {
    const lastRoutedAt = vi.fn<RoutingContext['lastRoutedAt']>(() => NOW.getTime());
    const [out] = routeEvent(event(), [rule({ channels: ['hook'] })], context({ lastRoutedAt }));
    expect(out?.outcome).toBe('routed');
    expect(lastRoutedAt).not.toHaveBeenCalled();
  });
});

// ── Quiet hours ────────────────────────────────────────────────────────────

describe('isInQuietHours', () => {
  const q = (start: string, end: string, timeZone?: string): QuietHours => ({ start, end, ...(timeZone ? { timeZone } : {}) });
  it.each([
    ['same day, inside', q('09:00', '17:00', 'UTC'), '2025-06-01T12:00:00Z', true],
    ['same day, at start (inclusive)', q('09:00', '17:00', 'UTC'), '2025-06-01T09:00:00Z', true],
    ['same day, at end (exclusive)', q('09:00', '17:00', 'UTC'), '2025-06-01T17:00:00Z', false],
    ['same day, a minute before end', q('09:00', '17:00', 'UTC'), '2025-06-01T16:59:59Z', true],
    ['same day, before', q('09:00', '17:00', 'UTC'), '2025-06-01T08:59:00Z', false],
    ['wrapping, late evening', q('22:00', '07:00', 'UTC'), '2025-06-01T23:30:00Z', true],
    ['wrapping, midnight', q('22:00', '07:00', 'UTC'), '2025-06-02T00:00:00Z', true],
    ['wrapping, early morning', q('22:00', '07:00', 'UTC'), '2025-06-02T06:59:00Z', true],
    ['wrapping, at end', q('22:00', '07:00', 'UTC'), '2025-06-02T07:00:00Z', false],
    ['wrapping, midday', q('22:00', '07:00', 'UTC'), '2025-06-01T12:00:00Z', false],
    ['start == end is never', q('08:00', '08:00', 'UTC'), '2025-06-01T08:00:00Z', false],
    ['start == end is never (other time)', q('00:00', '00:00', 'UTC'), '2025-06-01T13:00:00Z', false],
    // 17:00 UTC is 22:30 in India (UTC+05:30).
    ['Asia/Kolkata 22:30 is inside 22:00–07:00', q('22:00', '07:00', 'Asia/Kolkata'), '2025-01-15T17:00:00Z', true],
    ['the same instant in UTC is outside', q('22:00', '07:00', 'UTC'), '2025-01-15T17:00:00Z', false],
    ['Asia/Kolkata half-hour offset, 21:59', q('22:00', '07:00', 'Asia/Kolkata'), '2025-01-15T16:29:00Z', false],
    // Winter: Berlin is UTC+1, so 05:00 UTC is 06:00, inside 22:00–07:00.
    ['Europe/Berlin winter 06:00', q('22:00', '07:00', 'Europe/Berlin'), '2025-03-29T05:00:00Z', true],
    // DST day (2025-03-30, 02:00 CET → 03:00 CEST): 05:00 UTC is already 07:00.
    ['Europe/Berlin DST day 07:00 CEST', q('22:00', '07:00', 'Europe/Berlin'), '2025-03-30T05:00:00Z', false],
    ['Europe/Berlin DST day 06:59 CEST', q('22:00', '07:00', 'Europe/Berlin'), '2025-03-30T04:59:00Z', true],
    ['Europe/Berlin DST day 01:59 CET, before the skipped hour', q('02:00', '03:00', 'Europe/Berlin'), '2025-03-30T00:59:00Z', false],
    ['Europe/Berlin DST day the skipped hour never happens', q('02:00', '03:00', 'Europe/Berlin'), '2025-03-30T01:00:00Z', false],
    // Autumn (2025-10-26, 03:00 CEST → 02:00 CET): 02:30 happens twice.
    ['Europe/Berlin autumn first 02:30 (CEST)', q('02:00', '03:00', 'Europe/Berlin'), '2025-10-26T00:30:00Z', true],
    ['Europe/Berlin autumn second 02:30 (CET)', q('02:00', '03:00', 'Europe/Berlin'), '2025-10-26T01:30:00Z', true],
  ] as const)('%s', (_name, quietHours, at, expected) => {
    expect(isInQuietHours(new Date(at), quietHours)).toBe(expected);
  });

  it("uses the runtime's local zone when none is given", () => {
    const now = new Date('2025-06-01T12:34:00Z');
    const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    const localNow = hhmm(now);
    const inAnHour = hhmm(new Date(now.getTime() + 3_600_000));
    expect(isInQuietHours(now, q(localNow, inAnHour))).toBe(true);
    expect(isInQuietHours(now, q(inAnHour, localNow))).toBe(false);
  });

  it('names a bad time zone', () => {
    expect(() => isInQuietHours(NOW, q('22:00', '07:00', 'Mars/Olympus'))).toThrow(/Mars\/Olympus.*IANA/);
  });
});

describe('routeEvent: rule quiet hours', () => {
  const berlinNights = { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' };
  const nightly = rule({ id: 'nightly', channels: ['hook', 'desk'], quietHours: berlinNights });

  it('holds back every channel inside the rule quiet hours', () => {
    const [out] = routeEvent(event(), [nightly], context({ now: new Date('2025-06-01T21:30:00Z') })); // 23:30 CEST
    expect(out).toEqual({
      ruleId: 'nightly',
      ruleName: nightly.name,
      outcome: 'quiet_hours',
      channels: [],
      heldBack: ['hook', 'desk'],
      reason: 'quiet hours 22:00–07:00 (Europe/Berlin)',
    });
  });

  it('routes outside the rule quiet hours', () => {
    const [out] = routeEvent(event(), [nightly], context({ now: new Date('2025-06-01T12:00:00Z') })); // 14:00 CEST
    expect(out?.outcome).toBe('routed');
    expect(out?.channels).toEqual(['hook', 'desk']);
  });

  it('checks quiet hours before throttle', () => {
    const r = rule({ id: 'both', channels: ['hook'], quietHours: berlinNights, throttle: { windowSeconds: 3600 } });
    const at = new Date('2025-06-01T21:30:00Z');
    const [out] = routeEvent(event({ dedupKey: 'k' }), [r], context({ now: at, routed: new Map([['both|k', minutesBefore(1, at)]]) }));
    expect(out?.outcome).toBe('quiet_hours');
  });

  it('says "local time" when the quiet hours have no zone', () => {
    const r = rule({ channels: ['hook'], quietHours: { start: '00:00', end: '23:59' } });
    const now = new Date();
    now.setHours(12, 0, 0, 0);
    expect(routeEvent(event(), [r], context({ now }))[0]?.reason).toBe('quiet hours 00:00–23:59 (local time)');
  });
});

// ── Snooze and desktop holds ───────────────────────────────────────────────

describe('isSnoozed', () => {
  it.each([
    ['absent', undefined, false],
    ['unparsable', 'next tuesday', false],
    ['in the past', '2025-06-01T11:59:59Z', false],
    ['exactly now', '2025-06-01T12:00:00Z', false],
    ['in the future', '2025-06-01T12:00:01Z', true],
    ['in the future with an offset', '2025-06-01T14:30:00+02:00', true],
  ] as const)('%s → %s', (_name, until, expected) => {
    expect(isSnoozed(NOW, until)).toBe(expected);
  });
});

describe('routeEvent: snooze and global quiet hours hold back desktop channels only', () => {
  const soon = '2025-06-01T13:00:00Z';
  const past = '2025-06-01T11:00:00Z';
  const globalQuiet = { start: '13:00', end: '15:00', timeZone: 'Europe/Berlin' }; // NOW is 14:00 there

  type Row = [name: string, ruleInput: Partial<RuleConfigInput>, settings: RoutingContext['settings'], outcome: string, channels: string[], heldBack: string[]];
  it.each([
    ['no snooze', { channels: ['desk', 'hook'] }, {}, 'routed', ['desk', 'hook'], []],
    ['global snooze, desktop and webhook', { channels: ['desk', 'hook'] }, { snoozeUntil: soon }, 'routed', ['hook'], ['desk']],
    ['global snooze, desktop only', { channels: ['desk'] }, { snoozeUntil: soon }, 'snoozed', [], ['desk']],
    ['global snooze, webhook only', { channels: ['hook'] }, { snoozeUntil: soon }, 'routed', ['hook'], []],
    ['global snooze expired', { channels: ['desk'] }, { snoozeUntil: past }, 'routed', ['desk'], []],
    ['rule snooze, desktop only', { channels: ['desk'], snoozedUntil: soon }, {}, 'snoozed', [], ['desk']],
    ['rule snooze, desktop and webhook', { channels: ['desk', 'hook'], snoozedUntil: soon }, {}, 'routed', ['hook'], ['desk']],
    ['rule snooze expired', { channels: ['desk'], snoozedUntil: past }, {}, 'routed', ['desk'], []],
    ['global quiet hours, desktop only', { channels: ['desk'] }, { quietHours: globalQuiet }, 'snoozed', [], ['desk']],
    ['global quiet hours, desktop and webhook', { channels: ['hook', 'desk'] }, { quietHours: globalQuiet }, 'routed', ['hook'], ['desk']],
    ['global quiet hours not active', { channels: ['desk'] }, { quietHours: { ...globalQuiet, start: '15:00', end: '16:00' } }, 'routed', ['desk'], []],
  ] as Row[])('%s', (_name, ruleInput, settings, outcome, channels, heldBack) => {
    const [out] = routeEvent(event(), [rule(ruleInput)], context({ settings }));
    expect(out).toMatchObject({ outcome, channels, heldBack });
  });

  it('rule snooze affects only that rule', () => {
    const snoozed = rule({ id: 'snoozed', channels: ['desk'], snoozedUntil: soon });
    const awake = rule({ id: 'awake', channels: ['desk'] });
    expect(routeEvent(event(), [snoozed, awake], context()).map((o) => o.outcome)).toEqual(['snoozed', 'routed']);
  });

  it('explains what held a desktop channel back', () => {
    const [global] = routeEvent(event(), [rule({ channels: ['desk'] })], context({ settings: { snoozeUntil: soon } }));
    expect(global?.reason).toContain(`desk (desktop popups snoozed until ${soon})`);
    const [perRule] = routeEvent(event(), [rule({ channels: ['desk'], snoozedUntil: soon })], context());
    expect(perRule?.reason).toContain(`desk (desktop popups of this rule snoozed until ${soon})`);
    const [quiet] = routeEvent(event(), [rule({ channels: ['desk'] })], context({ settings: { quietHours: globalQuiet } }));
    expect(quiet?.reason).toContain('desk (desktop quiet hours 13:00–15:00 (Europe/Berlin))');
  });
});

// ── Channels, outcomes, order ──────────────────────────────────────────────

describe('routeEvent: channels and outcomes', () => {
  it('holds back unknown channel ids', () => {
    const [out] = routeEvent(event(), [rule({ channels: ['ghost', 'hook'] })], context());
    expect(out).toMatchObject({ outcome: 'routed', channels: ['hook'], heldBack: ['ghost'] });
    expect(out?.reason).toContain('ghost (unknown channel)');
  });

  it('says a paused channel is paused, not unknown (it exists: switched off on Channels)', () => {
    const [out] = routeEvent(event(), [rule({ channels: ['off', 'hook'] })], context({ pausedChannels: new Set(['off']) }));
    expect(out).toMatchObject({ outcome: 'routed', channels: ['hook'], heldBack: ['off'] });
    expect(out?.reason).toContain('held back off (channel paused: nothing is queued for it)');
  });

  it('is no_channels when every channel is unknown', () => {
    const [out] = routeEvent(event(), [rule({ channels: ['ghost'] })], context());
    expect(out).toMatchObject({ outcome: 'no_channels', channels: [], heldBack: ['ghost'] });
  });

  it('is no_channels when the rule names none', () => {
    const [out] = routeEvent(event(), [rule({ channels: [] })], context());
    expect(out).toMatchObject({ outcome: 'no_channels', channels: [], heldBack: [] });
    expect(out?.reason).toContain('the rule names no channels');
  });

  it('is no_channels, not snoozed, when an unknown channel is the only one held while snoozed', () => {
    const [out] = routeEvent(event(), [rule({ channels: ['ghost'] })], context({ settings: { snoozeUntil: '2025-06-01T13:00:00Z' } }));
    expect(out?.outcome).toBe('no_channels');
  });

  it('names a channel once even if the rule lists it twice', () => {
    const [out] = routeEvent(event(), [rule({ channels: ['hook', 'hook'] })], context());
    expect(out?.channels).toEqual(['hook']);
  });

  it('gives the match reason and the channels for a routed event', () => {
    const r = rule({ match: { types: 'pipeline.*', branch: 'main' }, channels: ['hook', 'desk'] });
    const [out] = routeEvent(event({ subject: { branch: 'main' } }), [r], context());
    expect(out?.reason).toBe('matched type pipeline.* and branch main; sent to hook, desk');
  });

  it('yields one outcome per matching enabled rule, in rule order', () => {
    const rules = [
      rule({ id: 'z-last-declared-first', channels: ['hook'] }),
      rule({ id: 'off', enabled: false, channels: ['hook'] }),
      rule({ id: 'miss', match: { types: 'deployment.*' }, channels: ['hook'] }),
      rule({ id: 'a-second', match: { types: 'pipeline.*' }, channels: ['desk'] }),
    ];
    const outs = routeEvent(event({ type: 'pipeline.failed' }), rules, context());
    expect(outs.map((o) => o.ruleId)).toEqual(['z-last-declared-first', 'a-second']);
  });

  it('yields nothing when no rule matches', () => {
    expect(routeEvent(event({ type: 'mention' }), [rule({ match: { types: 'pipeline.*' } })], context())).toEqual([]);
  });
});

describe('previewRule', () => {
  it('returns the matching events, in order, ignoring throttle, quiet hours, snooze and enabled', () => {
    const events = [
      event({ type: 'pipeline.failed', subject: { branch: 'main' } }),
      event({ type: 'pipeline.failed', subject: { branch: 'dev' } }),
      event({ type: 'deployment.failed', subject: { branch: 'main' } }),
      event({ type: 'pipeline.succeeded', subject: { branch: 'main' } }),
    ];
    const r = rule({
      enabled: false,
      match: { types: 'pipeline.*', branch: 'main' },
      channels: ['desk'],
      throttle: { windowSeconds: 60 },
      quietHours: { start: '00:00', end: '23:59', timeZone: 'UTC' },
      snoozedUntil: '2999-01-01T00:00:00Z',
    });
    expect(previewRule(r, events)).toEqual([events[0], events[3]]);
  });
});

// ── Compile cache ──────────────────────────────────────────────────────────

describe('compile cache', () => {
  it('routes 1,000 rules without recompiling their globs', () => {
    const rules = Array.from({ length: 1000 }, (_, i) =>
      rule({ id: `bulk-${i}`, match: { types: ['pipeline.*'], project: [`app-${i}-*`, '!*-legacy'], branch: '*' }, channels: ['hook'] }),
    );
    const e = event({ subject: { project: 'app-7-web', branch: 'main' } });
    const before = compiles.count;
    const first = routeEvent(e, rules, context());
    const afterFirst = compiles.count;
    // Three globs per rule; the lone `*` needs no compiling.
    expect(afterFirst - before).toBe(3000);
    expect(first.map((o) => o.ruleId)).toEqual(['bulk-7']);

    routeEvent(e, rules, context());
    routeEvent(event({ subject: { project: 'app-42-api', branch: 'dev' } }), rules, context());
    expect(compiles.count).toBe(afterFirst);

    // A new match object (an edited rule) compiles afresh.
    const edited = { ...rules[0]!, match: { ...rules[0]!.match } };
    routeEvent(e, [edited], context());
    expect(compiles.count).toBe(afterFirst + 3);
  });
});

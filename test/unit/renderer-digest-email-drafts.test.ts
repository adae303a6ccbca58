// The rule form's digest and email-recipient fields and the settings form's default
// sender, as data: drafts round-trip, and bad input is named by the shared schemas.
import { describe, expect, it } from 'vitest';
import { buildRule, digestWindowDraft, missingRecipientsError, newRuleDraft, ruleDraftFrom } from '../../renderer/lib/rule-draft.js';
import { buildSettings, settingsDraftFrom } from '../../renderer/lib/settings-draft.js';
import { RuleSchema, SettingsSchema } from '../../shared/config.js';

const draft = { ...newRuleDraft(), id: 'd', name: 'Digest' };
const issues = (input: unknown) => {
  const result = RuleSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the digest control', () => {
  it('is off by default, and hourly when turned on', () => {
    expect(buildRule(draft)).not.toHaveProperty('digest');
    expect(RuleSchema.parse(buildRule({ ...draft, digest: true })).digest).toEqual({ windowSeconds: 3600 });
  });

  it.each([
    ['15', 'minutes', 900],
    ['1', 'minutes', 60],
    ['1.5', 'minutes', 90],
    ['2', 'hours', 7200],
    ['24', 'hours', 86_400],
  ] as const)('every %s %s = %i s', (every, unit, seconds) => {
    const rule = RuleSchema.parse(buildRule({ ...draft, digest: true, digestEvery: every, digestUnit: unit }));
    expect(rule.digest).toEqual({ windowSeconds: seconds });
  });

  it.each([
    ['0', 'minutes', 'digest.windowSeconds: must be at least 1 minute'],
    ['25', 'hours', 'digest.windowSeconds: must be at most 24 hours'],
    ['1.01', 'minutes', 'digest.windowSeconds: must be whole seconds'],
    ['soon', 'hours', 'digest.windowSeconds: Invalid input: expected number, received string'],
  ] as const)('every %s %s is refused beside the field', (every, unit, message) => {
    expect(issues(buildRule({ ...draft, digest: true, digestEvery: every, digestUnit: unit }))).toEqual([message]);
  });

  it.each([
    [3600, { digestEvery: '1', digestUnit: 'hours' }],
    [7200, { digestEvery: '2', digestUnit: 'hours' }],
    [900, { digestEvery: '15', digestUnit: 'minutes' }],
    [5400, { digestEvery: '90', digestUnit: 'minutes' }],
  ])('a stored %i s window shows as %j', (seconds, shown) => {
    expect(digestWindowDraft(seconds)).toEqual(shown);
  });

  it('round-trips a stored digest rule with recipients', () => {
    const rule = RuleSchema.parse({ id: 'r', name: 'R', channels: ['mail'], digest: { windowSeconds: 1800 }, emailTo: 'a@x.example, b@y.example' });
    expect(RuleSchema.parse(buildRule(ruleDraftFrom(rule), { sendsEmail: true }))).toEqual(rule);
  });
});

describe('the email recipients field', () => {
  const channels = [
    { id: 'mail', kind: 'email', hasRecipients: false },
    { id: 'team', kind: 'email', hasRecipients: true },
    { id: 'hook', kind: 'webhook' },
  ];

  it('is sent only when the rule sends to an email channel', () => {
    const d = { ...draft, channels: ['hook'], emailTo: 'a@x.example' };
    expect(buildRule(d, { sendsEmail: false })).not.toHaveProperty('emailTo');
    expect(buildRule(d, { sendsEmail: true })).toMatchObject({ emailTo: 'a@x.example' });
  });

  it('names bad addresses', () => {
    expect(issues(buildRule({ ...draft, emailTo: 'a@x.example, nobody' }))).toEqual(['emailTo: not an email address: nobody']);
  });

  it('is required when a chosen email channel has no recipients of its own, in the hub\'s words', () => {
    expect(missingRecipientsError({ ...draft, channels: ['mail', 'hook'] }, channels)).toBe(
      'the email channel "mail" has no recipients: set email recipients on this rule, or To on the channel',
    );
    expect(missingRecipientsError({ ...draft, channels: ['mail'], emailTo: 'a@x.example' }, channels)).toBeUndefined();
    expect(missingRecipientsError({ ...draft, channels: ['team', 'hook'] }, channels)).toBeUndefined();
  });
});

describe('the default sender setting', () => {
  const base = SettingsSchema.parse({});

  it('is saved, round-trips and is validated', () => {
    const built = buildSettings(base, { ...settingsDraftFrom(base), defaultFrom: ' Herald <herald@acme.example> ' });
    const saved = SettingsSchema.parse(built);
    expect(saved.email).toEqual({ defaultFrom: 'Herald <herald@acme.example>' });
    expect(SettingsSchema.parse(buildSettings(saved, settingsDraftFrom(saved)))).toEqual(saved);
    const bad = SettingsSchema.safeParse(buildSettings(base, { ...settingsDraftFrom(base), defaultFrom: 'Herald' }));
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['email.defaultFrom: must be an address, or Name <address>']);
  });

  it('clearing it sends an empty email section, so a merging hub clears it too; untouched settings stay without one', () => {
    const saved = SettingsSchema.parse({ email: { defaultFrom: 'h@acme.example' } });
    expect(buildSettings(saved, { ...settingsDraftFrom(saved), defaultFrom: '' })).toMatchObject({ email: {} });
    expect(buildSettings(base, settingsDraftFrom(base))).not.toHaveProperty('email');
  });
});

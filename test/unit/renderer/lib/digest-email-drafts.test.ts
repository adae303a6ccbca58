// The rule form's digest and email-recipient fields and the settings form's default
// sender, as data: drafts round-trip, and bad input is named by the shared schemas.
import { describe, expect, it } from 'vitest';
import { buildRule, channelOptionErrors, channelOptionSections, digestWindowDraft, newRuleDraft, ruleDraftFrom, type RuleDraft, type RuleFormChannel } from '../../../../renderer/lib/rule-draft.js';
import { buildSettings, settingsDraftFrom } from '../../../../renderer/lib/settings-draft.js';
import { RuleSchema, SettingsSchema } from '../../../../shared/config.js';

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
    ['soon', 'hours', 'digest.windowSeconds: must be a number'],
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
    const rule = RuleSchema.parse({ id: 'r', name: 'R', channels: ['mail'], digest: { windowSeconds: 1800 }, channelOptions: { mail: { to: 'a@x.example, b@y.example' } } });
    expect(RuleSchema.parse(buildRule(ruleDraftFrom(rule)))).toEqual(rule);
  });
});

describe('per-channel rule options (email recipients), from the channel kind\'s description', () => {
  const channel = (id: string, kind: string, config: Record<string, unknown> = {}): RuleFormChannel => ({ id, name: id.toUpperCase(), kind, config: { id, kind, ...config } });
  const channels = [channel('mail', 'email'), channel('team', 'email', { to: 'team@x.example' }), channel('hook', 'webhook')];
  const withOptions = (chosen: string[], options: RuleDraft['channelOptions']): RuleDraft => ({ ...draft, channels: chosen, channelOptions: options });

  it('shows fields only for chosen channels whose kind takes options, required where the channel has no recipients', () => {
    const sections = channelOptionSections(withOptions(['mail', 'team', 'hook'], {}), channels);
    expect(sections.map((s) => [s.channel.id, s.fields.map((f) => [f.name, f.label, f.needed])])).toEqual([
      ['mail', [['to', 'Email recipients', true]]],
      ['team', [['to', 'Email recipients', false]]],
    ]);
    expect(channelOptionSections(withOptions(['hook'], {}), channels)).toEqual([]);
  });

  it('is sent only for chosen channels, trimmed, and empty fields left out', () => {
    const d = withOptions(['hook', 'team'], { mail: { to: 'a@x.example' }, team: { to: ' b@x.example ' }, hook: { to: '' } });
    expect(buildRule(d)).toMatchObject({ channelOptions: { team: { to: 'b@x.example' } } });
    expect(buildRule(withOptions(['hook'], { mail: { to: 'a@x.example' } }))).not.toHaveProperty('channelOptions');
  });

  it('names bad addresses beside the channel\'s field, by the email kind\'s own schema', () => {
    expect(channelOptionErrors(withOptions(['team'], { team: { to: 'a@x.example, nobody' } }), channels)).toEqual({ 'channelOptions.team.to': 'not an email address: nobody' });
  });

  it('is required when a chosen email channel has no recipients of its own, in the hub\'s words', () => {
    expect(channelOptionErrors(withOptions(['mail', 'hook'], {}), channels)).toEqual({
      'channelOptions.mail.to': 'the email channel "mail" has no recipients: set email recipients on this rule, or To on the channel',
    });
    expect(channelOptionErrors(withOptions(['mail'], { mail: { to: 'a@x.example' } }), channels)).toEqual({});
    expect(channelOptionErrors(withOptions(['team', 'hook'], {}), channels)).toEqual({});
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

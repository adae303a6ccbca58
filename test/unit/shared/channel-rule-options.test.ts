// A rule's per-channel options (`channelOptions.<channel id>`) are checked by that channel
// kind's own schema (CHANNEL_RULE_OPTIONS), in the whole config as the hub saves it.
import { describe, expect, it } from 'vitest';
import { HeraldConfigSchema } from '../../../shared/config.js';

const channels = [
  { id: 'mail', kind: 'email', name: 'Mail', host: 'smtp.acme.example' },
  { id: 'team', kind: 'email', name: 'Team', host: 'smtp.acme.example', to: 'team@acme.example' },
  { id: 'hook', kind: 'webhook', name: 'Hook', url: 'https://hooks.acme.example/x' },
];
const problems = (rule: Record<string, unknown>) => {
  const result = HeraldConfigSchema.safeParse({ channels, rules: [{ id: 'r', name: 'R', ...rule }] });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('per-rule channel options', () => {
  it('email: the rule\'s recipients, by the email kind\'s schema', () => {
    expect(problems({ channels: ['mail'], channelOptions: { mail: { to: 'a@acme.example, b@acme.example' } } })).toEqual([]);
    expect(problems({ channels: ['mail'], channelOptions: { mail: { to: 'a@acme.example, oops' } } })).toEqual(['rules.0.channelOptions.mail.to: not an email address: oops']);
    expect(problems({ channels: ['team'], channelOptions: { team: { cc: 'a@acme.example' } } })).toEqual([expect.stringMatching(/^rules\.0\.channelOptions\.team: Unrecognized key: "cc"/)]);
  });

  it('an email channel without recipients of its own needs the rule\'s', () => {
    expect(problems({ channels: ['mail', 'team'] })).toEqual([
      'rules.0.channelOptions.mail.to: the email channel "mail" has no recipients: set email recipients on this rule, or To on the channel',
    ]);
    expect(problems({ channels: ['mail'], channelOptions: { mail: { to: '  ' } } })).toContain(
      'rules.0.channelOptions.mail.to: the email channel "mail" has no recipients: set email recipients on this rule, or To on the channel',
    );
  });

  it('options only for channels the rule sends to, and only for kinds that take them', () => {
    expect(problems({ channels: ['team'], channelOptions: { mail: { to: 'a@acme.example' } } })).toEqual([
      'rules.0.channelOptions.mail: this rule does not send to channel "mail": remove its options or add the channel',
    ]);
    expect(problems({ channels: ['hook'], channelOptions: { hook: { to: 'a@acme.example' } } })).toEqual(['rules.0.channelOptions.hook: a webhook channel takes no options on a rule']);
  });
});

import { describe, expect, it } from 'vitest';
import { RuleSchema, WebhookChannelSchema } from '../../../../shared/config.js';
import { describeZodError } from '../../../../shared/event.js';
import { apiFieldErrors, errorAt, unclaimedErrors, zodFieldErrors } from '../../../../renderer/lib/form-errors.js';

describe('zodFieldErrors', () => {
  it('keys each error by its path, first message per path', () => {
    const result = RuleSchema.safeParse({ id: 'Bad Id', name: '', match: { branch: ['', 'main'], types: ['Nope'] }, throttle: { windowSeconds: 0 } });
    expect(result.success).toBe(false);
    const errors = zodFieldErrors(result.error!);
    expect(Object.keys(errors).sort()).toEqual(['id', 'match.branch.0', 'match.types', 'name', 'throttle.windowSeconds']);
    expect(errors.name).toBe('must not be empty');
  });

  it('reads the reason of a bad record key from the nested issue', () => {
    const result = WebhookChannelSchema.safeParse({ id: 'w', name: 'W', kind: 'webhook', url: 'https://x.example', headers: { 'bad header': 'v' } });
    expect(zodFieldErrors(result.error!)).toEqual({ 'headers.bad header': 'must be a valid HTTP header name' });
  });
});

describe('apiFieldErrors', () => {
  const cases: Array<[string, string, string, Record<string, string>]> = [
    ['one problem, prefixed', 'config.url: Invalid URL', 'config.', { url: 'Invalid URL' }],
    ['several problems', 'config.id: must be 1-63 lowercase letters; config.match.branch.0: Too small', 'config.', { id: 'must be 1-63 lowercase letters', 'match.branch.0': 'Too small' }],
    ['root problem', '(root): expected object', '', { '': 'expected object' }],
    ['no path at all', 'a source with id "ci" already exists', 'config.', { '': 'a source with id "ci" already exists' }],
    ['settings prefix', 'settings.retention.maxAgeDays: Too small: expected number to be >=1', 'settings.', { 'retention.maxAgeDays': 'Too small: expected number to be >=1' }],
  ];
  it.each(cases)('%s', (_name, message, strip, expected) => {
    expect(apiFieldErrors(message, strip)).toEqual(expected);
  });

  it('parses what describeZodError writes', () => {
    const result = RuleSchema.safeParse({ id: 'x', name: 'X', quietHours: { start: '25:00', end: '07:00' } });
    expect(apiFieldErrors(describeZodError(result.error!))).toEqual({ 'quietHours.start': 'must be HH:MM (24 h)' });
  });
});

describe('errorAt and unclaimedErrors', () => {
  const errors = { 'match.branch.1': 'Too small', name: 'must not be empty', 'secretHeaders.X-Key': 'enter a value', 'weird.path': 'odd' };
  it('finds a field’s own error or the first inside it, naming the item', () => {
    expect(errorAt(errors, 'name')).toBe('must not be empty');
    expect(errorAt(errors, 'match.branch')).toBe('item 2: Too small');
    expect(errorAt(errors, 'secretHeaders')).toBe('X-Key: enter a value');
    expect(errorAt(errors, 'match.project')).toBeUndefined();
  });
  it('lists the errors no field shows', () => {
    expect(unclaimedErrors(errors, ['name', 'match', 'secretHeaders'])).toEqual(['weird.path: odd']);
  });
});

// zod's developer wording ("Too small: expected number to be >=1") in plain words, for every
// schema the shared modules define; a schema's own message still wins.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SettingsSchema } from '../../../shared/config.js';
import { EventInputSchema } from '../../../shared/event.js';

const messages = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('plain messages', () => {
  const schema = z.object({
    n: z.number().int().min(1).max(10),
    s: z.string().min(1).max(5),
    u: z.url({ protocol: /^https?$/ }),
    a: z.array(z.string()).min(1),
    own: z.number().min(10, 'must be at least 10 seconds'),
  });

  it.each([
    [{ n: 0, s: '', u: 'ftp://x', a: [], own: 3 }, ['n: must be at least 1', 's: must not be empty', 'u: must be a URL starting with http:// or https://', 'a: must name at least one', 'own: must be at least 10 seconds']],
    [{ n: 11, s: 'abcdef', u: 'not a url', a: ['x'], own: 10 }, ['n: must be at most 10', 's: must be at most 5 characters', 'u: must be a URL starting with http:// or https://']],
    [{ n: 1.5, s: 'a', u: 'https://x', a: ['x'], own: 10 }, ['n: must be a whole number']],
    [{ s: 'a', u: 'https://x', a: ['x'], own: 'ten' }, ['n: required', 'own: must be a number']],
  ])('%j', (value, expected) => {
    expect(messages(schema, value)).toEqual(expected);
  });

  it('reach the settings and the event schemas as they are imported', () => {
    expect(messages(SettingsSchema, { retention: { maxAgeDays: 0, maxEvents: 100 } })).toEqual(['retention.maxAgeDays: must be at least 1']);
    expect(messages(SettingsSchema, { publicUrl: 'ftp://herald.example.com' })).toEqual(['publicUrl: must be a URL starting with http:// or https://']);
    expect(messages(EventInputSchema, { type: 'pipeline.failed' })).toEqual(['title: required']);
  });
});

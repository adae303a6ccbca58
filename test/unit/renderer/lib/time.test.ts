import { describe, expect, it } from 'vitest';
import { formatAgo, formatListTime, fromLocalInput, snoozeUntil, toLocalInput } from '../../../../renderer/lib/time.js';
import { buildSettings, settingsDraftFrom, withSnooze } from '../../../../renderer/lib/settings-draft.js';
import { SettingsSchema } from '../../../../shared/config.js';

describe('snooze presets', () => {
  const now = new Date(2025, 2, 4, 14, 20, 0); // local time
  it.each([
    ['30m', new Date(2025, 2, 4, 14, 50, 0)],
    ['1h', new Date(2025, 2, 4, 15, 20, 0)],
    ['tomorrow', new Date(2025, 2, 5, 8, 0, 0)],
  ] as const)('%s', (preset, until) => {
    expect(snoozeUntil(preset, now)).toBe(until.toISOString());
  });
  it('"until tomorrow" late at night is still the next morning', () => {
    expect(snoozeUntil('tomorrow', new Date(2025, 2, 4, 23, 59))).toBe(new Date(2025, 2, 5, 8, 0).toISOString());
  });
});

describe('dates', () => {
  it('datetime-local values round-trip through ISO', () => {
    const local = '2025-03-04T09:30';
    expect(toLocalInput(fromLocalInput(local))).toBe(local);
    expect(fromLocalInput('')).toBeUndefined();
    expect(fromLocalInput('garbage')).toBeUndefined();
    expect(toLocalInput(undefined)).toBe('');
  });
  it('list times: only the time today, the date otherwise', () => {
    const now = new Date(2025, 2, 4, 18, 0);
    expect(formatListTime(new Date(2025, 2, 4, 9, 5, 7).toISOString(), now)).toBe('09:05:07');
    expect(formatListTime(new Date(2025, 2, 3, 9, 5, 7).toISOString(), now)).toBe('2025-03-03 09:05');
  });
  // Counted as every duration is (shared/duration.ts); "just now" only under a second or
  // in the future (clocks differ). It used to say "just now" up to 45 s and round to one
  // unit; the Sources page said "12 s ago" for the same thing: one wording now, the exact one.
  it.each([
    [0, 'just now'],
    [200, 'just now'],
    [-3000, 'just now'],
    [1000, '1 s ago'],
    [10_000, '10 s ago'],
    [5 * 60_000, '5 min ago'],
    [5 * 60_000 + 59_000, '5 min ago'],
    [3 * 3600_000, '3 h ago'],
    [(3 * 60 + 12) * 60_000, '3 h 12 min ago'],
    [2 * 86400_000, '2 d ago'],
  ])('%d ms ago reads %j', (ms, text) => {
    const now = Date.parse('2025-03-04T12:00:00Z');
    expect(formatAgo(new Date(now - ms).toISOString(), now)).toBe(text);
  });
});

describe('settings drafts', () => {
  const settings = SettingsSchema.parse({ snoozeUntil: '2030-01-01T00:00:00.000Z', quietHours: { start: '22:00', end: '06:00' }, theme: 'dark' });
  it('round-trips the settings the form edits and keeps the rest', () => {
    expect(SettingsSchema.parse(buildSettings(settings, settingsDraftFrom(settings)))).toEqual(settings);
  });
  it('turning quiet hours off and clearing the public URL removes them', () => {
    const draft = { ...settingsDraftFrom({ ...settings, publicUrl: 'https://x.example' }), quiet: false, publicUrl: '' };
    const built = buildSettings({ ...settings, publicUrl: 'https://x.example' }, draft);
    expect(built).not.toHaveProperty('quietHours');
    expect(built).not.toHaveProperty('publicUrl');
  });
  it('an empty number is left for the schema to name, not defaulted', () => {
    const result = SettingsSchema.safeParse(buildSettings(settings, { ...settingsDraftFrom(settings), maxAgeDays: '' }));
    expect(result.success).toBe(true); // the schema's own default applies for a missing value…
    const zero = SettingsSchema.safeParse(buildSettings(settings, { ...settingsDraftFrom(settings), maxAgeDays: '0' }));
    expect(zero.error!.issues[0]!.path).toEqual(['retention', 'maxAgeDays']); // …but a wrong one is an error
  });
  it('withSnooze sets the snooze, or ends it now', () => {
    expect(withSnooze(settings, undefined, new Date('2025-01-01T00:00:00Z'))).toMatchObject({ snoozeUntil: '2025-01-01T00:00:00.000Z', theme: 'dark' });
    expect(withSnooze(settings, '2031-01-01T00:00:00.000Z')).toMatchObject({ snoozeUntil: '2031-01-01T00:00:00.000Z', theme: 'dark' });
  });
});

// The Settings form as data: the editable part of Settings as strings, and back to a
// whole Settings object (everything not edited here is kept), sent as a replacement.
import { SettingsSchema, type Settings } from '../../shared/config.js';
import { SEVERITIES, type Severity } from '../../shared/event.js';

export interface SettingsDraft {
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  quietTimeZone: string;
  maxAgeDays: string;
  maxEvents: string;
  maxAttempts: string;
  baseDelayMs: string;
  maxDelayMs: string;
  unhealthyAfter: string;
  publicUrl: string;
  /** The sender for email channels without their own From. */
  defaultFrom: string;
  /** The global shortcut (Electron accelerator); empty = none. */
  shortcut: string;
  /** Popup sound per severity. */
  sound: Record<Severity, boolean>;
}

export function settingsDraftFrom(s: Settings): SettingsDraft {
  return {
    quiet: s.quietHours !== undefined,
    quietStart: s.quietHours?.start ?? '22:00',
    quietEnd: s.quietHours?.end ?? '07:00',
    quietTimeZone: s.quietHours?.timeZone ?? '',
    maxAgeDays: String(s.retention.maxAgeDays),
    maxEvents: String(s.retention.maxEvents),
    maxAttempts: String(s.delivery.maxAttempts),
    baseDelayMs: String(s.delivery.baseDelayMs),
    maxDelayMs: String(s.delivery.maxDelayMs),
    unhealthyAfter: String(s.delivery.unhealthyAfter),
    publicUrl: s.publicUrl ?? '',
    defaultFrom: s.email?.defaultFrom ?? '',
    shortcut: s.shortcut,
    sound: Object.fromEntries(SEVERITIES.map((sev) => [sev, s.sound[sev]])) as Record<Severity, boolean>,
  };
}

/** A number field: empty stays a problem for the schema to name, not a silent default. */
const num = (text: string): unknown => {
  const t = text.trim();
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
};

export function buildSettings(base: Settings, d: SettingsDraft): Record<string, unknown> {
  const { quietHours: _q, publicUrl: _p, email: baseEmail, ...rest } = base;
  // Sent empty when cleared, so clearing the sender clears it however the hub merges.
  const { defaultFrom: _f, ...emailRest } = baseEmail ?? {};
  const email = { ...emailRest, ...(d.defaultFrom.trim() && { defaultFrom: d.defaultFrom.trim() }) };
  return {
    ...rest,
    ...(d.quiet && {
      quietHours: { start: d.quietStart, end: d.quietEnd, ...(d.quietTimeZone.trim() && { timeZone: d.quietTimeZone.trim() }) },
    }),
    retention: { maxAgeDays: num(d.maxAgeDays), maxEvents: num(d.maxEvents) },
    delivery: {
      maxAttempts: num(d.maxAttempts),
      baseDelayMs: num(d.baseDelayMs),
      maxDelayMs: num(d.maxDelayMs),
      unhealthyAfter: num(d.unhealthyAfter),
    },
    ...(d.publicUrl.trim() && { publicUrl: d.publicUrl.trim() }),
    shortcut: d.shortcut.trim(),
    sound: { ...d.sound },
    ...((baseEmail !== undefined || Object.keys(email).length > 0) && { email }),
  };
}

/**
 * settings.update takes each setting given as a replacement and `null` as "remove": send
 * the whole object, with null for every setting it leaves out (quiet hours off, no public URL).
 */
export function asSettingsReplacement(next: Record<string, unknown>): Record<string, unknown> {
  const keys = new Set([...Object.keys(SettingsSchema.shape), ...Object.keys(next)]);
  return Object.fromEntries([...keys].map((key) => [key, next[key] ?? null]));
}

/**
 * The same settings with the snooze set to an ISO time; resuming sets it to now, which
 * ends the snooze whether the hub replaces or merges settings.
 */
export function withSnooze(base: Settings, until: string | undefined, now = new Date()): Record<string, unknown> {
  return { ...base, snoozeUntil: until ?? now.toISOString() };
}

// The rule form as data: a draft from a stored rule, and back to the config the shared
// RuleSchema checks and the api stores. Pure, so it is unit-tested without a browser.
import { DEFAULT_DIGEST_SECONDS, type RuleConfig } from '../../shared/config.js';
import { SUBJECT_FIELDS, type Severity, type SubjectField } from '../../shared/event.js';
import { joinGlobs, splitGlobs } from './globs.js';

export const GLOB_MATCH_FIELDS = ['sources', 'types', ...SUBJECT_FIELDS] as const;
export type GlobMatchField = (typeof GLOB_MATCH_FIELDS)[number];

export interface RuleDraft {
  id: string;
  idTouched: boolean;
  name: string;
  enabled: boolean;
  /** Comma-separated globs per field. */
  globs: Record<GlobMatchField, string>;
  severities: Severity[];
  channels: string[];
  throttle: boolean;
  throttleSeconds: string;
  quiet: boolean;
  quietStart: string;
  quietEnd: string;
  quietTimeZone: string;
  /** One message per window instead of one per event. */
  digest: boolean;
  digestEvery: string;
  digestUnit: DigestUnit;
  /** Comma-separated; only sent when the rule sends to an email channel. */
  emailTo: string;
  /** Kept as is: set from elsewhere (a per-rule snooze). */
  snoozedUntil?: string | undefined;
}

export const DIGEST_UNITS = { minutes: 60, hours: 3600 } as const;
export type DigestUnit = keyof typeof DIGEST_UNITS;

/** A stored window as the form shows it: whole hours in hours, anything else in minutes. */
export function digestWindowDraft(seconds: number): { digestEvery: string; digestUnit: DigestUnit } {
  return seconds % 3600 === 0 ? { digestEvery: String(seconds / 3600), digestUnit: 'hours' } : { digestEvery: String(seconds / 60), digestUnit: 'minutes' };
}

const emptyGlobs = () => Object.fromEntries(GLOB_MATCH_FIELDS.map((f) => [f, ''])) as Record<GlobMatchField, string>;

export function newRuleDraft(): RuleDraft {
  return {
    id: '',
    idTouched: false,
    name: '',
    enabled: true,
    globs: emptyGlobs(),
    severities: [],
    channels: [],
    throttle: false,
    throttleSeconds: '3600',
    quiet: false,
    quietStart: '22:00',
    quietEnd: '07:00',
    quietTimeZone: '',
    digest: false,
    ...digestWindowDraft(DEFAULT_DIGEST_SECONDS),
    emailTo: '',
  };
}

export function ruleDraftFrom(rule: RuleConfig): RuleDraft {
  const globs = emptyGlobs();
  for (const field of GLOB_MATCH_FIELDS) globs[field] = joinGlobs(rule.match[field]);
  return {
    id: rule.id,
    idTouched: true,
    name: rule.name,
    enabled: rule.enabled,
    globs,
    severities: [...(rule.match.severities ?? [])],
    channels: [...rule.channels],
    throttle: rule.throttle !== undefined,
    throttleSeconds: String(rule.throttle?.windowSeconds ?? 3600),
    quiet: rule.quietHours !== undefined,
    quietStart: rule.quietHours?.start ?? '22:00',
    quietEnd: rule.quietHours?.end ?? '07:00',
    quietTimeZone: rule.quietHours?.timeZone ?? '',
    digest: rule.digest !== undefined,
    ...digestWindowDraft(rule.digest?.windowSeconds ?? DEFAULT_DIGEST_SECONDS),
    emailTo: rule.emailTo ?? '',
    snoozedUntil: rule.snoozedUntil,
  };
}

/**
 * The rule as the api takes it (`rules.create/update/preview` `config`). `sendsEmail:
 * false` (no email channel chosen) leaves the email recipients out.
 */
export function buildRule(draft: RuleDraft, options: { sendsEmail?: boolean } = {}): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  for (const field of GLOB_MATCH_FIELDS) {
    const list = splitGlobs(draft.globs[field]);
    if (list.length > 0) match[field] = list;
  }
  if (draft.severities.length > 0) match.severities = [...draft.severities];
  const rule: Record<string, unknown> = {
    id: draft.id,
    name: draft.name,
    enabled: draft.enabled,
    match,
    channels: [...draft.channels],
  };
  if (draft.throttle) {
    const text = draft.throttleSeconds.trim();
    const n = Number(text);
    rule.throttle = { windowSeconds: text === '' ? undefined : Number.isFinite(n) ? n : text };
  }
  if (draft.quiet) {
    rule.quietHours = {
      start: draft.quietStart,
      end: draft.quietEnd,
      ...(draft.quietTimeZone.trim() && { timeZone: draft.quietTimeZone.trim() }),
    };
  }
  if (draft.digest) {
    const text = draft.digestEvery.trim();
    const n = Number(text);
    // Not a number: passed as is, so the schema names the problem beside the field.
    rule.digest = { windowSeconds: text === '' ? undefined : Number.isFinite(n) ? Math.round(n * DIGEST_UNITS[draft.digestUnit] * 1000) / 1000 : text };
  }
  if (draft.emailTo.trim() && options.sendsEmail !== false) rule.emailTo = draft.emailTo.trim();
  if (draft.snoozedUntil) rule.snoozedUntil = draft.snoozedUntil;
  return rule;
}

/** Email channels the draft sends to that have no recipients of their own. */
export function channelsWithoutRecipients(draft: RuleDraft, channels: ReadonlyArray<{ id: string; kind: string; hasRecipients?: boolean }>): string[] {
  return channels.filter((c) => c.kind === 'email' && c.hasRecipients === false && draft.channels.includes(c.id)).map((c) => c.id);
}

/** The hub's own words (HeraldConfigSchema) for an email rule without recipients, checked before saving. */
export function missingRecipientsError(draft: RuleDraft, channels: ReadonlyArray<{ id: string; kind: string; hasRecipients?: boolean }>): string | undefined {
  const without = channelsWithoutRecipients(draft, channels);
  if (without.length === 0 || draft.emailTo.trim()) return undefined;
  return `the email channel ${without.map((c) => `"${c}"`).join(', ')} has no recipients: set email recipients on this rule, or To on the channel`;
}

/** One line for the rules list: `types pipeline.* · branch main · critical`. */
export function describeMatch(rule: RuleConfig): string {
  const parts: string[] = [];
  for (const field of GLOB_MATCH_FIELDS) {
    const list = rule.match[field];
    if (list?.length) parts.push(`${field} ${list.join(', ')}`);
  }
  if (rule.match.severities?.length) parts.push(rule.match.severities.join('|'));
  return parts.length ? parts.join(' · ') : 'every event';
}

export const SUBJECT_MATCH_FIELDS: readonly SubjectField[] = SUBJECT_FIELDS;

/** `3600` → `1 h`, for the hint beside the throttle window. */
export function humanSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '';
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

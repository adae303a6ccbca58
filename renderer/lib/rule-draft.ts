// The rule form as data: a draft from a stored rule, and back to the config the shared
// RuleSchema checks and the api stores. Pure, so it is unit-tested without a browser.
import type { RuleConfig } from '../../shared/config.js';
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
  /** Kept as is: set from elsewhere (a per-rule snooze). */
  snoozedUntil?: string | undefined;
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
  };
}

export function ruleDraftFrom(rule: RuleConfig): RuleDraft {
  const globs = emptyGlobs();
  for (const field of GLOB_MATCH_FIELDS) globs[field] = joinGlobs(rule.match[field as keyof typeof rule.match] as string[] | undefined);
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
    snoozedUntil: rule.snoozedUntil,
  };
}

/** The rule as the api takes it (`rules.create/update/preview` `config`). */
export function buildRule(draft: RuleDraft): Record<string, unknown> {
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
  if (draft.snoozedUntil) rule.snoozedUntil = draft.snoozedUntil;
  return rule;
}

/** One line for the rules list: `types pipeline.* · branch main · critical`. */
export function describeMatch(rule: RuleConfig): string {
  const parts: string[] = [];
  for (const field of GLOB_MATCH_FIELDS) {
    const list = rule.match[field as keyof typeof rule.match] as string[] | undefined;
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

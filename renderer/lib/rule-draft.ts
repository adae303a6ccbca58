// The rule form as data: a draft from a stored rule, and back to the config the shared
// RuleSchema checks and the api stores. Pure, so it is unit-tested without a browser.
import { channelOptionsProblems, DEFAULT_DIGEST_SECONDS, DEFAULT_GROUP_INTERVAL_SECONDS, DEFAULT_GROUP_WAIT_SECONDS, ruleOptionsOf, type RuleConfig } from '../../shared/config.js';
import { KNOWN_EVENT_TYPES, SUBJECT_FIELDS, type Severity, type SubjectField } from '../../shared/event.js';
import { editDistance } from '../../shared/json-template.js';
import { joinGlobs, splitGlobs } from './globs.js';
import { fromLocalInput, toLocalInput } from './time.js';

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
  /** Storm grouping: one message per group of like events (first after the wait, then at most every interval). */
  group: boolean;
  groupBy: SubjectField[];
  /** Seconds, as typed. */
  groupWait: string;
  groupInterval: string;
  /** Per channel id, the text of each option its kind takes on a rule (email: `to`); sent only for chosen channels. */
  channelOptions: Record<string, Record<string, string>>;
  /** This rule's desktop popups paused until `snoozeUntil` (an `<input type="datetime-local">` value, local time). */
  snooze: boolean;
  snoozeUntil: string;
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
    group: false,
    groupBy: [],
    groupWait: String(DEFAULT_GROUP_WAIT_SECONDS),
    groupInterval: String(DEFAULT_GROUP_INTERVAL_SECONDS),
    channelOptions: {},
    snooze: false,
    snoozeUntil: '',
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
    group: rule.group !== undefined,
    groupBy: [...(rule.group?.by ?? [])],
    groupWait: String(rule.group?.waitSeconds ?? DEFAULT_GROUP_WAIT_SECONDS),
    groupInterval: String(rule.group?.intervalSeconds ?? DEFAULT_GROUP_INTERVAL_SECONDS),
    channelOptions: Object.fromEntries(
      Object.entries(rule.channelOptions ?? {}).map(([id, options]) => [id, Object.fromEntries(Object.entries(options).map(([k, v]) => [k, v === undefined ? '' : String(v)]))]),
    ),
    // A pause that has ended is not shown (and not kept when the rule is saved).
    snooze: rule.snoozedUntil !== undefined && Date.parse(rule.snoozedUntil) > Date.now(),
    snoozeUntil: toLocalInput(rule.snoozedUntil),
  };
}

/** The rule as the api takes it (`rules.create/update/preview` `config`); options of channels not chosen are left out. */
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
  if (draft.digest) {
    const text = draft.digestEvery.trim();
    const n = Number(text);
    // Not a number: passed as is, so the schema names the problem beside the field.
    rule.digest = { windowSeconds: text === '' ? undefined : Number.isFinite(n) ? Math.round(n * DIGEST_UNITS[draft.digestUnit] * 1000) / 1000 : text };
  }
  if (draft.group) {
    // Not a number: passed as is, so the schema names the problem beside the field.
    const seconds = (text: string) => (text.trim() === '' ? undefined : Number.isFinite(Number(text)) ? Number(text) : text.trim());
    rule.group = { by: [...draft.groupBy], waitSeconds: seconds(draft.groupWait), intervalSeconds: seconds(draft.groupInterval) };
  }
  const channelOptions: Record<string, Record<string, string>> = {};
  for (const id of draft.channels) {
    const filled = Object.entries(draft.channelOptions[id] ?? {})
      .map(([key, value]) => [key, value.trim()] as const)
      .filter(([, value]) => value !== '');
    if (filled.length) channelOptions[id] = Object.fromEntries(filled);
  }
  if (Object.keys(channelOptions).length) rule.channelOptions = channelOptions;
  // Not a date and time: passed as typed, so the schema refuses it beside the field.
  if (draft.snooze) rule.snoozedUntil = fromLocalInput(draft.snoozeUntil) ?? draft.snoozeUntil;
  return rule;
}

const GLOB_CHARS = /[*?[\]{}!]/;

/** The closest of `known` to `name`, if it is near enough to be a typo of it. */
function closest(name: string, known: readonly string[]): string | undefined {
  return known
    .map((k) => ({ k, d: editDistance(name, k) }))
    .filter((c) => c.d <= 2 && c.d < name.length / 2)
    .sort((a, b) => a.d - b.d)[0]?.k;
}

/**
 * What in the draft's sources and types is valid but probably not meant: a source id no
 * source has, an event type no source sends — a typo makes a rule that never matches, and
 * the schema cannot know. Globs are left alone. Warnings, not errors: a source may come
 * later, and generic sources send types of the user's own.
 */
export function matchWarnings(draft: RuleDraft, sourceIds: readonly string[]): Partial<Record<'sources' | 'types', string>> {
  const literal = (field: 'sources' | 'types') => splitGlobs(draft.globs[field]).map((g) => g.trim()).filter((g) => g && !GLOB_CHARS.test(g));
  const warnings: Partial<Record<'sources' | 'types', string>> = {};
  const source = literal('sources').find((id) => !sourceIds.includes(id));
  if (source !== undefined) {
    const near = closest(source, sourceIds);
    warnings.sources = near ? `no source "${source}": did you mean ${near}?` : `no source "${source}" yet: the rule matches its events once it exists`;
  }
  const known = Object.keys(KNOWN_EVENT_TYPES);
  const type = literal('types').find((t) => !known.includes(t));
  if (type !== undefined) {
    const near = closest(type, known);
    warnings.types = near
      ? `"${type}" is not a type Herald's sources send: did you mean ${near}?`
      : `"${type}" is not a type Herald's sources send (fine for your own generic events)`;
  }
  return warnings;
}

/** A channel as the rule form knows it: its config (the api's view) decides what the rule must give it. */
export type RuleFormChannel = { id: string; name: string; kind: string; config: { id: string; kind: string } & Record<string, unknown> };

/** The chosen channels whose kind takes options on a rule (CHANNEL_RULE_OPTIONS), with those options' description and what each needs. */
export function channelOptionSections(draft: RuleDraft, channels: readonly RuleFormChannel[]) {
  return channels
    .filter((c) => draft.channels.includes(c.id))
    .flatMap((c) => {
      const kind = ruleOptionsOf(c.kind);
      if (!kind) return [];
      const needed = kind.needs?.(c.config as never, undefined)?.field;
      return [{ channel: c, fields: Object.entries(kind.fields).map(([name, field]) => ({ name, ...field, needed: name === needed })) }];
    });
}

/** The hub's own checks of the draft's channel options (shared channelOptionsProblems), keyed by field path, before saving. */
export function channelOptionErrors(draft: RuleDraft, channels: readonly RuleFormChannel[]): Record<string, string> {
  const rule = buildRule(draft) as Parameters<typeof channelOptionsProblems>[0];
  const errors: Record<string, string> = {};
  for (const problem of channelOptionsProblems(rule, channels.map((c) => c.config))) errors[problem.path.join('.')] ??= problem.message;
  return errors;
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

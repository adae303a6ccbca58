/**
 * Pure rule matching and routing: which rules an event matches and which channels get it.
 * The hub's ingest calls `routeEvent` for every stored event; the UI calls `previewRule`.
 *
 * Matching (`matchRule`):
 * - Fields: `sources` (globs over event.source.id), `types` (globs over event.type, e.g.
 *   `pipeline.*`), `severities` (exact list), and each subject field (project, group,
 *   environment, pipeline, branch, cluster, artifact, commit) as globs.
 * - Within a field: OR over the positive patterns; a pattern starting with `!` excludes.
 *   Across fields: AND. An absent or empty field matches anything.
 * - An event without a subject field that the rule filters on positively does not match;
 *   a field with only `!` patterns matches an absent value.
 * - Globs (picomatch, posix): `*` and `?` do not cross `/`, `**` does, `{a,b}`, `[abc]`.
 *   A lone `*` or `**` matches any present value, `/` included. Case-insensitive. So
 *   "all current and future pipelines named deploy-*" is simply `pipeline: deploy-*`.
 *
 * Routing (`routeEvent`): rules in order; disabled rules are skipped; each matching enabled
 * rule yields one RuleOutcome, non-matching rules none. For a matching rule:
 * 1. the rule's own quiet hours are active → `quiet_hours`, every channel held back;
 * 2. it throttles and `lastRoutedAt(rule, dedupKey)` is less than the window ago
 *    (default DEFAULT_THROTTLE_SECONDS) → `throttled`, every channel held back;
 * 3. per channel: an unknown id is held back; a desktop channel is held back while the
 *    global snooze, the rule's `snoozedUntil` or the global quiet hours are active;
 *    every other channel gets a delivery — or, for a rule with a `digest`, the event is
 *    added to the rule's open digest window for those channels (the outcome carries
 *    `digest`; the store keeps the window and one message is sent when it closes), or,
 *    for a rule with a `group`, to the group of events sharing its `by` values (the
 *    outcome carries `group`; rules/storm-groups.ts sends one message per group).
 * The outcome is `routed` when some channel gets a delivery, else `snoozed` when a desktop
 * channel was held back by snooze or quiet hours, else `no_channels`.
 * Before all of that, a muted pipeline (shared/mutes.ts; `ctx.muteFor`) holds back every
 * channel of every matching rule: `muted`, so the event detail says why nothing went out.
 * The store records lastRoutedAt only for `routed` outcomes, so an event held back by
 * quiet hours or snooze does not start a throttle window.
 */
import picomatch from 'picomatch/posix.js';
import type { RuleOutcome } from './api.js';
import { DEFAULT_THROTTLE_SECONDS, type QuietHours, type RuleConfig, type RuleMatch } from './config.js';
import { formatDuration } from './duration.js';
import { SUBJECT_FIELDS, type HeraldEvent, type Severity, type SubjectField } from './event.js';
import { muteReason, type Mute } from './mutes.js';

export const DESKTOP_KIND = 'desktop';

export interface RoutingContext {
  now: Date;
  /** Last time (epoch ms) this rule routed this dedupKey; the store answers. */
  lastRoutedAt(ruleId: string, dedupKey: string): number | undefined;
  /** Configured channels that receive: id → kind (e.g. 'desktop', 'webhook'). */
  channelKinds: ReadonlyMap<string, string>;
  /** Configured channels switched off (*Pause* on Channels): they get nothing, and the reason says so rather than "unknown". */
  pausedChannels?: ReadonlySet<string>;
  /** Global settings: desktop popups held back during quiet hours / while snoozed. */
  settings: { quietHours?: QuietHours; snoozeUntil?: string };
  /** The mute holding this event's pipeline now, if any (the store answers). */
  muteFor?(event: RoutableEvent): Mute | undefined;
}

export type MatchableEvent = Pick<HeraldEvent, 'source' | 'type' | 'severity' | 'subject'>;
export type RoutableEvent = MatchableEvent & Pick<HeraldEvent, 'dedupKey'>;

// ── Matching ───────────────────────────────────────────────────────────────

interface CompiledPattern {
  source: string;
  test(value: string): boolean;
}

interface CompiledGlobField {
  /** Label used in reasons: `type`, `source`, `branch`… */
  label: string;
  read(event: MatchableEvent): string | undefined;
  include: CompiledPattern[];
  exclude: CompiledPattern[];
}

interface CompiledMatch {
  globs: CompiledGlobField[];
  severities: ReadonlySet<Severity> | undefined;
}

const GLOB_OPTIONS = { dot: true, nocase: true } as const;

function compilePattern(source: string): CompiledPattern {
  // picomatch's `*` stops at `/`; a lone star is meant as "any value" here.
  if (source === '*' || source === '**') return { source, test: () => true };
  const re = picomatch.makeRe(source, GLOB_OPTIONS);
  return { source, test: (value) => re.test(value) };
}

function compileGlobField(
  label: string,
  patterns: readonly string[] | undefined,
  read: (event: MatchableEvent) => string | undefined,
): CompiledGlobField | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const include: CompiledPattern[] = [];
  const exclude: CompiledPattern[] = [];
  for (const p of patterns) {
    if (p.startsWith('!')) exclude.push(compilePattern(p.slice(1)));
    else include.push(compilePattern(p));
  }
  return { label, read, include, exclude };
}

// Routing runs on the ingest hot path: compile each match object's globs once.
const compiledCache = new WeakMap<RuleMatch, CompiledMatch>();

function compileMatch(match: RuleMatch): CompiledMatch {
  const cached = compiledCache.get(match);
  if (cached) return cached;
  const fields: (CompiledGlobField | undefined)[] = [
    compileGlobField('source', match.sources, (e) => e.source.id),
    compileGlobField('type', match.types, (e) => e.type),
    ...SUBJECT_FIELDS.map((f: SubjectField) => compileGlobField(f, match[f], (e) => e.subject[f])),
  ];
  const compiled: CompiledMatch = {
    globs: fields.filter((f): f is CompiledGlobField => f !== undefined),
    severities: match.severities && match.severities.length > 0 ? new Set(match.severities) : undefined,
  };
  compiledCache.set(match, compiled);
  return compiled;
}

/** Whether the event passes the rule's filters, and a sentence saying why (or why not). */
export function matchRule(event: MatchableEvent, match: RuleMatch): { matched: boolean; reason: string } {
  const compiled = compileMatch(match);
  const because: string[] = [];
  for (const field of compiled.globs) {
    const value = field.read(event);
    if (value === undefined) {
      if (field.include.length > 0) return { matched: false, reason: `event has no ${field.label}` };
      because.push(`${field.label} absent`);
      continue;
    }
    const excludedBy = field.exclude.find((p) => p.test(value));
    if (excludedBy) return { matched: false, reason: `${field.label} ${value} is excluded by !${excludedBy.source}` };
    if (field.include.length > 0) {
      const includedBy = field.include.find((p) => p.test(value));
      if (!includedBy) {
        return { matched: false, reason: `${field.label} ${value} matches none of ${field.include.map((p) => p.source).join(', ')}` };
      }
      because.push(`${field.label} ${includedBy.source}`);
    } else {
      because.push(`${field.label} not ${field.exclude.map((p) => p.source).join(', ')}`);
    }
  }
  if (compiled.severities) {
    if (!compiled.severities.has(event.severity)) {
      return { matched: false, reason: `severity ${event.severity} is not ${[...compiled.severities].join(', ')}` };
    }
    because.push(`severity ${event.severity}`);
  }
  return { matched: true, reason: because.length > 0 ? `matched ${joinAnd(because)}` : 'matched every event (no filters)' };
}

/** The events a rule would match, ignoring throttle, quiet hours, snooze and `enabled`. */
export function previewRule(rule: RuleConfig, events: readonly HeraldEvent[]): HeraldEvent[] {
  return events.filter((e) => matchRule(e, rule.match).matched);
}

// ── Time windows ───────────────────────────────────────────────────────────

// Building a DateTimeFormat is slow; one per zone ('' = the runtime's local zone).
const clockFormats = new Map<string, Intl.DateTimeFormat>();

function clockFormat(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let format = clockFormats.get(key);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new RangeError(`quiet hours time zone "${timeZone}" is not an IANA time zone such as Europe/Berlin`);
    }
    clockFormats.set(key, format);
  }
  return format;
}

/** Minutes since midnight of `now` on the wall clock of `timeZone`. */
function minutesOfDay(now: Date, timeZone: string | undefined): number {
  let hour = 0;
  let minute = 0;
  for (const part of clockFormat(timeZone).formatToParts(now)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return hour * 60 + minute;
}

function parseHhmm(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** Start inclusive, end exclusive; start > end wraps midnight; start == end is never. */
export function isInQuietHours(now: Date, quietHours: QuietHours): boolean {
  const start = parseHhmm(quietHours.start);
  const end = parseHhmm(quietHours.end);
  if (start === end) return false;
  const t = minutesOfDay(now, quietHours.timeZone);
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/** True while `until` is a parsable time after `now`. */
export function isSnoozed(now: Date, until: string | undefined): boolean {
  if (until === undefined) return false;
  const untilMs = Date.parse(until);
  return !Number.isNaN(untilMs) && untilMs > now.getTime();
}

/**
 * Why desktop popups are held back now, or null: the global snooze, the global quiet
 * hours, or the rule's own snooze. Routing asks it per event; a digest asks it again when
 * its window closes, since the popup goes out then.
 */
export function desktopHold(now: Date, settings: RoutingContext['settings'], rule?: Pick<RuleConfig, 'snoozedUntil'>): string | null {
  const { snoozeUntil, quietHours } = settings;
  if (isSnoozed(now, snoozeUntil)) return `desktop popups snoozed until ${snoozeUntil}`;
  if (quietHours && isInQuietHours(now, quietHours)) return `desktop ${describeQuietHours(quietHours)}`;
  if (rule && isSnoozed(now, rule.snoozedUntil)) return `desktop popups of this rule snoozed until ${rule.snoozedUntil}`;
  return null;
}

// ── Routing ────────────────────────────────────────────────────────────────

/** One outcome per matching enabled rule, in rule order (see the file comment). */
export function routeEvent(event: RoutableEvent, rules: readonly RuleConfig[], ctx: RoutingContext): RuleOutcome[] {
  const outcomes: RuleOutcome[] = [];
  // Asked once per event, and only when some rule matches.
  let mute: Mute | null | undefined;

  for (const rule of rules) {
    if (!rule.enabled) continue;
    const match = matchRule(event, rule.match);
    if (!match.matched) continue;
    const named = [...new Set(rule.channels)];
    const outcome = (kind: RuleOutcome['outcome'], channels: string[], heldBack: string[], reason: string): void => {
      const digest = kind === 'routed' && rule.digest ? { digest: { windowSeconds: rule.digest.windowSeconds } } : {};
      const group =
        kind === 'routed' && rule.group
          ? { group: { by: groupValues(event, rule.group.by), waitSeconds: rule.group.waitSeconds, intervalSeconds: rule.group.intervalSeconds } }
          : {};
      outcomes.push({ ruleId: rule.id, ruleName: rule.name, outcome: kind, channels, heldBack, reason, ...digest, ...group });
    };

    mute ??= ctx.muteFor?.(event) ?? null;
    if (mute) {
      outcome('muted', [], named, `${match.reason}; held back: ${muteReason(mute)}`);
      continue;
    }

    if (rule.quietHours && isInQuietHours(ctx.now, rule.quietHours)) {
      outcome('quiet_hours', [], named, describeQuietHours(rule.quietHours));
      continue;
    }

    if (rule.throttle) {
      const windowSeconds = rule.throttle.windowSeconds ?? DEFAULT_THROTTLE_SECONDS;
      const last = ctx.lastRoutedAt(rule.id, event.dedupKey);
      const agoMs = last === undefined ? undefined : ctx.now.getTime() - last;
      if (agoMs !== undefined && agoMs < windowSeconds * 1000) {
        outcome('throttled', [], named, `throttled: same dedupKey routed ${formatDuration(agoMs)} ago, window ${formatDuration(windowSeconds * 1000, 'exact')}`);
        continue;
      }
    }

    const channels: string[] = [];
    const heldBack: string[] = [];
    const notes: string[] = [];
    let desktopHeld = false;
    // Computed once per rule, and only when the rule names a desktop channel.
    let hold: string | null | undefined;
    for (const id of named) {
      const kind = ctx.channelKinds.get(id);
      if (kind === undefined) {
        heldBack.push(id);
        notes.push(`${id} (${ctx.pausedChannels?.has(id) ? 'channel paused: nothing is queued for it' : 'unknown channel'})`);
        continue;
      }
      if (kind === DESKTOP_KIND) {
        hold ??= desktopHold(ctx.now, ctx.settings, rule);
        if (hold) {
          heldBack.push(id);
          notes.push(`${id} (${hold})`);
          desktopHeld = true;
          continue;
        }
      }
      channels.push(id);
    }

    const parts = [match.reason];
    if (channels.length > 0 && rule.digest) parts.push(`added to the ${formatDuration(rule.digest.windowSeconds * 1000, 'adjective')} digest for ${channels.join(', ')}`);
    else if (channels.length > 0 && rule.group) parts.push(`added to ${describeGroup(groupValues(event, rule.group.by), rule.group.by)} for ${channels.join(', ')}`);
    else if (channels.length > 0) parts.push(`sent to ${channels.join(', ')}`);
    else if (named.length === 0) parts.push('the rule names no channels');
    if (notes.length > 0) parts.push(`held back ${notes.join(', ')}`);
    const kind = channels.length > 0 ? 'routed' : desktopHeld ? 'snoozed' : 'no_channels';
    outcome(kind, channels, heldBack, parts.join('; '));
  }
  return outcomes;
}

/** The event's values of a rule's group fields, in the rule's order; absent fields are left out (Alertmanager's group labels). */
export function groupValues(event: Pick<HeraldEvent, 'subject'>, by: readonly SubjectField[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of by) {
    const value = event.subject[field];
    if (value !== undefined) values[field] = value;
  }
  return values;
}

/** `the group project=acme/api branch=main`; `the rule's group` when it groups by nothing; `the group without project` for events lacking every field. */
export function describeGroup(values: Readonly<Record<string, string>>, by: readonly string[]): string {
  const pairs = Object.entries(values).map(([field, value]) => `${field}=${value}`);
  if (pairs.length > 0) return `the group ${pairs.join(' ')}`;
  return by.length > 0 ? `the group without ${by.join(' or ')}` : "the rule's group";
}

function describeQuietHours(q: QuietHours): string {
  return `quiet hours ${q.start}–${q.end} (${q.timeZone ?? 'local time'})`;
}

function joinAnd(parts: readonly string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

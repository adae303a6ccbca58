// What every chat and mail message says about an event, before each channel dresses it
// in its own format: severity look, the subject facts, the time. Plain text here; each
// channel escapes for where it lands.
import { SUBJECT_FIELDS, type Severity, type SubjectField } from '../../../shared/event.js';
import { typeLabel, type OutboundEvent } from '../../../shared/template-variables.js';
import { SEVERITY_EMOJI } from '../../../shared/severity.js';

export interface SeverityStyle {
  label: string;
  emoji: string;
  slackEmoji: string;
  /** #RRGGBB */
  hex: string;
  /** Adaptive Card colour name. */
  cardColor: 'Attention' | 'Warning' | 'Good' | 'Accent';
  cardStyle: 'attention' | 'warning' | 'good' | 'accent';
}

export const SEVERITY_STYLE: Record<Severity, SeverityStyle> = {
  critical: { label: 'Critical', emoji: SEVERITY_EMOJI.critical, slackEmoji: ':red_circle:', hex: '#D40E0D', cardColor: 'Attention', cardStyle: 'attention' },
  warning: { label: 'Warning', emoji: SEVERITY_EMOJI.warning, slackEmoji: ':large_orange_circle:', hex: '#F2A900', cardColor: 'Warning', cardStyle: 'warning' },
  success: { label: 'Success', emoji: SEVERITY_EMOJI.success, slackEmoji: ':white_check_mark:', hex: '#2EB67D', cardColor: 'Good', cardStyle: 'good' },
  info: { label: 'Info', emoji: SEVERITY_EMOJI.info, slackEmoji: ':information_source:', hex: '#1D9BD1', cardColor: 'Accent', cardStyle: 'accent' },
};

const SUBJECT_LABELS: Record<SubjectField, string> = {
  project: 'Project',
  group: 'Group',
  environment: 'Environment',
  pipeline: 'Pipeline',
  branch: 'Branch',
  cluster: 'Cluster',
  artifact: 'Artifact',
  commit: 'Commit',
};

export interface Fact {
  label: string;
  value: string;
}

/** Subject fields that are set, then the actor: the "fields" of every chat message. */
export function eventFacts(event: OutboundEvent): Fact[] {
  const facts: Fact[] = SUBJECT_FIELDS.filter((f) => event.subject[f]).map((f) => ({ label: SUBJECT_LABELS[f], value: event.subject[f]! }));
  if (event.actor) facts.push({ label: 'Actor', value: event.actor });
  return facts;
}

/** A digest or a storm group's message: its summary is a list, one event per line. */
export function listsEvents(event: Pick<OutboundEvent, 'type'>): boolean {
  return event.type === 'herald.digest' || event.type === 'herald.group';
}

/** `2025-05-01 08:00 UTC`: readable and the same for every reader. */
export function formatTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `Pipeline failed · GitHub · 2025-05-01 08:00 UTC · rule Prod failures` */
export function contextLine(event: OutboundEvent, rule?: { name: string }, test?: boolean): string {
  return [
    typeLabel(event.type),
    event.source.name,
    formatTime(event.occurredAt),
    rule ? `rule ${rule.name}` : undefined,
    test ? 'test message from Herald' : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** One line for notifications and subjects: `🔴 ci failed on main — acme/api`. */
export function headline(event: OutboundEvent, options: { emoji?: boolean; project?: boolean } = {}): string {
  const project = options.project === false ? undefined : event.subject.project;
  const title = event.title.replace(/\s+/g, ' ').trim();
  const suffix = project && !title.includes(project) ? ` — ${project}` : '';
  return `${options.emoji === false ? '' : `${SEVERITY_STYLE[event.severity].emoji} `}${title}${suffix}`;
}

/**
 * Longest link a message carries: Discord refuses an embed URL past 2,048 characters and
 * no chat client shows one that long. A longer one (normalizing percent-encodes: one emoji
 * becomes 12 characters) is left out and the title stays plain text, rather than the
 * service refusing the whole message for good.
 */
const MAX_LINK_CHARS = 2048;

/** An http(s) URL of at most MAX_LINK_CHARS once normalized, or nothing: other schemes never become links. */
export function safeLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    const href = u.toString();
    return href.length <= MAX_LINK_CHARS ? href : undefined;
  } catch {
    return undefined;
  }
}

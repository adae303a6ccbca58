// What every chat and mail message says about an event, before each channel dresses it
// in its own format: severity look, the subject facts, the time. Plain text here; each
// channel escapes for where it lands.
import { SUBJECT_FIELDS, type Severity, type SubjectField } from '../../../shared/event.js';
import { typeLabel, type OutboundEvent } from '../../../shared/template-variables.js';
import { SEVERITY_EMOJI } from '../../../shared/severity.js';
import { escapeMarkdown } from '../../../shared/text-escaping.js';

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

/** `ghcr.io/acme/api@sha256:580ac09da777…`: an image digest as `docker images` shows it (12 hex), not 64 that overflow a field. */
export function shortDigest(artifact: string): string {
  return artifact.replace(/@sha256:([0-9a-f]{12})[0-9a-f]{52}(?![0-9a-f])/i, '@sha256:$1…');
}

/** Git's and GitHub's short form of a commit: what a developer recognises and pastes. */
export const SHORT_SHA_CHARS = 7;

/**
 * Subject fields that are set, then the actor: the "fields" of every chat message. A
 * commit shows short (`3484a3f`, as GitHub and GitLab show it); a group a project's path
 * already names (`octo-org` of `octo-org/octo-repo`) is left out rather than said twice.
 */
export function eventFacts(event: OutboundEvent): Fact[] {
  const { subject } = event;
  const shown = SUBJECT_FIELDS.filter((f) => subject[f] && !(f === 'group' && subject.project?.startsWith(`${subject.group}/`)));
  const facts: Fact[] = shown.map((f) => ({ label: SUBJECT_LABELS[f], value: f === 'commit' ? subject.commit!.slice(0, SHORT_SHA_CHARS) : f === 'artifact' ? shortDigest(subject.artifact!) : subject[f]! }));
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

/**
 * `Pipeline failed · GitHub · 2025-05-01 08:00 UTC · rule Prod failures`. `time: false`
 * where the service shows the time itself (Discord's embed timestamp, in the reader's zone).
 */
export function contextLine(event: OutboundEvent, rule?: { name: string }, test?: boolean, options: { time?: boolean } = {}): string {
  return [
    typeLabel(event.type),
    // Herald's own messages (digests, storm groups): "Herald digest · Herald" says it twice.
    event.source.kind === 'herald' ? undefined : event.source.name,
    options.time === false ? undefined : formatTime(event.occurredAt),
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

/** One line of a digest's or storm group's list: `08:00 UTC · 🔴 ` then the event's title, and its link when it has one. */
export interface ListedLine {
  /** The time and severity emoji before the title, `08:00 UTC · 🔴 ` (what the line has of them). */
  lead: string;
  /** What a link wraps: the title (and the project, when the events differ in it). */
  text: string;
  url?: string;
}

export interface ListedEvents {
  lines: ListedLine[];
  /** Events counted by the summary's `…and N more`, not listed. */
  more: number;
}

const LINE_LEAD = new RegExp(`^((?:\\d\\d:\\d\\d UTC · )?(?:(?:${Object.values(SEVERITY_EMOJI).join('|')}) )?)(.*)$`, 'u');
const MORE_LINE = /^…and (\d+) more$/;
const comparable = (text: string) => text.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();

/**
 * A digest's or storm group's summary lines, each paired with the link of the event it
 * stands for, so a chat message can link every line (Slack, Discord, Teams, email HTML).
 * `data.group.items` and `data.digest.events` list the same events in the lines' order
 * (maybe fewer: the data stays small); a line whose item does not match (an item's title
 * must start the line's text) gets no link rather than a wrong one.
 */
export function listedEvents(event: OutboundEvent): ListedEvents {
  const data = (event.data ?? {}) as { group?: { items?: unknown }; digest?: { events?: unknown } };
  const raw = event.type === 'herald.group' ? data.group?.items : data.digest?.events;
  const items = Array.isArray(raw) ? (raw as Array<{ title?: unknown; url?: unknown }>) : [];
  const lines: ListedLine[] = [];
  let more = 0;
  for (const line of (event.summary ?? '').split('\n')) {
    if (!line.trim()) continue;
    const counted = MORE_LINE.exec(line);
    if (counted) {
      more += Number(counted[1]);
      continue;
    }
    const parts = LINE_LEAD.exec(line);
    const listed: ListedLine = { lead: parts?.[1] ?? '', text: parts?.[2] ?? line };
    const item = items[lines.length];
    const title = typeof item?.title === 'string' ? comparable(item.title).slice(0, 40) : '';
    const url = typeof item?.url === 'string' ? safeLink(item.url) : undefined;
    if (url && title && comparable(listed.text).includes(title)) listed.url = url;
    lines.push(listed);
  }
  return { lines, more };
}

/**
 * The list within `max` characters as a channel writes it: each line linked while its link
 * fits, then plain, and what does not fit at all is counted in the closing `…and N more`.
 */
export function fitListedEvents(
  listed: ListedEvents,
  max: number,
  render: { line: (line: ListedLine, linked: boolean) => string; more: (n: number) => string; separator: string },
): string {
  const out: string[] = [];
  let used = 0;
  const { lines } = listed;
  for (let i = 0; i < lines.length; i++) {
    const rest = lines.length - i - 1 + listed.more;
    // Room for the closing count must stay, whatever follows.
    const reserve = render.more(lines.length - i + listed.more).length + render.separator.length;
    const candidates = lines[i]!.url ? [render.line(lines[i]!, true), render.line(lines[i]!, false)] : [render.line(lines[i]!, false)];
    const fits = candidates.find((c) => used + c.length + render.separator.length + (rest > 0 ? reserve : 0) <= max);
    if (fits === undefined) {
      out.push(render.more(lines.length - i + listed.more));
      return out.join(render.separator);
    }
    out.push(fits);
    used += fits.length + render.separator.length;
  }
  if (listed.more > 0) out.push(render.more(listed.more));
  return out.join(render.separator);
}

/** A Markdown link's target: parentheses would end it early. */
export const markdownUrl = (url: string) => url.replace(/\(/g, '%28').replace(/\)/g, '%29');

/**
 * A digest's or storm group's lines as Markdown (Discord, Teams), each linked to its event
 * while the links fit in `max`; `bullet` starts each line. `title`: the title is the link
 * (`[title](url)`, Discord). `suffix`: the escaped title, then ` · [Open](url)` — Teams'
 * renderers break a link whose text holds backslash escapes (AdaptiveCards#4628; the
 * escapes themselves differed between Teams clients), so its link text is plain.
 */
export function markdownLines(event: OutboundEvent, max: number, separator: string, bullet: string, link: 'title' | 'suffix' = 'title'): string {
  const linked = (l: ListedLine) =>
    link === 'title' ? `[${escapeMarkdown(l.text)}](${markdownUrl(l.url!)})` : `${escapeMarkdown(l.text)} · [Open](${markdownUrl(l.url!)})`;
  return fitListedEvents(listedEvents(event), max, {
    line: (l, withLink) => `${bullet}${escapeMarkdown(l.lead)}${withLink ? linked(l) : escapeMarkdown(l.text)}`,
    more: (n) => `${bullet}…and ${n} more`,
    separator,
  });
}

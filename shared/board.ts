/**
 * The board: the current state of every thing that has one, kept as events arrive (the
 * ingest transaction applies `nextBoardRow` to one row per thing), never from a scan of
 * history. Pure: the hub stores rows, the UI and the tray read them.
 *
 * Things and their identity (one source's):
 * - pipeline: project + pipeline + branch (the key of a pipeline mute, shared/mutes.ts).
 *   pipeline.failed → failing; succeeded/recovered → passing; triggered marks it running
 *   without changing its verdict (a red pipeline being rebuilt is still red, "since" kept);
 *   cancelled ends the run and gives no verdict.
 * - deployment: project + environment. deployment.failed/succeeded/triggered alike.
 * - artifact: environment + artifact (+ Kosli's fingerprint): started/scaled/allowlisted →
 *   passing (running there), or failing when its provenance says non-compliant; stopped
 *   removes the row (it is no longer in that environment).
 * - compliance: org/group + environment, or the product (Chainloop): noncompliant/compliant.
 * - security_gate: the product: security_gate.failed/passed.
 * - health: an integration's or a storage backend's health: *_unhealthy → failing,
 *   *_recovered/*_healthy → passing.
 * Other events (findings, scans, releases…) have no state and leave the board alone.
 *
 * A thing's first event with no verdict yet (a run that started) makes it `running`; a
 * verdict replaces that. `since` is when the current state began, `streak` how many
 * verdicts in a row said so. An event older than the row's last one (a late webhook, a
 * poll catching up) does not move the state back: the newer verdict stands.
 */
import { z } from 'zod';
import { type HeraldEvent, SUBJECT_FIELDS, type Subject } from './event.js';
import { pipelineKeyOf } from './mutes.js';

export const BOARD_STATES = ['failing', 'running', 'unknown', 'passing'] as const;
export type BoardState = (typeof BOARD_STATES)[number];
/** Worst first: what is red comes before what is running, unknown, then green. */
export const BOARD_STATE_RANK: Record<BoardState, number> = { failing: 0, running: 1, unknown: 2, passing: 3 };

export const BOARD_KINDS = ['pipeline', 'deployment', 'artifact', 'compliance', 'security_gate', 'health'] as const;
export type BoardKind = (typeof BOARD_KINDS)[number];

const Iso = z.string();

/** A thing's row as the board keeps it (store/board.ts saves it as JSON; nextBoardRow makes it). */
export const BoardRowSchema = z.object({
  /** `<kind>:<JSON identity>`: stable for the thing. */
  key: z.string(),
  kind: z.enum(BOARD_KINDS),
  source: z.object({ id: z.string(), kind: z.string(), name: z.string() }),
  /** What identifies the thing (no commit: that changes from run to run). */
  subject: z.record(z.string(), z.string()),
  state: z.enum(BOARD_STATES),
  /** A run (or deployment) has started since the last verdict. */
  running: z.boolean(),
  /** When the current state began (ISO). */
  since: Iso,
  /** Verdicts in a row that said so (0 while only running). */
  streak: z.number(),
  lastEventId: z.string(),
  /** When the last event happened (ISO). */
  lastEventAt: Iso,
  /** The last event's title, as the source worded it. */
  title: z.string(),
  url: z.string().optional(),
  /** The last event's commit. */
  commit: z.string().optional(),
  actor: z.string().optional(),
  /** The event that turned it red, who caused it and on which commit (while failing). */
  brokenBy: z.object({ eventId: z.string(), actor: z.string().optional(), commit: z.string().optional(), url: z.string().optional() }).optional(),
  /** The key of the pipeline mute (shared/mutes.ts) that silences this thing; pipelines only. */
  muteKey: z.string().optional(),
});
/** What the board knows about a thing, as the store keeps it (the row without mute). */
export type BoardRow = z.infer<typeof BoardRowSchema>;

/**
 * A thing as board.list and board.updated carry it: its row less what no reader needs,
 * since a page holds hundreds of them — the source's kind, the mute key (a pipeline's key
 * is `pipeline:` + it: boardMuteKey), `running` when false, and which event (and link) broke
 * it (Now says who and which commit) — and with its mute, if one holds.
 */
export const BoardItemSchema = BoardRowSchema.omit({ source: true, running: true, brokenBy: true, muteKey: true }).extend({
  source: z.object({ id: z.string(), name: z.string() }),
  /** A run (or deployment) has started since the last verdict; absent when none has. */
  running: z.literal(true).optional(),
  /** Who turned it red and on which commit (while failing). */
  brokenBy: z.object({ actor: z.string().optional(), commit: z.string().optional() }).optional(),
  /** The mute key, only where it is not the pipeline's key less `pipeline:` (see boardMuteKey). */
  muteKey: z.string().optional(),
  /** Muted: an ISO end time, or `passes` (until the pipeline's next success). */
  mutedUntil: z.string().optional(),
});
export type BoardItem = z.infer<typeof BoardItemSchema>;

const PIPELINE_PREFIX = 'pipeline:';

/** A row as the api carries it (BoardItemSchema), with its mute end when one holds. Field order fixed: its JSON is cached per row. */
export function boardItemOf(row: BoardRow, mutedUntil?: string): BoardItem {
  const item: BoardItem = {
    key: row.key,
    kind: row.kind,
    source: { id: row.source.id, name: row.source.name },
    subject: row.subject,
    state: row.state,
    since: row.since,
    streak: row.streak,
    lastEventId: row.lastEventId,
    lastEventAt: row.lastEventAt,
    title: row.title,
  };
  if (row.running) item.running = true;
  if (row.url !== undefined) item.url = row.url;
  if (row.commit !== undefined) item.commit = row.commit;
  if (row.actor !== undefined) item.actor = row.actor;
  if (row.brokenBy && (row.brokenBy.actor !== undefined || row.brokenBy.commit !== undefined)) {
    const brokenBy: NonNullable<BoardItem['brokenBy']> = {};
    if (row.brokenBy.actor !== undefined) brokenBy.actor = row.brokenBy.actor;
    if (row.brokenBy.commit !== undefined) brokenBy.commit = row.brokenBy.commit;
    item.brokenBy = brokenBy;
  }
  if (row.muteKey !== undefined && row.key !== PIPELINE_PREFIX + row.muteKey) item.muteKey = row.muteKey;
  if (mutedUntil !== undefined) item.mutedUntil = mutedUntil;
  return item;
}

/** The pipeline mute (shared/mutes.ts) that silences this thing; undefined for what is not a pipeline. */
export function boardMuteKey(item: Pick<BoardItem, 'key' | 'kind' | 'muteKey'>): string | undefined {
  if (item.muteKey !== undefined) return item.muteKey;
  return item.kind === 'pipeline' && item.key.startsWith(PIPELINE_PREFIX) ? item.key.slice(PIPELINE_PREFIX.length) : undefined;
}

/** Items in a board.list page unless `limit` says otherwise (the Now page's first screenful and more). */
export const BOARD_PAGE_DEFAULT = 200;
/** The most items one board.list page holds: more are read page by page (`next`). */
export const BOARD_PAGE_MAX = 1000;
/** A cursor is a thing's place in board order (its key is the long part): longer text is not one. */
const MAX_CURSOR_CHARS = 8000;

export const BoardQuerySchema = z
  .object({
    states: z.array(z.enum(BOARD_STATES)).max(BOARD_STATES.length).optional(),
    sources: z.array(z.string().min(1).max(100)).max(100).optional(),
    project: z.string().min(1).max(300).optional(),
    /** Items in this page (default BOARD_PAGE_DEFAULT); 0 answers the counts alone. */
    limit: z
      .number()
      .int()
      .min(0)
      .max(BOARD_PAGE_MAX, `must be at most ${BOARD_PAGE_MAX} items a page: follow \`next\` for the rest`)
      .optional(),
    /** The previous page's `next`: this page starts after it in board order. */
    after: z
      .string()
      .max(MAX_CURSOR_CHARS, 'is not a board cursor (too long): pass the previous page\'s `next` as it is')
      .refine((text) => decodeBoardCursor(text) !== undefined, "is not a board cursor: pass the previous page's `next` as it is")
      .optional(),
  })
  .strict();
export type BoardQuery = z.infer<typeof BoardQuerySchema>;

/** How many things match a board.list query, whatever page was asked for. */
export const BoardCountsSchema = z.object({
  failing: z.number().int(),
  running: z.number().int(),
  unknown: z.number().int(),
  passing: z.number().int(),
  /** Of the failing, those muted now: what is red and wants someone is `failing − mutedFailing`. */
  mutedFailing: z.number().int(),
  /** Things with a verdict whose run started since (a red pipeline being rebuilt): with `running`, what runs now. */
  rebuilding: z.number().int(),
});
export type BoardCounts = z.infer<typeof BoardCountsSchema>;

export const BoardPageSchema = z.object({
  /** Worst first, the longest-standing first within a state; at most `limit`. */
  items: z.array(BoardItemSchema),
  /** Pass as `after` for the items that follow; absent on the last page. Opaque. */
  next: z.string().optional(),
  counts: BoardCountsSchema,
});
export type BoardPage = z.infer<typeof BoardPageSchema>;

export const emptyBoardCounts = (): BoardCounts => ({ failing: 0, running: 0, unknown: 0, passing: 0, mutedFailing: 0, rebuilding: 0 });

/**
 * A thing's place in board order (compareBoardItems): what a cursor holds. A page after it
 * holds what sorts after it now, so a thing that did not change is never skipped nor
 * repeated however the board moved between pages; one that changed shows where it now sorts.
 */
export type BoardPosition = Pick<BoardItem, 'state' | 'since' | 'key'>;

const CURSOR_PREFIX = 'b1.';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// base64url of ASCII text (shared/ has neither Buffer nor btoa); encodeURIComponent makes any text ASCII.
function base64Url(ascii: string): string {
  let out = '';
  for (let i = 0; i < ascii.length; i += 3) {
    const n = (ascii.charCodeAt(i) << 16) | ((ascii.charCodeAt(i + 1) || 0) << 8) | (ascii.charCodeAt(i + 2) || 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + (i + 1 < ascii.length ? B64[(n >> 6) & 63]! : '') + (i + 2 < ascii.length ? B64[n & 63]! : '');
  }
  return out;
}

function fromBase64Url(text: string): string | undefined {
  if (text.length % 4 === 1) return undefined;
  let out = '';
  for (let i = 0; i < text.length; i += 4) {
    const digits = [...text.slice(i, i + 4)].map((c) => B64.indexOf(c));
    if (digits.some((d) => d < 0)) return undefined;
    const n = (digits[0]! << 18) | (digits[1]! << 12) | ((digits[2] ?? 0) << 6) | (digits[3] ?? 0);
    out += String.fromCharCode((n >> 16) & 255);
    if (digits.length > 2) out += String.fromCharCode((n >> 8) & 255);
    if (digits.length > 3) out += String.fromCharCode(n & 255);
  }
  return out;
}

/** The cursor of a page that ended at this item. */
export function encodeBoardCursor(position: BoardPosition): string {
  return CURSOR_PREFIX + base64Url(encodeURIComponent(JSON.stringify([position.state, position.since, position.key])));
}

/** The position a cursor holds, or undefined when the text is not a cursor encodeBoardCursor made. */
export function decodeBoardCursor(text: string): BoardPosition | undefined {
  if (!text.startsWith(CURSOR_PREFIX)) return undefined;
  const ascii = fromBase64Url(text.slice(CURSOR_PREFIX.length));
  if (ascii === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeURIComponent(ascii));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return undefined;
  const [state, since, key] = parsed as unknown[];
  if (typeof state !== 'string' || !(BOARD_STATES as readonly string[]).includes(state)) return undefined;
  if (typeof since !== 'string' || typeof key !== 'string' || key === '') return undefined;
  return { state: state as BoardState, since, key };
}

/** Which thing an event is about, or undefined when it has no state. */
export interface BoardThing {
  key: string;
  kind: BoardKind;
  subject: Subject;
  muteKey?: string;
}

type Verdict = BoardState | 'remove' | 'start' | 'end';

const pick = (subject: Subject, fields: readonly (keyof Subject)[]): Subject => {
  const out: Subject = {};
  for (const f of fields) if (subject[f] !== undefined) out[f] = subject[f];
  return out;
};
/** pick(subject, ['project', 'group', 'pipeline', 'branch']) by name: per pipeline event, in the ingest transaction. */
const pipelineSubject = ({ project, group, pipeline, branch }: Subject): Subject => {
  const out: Subject = {};
  if (project !== undefined) out.project = project;
  if (group !== undefined) out.group = group;
  if (pipeline !== undefined) out.pipeline = pipeline;
  if (branch !== undefined) out.branch = branch;
  return out;
};
const keyOf = (kind: BoardKind, sourceId: string, parts: Array<string | undefined>) => `${kind}:${JSON.stringify([sourceId, ...parts.map((p) => p ?? '')])}`;

/** shared/mutes.ts pipelineKey(): the board finds a pipeline's mute by it. */
export function pipelineMuteKey(sourceId: string, subject: Subject): string {
  return pipelineKeyOf(sourceId, subject.project, subject.pipeline, subject.branch);
}

const NON_COMPLIANT = /^(non[-_ ]?compliant|incompliant)$/i;

// What each event type says, per family. Maps (not object literals): made once, and a type
// such as `pipeline.toString` finds nothing.
const PIPELINE_VERDICTS = new Map<string, Verdict>([['failed', 'failing'], ['succeeded', 'passing'], ['recovered', 'passing'], ['triggered', 'start'], ['cancelled', 'end']]);
const DEPLOYMENT_VERDICTS = new Map<string, Verdict>([['failed', 'failing'], ['succeeded', 'passing'], ['triggered', 'start']]);
const COMPLIANCE_VERDICTS = new Map<string, Verdict>([['noncompliant', 'failing'], ['compliant', 'passing']]);
const GATE_VERDICTS = new Map<string, Verdict>([['failed', 'failing'], ['passed', 'passing']]);

/** The thing an event is about and what it says of it; undefined when it has no state. */
export function boardVerdict(event: Pick<HeraldEvent, 'type' | 'source' | 'subject' | 'data'>): { thing: BoardThing; verdict: Verdict } | undefined {
  const { type, subject } = event;
  const sourceId = event.source.id;
  const dot = type.indexOf('.');
  const family = dot < 0 ? type : type.slice(0, dot);
  const what = dot < 0 ? '' : type.slice(dot + 1);
  switch (family) {
    case 'pipeline': {
      if (!subject.project && !subject.pipeline && !subject.branch) return undefined;
      const verdict = PIPELINE_VERDICTS.get(what);
      if (!verdict) return undefined;
      const s = pipelineSubject(subject);
      const muteKey = pipelineMuteKey(sourceId, subject);
      return { thing: { key: `pipeline:${muteKey}`, kind: 'pipeline', subject: s, muteKey }, verdict };
    }
    case 'deployment': {
      if (!subject.environment && !subject.project) return undefined;
      const verdict = DEPLOYMENT_VERDICTS.get(what);
      if (!verdict) return undefined;
      const s = pick(subject, ['project', 'group', 'environment', 'cluster']);
      return { thing: { key: keyOf('deployment', sourceId, [s.project, s.environment, s.cluster]), kind: 'deployment', subject: s }, verdict };
    }
    case 'artifact': {
      if (!subject.artifact || !subject.environment) return undefined;
      const fingerprint = typeof event.data?.fingerprint === 'string' ? event.data.fingerprint : undefined;
      const status = typeof event.data?.artifactStatus === 'string' ? event.data.artifactStatus : '';
      const running: Verdict = NON_COMPLIANT.test(status) ? 'failing' : 'passing';
      const verdict = what === 'started' || what === 'scaled' ? running : what === 'allowlisted' ? 'passing' : what === 'stopped' ? 'remove' : undefined;
      if (!verdict) return undefined;
      const s = pick(subject, ['project', 'group', 'environment', 'cluster', 'artifact']);
      return { thing: { key: keyOf('artifact', sourceId, [s.group, s.environment, s.artifact, fingerprint]), kind: 'artifact', subject: s }, verdict };
    }
    case 'compliance': {
      const verdict = COMPLIANCE_VERDICTS.get(what);
      if (!verdict || (!subject.environment && !subject.project)) return undefined;
      const s = pick(subject, subject.environment ? ['group', 'environment'] : ['group', 'project']);
      return { thing: { key: keyOf('compliance', sourceId, [s.group, s.environment, s.project]), kind: 'compliance', subject: s }, verdict };
    }
    case 'security_gate': {
      const verdict = GATE_VERDICTS.get(what);
      if (!verdict || !subject.project) return undefined;
      const s = pick(subject, ['group', 'project']);
      return { thing: { key: keyOf('security_gate', sourceId, [s.project]), kind: 'security_gate', subject: s }, verdict };
    }
    case 'health': {
      const match = /^(.+)_(unhealthy|recovered|healthy)$/.exec(what);
      if (!match) return undefined;
      const data = event.data ?? {};
      const id = typeof data.channelId === 'string' ? data.channelId : typeof data.sourceId === 'string' ? data.sourceId : undefined;
      const s = pick(subject, ['project', 'group', 'environment', 'artifact']);
      return {
        thing: { key: keyOf('health', sourceId, [match[1], id ?? s.project, s.environment, s.artifact]), kind: 'health', subject: s },
        verdict: match[2] === 'unhealthy' ? 'failing' : 'passing',
      };
    }
    default:
      return undefined;
  }
}

/** toISOString's form, with a day and hour no date can overflow (the 29th–31st take the long way). */
const CANONICAL_UTC = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** A time as toISOString writes it (UTC, ms). Most sources send that form already: returned as is, without a Date (per event). */
export function utcIso(text: string): string {
  return CANONICAL_UTC.test(text) ? text : new Date(Date.parse(text)).toISOString();
}

type BoardEvent = Pick<HeraldEvent, 'id' | 'type' | 'source' | 'subject' | 'data' | 'occurredAt' | 'title' | 'url' | 'actor'>;

/**
 * The thing's row after `event`: a new row, the same row changed, `remove`, or `unchanged`
 * (the event has no state, or is older than what the row already says — unless it falls in
 * the row's current run with the same verdict: then it counts in the streak, and only
 * there). `found` is `boardVerdict(event)` when the caller has it already. Runs once per
 * stateful event in the ingest transaction: rows are built by assignment (no conditional
 * spreads), a fraction of the cost.
 */
export function nextBoardRow(
  previous: BoardRow | undefined,
  event: BoardEvent,
  found = boardVerdict(event),
): { row: BoardRow } | { remove: string } | 'unchanged' {
  if (!found) return 'unchanged';
  const { thing, verdict } = found;
  // One form of time (UTC, ms) so rows sort by it, as text too; sources may send offsets.
  const at = utcIso(event.occurredAt);
  if (previous && at < previous.lastEventAt) {
    // Late (webhooks arrive out of order; replicas commit in either order): the row says what
    // the newest event said. One of the same verdict inside the current run still counts in
    // its streak — three failures read "failed 3 times" whatever order they came in.
    if (verdict === previous.state && at >= previous.since) return { row: { ...previous, streak: previous.streak + 1 } };
    return 'unchanged';
  }
  if (verdict === 'remove') return previous ? { remove: thing.key } : 'unchanged';

  const commit = event.subject.commit;
  // What stays the same is taken from the previous row (the same strings and objects): the
  // board keeps a row per thing in memory, and what the new event brought dies young.
  const row: BoardRow = {
    key: previous ? previous.key : thing.key,
    kind: thing.kind,
    source: previous && sameSource(previous.source, event.source) ? previous.source : event.source,
    subject: previous && sameSubject(previous.subject, thing.subject) ? previous.subject : (thing.subject as Record<string, string>),
    state: 'unknown',
    running: false,
    since: at,
    streak: 0,
    lastEventId: event.id,
    lastEventAt: at,
    title: event.title,
  };
  if (thing.muteKey !== undefined) row.muteKey = previous?.muteKey ?? thing.muteKey;
  if (event.url !== undefined) row.url = event.url;
  if (commit !== undefined) row.commit = commit;
  if (event.actor !== undefined) row.actor = event.actor;

  if (verdict === 'start' || verdict === 'end') {
    row.running = verdict === 'start';
    if (!previous) {
      row.state = row.running ? 'running' : 'unknown';
      return { row };
    }
    // A run starting or ending says nothing of the verdict: only `running` moves (and a
    // thing that only ever ran, with its run cancelled, is unknown).
    row.state = previous.state === 'running' && !row.running ? 'unknown' : previous.state;
    if (row.state === previous.state) row.since = previous.since;
    carry(previous, row);
    return { row };
  }

  row.state = verdict;
  row.streak = 1;
  if (previous && previous.state === verdict) {
    row.since = previous.since;
    carry(previous, row);
    row.streak = previous.streak + 1;
  } else if (verdict === 'failing') {
    // The event that turned it red, who caused it and on which commit.
    const brokenBy: NonNullable<BoardRow['brokenBy']> = { eventId: event.id };
    if (event.actor !== undefined) brokenBy.actor = event.actor;
    if (commit !== undefined) brokenBy.commit = commit;
    if (event.url !== undefined) brokenBy.url = event.url;
    row.brokenBy = brokenBy;
  }
  return { row };
}

const sameSource = (a: BoardRow['source'], b: BoardRow['source']) => a.id === b.id && a.kind === b.kind && a.name === b.name;

function sameSubject(a: Record<string, string>, b: Subject): boolean {
  let n = 0;
  for (const field in a) {
    if (a[field] !== b[field as keyof Subject]) return false;
    n++;
  }
  for (const field in b) if (b[field as keyof Subject] !== undefined) n--;
  return n === 0;
}

/** What a row keeps from before when its state does not change. */
function carry(previous: BoardRow, row: BoardRow): void {
  row.streak = previous.streak;
  if (previous.brokenBy) row.brokenBy = previous.brokenBy;
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Worst first; within a state the longest-standing first (red for 3 h before red for 5 min).
 * `since` is ISO UTC, so its text sorts as time; keys by code units (the hub sorts 5,000
 * items with it: localeCompare would cost ten times as much).
 */
export function compareBoardItems(a: Pick<BoardItem, 'state' | 'since' | 'key'>, b: Pick<BoardItem, 'state' | 'since' | 'key'>): number {
  return BOARD_STATE_RANK[a.state] - BOARD_STATE_RANK[b.state] || byCodeUnits(a.since, b.since) || byCodeUnits(a.key, b.key);
}

/** The worst state among items that are not muted (the tray icon's colour); `passing` when none. */
export function worstState(items: readonly Pick<BoardItem, 'state' | 'mutedUntil'>[]): BoardState | undefined {
  let worst: BoardState | undefined;
  for (const item of items) {
    if (item.mutedUntil !== undefined) continue;
    if (worst === undefined || BOARD_STATE_RANK[item.state] < BOARD_STATE_RANK[worst]) worst = item.state;
  }
  return worst;
}

/** What the thing is called in a line: "acme/api · ci · main", "production", "runner in aws-prod". */
export function boardItemName(item: Pick<BoardItem, 'kind' | 'subject'>): string {
  const s = item.subject;
  switch (item.kind) {
    case 'pipeline':
      return [s.pipeline, s.branch].filter(Boolean).join(' · ') || s.project || 'pipeline';
    case 'deployment':
      return s.environment ? `deploy to ${s.environment}` : 'deployment';
    case 'artifact':
      return `${s.artifact} in ${s.environment}`;
    case 'compliance':
      return `${s.environment ?? s.project} compliance`;
    case 'security_gate':
      return 'security gate';
    case 'health':
      return s.project ?? s.artifact ?? 'integration';
    default:
      return SUBJECT_FIELDS.map((f) => s[f]).filter(Boolean).join(' · ');
  }
}

/** The project a board item is grouped under on the Now page. */
export function boardProject(item: Pick<BoardItem, 'subject' | 'source'>): string {
  return item.subject.project ?? item.subject.group ?? item.source.name;
}

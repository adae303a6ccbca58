// The History page's filters: form state ↔ the api's EventQuery, and the same test the
// hub applies (minus full-text search), so a live event can join the list without a refetch.
import { COMMIT_PREFIX, COMMIT_PREFIX_PROBLEM, type EventQueryInput } from '../../shared/api.js';
import { EventTypeSchema, SUBJECT_FIELDS, type HeraldEvent, type Severity, type SubjectField } from '../../shared/event.js';
import { fromLocalInput } from './time.js';

export interface HistoryFilters {
  text: string;
  source: string;
  type: string;
  severities: Severity[];
  subject: Partial<Record<SubjectField, string>>;
  unread: boolean;
  /** `<input type="datetime-local">` values (local time). */
  since: string;
  until: string;
}

export const EMPTY_FILTERS: HistoryFilters = {
  text: '',
  source: '',
  type: '',
  severities: [],
  subject: {},
  unread: false,
  since: '',
  until: '',
};

export const PAGE_SIZE = 200;

export function toQuery(filters: HistoryFilters): EventQueryInput {
  const query: EventQueryInput = { limit: PAGE_SIZE };
  const text = filters.text.trim();
  if (text) query.text = text;
  if (filters.source) query.sources = [filters.source];
  // An invalid type is shown beside its field and left out, rather than failing the whole list.
  if (filters.type.trim() && !typeFilterError(filters.type)) query.types = [filters.type.trim()];
  if (filters.severities.length) query.severities = [...filters.severities];
  for (const field of SUBJECT_FIELDS) {
    const value = filters.subject[field]?.trim();
    // A commit being typed ("a1b") is not a filter yet: its field says why, the list stays as it was asked.
    if (value && !(field === 'commit' && commitFilterError(value))) query[field] = value;
  }
  if (filters.unread) query.unread = true;
  const since = fromLocalInput(filters.since);
  if (since) query.since = since;
  const until = fromLocalInput(filters.until);
  if (until) query.until = until;
  return query;
}

export function isFiltered(filters: HistoryFilters): boolean {
  const { limit: _limit, ...rest } = toQuery(filters);
  return Object.keys(rest).length > 0;
}

/**
 * Would the hub list this event under this query? `undefined` when only the hub can tell
 * (full-text search), so the page offers a refresh instead of guessing.
 */
export function matchesQuery(event: HeraldEvent, query: EventQueryInput): boolean | undefined {
  if (query.text) return undefined;
  if (query.sources && !query.sources.includes(event.source.id)) return false;
  if (query.types && !query.types.includes(event.type)) return false;
  if (query.severities && !query.severities.includes(event.severity)) return false;
  for (const field of SUBJECT_FIELDS) {
    const wanted = query[field];
    if (wanted === undefined || wanted === '') continue;
    // A commit filter is a prefix: a short SHA finds the full one (as the hub does).
    if (field === 'commit' ? !event.subject.commit?.startsWith(wanted.toLowerCase()) : event.subject[field] !== wanted) return false;
  }
  if (query.unread !== undefined && event.read === query.unread) return false;
  const received = Date.parse(event.receivedAt);
  if (query.since && received < Date.parse(query.since)) return false;
  if (query.until && received >= Date.parse(query.until)) return false;
  return true;
}

/** Why the commit filter is not a SHA or a prefix of one (4+ hex digits), or undefined. */
export function commitFilterError(commit: string): string | undefined {
  return COMMIT_PREFIX.test(commit.trim()) ? undefined : COMMIT_PREFIX_PROBLEM;
}

/** Why the type filter is not an event type (checked with the shared schema), or undefined. */
export function typeFilterError(type: string): string | undefined {
  const value = type.trim();
  if (!value) return undefined;
  const result = EventTypeSchema.safeParse(value);
  return result.success ? undefined : (result.error.issues[0]?.message ?? 'not an event type');
}

// Search and filters above the list. Every control is labelled; the search reacts as you type.
import { useId } from 'react';
import { KNOWN_EVENT_TYPES, SEVERITIES, SUBJECT_FIELDS, type Severity, type SubjectField } from '../../../shared/event.js';
import { commitFilterError, EMPTY_FILTERS, isFiltered, typeFilterError, type HistoryFilters } from '../../lib/event-filters.js';

/** The api's limits on the search text and a subject field: longer would only fail the list. */
const SEARCH_MAX_LENGTH = 500;
const SUBJECT_MAX_LENGTH = 300;
const MAIN_SUBJECT_FIELDS: SubjectField[] = ['project', 'environment'];
const MORE_SUBJECT_FIELDS = SUBJECT_FIELDS.filter((f) => !MAIN_SUBJECT_FIELDS.includes(f));

export function Filters(props: {
  filters: HistoryFilters;
  onChange(filters: HistoryFilters): void;
  sources: Array<{ id: string; name: string }>;
}) {
  const id = useId();
  const { filters, onChange } = props;
  const set = <K extends keyof HistoryFilters>(key: K, value: HistoryFilters[K]) => onChange({ ...filters, [key]: value });
  const setSubject = (field: SubjectField, value: string) => onChange({ ...filters, subject: { ...filters.subject, [field]: value } });
  const toggleSeverity = (severity: Severity, on: boolean) =>
    set('severities', on ? [...filters.severities, severity] : filters.severities.filter((s) => s !== severity));
  const moreActive = MORE_SUBJECT_FIELDS.some((f) => filters.subject[f]);
  const typeError = typeFilterError(filters.type);

  return (
    <section role="search" className="filters" aria-label="Search and filter events">
      <div className="filters__row">
        <label className="visually-hidden" htmlFor={`${id}-text`}>
          Search events
        </label>
        <input
          id={`${id}-text`}
          className="filters__search"
          type="search"
          maxLength={SEARCH_MAX_LENGTH}
          placeholder="Search title, summary, project, branch…"
          value={filters.text}
          onChange={(e) => set('text', e.target.value)}
        />
        <fieldset className="filters__severities">
          <legend className="visually-hidden">Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s} className={`chip chip--sev-${s}`}>
              <input type="checkbox" checked={filters.severities.includes(s)} onChange={(e) => toggleSeverity(s, e.target.checked)} />
              {s}
            </label>
          ))}
        </fieldset>
        <label className="filters__inline">
          <input type="checkbox" checked={filters.unread} onChange={(e) => set('unread', e.target.checked)} /> Unread only
        </label>
        {isFiltered(filters) && (
          <button type="button" className="btn btn--ghost btn--small" onClick={() => onChange(EMPTY_FILTERS)}>
            Clear filters
          </button>
        )}
      </div>
      <div className="filters__row filters__row--wrap">
        <div className="filters__field">
          <label htmlFor={`${id}-source`}>Source</label>
          <select id={`${id}-source`} value={filters.source} onChange={(e) => set('source', e.target.value)}>
            <option value="">All</option>
            {props.sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
        <div className="filters__field">
          <label htmlFor={`${id}-type`}>Type</label>
          <input
            id={`${id}-type`}
            className="mono"
            list={`${id}-types`}
            placeholder="any"
            value={filters.type}
            aria-invalid={Boolean(typeError)}
            aria-describedby={typeError ? `${id}-type-error` : undefined}
            onChange={(e) => set('type', e.target.value)}
          />
          {typeError && (
            <p className="field__error filters__error" id={`${id}-type-error`}>
              {typeError}
            </p>
          )}
          <datalist id={`${id}-types`}>
            {Object.keys(KNOWN_EVENT_TYPES).map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </div>
        {MAIN_SUBJECT_FIELDS.map((f) => (
          <SubjectInput key={f} field={f} value={filters.subject[f] ?? ''} onChange={(v) => setSubject(f, v)} />
        ))}
        <div className="filters__field">
          <label htmlFor={`${id}-since`}>From</label>
          <input id={`${id}-since`} type="datetime-local" value={filters.since} onChange={(e) => set('since', e.target.value)} />
        </div>
        <div className="filters__field">
          <label htmlFor={`${id}-until`}>Until</label>
          <input id={`${id}-until`} type="datetime-local" value={filters.until} onChange={(e) => set('until', e.target.value)} />
        </div>
      </div>
      <details className="filters__more" open={moreActive || undefined}>
        <summary>More filters</summary>
        <div className="filters__row filters__row--wrap">
          {MORE_SUBJECT_FIELDS.map((f) => (
            <SubjectInput key={f} field={f} value={filters.subject[f] ?? ''} onChange={(v) => setSubject(f, v)} />
          ))}
        </div>
      </details>
    </section>
  );
}

function SubjectInput(props: { field: SubjectField; value: string; onChange(value: string): void }) {
  const id = useId();
  const error = props.field === 'commit' ? commitFilterError(props.value) : undefined;
  return (
    <div className="filters__field">
      <label htmlFor={id}>{props.field.charAt(0).toUpperCase() + props.field.slice(1)}</label>
      <input
        id={id}
        className="mono"
        placeholder={props.field === 'commit' ? 'SHA or its first digits' : 'exact name'}
        maxLength={SUBJECT_MAX_LENGTH}
        spellCheck={false}
        value={props.value}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {error && (
        <p className="field__error filters__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

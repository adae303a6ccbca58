// Row editors for records: plain headers, and secret headers whose values are write-only.
import type { FieldErrors } from '../lib/form-errors.js';
import { errorAt } from '../lib/form-errors.js';
import type { KeyValueRow, SecretRow } from '../lib/secret-draft.js';
import { SecretInput } from './secrets.js';

export function KeyValueEditor(props: {
  label: string;
  rows: KeyValueRow[];
  onChange(rows: KeyValueRow[]): void;
  errors: FieldErrors;
  path: string;
  keyPlaceholder?: string;
}) {
  const update = (i: number, patch: Partial<KeyValueRow>) =>
    props.onChange(props.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="kv">
      {props.rows.map((row, i) => {
        const error = row.key ? errorAt(props.errors, `${props.path}.${row.key}`) : undefined;
        return (
          <div className="kv__row" key={i}>
            <input
              aria-label={`${props.label} ${i + 1} name`}
              className="mono"
              placeholder={props.keyPlaceholder ?? 'Name'}
              value={row.key}
              aria-invalid={Boolean(error)}
              onChange={(e) => update(i, { key: e.target.value })}
            />
            <input
              aria-label={`${props.label} ${i + 1} value`}
              className="mono"
              placeholder="Value"
              value={row.value}
              onChange={(e) => update(i, { value: e.target.value })}
            />
            <button
              type="button"
              className="btn btn--ghost btn--small"
              aria-label={`Remove ${props.label.toLowerCase()} ${row.key || i + 1}`}
              onClick={() => props.onChange(props.rows.filter((_, j) => j !== i))}
            >
              Remove
            </button>
            {error && <p className="field__error kv__error">{error}</p>}
          </div>
        );
      })}
      <button type="button" className="btn btn--small" onClick={() => props.onChange([...props.rows, { key: '', value: '' }])}>
        Add {props.label.toLowerCase().replace(/s$/, '')}
      </button>
    </div>
  );
}

export function SecretMapEditor(props: {
  label: string;
  rows: SecretRow[];
  onChange(rows: SecretRow[]): void;
  errors: FieldErrors;
  path: string;
  keychainAvailable: boolean;
}) {
  const update = (i: number, patch: Partial<SecretRow>) =>
    props.onChange(props.rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div className="kv">
      {props.rows.map((row, i) => {
        const error = row.key ? errorAt(props.errors, `${props.path}.${row.key}`) : undefined;
        const valueId = `${props.path}-${i}-value`;
        return (
          <div className="kv__row kv__row--secret" key={i}>
            <input
              aria-label={`${props.label} ${i + 1} name`}
              className="mono"
              placeholder="Authorization"
              value={row.key}
              readOnly={row.existing}
              aria-invalid={Boolean(error)}
              onChange={(e) => update(i, { key: e.target.value })}
            />
            <label className="visually-hidden" htmlFor={valueId}>
              {`${props.label} ${row.key || i + 1} value`}
            </label>
            <SecretInput
              control={{ id: valueId, 'aria-invalid': Boolean(error) }}
              draft={row.draft}
              keychainAvailable={props.keychainAvailable}
              onChange={(draft) => update(i, { draft })}
            />
            <button
              type="button"
              className="btn btn--ghost btn--small"
              aria-label={`Remove ${props.label.toLowerCase()} ${row.key || i + 1}`}
              onClick={() => props.onChange(props.rows.filter((_, j) => j !== i))}
            >
              Remove
            </button>
            {error && <p className="field__error kv__error">{error}</p>}
          </div>
        );
      })}
      <button
        type="button"
        className="btn btn--small"
        onClick={() =>
          props.onChange([
            ...props.rows,
            { key: '', existing: false, draft: props.keychainAvailable ? { mode: 'keychain', value: '' } : { mode: 'env', variable: '' } },
          ])
        }
      >
        Add secret header
      </button>
    </div>
  );
}

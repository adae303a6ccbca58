// Write-only secret inputs. A stored secret shows as "set" and is never read back; the
// user may replace it with a value (sent once to the hub, which writes the keychain) or
// point it at an environment variable (`env:VAR`, for headless servers), or remove an
// optional one.
import { useId } from 'react';
import type { SecretDraft } from '../lib/secret-draft.js';
import type { ControlProps } from './Field.js';

export function SecretInput(props: {
  control: ControlProps;
  draft: SecretDraft;
  onChange(draft: SecretDraft): void;
  keychainAvailable: boolean;
  /** Offer "Generate" (a source's shared secret is ours to make up). */
  onGenerate?: () => string;
  /** Show the value in clear (a freshly generated secret the user must copy). */
  reveal?: boolean;
  /** An optional secret: offer "Remove". */
  removable?: boolean;
}) {
  const modeId = useId();
  const { draft, control } = props;
  if (draft.mode === 'clear') {
    return (
      <div className="secret secret--set">
        <span className="badge badge--muted" id={control.id}>
          removed when you save
        </span>
        <button type="button" className="btn btn--small" aria-describedby={control.id} onClick={() => props.onChange({ mode: 'keep', ref: draft.ref })}>
          Undo
        </button>
      </div>
    );
  }
  if (draft.mode === 'keep') {
    const env = draft.ref?.startsWith('env:') ? draft.ref : undefined;
    return (
      <div className="secret secret--set">
        <span className="badge badge--ok" id={control.id}>
          set
        </span>
        {env && <code className="mono">{env}</code>}
        <button
          type="button"
          className="btn btn--small"
          aria-describedby={control.id}
          onClick={() =>
            props.onChange(props.onGenerate ? { mode: 'keychain', value: props.onGenerate() } : { mode: 'keychain', value: '' })
          }
        >
          Replace
        </button>
        {props.removable && (
          <button type="button" className="btn btn--small" aria-describedby={control.id} onClick={() => props.onChange({ mode: 'clear', ref: draft.ref })}>
            Remove
          </button>
        )}
      </div>
    );
  }
  return (
    <div className="secret">
      <label className="visually-hidden" htmlFor={modeId}>
        Where to keep it
      </label>
      <select
        id={modeId}
        value={draft.mode}
        onChange={(e) =>
          props.onChange(e.target.value === 'env' ? { mode: 'env', variable: '' } : { mode: 'keychain', value: '' })
        }
      >
        <option value="keychain" disabled={!props.keychainAvailable}>
          Keychain{props.keychainAvailable ? '' : ' (unavailable)'}
        </option>
        <option value="env">Environment variable</option>
      </select>
      {draft.mode === 'keychain' ? (
        <input
          {...control}
          type={props.reveal ? 'text' : 'password'}
          className={props.reveal ? 'mono' : undefined}
          autoComplete="off"
          spellCheck={false}
          value={draft.value}
          onChange={(e) => props.onChange({ mode: 'keychain', value: e.target.value })}
        />
      ) : (
        <input
          {...control}
          className="mono"
          placeholder="VARIABLE_NAME"
          spellCheck={false}
          value={draft.variable}
          onChange={(e) => props.onChange({ mode: 'env', variable: e.target.value })}
        />
      )}
      {props.onGenerate && draft.mode === 'keychain' && (
        <button type="button" className="btn btn--small" onClick={() => props.onChange({ mode: 'keychain', value: props.onGenerate!() })}>
          Generate
        </button>
      )}
    </div>
  );
}

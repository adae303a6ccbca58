// Write-only secret inputs. A stored secret shows as "set" and is never read back; the
// user may replace it with a value (sent once to the hub, which writes the keychain),
// point it at an environment variable (`env:VAR`) or a file (`file:/path`), or remove an
// optional one. Without a keychain a generated secret stays in the browser until the
// form is saved; the page then shows it once with the step that stores it.
import { useId } from 'react';
import type { SecretDraft, SecretSuggestion } from '../lib/secret-draft.js';
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
  /** The variable and file a generated secret gets when the user names none. */
  suggestion?: SecretSuggestion | undefined;
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
        {draft.ref?.startsWith('file:') && <code className="mono">{draft.ref}</code>}
        <button
          type="button"
          className="btn btn--small"
          aria-describedby={control.id}
          onClick={() => {
            const generated = props.onGenerate?.();
            if (props.keychainAvailable) props.onChange({ mode: 'keychain', value: generated ?? '' });
            else if (generated !== undefined) props.onChange({ mode: 'file', path: '', generated });
            else props.onChange({ mode: 'env', variable: '' });
          }}
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
  const generated = draft.mode === 'env' || draft.mode === 'file' ? draft.generated : undefined;
  const switchTo = (mode: string) => {
    const keep = generated !== undefined ? { generated } : {};
    if (mode === 'env') props.onChange({ mode: 'env', variable: '', ...keep });
    else if (mode === 'file') props.onChange({ mode: 'file', path: '', ...keep });
    else props.onChange({ mode: 'keychain', value: generated ?? '' });
  };
  return (
    <div className="secret">
      <label className="visually-hidden" htmlFor={modeId}>
        Where to keep it
      </label>
      <select id={modeId} value={draft.mode} onChange={(e) => switchTo(e.target.value)}>
        <option value="keychain" disabled={!props.keychainAvailable}>
          Keychain{props.keychainAvailable ? '' : ' (unavailable)'}
        </option>
        <option value="env">Environment variable</option>
        <option value="file">File</option>
      </select>
      {draft.mode === 'keychain' && (
        <input
          {...control}
          type={props.reveal ? 'text' : 'password'}
          className={props.reveal ? 'mono' : undefined}
          autoComplete="off"
          spellCheck={false}
          value={draft.value}
          onChange={(e) => props.onChange({ mode: 'keychain', value: e.target.value })}
        />
      )}
      {draft.mode === 'env' && (
        <input
          {...control}
          className="mono"
          placeholder={(generated !== undefined && props.suggestion?.env) || 'VARIABLE_NAME'}
          spellCheck={false}
          value={draft.variable}
          onChange={(e) => props.onChange({ mode: 'env', variable: e.target.value, ...(generated !== undefined && { generated }) })}
        />
      )}
      {draft.mode === 'file' && (
        <input
          {...control}
          className="mono"
          placeholder={(generated !== undefined && props.suggestion?.file) || '/absolute/path/to/secret'}
          spellCheck={false}
          value={draft.path}
          onChange={(e) => props.onChange({ mode: 'file', path: e.target.value, ...(generated !== undefined && { generated }) })}
        />
      )}
      {props.onGenerate && draft.mode === 'keychain' && (
        <button type="button" className="btn btn--small" onClick={() => props.onChange({ mode: 'keychain', value: props.onGenerate!() })}>
          Generate
        </button>
      )}
      {generated !== undefined && (
        <p className="field__hint secret__note">
          No keychain here: once you add it, Herald shows the generated secret once, with the {draft.mode === 'env' ? 'variable to set' : 'command that writes the file'}.
        </p>
      )}
    </div>
  );
}

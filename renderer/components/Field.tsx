// One labelled control with its hint and its validation error, wired for screen readers:
// the error sits right beside the field it names.
import { useId, type ReactNode } from 'react';

export interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
}

export function Field(props: {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  required?: boolean;
  className?: string;
  children: (control: ControlProps) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.error ? errorId : '', props.hint ? hintId : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${props.error ? ' field--invalid' : ''}${props.className ? ` ${props.className}` : ''}`}>
      <label htmlFor={id}>
        {props.label}
        {props.required && <span className="field__required" aria-hidden="true"> *</span>}
      </label>
      {props.children({ id, 'aria-invalid': Boolean(props.error), ...(describedBy && { 'aria-describedby': describedBy }) })}
      {props.error && (
        <p className="field__error" id={errorId}>
          {props.error}
        </p>
      )}
      {props.hint && (
        <p className="field__hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** A checkbox with its label on the right (the usual place), plus an optional error. */
export function CheckboxField(props: {
  label: string;
  checked: boolean;
  onChange(checked: boolean): void;
  error?: string | undefined;
  hint?: ReactNode;
  disabled?: boolean;
}) {
  const id = useId();
  return (
    <div className={`field field--checkbox${props.error ? ' field--invalid' : ''}`}>
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        aria-invalid={Boolean(props.error)}
        aria-describedby={props.error ? `${id}-error` : props.hint ? `${id}-hint` : undefined}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      <label htmlFor={id}>{props.label}</label>
      {props.error && (
        <p className="field__error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
      {props.hint && (
        <p className="field__hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** Errors that no field on the form shows (and a count of all), so none goes unseen. */
export function ErrorSummary(props: { count: number; unclaimed: string[] }) {
  if (props.count === 0) return null;
  return (
    <div className="error-summary" role="alert">
      <p>
        {props.count === 1 ? 'One problem' : `${props.count} problems`} to fix before saving
        {props.unclaimed.length > 0 ? ':' : '; each is shown beside its field.'}
      </p>
      {props.unclaimed.length > 0 && (
        <ul>
          {props.unclaimed.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

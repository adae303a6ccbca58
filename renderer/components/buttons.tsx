// Buttons with a second step: delete asks once more in place (no modal dialog), copy says "Copied".
import { useEffect, useRef, useState } from 'react';

export function ConfirmButton(props: {
  label: string;
  confirmLabel?: string;
  onConfirm(): void | Promise<void>;
  disabled?: boolean;
  className?: string;
  /** Accessible name when the visible label is short ("Delete" in a row). */
  ariaLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button
        type="button"
        className={props.className ?? 'btn btn--danger-ghost'}
        disabled={props.disabled}
        aria-label={props.ariaLabel}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span className="confirm">
      <button
        ref={confirmRef}
        type="button"
        className="btn btn--danger"
        onClick={() => {
          setAsking(false);
          void props.onConfirm();
        }}
      >
        {props.confirmLabel ?? `Yes, ${props.label.toLowerCase()}`}
      </button>
      <button type="button" className="btn btn--ghost" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function CopyButton(props: { value: string; label?: string; what?: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button
      type="button"
      className="btn btn--small"
      aria-label={props.what ? `Copy ${props.what}` : undefined}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(props.value);
          setCopied(true);
        } catch {
          // No clipboard permission: the value is on screen to select by hand.
          setCopied(false);
        }
      }}
    >
      {copied ? 'Copied' : (props.label ?? 'Copy')}
    </button>
  );
}

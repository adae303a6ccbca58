// Devtron's sample payloads (Teams, Slack, Discord, RingCentral) and Kosli's custom-webhook
// shape, offered above the webhook channel's body template: picking one fills the template,
// and a template the user had written can be brought back with Undo.
import { useId, useState } from 'react';
import { WEBHOOK_PRESETS } from '../../../shared/webhook-presets.js';

export function WebhookPresetPicker(props: { value: string; onChange(template: string): void }) {
  const id = useId();
  const [picked, setPicked] = useState('');
  const [replaced, setReplaced] = useState<string>();
  const preset = WEBHOOK_PRESETS.find((p) => p.id === picked);
  return (
    <div className="preset-picker">
      <label htmlFor={id}>Start from a preset</label>
      <select
        id={id}
        value={picked}
        onChange={(e) => {
          const next = WEBHOOK_PRESETS.find((p) => p.id === e.target.value);
          setPicked(e.target.value);
          if (!next) return;
          // Keep what the user wrote themselves (not another preset) for Undo.
          const own = props.value.trim() !== '' && !WEBHOOK_PRESETS.some((p) => p.template === props.value);
          setReplaced(own ? props.value : replaced);
          props.onChange(next.template);
        }}
      >
        <option value="">Choose a preset…</option>
        {WEBHOOK_PRESETS.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      {preset && <span className="field__hint">{preset.description}</span>}
      {replaced !== undefined && (
        <button
          type="button"
          className="btn btn--small"
          onClick={() => {
            props.onChange(replaced);
            setReplaced(undefined);
            setPicked('');
          }}
        >
          Undo: bring back my template
        </button>
      )}
    </div>
  );
}

// A rule: which events (globs on every field), to which channels, throttled, outside quiet
// hours. Checked with the shared RuleSchema as you go; a preview shows which recent events
// it would have matched.
import { useEffect, useMemo, useState } from 'react';
import { ApiError, type ApiOutput } from '../../../shared/api.js';
import { DEFAULT_THROTTLE_SECONDS, GROUP_LIMITS, RuleSchema, type RuleConfig } from '../../../shared/config.js';
import { formatDuration } from '../../../shared/duration.js';
import { SEVERITIES, SUBJECT_FIELDS } from '../../../shared/event.js';
import { asError, useApi } from '../../api/context.js';
import { SeverityBadge } from '../../components/badges.js';
import { CheckboxField, ErrorSummary, Field } from '../../components/Field.js';
import { apiFieldErrors, errorAt, hasErrors, unclaimedErrors, zodFieldErrors, type FieldErrors } from '../../lib/form-errors.js';
import { slugify } from '../../lib/ids.js';
import {
  buildRule,
  channelOptionErrors,
  channelOptionSections,
  DIGEST_UNITS,
  GLOB_MATCH_FIELDS,
  matchWarnings,
  newRuleDraft,
  ruleDraftFrom,
  type DigestUnit,
  type GlobMatchField,
  type RuleDraft,
  type RuleFormChannel,
} from '../../lib/rule-draft.js';
import { formatListTime, fromLocalInput, SNOOZE_LABELS, snoozeUntil, toLocalInput, type SnoozePreset } from '../../lib/time.js';

const GLOB_LABELS: Record<GlobMatchField, { label: string; placeholder: string }> = {
  sources: { label: 'Sources', placeholder: 'any source' },
  types: { label: 'Event types', placeholder: 'pipeline.failed, deployment.*' },
  project: { label: 'Project', placeholder: 'api, web-*' },
  group: { label: 'Group', placeholder: 'platform/*' },
  environment: { label: 'Environment', placeholder: 'prod*' },
  pipeline: { label: 'Pipeline', placeholder: 'deploy-*' },
  branch: { label: 'Branch', placeholder: 'main, release/**' },
  cluster: { label: 'Cluster', placeholder: 'eu-*' },
  artifact: { label: 'Artifact', placeholder: 'registry.example.com/**' },
  commit: { label: 'Commit', placeholder: 'a1b2c3d*' },
};

const PREVIEW_DELAY_MS = 250;
const PREVIEW_SHOWN = 25;

/** Time zones for the quiet-hours datalist, when the runtime can list them. */
const TIME_ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
})();

export function RuleForm(props: {
  existing?: RuleConfig;
  channels: RuleFormChannel[];
  sources: Array<{ id: string; name: string }>;
  onSubmit(config: Record<string, unknown>): Promise<void>;
  onCancel(): void;
}) {
  const editing = props.existing !== undefined;
  const [draft, setDraft] = useState<RuleDraft>(() => (props.existing ? ruleDraftFrom(props.existing) : newRuleDraft()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [attempted, setAttempted] = useState(false);
  const [saving, setSaving] = useState(false);

  const build = (d: RuleDraft) => buildRule(d);
  const validate = (d: RuleDraft): FieldErrors => {
    const result = RuleSchema.safeParse(build(d));
    const errors: Record<string, string> = result.success ? {} : { ...zodFieldErrors(result.error) };
    // Each channel kind checks its own options, as the hub will (shared channelOptionsProblems).
    for (const [path, message] of Object.entries(channelOptionErrors(d, props.channels))) errors[path] ??= message;
    if (d.snooze) {
      const until = fromLocalInput(d.snoozeUntil);
      if (!until) errors.snoozedUntil = 'pick the date and time popups resume';
      else if (Date.parse(until) <= Date.now()) errors.snoozedUntil = 'must be in the future';
    }
    return errors;
  };
  const change = (next: RuleDraft) => {
    setDraft(next);
    if (attempted) setErrors(validate(next));
  };
  const setGlobs = (field: GlobMatchField, value: string) => change({ ...draft, globs: { ...draft.globs, [field]: value } });

  const submit = async () => {
    setAttempted(true);
    const found = validate(draft);
    setErrors(found);
    if (hasErrors(found)) return;
    setSaving(true);
    try {
      await props.onSubmit(build(draft));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_input') setErrors(apiFieldErrors(error.message, 'config.'));
      else if (error instanceof ApiError && error.code === 'conflict') setErrors({ id: error.message });
      else setErrors({ '': asError(error).message });
    } finally {
      setSaving(false);
    }
  };

  const knownChannels = new Set(props.channels.map((c) => c.id));
  const unknownChannels = draft.channels.filter((c) => !knownChannels.has(c));
  const fieldPaths = ['id', 'name', 'enabled', 'match', 'channels', 'throttle', 'quietHours', 'snoozedUntil', 'digest', 'group', 'channelOptions'];
  const windowSeconds = Number(draft.throttleSeconds);
  const optionSections = channelOptionSections(draft, props.channels);
  const warnings = matchWarnings(draft, props.sources.map((s) => s.id));
  /** Under a glob field: a likely typo in it; for sources, a chip per source to add it. */
  const globHint = (field: GlobMatchField) => {
    const warning = field === 'sources' || field === 'types' ? warnings[field] : undefined;
    const chips = field === 'sources' && props.sources.length > 0;
    if (!warning && !chips) return undefined;
    return (
      <>
        {warning && (
          <span className="warn-text" data-testid={`match-warning-${field}`}>
            {warning}
          </span>
        )}
        {chips && (
          <span className="chips">
            {props.sources.map((s) => (
              <button
                key={s.id}
                type="button"
                className="chip chip--button mono"
                aria-label={`Add source ${s.name}`}
                onClick={() => setGlobs('sources', draft.globs.sources ? `${draft.globs.sources}, ${s.id}` : s.id)}
              >
                + {s.id}
              </button>
            ))}
          </span>
        )}
      </>
    );
  };

  return (
    <div className="rule-editor">
      <form
        className="card form"
        aria-label={editing ? `Edit rule ${draft.name}` : 'New rule'}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h2>{editing ? 'Edit rule' : 'Add a rule'}</h2>
        <ErrorSummary count={Object.keys(errors).length} unclaimed={unclaimedErrors(errors, fieldPaths)} />
        <div className="form__grid">
          <Field label="Name" required error={errorAt(errors, 'name')}>
            {(control) => (
              <input
                {...control}
                value={draft.name}
                // Also when editing: the form opens above the list, away from the Edit button clicked.
                autoFocus
                onChange={(e) => change({ ...draft, name: e.target.value, id: draft.idTouched ? draft.id : slugify(e.target.value) })}
              />
            )}
          </Field>
          <Field label="Id" required error={errorAt(errors, 'id')} hint={editing ? 'The id cannot change.' : undefined}>
            {(control) => (
              <input
                {...control}
                className="mono"
                spellCheck={false}
                readOnly={editing}
                value={draft.id}
                onChange={(e) => change({ ...draft, id: e.target.value, idTouched: true })}
              />
            )}
          </Field>
          <CheckboxField label="Enabled" checked={draft.enabled} onChange={(enabled) => change({ ...draft, enabled })} />
        </div>

        <fieldset className="form__section">
          <legend>Match events</legend>
          <p className="field__hint">
            Comma-separated globs; <code>*</code> within a segment, <code>**</code> across <code>/</code>, <code>{'{a,b}'}</code>,{' '}
            <code>!x</code> to exclude. Empty means any. All filled fields must match.
          </p>
          <div className="form__grid">
            {GLOB_MATCH_FIELDS.map((field) => (
              <Field
                key={field}
                label={GLOB_LABELS[field].label}
                error={errorAt(errors, `match.${field}`)}
                hint={globHint(field)}
              >
                {(control) => (
                  <input
                    {...control}
                    className="mono"
                    spellCheck={false}
                    placeholder={GLOB_LABELS[field].placeholder}
                    value={draft.globs[field]}
                    onChange={(e) => setGlobs(field, e.target.value)}
                  />
                )}
              </Field>
            ))}
            <fieldset className="field field--wide">
              <legend>Severities</legend>
              <div className="chips">
                {SEVERITIES.map((s) => (
                  <label key={s} className={`chip chip--sev-${s}`}>
                    <input
                      type="checkbox"
                      checked={draft.severities.includes(s)}
                      onChange={(e) =>
                        change({ ...draft, severities: e.target.checked ? [...draft.severities, s] : draft.severities.filter((x) => x !== s) })
                      }
                    />
                    {s}
                  </label>
                ))}
              </div>
              {errorAt(errors, 'match.severities') && <p className="field__error">{errorAt(errors, 'match.severities')}</p>}
            </fieldset>
          </div>
        </fieldset>

        <fieldset className="form__section">
          <legend>Send to</legend>
          {props.channels.length === 0 && unknownChannels.length === 0 ? (
            <p className="muted" data-testid="history-only">
              No channels yet: <a href="#/channels">add one</a>. Until then this rule is history only: matching events are kept and marked, nothing is sent.
            </p>
          ) : (
            <div className="chips">
              {props.channels.map((c) => (
                <label key={c.id} className="chip">
                  <input
                    type="checkbox"
                    checked={draft.channels.includes(c.id)}
                    onChange={(e) =>
                      change({ ...draft, channels: e.target.checked ? [...draft.channels, c.id] : draft.channels.filter((x) => x !== c.id) })
                    }
                  />
                  {c.name} <span className="muted mono">{c.kind}</span>
                </label>
              ))}
              {unknownChannels.map((id) => (
                <label key={id} className="chip chip--bad">
                  <input type="checkbox" checked onChange={() => change({ ...draft, channels: draft.channels.filter((x) => x !== id) })} />
                  {id} (unknown channel)
                </label>
              ))}
            </div>
          )}
          {props.channels.length + unknownChannels.length > 0 && draft.channels.length === 0 && (
            <p className="muted" data-testid="history-only">
              No channel chosen: history only. Matching events are kept and marked with this rule; nothing is sent.
            </p>
          )}
          {errorAt(errors, 'channels') && <p className="field__error">{errorAt(errors, 'channels')}</p>}
          {optionSections.length > 0 && (
            <div className="form__grid">
              {optionSections.flatMap(({ channel, fields }) =>
                fields.map((field) => {
                  const value = draft.channelOptions[channel.id]?.[field.name] ?? '';
                  const setValue = (text: string) =>
                    change({ ...draft, channelOptions: { ...draft.channelOptions, [channel.id]: { ...draft.channelOptions[channel.id], [field.name]: text } } });
                  return (
                    <Field
                      key={`${channel.id}.${field.name}`}
                      label={`${field.label} (${channel.name})`}
                      required={field.needed}
                      error={errorAt(errors, `channelOptions.${channel.id}.${field.name}`) ?? errorAt(errors, `channelOptions.${channel.id}`)}
                      className="field--wide"
                      hint={field.needed && field.neededHint ? field.neededHint : field.hint}
                    >
                      {(control) => (
                        <input
                          {...control}
                          type="text"
                          inputMode={field.inputMode ?? 'text'}
                          autoComplete="off"
                          className="mono"
                          spellCheck={false}
                          placeholder={field.placeholder}
                          value={value}
                          onChange={(e) => setValue(e.target.value)}
                        />
                      )}
                    </Field>
                  );
                }),
              )}
            </div>
          )}
        </fieldset>

        <fieldset className="form__section">
          <legend>When</legend>
          <div className="option">
            <CheckboxField
              label="Throttle repeats"
              hint="The same thing (same dedup key) at most once per window."
              checked={draft.throttle}
              onChange={(throttle) => change({ ...draft, throttle })}
            />
            {draft.throttle && (
              <div className="form__grid option__fields">
                <Field
                  label="Throttle window (seconds)"
                  error={errorAt(errors, 'throttle.windowSeconds') ?? errorAt(errors, 'throttle')}
                  hint={windowSeconds > 0 ? `= ${formatDuration(windowSeconds * 1000, 'exact')}` : undefined}
                >
                  {(control) => (
                    <input
                      {...control}
                      type="number"
                      min={1}
                      step={1}
                      placeholder={String(DEFAULT_THROTTLE_SECONDS)}
                      value={draft.throttleSeconds}
                      onChange={(e) => change({ ...draft, throttleSeconds: e.target.value })}
                    />
                  )}
                </Field>
              </div>
            )}
          </div>
          <div className="option">
            <CheckboxField
              label="Quiet hours for this rule"
              hint="No deliveries from this rule inside these hours; events are still kept."
              checked={draft.quiet}
              onChange={(quiet) => change({ ...draft, quiet })}
            />
            {draft.quiet && (
              <div className="form__grid option__fields">
                <Field label="Quiet from" error={errorAt(errors, 'quietHours.start')}>
                  {(control) => <input {...control} type="time" value={draft.quietStart} onChange={(e) => change({ ...draft, quietStart: e.target.value })} />}
                </Field>
                <Field label="Quiet until" error={errorAt(errors, 'quietHours.end')}>
                  {(control) => <input {...control} type="time" value={draft.quietEnd} onChange={(e) => change({ ...draft, quietEnd: e.target.value })} />}
                </Field>
                <Field label="Time zone" error={errorAt(errors, 'quietHours.timeZone')} hint="Empty: the hub's local time.">
                  {(control) => (
                    <>
                      <input
                        {...control}
                        list="rule-time-zones"
                        placeholder="Europe/Berlin"
                        value={draft.quietTimeZone}
                        onChange={(e) => change({ ...draft, quietTimeZone: e.target.value })}
                      />
                      <datalist id="rule-time-zones">
                        {TIME_ZONES.map((z) => (
                          <option key={z} value={z} />
                        ))}
                      </datalist>
                    </>
                  )}
                </Field>
              </div>
            )}
          </div>
          <div className="option">
            <CheckboxField
              label="Pause this rule's popups"
              hint="Its desktop popups are held back until then; its other channels and history are not affected."
              checked={draft.snooze}
              onChange={(snooze) => change({ ...draft, snooze, snoozeUntil: snooze && !draft.snoozeUntil ? toLocalInput(snoozeUntil('1h')) : draft.snoozeUntil })}
            />
            {draft.snooze && (
              <div className="form__grid option__fields">
                <Field label="Paused until" error={errorAt(errors, 'snoozedUntil')}>
                  {(control) => (
                    <input {...control} type="datetime-local" value={draft.snoozeUntil} onChange={(e) => change({ ...draft, snoozeUntil: e.target.value })} />
                  )}
                </Field>
                <div className="button-row option__presets">
                  {(Object.keys(SNOOZE_LABELS) as SnoozePreset[]).map((preset) => (
                    <button
                      key={preset}
                      type="button"
                      className="btn btn--small"
                      onClick={() => change({ ...draft, snoozeUntil: toLocalInput(snoozeUntil(preset)) })}
                    >
                      {SNOOZE_LABELS[preset]}
                    </button>
                  ))}
                </div>
              </div>
            )}
          </div>
          <div className="option">
            <CheckboxField
              label="Send as a digest"
              hint="One message per window listing the events it covers, instead of one message per event. A window starts with its first event."
              checked={draft.digest}
              onChange={(digest) => change({ ...draft, digest })}
            />
            {draft.digest && (
              <div className="form__grid option__fields">
                <Field label="Digest every" error={errorAt(errors, 'digest.windowSeconds') ?? errorAt(errors, 'digest')} hint={digestHint(draft)}>
                  {(control) => (
                    <input
                      {...control}
                      type="number"
                      min={1}
                      step={1}
                      inputMode="numeric"
                      value={draft.digestEvery}
                      onChange={(e) => change({ ...draft, digestEvery: e.target.value })}
                    />
                  )}
                </Field>
                <Field label="Digest unit">
                  {(control) => (
                    <select {...control} value={draft.digestUnit} onChange={(e) => change({ ...draft, digestUnit: e.target.value as DigestUnit })}>
                      {(Object.keys(DIGEST_UNITS) as DigestUnit[]).map((unit) => (
                        <option key={unit} value={unit}>
                          {unit}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              </div>
            )}
          </div>
          <div className="option">
            <CheckboxField
              label="Group storms"
              hint="Events with the same values of the fields below become one message: the first waits for company, later ones go out together at most once per interval (Alertmanager's group_wait and group_interval). Not with a digest."
              checked={draft.group}
              onChange={(group) => change({ ...draft, group })}
            />
            {/* The group as a whole only: its fields' errors show beside each field. */}
            {errors.group !== undefined && <p className="field__error">{errors.group}</p>}
            {draft.group && (
              <div className="form__grid option__fields">
                <fieldset className="field field--wide">
                  <legend>Group by</legend>
                  <div className="chips">
                    {SUBJECT_FIELDS.map((f) => (
                      <label key={f} className="chip">
                        <input
                          type="checkbox"
                          checked={draft.groupBy.includes(f)}
                          onChange={(e) => change({ ...draft, groupBy: e.target.checked ? [...draft.groupBy, f] : draft.groupBy.filter((x) => x !== f) })}
                        />
                        {f}
                      </label>
                    ))}
                  </div>
                  <p className="field__hint">{draft.groupBy.length ? `One group per ${draft.groupBy.join(' + ')}.` : 'None: every event of the rule in one group.'}</p>
                  {errorAt(errors, 'group.by') && <p className="field__error">{errorAt(errors, 'group.by')}</p>}
                </fieldset>
                <Field label="Wait for company (seconds)" error={errorAt(errors, 'group.waitSeconds')} hint="Before the first message of a group. 0 to 3600; default 10.">
                  {(control) => (
                    <input {...control} type="number" min={0} step={1} inputMode="numeric" value={draft.groupWait} onChange={(e) => change({ ...draft, groupWait: e.target.value })} />
                  )}
                </Field>
                <Field label="Then at most every (seconds)" error={errorAt(errors, 'group.intervalSeconds')} hint={groupIntervalHint(draft)}>
                  {(control) => (
                    <input
                      {...control}
                      type="number"
                      min={10}
                      step={1}
                      inputMode="numeric"
                      value={draft.groupInterval}
                      onChange={(e) => change({ ...draft, groupInterval: e.target.value })}
                    />
                  )}
                </Field>
              </div>
            )}
          </div>
        </fieldset>

        <div className="form__actions">
          <button type="submit" className="btn btn--primary" disabled={saving}>
            {saving ? 'Saving…' : editing ? 'Save changes' : 'Add rule'}
          </button>
          <button type="button" className="btn btn--ghost" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
      <RulePreview draft={draft} />
    </div>
  );
}

/** "Hourly digest.", "15-minute digest.": what the window means (as the digest itself will say), and the range. */
function digestHint(draft: RuleDraft): string {
  const seconds = Number(draft.digestEvery) * DIGEST_UNITS[draft.digestUnit];
  if (!Number.isFinite(seconds) || seconds <= 0) return 'From 1 minute to 24 hours.';
  const adjective = formatDuration(seconds * 1000, 'adjective');
  return `${adjective.charAt(0).toUpperCase()}${adjective.slice(1)} digest. From 1 minute to 24 hours.`;
}

/** `Every 5 min …`: the interval in words, or only the bounds while it is outside them (the error beside it says why). */
function groupIntervalHint(draft: RuleDraft): string {
  const seconds = Number(draft.groupInterval);
  const { min, max } = GROUP_LIMITS.intervalSeconds;
  const bounds = '10 s to 24 hours; default 5 min.';
  return Number.isInteger(seconds) && seconds >= min && seconds <= max ? `Every ${formatDuration(seconds * 1000, 'exact')} while events keep coming. ${bounds}` : bounds;
}

type Preview = ApiOutput<'rules.preview'>;

/** Which recent events the draft would have matched, refreshed shortly after each change. */
function RulePreview(props: { draft: RuleDraft }) {
  const invoke = useApi();
  // An unnamed draft can still be previewed: the preview does not care about id or name.
  const config = useMemo(() => {
    const rule = buildRule(props.draft);
    return { ...rule, id: props.draft.id || 'preview', name: props.draft.name || 'preview' };
  }, [props.draft]);
  const key = JSON.stringify(config);
  const valid = RuleSchema.safeParse(config).success;
  const [preview, setPreview] = useState<{ key: string; result?: Preview; error?: string }>();

  useEffect(() => {
    if (!valid) return;
    let live = true;
    const timer = setTimeout(() => {
      invoke('rules.preview', { config: JSON.parse(key) as Record<string, unknown>, limit: 200 }).then(
        (result) => live && setPreview({ key, result }),
        (error: unknown) => live && setPreview({ key, error: asError(error).message }),
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [invoke, key, valid]);

  const current = preview?.key === key;
  return (
    <section className="card preview" aria-labelledby="preview-title" aria-busy={valid && !current}>
      <h2 id="preview-title">Preview</h2>
      {!valid ? (
        <p className="muted">Fix the rule's errors to see which events it would match.</p>
      ) : preview?.error ? (
        <p className="error-text">{preview.error}</p>
      ) : !preview?.result ? (
        <p className="muted">Checking recent events…</p>
      ) : (
        <>
          <p className={current ? '' : 'muted'} data-testid="preview-summary">
            Would have matched <strong>{preview.result.matched.length}</strong> of the last {preview.result.scanned} events.
          </p>
          <ul className="preview__list">
            {preview.result.matched.slice(0, PREVIEW_SHOWN).map((e) => (
              <li key={e.id} title={`${e.type}: ${e.title}`}>
                <span className="mono muted">{formatListTime(e.occurredAt)}</span> <SeverityBadge severity={e.severity} /> <span>{e.title}</span>
              </li>
            ))}
          </ul>
          {preview.result.matched.length > PREVIEW_SHOWN && (
            <p className="muted">and {preview.result.matched.length - PREVIEW_SHOWN} more</p>
          )}
        </>
      )}
    </section>
  );
}

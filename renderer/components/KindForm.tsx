// The add/edit form for sources and channels. The kind picks a schema from the shared
// union; its fields are rendered from that schema and checked against it on save, and the
// hub's own validation errors land beside the same fields.
import { useMemo, useState, type ReactNode } from 'react';
import type { z } from 'zod';
import { ApiError } from '../../shared/api.js';
import { apiFieldErrors, errorAt, hasErrors, unclaimedErrors, zodFieldErrors, type FieldErrors } from '../lib/form-errors.js';
import { slugify } from '../lib/ids.js';
import { buildItem, type BuiltItem, draftFromItem, GENERATED_SECRET_FIELDS, newDraft, type DraftValue, type ItemDraft, type StoredItemConfig, type TlsDraft } from '../lib/item-draft.js';
import { describeFields, kindsOf, type FieldSpec } from '../lib/schema-fields.js';
import { suggestSecretPlaces, type KeyValueRow, type SecretDraft, type SecretRow, type SecretStatus, type SecretSuggestion } from '../lib/secret-draft.js';
import { KeyValueEditor, SecretMapEditor } from './editors.js';
import { CheckboxField, ErrorSummary, Field } from './Field.js';
import { SecretInput } from './secrets.js';

export interface KindFormProps {
  /** "source" or "channel": used in labels. */
  noun: string;
  union: z.ZodType;
  secretFields: Record<string, readonly string[]>;
  kindLabels: Record<string, string>;
  kindHints?: Record<string, ReactNode>;
  existing?: { config: StoredItemConfig; secrets: Record<string, SecretStatus> };
  keychainAvailable: boolean;
  /** Sources make up their own shared secret; channels get theirs from the service. */
  generateSecret?: () => string;
  /** Without a keychain: where a generated secret's file goes unless the user names one. */
  secretFileDir?: string | undefined;
  /** Extra controls shown with a kind's field (kind → field → render), e.g. the webhook template's presets. */
  fieldAddons?: Record<string, Record<string, FieldAddon>>;
  /** Which of a kind's fields apply, given the others (email: the SMTP or the SES ones, by transport); default all. */
  fieldApplies?: Record<string, (name: string, fields: ItemDraft['fields']) => boolean>;
  onSubmit(payload: {
    config: Record<string, unknown>;
    secrets: Record<string, string>;
    clearSecrets: string[];
    pendingSecrets: BuiltItem['pendingSecrets'];
  }): Promise<void>;
  onCancel(): void;
}

export type FieldAddon = (props: { value: DraftValue; onChange(value: DraftValue): void }) => ReactNode;

export function KindForm(props: KindFormProps) {
  const kinds = useMemo(() => kindsOf(props.union), [props.union]);
  const specsFor = (kind: string): FieldSpec[] => {
    const schema = kinds.get(kind);
    return schema ? describeFields(schema, props.secretFields[kind] ?? [], kind) : [];
  };
  const firstKind = [...kinds.keys()][0] ?? '';
  const draftOptions = { generateSecret: props.generateSecret, keychainAvailable: props.keychainAvailable };
  const [draft, setDraft] = useState<ItemDraft>(() =>
    props.existing
      ? draftFromItem(props.existing.config, props.existing.secrets, specsFor(props.existing.config.kind), draftOptions)
      : newDraft(firstKind, specsFor(firstKind), draftOptions),
  );
  const specs = useMemo(() => specsFor(draft.kind), [draft.kind]); // eslint-disable-line react-hooks/exhaustive-deps
  const [errors, setErrors] = useState<FieldErrors>({});
  const [attempted, setAttempted] = useState(false);
  const [saving, setSaving] = useState(false);
  const editing = props.existing !== undefined;

  const check = (next: ItemDraft): { built: ReturnType<typeof buildItem>; errors: FieldErrors } => {
    const nextSpecs = specsFor(next.kind);
    const built = buildItem(next, nextSpecs, { secretFileDir: props.secretFileDir });
    const schema = kinds.get(next.kind);
    const result = schema?.safeParse(built.validation);
    const schemaErrors = result && !result.success ? zodFieldErrors(result.error) : {};
    return { built, errors: { ...schemaErrors, ...built.localErrors } };
  };

  const change = (next: ItemDraft) => {
    setDraft(next);
    // Once the user has tried to save, keep the errors current as they fix them.
    if (attempted) setErrors(check(next).errors);
  };
  const setField = (name: string, value: DraftValue) => change({ ...draft, fields: { ...draft.fields, [name]: value } });

  const submit = async () => {
    setAttempted(true);
    const { built, errors: found } = check(draft);
    setErrors(found);
    if (hasErrors(found)) return;
    setSaving(true);
    try {
      await props.onSubmit({ config: built.config, secrets: built.secrets, clearSecrets: built.clearSecrets, pendingSecrets: built.pendingSecrets });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_input') setErrors(apiFieldErrors(error.message, 'config.'));
      else if (error instanceof ApiError && error.code === 'conflict') setErrors({ id: error.message });
      else setErrors({ '': error instanceof Error ? error.message : String(error) });
    } finally {
      setSaving(false);
    }
  };

  const fieldPaths = ['id', 'name', 'enabled', 'kind', ...specs.map((s) => s.name)];
  const errorCount = Object.keys(errors).length;
  const kindSelectable = !editing && kinds.size > 1;

  return (
    <form
      className="card form"
      aria-label={editing ? `Edit ${props.noun} ${draft.name}` : `New ${props.noun}`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>{editing ? `Edit ${props.noun}` : `Add a ${props.noun}`}</h2>
      <ErrorSummary count={errorCount} unclaimed={unclaimedErrors(errors, fieldPaths)} />
      <div className="form__grid">
        <Field label="Kind" error={errorAt(errors, 'kind')} hint={props.kindHints?.[draft.kind]}>
          {(control) => (
            <select
              {...control}
              value={draft.kind}
              disabled={!kindSelectable}
              onChange={(e) => {
                const kind = e.target.value;
                const fresh = newDraft(kind, specsFor(kind), draftOptions);
                change({ ...fresh, id: draft.id, idTouched: draft.idTouched, name: draft.name, enabled: draft.enabled });
              }}
            >
              {[...kinds.keys()].map((kind) => (
                <option key={kind} value={kind}>
                  {props.kindLabels[kind] ?? kind}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Name" required error={errorAt(errors, 'name')}>
          {(control) => (
            <input
              {...control}
              value={draft.name}
              autoFocus={!editing}
              onChange={(e) => {
                const name = e.target.value;
                change({ ...draft, name, id: draft.idTouched ? draft.id : slugify(name) });
              }}
            />
          )}
        </Field>
        <Field
          label="Id"
          required
          error={errorAt(errors, 'id')}
          hint={editing ? 'The id cannot change.' : 'Lowercase letters, digits, - and _; used in URLs and rules.'}
        >
          {(control) => (
            <input
              {...control}
              className="mono"
              value={draft.id}
              readOnly={editing}
              spellCheck={false}
              onChange={(e) => change({ ...draft, id: e.target.value, idTouched: true })}
            />
          )}
        </Field>
        <CheckboxField
          label="Enabled"
          checked={draft.enabled}
          onChange={(enabled) => change({ ...draft, enabled })}
          error={errorAt(errors, 'enabled')}
        />
        {specs
          // A field that does not apply is left out — unless it holds an error the user must see.
          .filter((spec) => (props.fieldApplies?.[draft.kind]?.(spec.name, draft.fields) ?? true) || errorAt(errors, spec.name) !== undefined)
          .map((spec) => (
            <SpecField
              key={`${draft.kind}.${spec.name}`}
              spec={spec}
              value={draft.fields[spec.name]!}
              errors={errors}
              onChange={(value) => setField(spec.name, value)}
              keychainAvailable={props.keychainAvailable}
              generateSecret={GENERATED_SECRET_FIELDS.includes(spec.name) ? props.generateSecret : undefined}
              suggestion={suggestSecretPlaces(draft.id, spec.name, props.secretFileDir)}
              addon={props.fieldAddons?.[draft.kind]?.[spec.name]}
            />
          ))}
      </div>
      <div className="form__actions">
        <button type="submit" className="btn btn--primary" disabled={saving}>
          {saving ? 'Saving…' : editing ? 'Save changes' : `Add ${props.noun}`}
        </button>
        <button type="button" className="btn btn--ghost" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function SpecField(props: {
  spec: FieldSpec;
  value: DraftValue;
  errors: FieldErrors;
  onChange(value: DraftValue): void;
  keychainAvailable: boolean;
  generateSecret?: (() => string) | undefined;
  suggestion: SecretSuggestion;
  addon?: FieldAddon | undefined;
}) {
  const { spec, value, errors } = props;
  const addon = props.addon?.({ value, onChange: props.onChange });
  const error = errorAt(errors, spec.name);
  // A secret is often a whole URL (Slack's, Teams', Discord's webhook) beside its where-to-keep-it select: a row of its own.
  const wide = spec.control === 'keyValue' || spec.control === 'secretMap' || spec.control === 'json' || spec.control === 'secret' || (spec.control === 'text' && spec.multiline);
  switch (spec.control) {
    case 'boolean':
      return <CheckboxField label={spec.label} checked={value as boolean} onChange={props.onChange} error={error} hint={spec.hint} />;
    case 'keyValue':
      return (
        <fieldset className="field field--wide">
          <legend>{spec.label}</legend>
          {spec.hint && <p className="field__hint">{spec.hint}</p>}
          <KeyValueEditor label={spec.label} rows={value as KeyValueRow[]} onChange={props.onChange} errors={errors} path={spec.name} />
          {errors[spec.name] && <p className="field__error">{errors[spec.name]}</p>}
        </fieldset>
      );
    case 'secretMap':
      return (
        <fieldset className="field field--wide">
          <legend>{spec.label}</legend>
          {spec.hint && <p className="field__hint">{spec.hint}</p>}
          <SecretMapEditor
            label={spec.label}
            rows={value as SecretRow[]}
            onChange={props.onChange}
            errors={errors}
            path={spec.name}
            keychainAvailable={props.keychainAvailable}
          />
          {errors[spec.name] && <p className="field__error">{errors[spec.name]}</p>}
        </fieldset>
      );
    case 'tls':
      return <TlsField spec={spec} value={value as TlsDraft} error={errors[`${spec.name}.caPem`] ?? error} onChange={props.onChange} />;
    default:
      break;
  }
  return (
    <Field label={spec.label} required={spec.required} error={error} hint={spec.hint} className={wide ? 'field--wide' : undefined}>
      {(control) => {
        switch (spec.control) {
          case 'secret':
            return (
              <SecretInput
                control={control}
                draft={value as SecretDraft}
                onChange={props.onChange}
                keychainAvailable={props.keychainAvailable}
                onGenerate={props.generateSecret}
                reveal={props.generateSecret !== undefined}
                removable={!spec.required}
                suggestion={props.suggestion}
              />
            );
          case 'number':
            return (
              <input
                {...control}
                type="number"
                inputMode="numeric"
                min={spec.min}
                max={spec.max}
                step={spec.integer ? 1 : 'any'}
                placeholder={spec.defaultValue !== undefined ? String(spec.defaultValue) : undefined}
                value={value as string}
                onChange={(e) => props.onChange(e.target.value)}
              />
            );
          case 'enum':
            return (
              <select {...control} value={value as string} onChange={(e) => props.onChange(e.target.value)}>
                {spec.options.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            );
          case 'json':
            return (
              <textarea {...control} className="mono" rows={4} spellCheck={false} value={value as string} onChange={(e) => props.onChange(e.target.value)} />
            );
          case 'list':
            return (
              <input {...control} className="mono" spellCheck={false} value={value as string} onChange={(e) => props.onChange(e.target.value)} />
            );
          case 'text':
            return spec.multiline ? (
              <>
                {addon}
                <textarea {...control} className="mono" rows={6} spellCheck={false} value={value as string} onChange={(e) => props.onChange(e.target.value)} />
              </>
            ) : (
              <input
                {...control}
                type={spec.format === 'url' ? 'url' : 'text'}
                className={spec.format === 'url' ? 'mono' : undefined}
                spellCheck={false}
                value={value as string}
                onChange={(e) => props.onChange(e.target.value)}
              />
            );
          default:
            return null;
        }
      }}
    </Field>
  );
}

/** A self-hosted server's TLS trust: its CA certificate pasted as it is (PEM), or, for a lab, any certificate. */
function TlsField(props: { spec: FieldSpec; value: TlsDraft; error: string | undefined; onChange(value: TlsDraft): void }) {
  const { spec, value } = props;
  return (
    <fieldset className="field field--wide">
      <legend>{spec.label}</legend>
      {spec.hint && <p className="field__hint">{spec.hint}</p>}
      <Field label="CA certificate (PEM)" error={props.error} hint="Paste it as it is, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. Empty: the system's trusted CAs.">
        {(control) => (
          <textarea
            {...control}
            className="mono"
            rows={4}
            spellCheck={false}
            placeholder="-----BEGIN CERTIFICATE-----"
            value={value.caPem}
            onChange={(e) => props.onChange({ ...value, caPem: e.target.value })}
          />
        )}
      </Field>
      <CheckboxField
        label="Accept any certificate (a lab server only: anyone in between could read the token)"
        checked={value.insecure}
        onChange={(insecure) => props.onChange({ ...value, insecure })}
      />
    </fieldset>
  );
}

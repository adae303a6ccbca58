// Source and channel forms as data: a draft built from an item (or a kind's defaults),
// and back to the api's `{ config, secrets }` plus a copy for the shared schema to check.
// Pure, so the round trip is unit-tested without a browser.
import { joinGlobs, splitGlobs } from './globs.js';
import type { FieldSpec } from './schema-fields.js';
import {
  initialSecretDraft,
  PENDING_SECRET_REF,
  resolveSecret,
  suggestSecretPlaces,
  type KeyValueRow,
  type SecretDraft,
  type SecretRow,
  type SecretStatus,
} from './secret-draft.js';

/** A TLS field as the form edits it: the PEM as pasted (line breaks and all) and "accept any certificate". */
export interface TlsDraft {
  caPem: string;
  insecure: boolean;
}

export type DraftValue = string | boolean | KeyValueRow[] | SecretDraft | SecretRow[] | TlsDraft;

export interface ItemDraft {
  kind: string;
  id: string;
  /** The user typed an id: stop deriving it from the name. */
  idTouched: boolean;
  name: string;
  enabled: boolean;
  fields: Record<string, DraftValue>;
  /** Secret-map keys the item had when the form opened: a removal must be sent explicitly. */
  initialSecretKeys: Record<string, string[]>;
}

/** Secret fields Herald makes up itself (a webhook's shared secret); API tokens come from the service. */
export const GENERATED_SECRET_FIELDS: readonly string[] = ['secret'];

export interface DraftOptions {
  generateSecret?: (() => string) | undefined;
  /** No keychain: a generated secret defaults to a file the user writes, others to an environment variable. */
  keychainAvailable?: boolean;
}

export interface BuildOptions {
  /** Where a generated secret's file goes when the user names none (`<data dir>/secrets`). */
  secretFileDir?: string | undefined;
}

export interface BuiltItem {
  /** What the api gets as `config`: keychain-bound secret values left out. */
  config: Record<string, unknown>;
  /** Field path → plaintext secret, written to the keychain by the hub. */
  secrets: Record<string, string>;
  /** Secret fields the user removed: the hub drops them (and their keychain entries). */
  clearSecrets: string[];
  /** Generated secrets the hub never sees (no keychain): shown once, with where to put them. */
  pendingSecrets: Record<string, { value: string; ref: string }>;
  /** The config with placeholders for pending secrets: what the shared schema checks. */
  validation: Record<string, unknown>;
  /** Problems found before the schema (unparseable JSON). */
  localErrors: Record<string, string>;
}

export function fieldDraft(spec: FieldSpec, value: unknown, secrets: Record<string, SecretStatus>, options: DraftOptions = {}): DraftValue {
  const current = value ?? spec.defaultValue;
  switch (spec.control) {
    case 'text':
      return typeof current === 'string' ? current : '';
    case 'number':
      return typeof current === 'number' ? String(current) : '';
    case 'boolean':
      return current === true;
    case 'enum':
      return typeof current === 'string' ? current : (spec.options[0] ?? '');
    case 'list':
      return joinGlobs(current as string[] | string | undefined);
    case 'keyValue':
      return Object.entries((current ?? {}) as Record<string, unknown>).map(([key, v]) => ({ key, value: String(v) }));
    case 'json':
      return current === undefined ? '' : JSON.stringify(current, null, 2);
    case 'tls': {
      const tls = (current ?? {}) as { caPem?: unknown; insecureSkipVerify?: unknown };
      return { caPem: typeof tls.caPem === 'string' ? tls.caPem : '', insecure: tls.insecureSkipVerify === true };
    }
    case 'secret': {
      const status = secrets[spec.name] ?? refStatus(value);
      const generate = GENERATED_SECRET_FIELDS.includes(spec.name) ? options.generateSecret : undefined;
      return initialSecretDraft(status, status?.set || status?.ref ? undefined : generate?.(), options.keychainAvailable !== false);
    }
    case 'secretMap': {
      const names = new Set<string>(Object.keys((value ?? {}) as Record<string, unknown>));
      for (const path of Object.keys(secrets)) if (path.startsWith(`${spec.name}.`)) names.add(path.slice(spec.name.length + 1));
      const refs = (value ?? {}) as Record<string, unknown>;
      return [...names].map((key) => ({
        key,
        existing: true,
        draft: initialSecretDraft(secrets[`${spec.name}.${key}`] ?? refStatus(refs[key]), undefined, options.keychainAvailable !== false),
      }));
    }
  }
}

/** A ref in the config without a status from the api: an env or file ref is not a stored secret. */
function refStatus(ref: unknown): SecretStatus | undefined {
  if (typeof ref !== 'string') return undefined;
  return ref.startsWith('env:') || ref.startsWith('file:') ? { set: false, ref } : { set: true, ref };
}

export function newDraft(kind: string, specs: FieldSpec[], options: DraftOptions = {}): ItemDraft {
  return {
    kind,
    id: '',
    idTouched: false,
    name: '',
    enabled: true,
    fields: Object.fromEntries(specs.map((s) => [s.name, fieldDraft(s, undefined, {}, options)])),
    initialSecretKeys: {},
  };
}

/**
 * A stored item as the form reads it: the api's view of a source or channel (any kind; the
 * form reads its fields by the names the kind's schema gives).
 */
export type StoredItemConfig = Readonly<Record<string, unknown>> & { kind: string; id: string; name: string; enabled?: boolean };

export function draftFromItem(
  config: StoredItemConfig,
  secrets: Record<string, SecretStatus>,
  specs: FieldSpec[],
  options: Pick<DraftOptions, 'keychainAvailable'> = {},
): ItemDraft {
  const fields = Object.fromEntries(specs.map((s) => [s.name, fieldDraft(s, config[s.name], secrets, options)]));
  return {
    kind: config.kind,
    id: config.id,
    idTouched: true,
    name: config.name,
    enabled: config.enabled !== false,
    fields,
    initialSecretKeys: Object.fromEntries(
      specs.filter((s) => s.control === 'secretMap').map((s) => [s.name, (fields[s.name] as SecretRow[]).map((r) => r.key)]),
    ),
  };
}

export function buildItem(draft: ItemDraft, specs: FieldSpec[], options: BuildOptions = {}): BuiltItem {
  const base = { id: draft.id, name: draft.name, enabled: draft.enabled, kind: draft.kind };
  const config: Record<string, unknown> = { ...base };
  const validation: Record<string, unknown> = { ...base };
  const secrets: Record<string, string> = {};
  const clearSecrets: string[] = [];
  const pendingSecrets: Record<string, { value: string; ref: string }> = {};
  const localErrors: Record<string, string> = {};
  const set = (name: string, value: unknown) => {
    config[name] = value;
    validation[name] = value;
  };

  for (const spec of specs) {
    const value = draft.fields[spec.name];
    switch (spec.control) {
      case 'text': {
        const text = value as string;
        if (text !== '' || spec.required) set(spec.name, text);
        break;
      }
      case 'number': {
        const text = (value as string).trim();
        if (text === '') {
          if (spec.required) set(spec.name, undefined);
        } else {
          const n = Number(text);
          set(spec.name, Number.isFinite(n) ? n : text);
        }
        break;
      }
      case 'boolean':
      case 'enum':
        set(spec.name, value);
        break;
      case 'list': {
        const list = splitGlobs(value as string);
        if (list.length > 0 || spec.required) set(spec.name, list);
        break;
      }
      case 'keyValue': {
        const rows = (value as KeyValueRow[]).filter((r) => r.key !== '' || r.value !== '');
        set(spec.name, Object.fromEntries(rows.map((r) => [r.key.trim(), r.value])));
        break;
      }
      case 'json': {
        const text = (value as string).trim();
        if (text === '') break;
        try {
          set(spec.name, JSON.parse(text));
        } catch (error) {
          localErrors[spec.name] = `not valid JSON: ${(error as Error).message}`;
        }
        break;
      }
      case 'tls': {
        const { caPem, insecure } = value as TlsDraft;
        // Absent unless something is set: the system's trust store, certificates checked.
        if (caPem.trim() !== '' || insecure) set(spec.name, { ...(caPem.trim() !== '' && { caPem: caPem.trim() + '\n' }), ...(insecure && { insecureSkipVerify: true }) });
        break;
      }
      case 'secret': {
        const secretDraft = value as SecretDraft;
        const resolved = resolveSecret(secretDraft, suggestSecretPlaces(draft.id, spec.name, options.secretFileDir));
        if (resolved.ref !== undefined) config[spec.name] = resolved.ref;
        if (resolved.value !== undefined) secrets[spec.name] = resolved.value;
        if (resolved.pending !== undefined && resolved.ref !== undefined) pendingSecrets[spec.name] = { value: resolved.pending, ref: resolved.ref };
        if (secretDraft.mode === 'clear') clearSecrets.push(spec.name);
        if (resolved.validationRef !== undefined) validation[spec.name] = resolved.validationRef;
        // Empty and optional: not set (a cctray feed without a password). Empty and required: say what to enter.
        else if (spec.required) localErrors[spec.name] = missingSecretText(secretDraft);
        break;
      }
      case 'secretMap': {
        const rows = value as SecretRow[];
        const keys = rows.map((r) => r.key.trim());
        const removed = (draft.initialSecretKeys[spec.name] ?? []).some((k) => !keys.includes(k));
        // Left out, the hub keeps the stored map and adds `secrets`; a removal or an env
        // or file reference needs the whole map of refs spelled out.
        const spelledOut = removed || rows.some((r) => r.draft.mode === 'env' || r.draft.mode === 'file');
        const refs: Record<string, string> = {};
        const checked: Record<string, string> = {};
        for (const row of rows) {
          const key = row.key.trim();
          const path = `${spec.name}.${key}`;
          const resolved = resolveSecret(row.draft);
          if (resolved.ref !== undefined) refs[key] = resolved.ref;
          else if (spelledOut && row.draft.mode === 'keep') {
            localErrors[path] = 'enter this value again: the hub did not say where it is stored, so it cannot be carried over';
          }
          if (resolved.value !== undefined) secrets[path] = resolved.value;
          checked[key] = resolved.validationRef ?? PENDING_SECRET_REF;
          // A row without a value is a problem the user must see, not a silent drop.
          if (resolved.validationRef === undefined) localErrors[path] = 'enter a value or remove the row';
        }
        if (spelledOut) config[spec.name] = refs;
        validation[spec.name] = checked;
        break;
      }
    }
  }
  return { config, secrets, clearSecrets, pendingSecrets, validation, localErrors };
}

function missingSecretText(draft: SecretDraft): string {
  if (draft.mode === 'env') return 'enter the name of the environment variable that holds it';
  if (draft.mode === 'file') return 'enter the absolute path of the file that holds it';
  return 'required: enter a value or generate one';
}

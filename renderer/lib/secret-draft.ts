// What a secret field holds in a form. A stored secret is never read back: it is "kept"
// (by its ref), replaced by a new value (which the hub writes to the keychain), pointed at
// an environment variable (`env:VAR`) or a file (`file:/path`) that the user fills, or,
// when optional, removed (`clear`, which remembers the ref so it can be undone).
// Without a keychain Herald still makes up a source's shared secret (`generated`): it is
// never sent to the hub; the form shows it once, with the step that puts it in the
// variable or file.
export type SecretDraft =
  | { mode: 'keep'; ref?: string | undefined }
  | { mode: 'keychain'; value: string }
  | { mode: 'env'; variable: string; generated?: string | undefined }
  | { mode: 'file'; path: string; generated?: string | undefined }
  | { mode: 'clear'; ref?: string | undefined };

export interface SecretStatus {
  set: boolean;
  ref?: string | undefined;
}

/** Stands in for a secret about to be written, so the shared schema can check the rest of the form. */
export const PENDING_SECRET_REF = 'keychain:herald.pending';

/** Where an unnamed variable or file of a generated secret goes: derived from the item's id. */
export interface SecretSuggestion {
  env?: string | undefined;
  file?: string | undefined;
}

export function initialSecretDraft(status: SecretStatus | undefined, generated?: string, keychainAvailable = true): SecretDraft {
  if (status?.set) return { mode: 'keep', ref: status.ref };
  if (status?.ref?.startsWith('env:')) return { mode: 'env', variable: status.ref.slice(4) };
  if (status?.ref?.startsWith('file:')) return { mode: 'file', path: status.ref.slice(5) };
  if (!keychainAvailable) {
    // A file is read when used, so it works without restarting the hub: the better default.
    return generated === undefined ? { mode: 'env', variable: '' } : { mode: 'file', path: '', generated };
  }
  return { mode: 'keychain', value: generated ?? '' };
}

/**
 * What a draft contributes: `ref` goes into the config (absent = the field is left out),
 * `value` into the api's `secrets` map, `validationRef` into the copy the schema checks,
 * `pending` is a generated secret the user must still put where `ref` points.
 */
export function resolveSecret(
  draft: SecretDraft,
  suggestion: SecretSuggestion = {},
): { ref?: string; value?: string; validationRef?: string; pending?: string } {
  switch (draft.mode) {
    case 'keep':
      return { ...(draft.ref && { ref: draft.ref }), validationRef: draft.ref ?? PENDING_SECRET_REF };
    case 'keychain':
      return draft.value ? { value: draft.value, validationRef: PENDING_SECRET_REF } : {};
    case 'env':
    case 'file': {
      const typed = (draft.mode === 'env' ? draft.variable : draft.path).trim();
      const where = typed || (draft.generated !== undefined ? suggestion[draft.mode] : undefined);
      // Nothing named: an optional secret is not set; a required one is an error (the caller's).
      if (!where) return {};
      const ref = `${draft.mode}:${where}`;
      return { ref, validationRef: ref, ...(draft.generated !== undefined && { pending: draft.generated }) };
    }
    case 'clear':
      // Nothing: the field is absent, and the api is told to remove it (clearSecrets).
      return {};
  }
}

/** `HERALD_CI_SECRET` and `<dir>/ci.secret` for field `secret` of item `ci`. */
export function suggestSecretPlaces(id: string, field: string, fileDir: string | undefined): SecretSuggestion {
  if (!id) return {};
  const env = `HERALD_${`${id}_${field}`.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
  const separator = fileDir && fileDir.includes('\\') && !fileDir.includes('/') ? '\\' : '/';
  return { env, ...(fileDir && { file: `${fileDir.replace(/[\\/]+$/, '')}${separator}${id}.${field}` }) };
}

export interface KeyValueRow {
  key: string;
  value: string;
}

export interface SecretRow {
  key: string;
  draft: SecretDraft;
  /** Stored already: the name is fixed, the value can only be replaced. */
  existing: boolean;
}

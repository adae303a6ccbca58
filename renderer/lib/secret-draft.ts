// What a secret field holds in a form. A stored secret is never read back: it is "kept"
// (by its ref), replaced by a new value (which the hub writes to the keychain) or pointed
// at an environment variable (`env:VAR`, for headless servers without a keychain), or,
// when optional, removed (`clear`, which remembers the ref so it can be undone).
export type SecretDraft =
  | { mode: 'keep'; ref?: string | undefined }
  | { mode: 'keychain'; value: string }
  | { mode: 'env'; variable: string }
  | { mode: 'clear'; ref?: string | undefined };

export interface SecretStatus {
  set: boolean;
  ref?: string | undefined;
}

/** Stands in for a secret about to be written, so the shared schema can check the rest of the form. */
export const PENDING_SECRET_REF = 'keychain:herald.pending';

export function initialSecretDraft(status: SecretStatus | undefined, generated?: string): SecretDraft {
  if (status?.set) return { mode: 'keep', ref: status.ref };
  if (status?.ref?.startsWith('env:')) return { mode: 'env', variable: status.ref.slice(4) };
  return { mode: 'keychain', value: generated ?? '' };
}

/**
 * What a draft contributes: `ref` goes into the config (absent = the field is left out),
 * `value` into the api's `secrets` map, `validationRef` into the copy the schema checks.
 */
export function resolveSecret(draft: SecretDraft): { ref?: string; value?: string; validationRef?: string } {
  switch (draft.mode) {
    case 'keep':
      return { ...(draft.ref && { ref: draft.ref }), validationRef: draft.ref ?? PENDING_SECRET_REF };
    case 'keychain':
      return draft.value ? { value: draft.value, validationRef: PENDING_SECRET_REF } : {};
    case 'env':
      return { ref: `env:${draft.variable}`, validationRef: `env:${draft.variable}` };
    case 'clear':
      // Nothing: the field is absent, and the api is told to remove it (clearSecrets).
      return {};
  }
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

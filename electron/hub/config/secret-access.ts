// Secrets as the hub's parts use them: every secret of a source or channel resolved by
// field, and the api's view of the store, whose writes tell the ingress thread to drop
// the secrets it cached for verifying.
import type { ChannelConfig, SourceConfig } from '../../../shared/config.js';
import { type SecretStore, secretRefsOf } from './secrets.js';

/** Resolves every secret field of an item: `{ field: value }` (a map field as `field.key`). */
export function secretResolver(secrets: SecretStore): (item: SourceConfig | ChannelConfig) => Promise<Record<string, string>> {
  return async (item) => {
    const resolved: Record<string, string> = {};
    for (const { field, ref } of secretRefsOf(item)) resolved[field] = await secrets.resolve(ref);
    return resolved;
  };
}

/** The same store; after each write or delete `changed` runs (the ingress thread's cache ends). */
export function notifyingSecretStore(secrets: SecretStore, changed: () => void): SecretStore {
  return {
    get status() {
      return secrets.status;
    },
    resolve: (ref) => secrets.resolve(ref),
    has: (ref) => secrets.has(ref),
    set: (name, value) => secrets.set(name, value).finally(changed),
    delete: (ref) => secrets.delete(ref).finally(changed),
  };
}

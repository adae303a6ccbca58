// Sources and channels saved and removed together with their secrets: plaintext secrets
// go to the keychain (after the item validates) and refs into the config; an update keeps
// the refs not resent and removes the paths it is told to clear; keychain entries nothing
// refers to any more are deleted. Also the redacted view: an item without its secret
// fields, and whether each resolves (never its value). Errors are ConfigErrors.
import type { SecretStatuses } from '../../../shared/api.js';
import {
  type ChannelConfig,
  ChannelSchema,
  type RedactedChannelConfig,
  type RedactedSourceConfig,
  SECRET_FIELDS,
  type SourceConfig,
  SourceSchema,
} from '../../../shared/config.js';
import { describeZodError } from '../../../shared/event.js';
import { type ConfigStore, removeItem, upsertItem } from './config-store.js';
import { ConfigError } from './problems.js';
import { SecretError, type SecretStore, secretRefsOf } from './secrets.js';

export type SecretSection = 'sources' | 'channels';
type Item = SourceConfig | ChannelConfig;
type ItemOf<S extends SecretSection> = S extends 'sources' ? SourceConfig : ChannelConfig;

export interface ItemInput {
  config: Record<string, unknown>;
  /** New secret values by path (`field` or `field.key`). */
  secrets: Record<string, string>;
  /** Secret paths to remove. */
  clearSecrets?: string[] | undefined;
}

export interface ItemsWithSecretsDeps {
  config: ConfigStore;
  secrets: SecretStore;
  /** Validated, secrets stored, about to be written (a poller's state is reset before its poller restarts). */
  beforeSave?: (section: SecretSection, existing: Item | undefined, next: Item) => Promise<void> | void;
}

export interface ItemsWithSecrets {
  save<S extends SecretSection>(section: S, input: ItemInput, mode: 'create' | 'update'): Promise<ItemOf<S>>;
  remove(section: SecretSection | 'rules', id: string): Promise<void>;
  /**
   * Config without its secret fields, whether each secret resolves here (never its value),
   * and, when one does not, why (`secret: environment variable X is not set`).
   */
  view(item: SourceConfig): Promise<ItemView<RedactedSourceConfig>>;
  view(item: ChannelConfig): Promise<ItemView<RedactedChannelConfig>>;
}

export interface ItemView<Config> {
  config: Config;
  secrets: SecretStatuses;
  needsSecret?: string;
}

/** `field` or `field.key` (a map such as secretHeaders: one level, and keys may hold dots). */
function splitPath(path: string): [string, string | undefined] {
  const dot = path.indexOf('.');
  return dot === -1 ? [path, undefined] : [path.slice(0, dot), path.slice(dot + 1)];
}

function setPath(target: Record<string, unknown>, path: string, value: string): void {
  const [head, key] = splitPath(path);
  if (key === undefined) {
    target[head] = value;
    return;
  }
  const inner = target[head] && typeof target[head] === 'object' ? { ...(target[head] as Record<string, unknown>) } : {};
  target[head] = { ...inner, [key]: value };
}

function deletePath(target: Record<string, unknown>, path: string): void {
  const [head, key] = splitPath(path);
  if (key === undefined) {
    delete target[head];
    return;
  }
  if (!target[head] || typeof target[head] !== 'object') return;
  const { [key]: _removed, ...rest } = target[head] as Record<string, unknown>;
  target[head] = rest;
}

/** Why a path given in `secrets` or `clearSecrets` is not one of the kind's secret fields. */
function secretPathProblem(kind: string, path: string): string | undefined {
  const fields = SECRET_FIELDS[kind] ?? [];
  const [head, key] = splitPath(path);
  if (fields.includes(head) && key !== '') return undefined;
  return `"${path}" is not a secret field of a ${kind || 'kind-less'} item (${fields.length ? `its secret fields: ${fields.join(', ')}` : 'it has none'})`;
}

const invalid = (message: string) => new ConfigError(message, [message], 'invalid');

export function itemsWithSecrets(deps: ItemsWithSecretsDeps): ItemsWithSecrets {
  const { config, secrets } = deps;

  /** Every secret ref the config holds, in any source or channel. */
  const refsInUse = () => {
    const cfg = config.get();
    return new Set([...cfg.sources, ...cfg.channels].flatMap((item) => secretRefsOf(item).map((r) => r.ref)));
  };
  /** Deletes the keychain entries of refs nothing refers to any more (a removed header, a cleared password, a deleted item). */
  async function deleteUnusedSecrets(refs: string[]) {
    const inUse = refsInUse();
    for (const ref of new Set(refs)) {
      if (ref.startsWith('keychain:') && !inUse.has(ref)) await secrets.delete(ref).catch(() => undefined);
    }
  }

  async function view(item: SourceConfig): Promise<ItemView<RedactedSourceConfig>>;
  async function view(item: ChannelConfig): Promise<ItemView<RedactedChannelConfig>>;
  async function view(item: Item): Promise<ItemView<RedactedSourceConfig | RedactedChannelConfig>> {
    const view: Record<string, unknown> = { ...item };
    for (const field of SECRET_FIELDS[item.kind] ?? []) delete view[field];
    const status: SecretStatuses = {};
    const problems: string[] = [];
    for (const { field, ref } of secretRefsOf(item)) {
      let set = false;
      try {
        await secrets.resolve(ref);
        set = true;
      } catch (error) {
        problems.push(`${field}: ${error instanceof SecretError ? error.detail : 'cannot be read'}`);
      }
      // The ref too: it is not a secret, and a client needs it to keep one map entry while removing another.
      status[field] = { set, ref };
    }
    // The fields left are the kind's redacted type (RedactedOf derives it from the same schema mark).
    const config = view as RedactedSourceConfig | RedactedChannelConfig;
    return { config, secrets: status, ...(problems.length > 0 && { needsSecret: problems.join('; ') }) };
  }

  return {
    async save(section, input, mode) {
      const schema = section === 'sources' ? SourceSchema : ChannelSchema;
      const id = typeof input.config.id === 'string' ? input.config.id : '';
      const existing = (config.get()[section] as Item[]).find((item) => item.id === id);
      // Before any secret is written: a create must not overwrite the keychain entry of an
      // existing item with the same id, an update must name one that exists.
      const singular = section === 'sources' ? 'source' : 'channel';
      if (mode === 'create' && existing) throw new ConfigError(`a ${singular} with id "${id}" already exists`, undefined, 'duplicate');
      if (mode === 'update' && !existing) throw new ConfigError(`no ${singular} with id "${id}"`, undefined, 'not_found');
      const merged: Record<string, unknown> = { ...input.config };
      if (mode === 'update' && existing) {
        for (const field of SECRET_FIELDS[existing.kind] ?? []) {
          if (merged[field] === undefined) merged[field] = (existing as unknown as Record<string, unknown>)[field];
        }
      }
      const kind = typeof merged.kind === 'string' ? merged.kind : '';
      const clearSecrets = input.clearSecrets ?? [];
      for (const [what, paths] of [
        ['secrets', Object.keys(input.secrets)],
        ['clearSecrets', clearSecrets],
      ] as const) {
        for (const path of paths) {
          const problem = secretPathProblem(kind, path);
          if (problem) throw invalid(`${what}: ${problem}`);
        }
      }
      for (const path of clearSecrets) {
        if (path in input.secrets) throw invalid(`clearSecrets: "${path}" is also given a new value in secrets`);
        deletePath(merged, path);
      }
      const keychainNames = new Map<string, string>();
      for (const path of Object.keys(input.secrets)) {
        const name = `${section}/${id}/${path}`;
        keychainNames.set(path, name);
        setPath(merged, path, `keychain:${name}`);
      }
      const check = schema.safeParse(merged);
      if (!check.success) throw invalid(describeZodError(check.error));
      for (const [path, value] of Object.entries(input.secrets)) {
        if (!secrets.status.available) {
          throw new ConfigError(`cannot store the secret ${path}: ${secrets.status.reason ?? 'no keychain'}`, undefined, 'unavailable');
        }
        await secrets.set(keychainNames.get(path)!, value);
      }
      await deps.beforeSave?.(section, existing, check.data);
      const saved = (await upsertItem(config, section, merged, mode)) as ItemOf<typeof section>;
      if (mode === 'update' && existing) await deleteUnusedSecrets(secretRefsOf(existing).map((r) => r.ref));
      return saved;
    },

    async remove(section, id) {
      const item = (config.get()[section] as Array<{ id: string }>).find((i) => i.id === id);
      await removeItem(config, section, id);
      // Entries another item still refers to (one token for two pollers) stay.
      if (item && section !== 'rules') await deleteUnusedSecrets(secretRefsOf(item as Item).map((r) => r.ref));
    },

    view,
  };
}

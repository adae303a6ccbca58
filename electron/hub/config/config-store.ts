// The user's config (sources, channels, rules, settings), persisted as `<dataDir>/config.json`
// through `conf` (electron-store, conf's Electron sibling, when the shell passes one). Every
// read and every change is validated with HeraldConfigSchema: a bad file is an error naming
// the file and each bad field, never a silent reset, and a bad change writes nothing.
// The ConfigStore interface is engine-neutral: a team hub on PostgreSQL keeps the document in
// the database instead (postgres-config-store.ts). Writes are asynchronous there, and a change
// is a function of the config it applies to, so it can be applied again to a newer one.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import {
  HeraldConfigSchema,
  type HeraldConfig,
  type HeraldConfigInput,
} from '../../../shared/config.js';
import { ConfigVersionError, migrateConfig } from '../../../shared/config-migrations.js';
import { ConfigError, formatProblem, parseJsonText, zodProblems } from './problems.js';

export { ConfigError } from './problems.js';

export type ConfigSection = 'sources' | 'channels' | 'rules' | 'settings';
export const CONFIG_SECTIONS: readonly ConfigSection[] = ['sources', 'channels', 'rules', 'settings'];

/** What conf and electron-store both offer: the whole document, read and written at once. */
export interface KeyValueBackend {
  store: Record<string, unknown>;
  readonly path: string;
}

export interface ConfigStore {
  /** The validated config, defaults applied. Frozen: change it through update/replace. */
  get(): HeraldConfig;
  /**
   * Validates the whole result (defaults applied, so `fn` may return input-shaped items);
   * invalid → ConfigError and nothing is written. `fn` gets a copy it may change; it must
   * derive the change from that copy alone: where replicas share the config, a write that
   * lost a race runs `fn` again on the newer config (so two edits never overwrite each other).
   */
  update(section: ConfigSection, fn: (cfg: HeraldConfig) => HeraldConfigInput): Promise<HeraldConfig>;
  /** Validates and persists a whole config (what `--config FILE` does). */
  replace(cfg: HeraldConfigInput): Promise<HeraldConfig>;
  /** Called after each persisted change; returns the unsubscribe function. */
  onChange(listener: (cfg: HeraldConfig, section: ConfigSection) => void): () => void;
  /** Where it is kept: the file, or the database table. */
  readonly path: string;
  /** Stops following changes made elsewhere (the database's notifications). */
  close(): Promise<void>;
}

type Listener = (cfg: HeraldConfig, section: ConfigSection) => void;

/** conf keeps its own bookkeeping (migrations) under this key; it is not part of our schema. */
const CONF_INTERNAL_KEY = '__internal__';

export function openConfigStore(opts: { dataDir: string; backend?: KeyValueBackend; log?: (line: string) => void }): ConfigStore {
  const backend = opts.backend ?? openConfBackend(opts.dataDir);
  removeCrashLeftovers(backend.path, opts.log);
  return new PersistedConfigStore(backend, opts.log);
}

/**
 * conf (and electron-store) write through `atomically`: a temp file beside the config, then a
 * rename. A crash between the two leaves `config.json.tmp-<10 digits><6 hex>` behind, holding
 * a full copy of the config (webhook URLs included) that nothing would ever remove.
 */
function removeCrashLeftovers(configFile: string, log?: (line: string) => void): void {
  const dir = path.dirname(configFile);
  const prefix = `${path.basename(configFile)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no directory (yet): nothing was left
  }
  const leftovers = names.filter((name) => name.startsWith(prefix) && /^\d{10}[a-f0-9]{6}$/.test(name.slice(prefix.length)));
  for (const name of leftovers) rmSync(path.join(dir, name), { force: true });
  if (leftovers.length) log?.(`config: removed ${leftovers.length} temp file${leftovers.length > 1 ? 's' : ''} a crash during a config write left in ${dir}`);
}

function openConfBackend(dataDir: string): KeyValueBackend {
  const file = path.resolve(dataDir, 'config.json');
  // conf writes through `atomically` (temp file + rename), so a crash never leaves half a file.
  return new Conf<Record<string, unknown>>({
    cwd: dataDir,
    configName: 'config',
    // Webhook URLs (Slack's, for one) are bearer credentials of a kind: owner-only.
    configFileMode: 0o600,
    clearInvalidConfig: false,
    deserialize: (text) => parseJsonText(text, file) as Record<string, unknown>,
  });
}

class PersistedConfigStore implements ConfigStore {
  readonly path: string;
  #current: HeraldConfig;
  readonly #listeners = new Set<Listener>();

  constructor(
    private readonly backend: KeyValueBackend,
    log?: (line: string) => void,
  ) {
    this.path = backend.path;
    const { [CONF_INTERNAL_KEY]: _internal, ...stored } = backend.store;
    const migrated = migrate(stored, this.path);
    this.#current = validate(migrated.config, this.path);
    // An older file is rewritten in the current shape once it validates (never before: a
    // file that fails stays as the user left it).
    if (migrated.changes.length) {
      this.backend.store = structuredClone(this.#current) as Record<string, unknown>;
      log?.(`config: ${this.path} brought from version ${migrated.from} to the current shape: ${migrated.changes.join('; ')}`);
    }
  }

  get(): HeraldConfig {
    return this.#current;
  }

  async update(section: ConfigSection, fn: (cfg: HeraldConfig) => HeraldConfigInput): Promise<HeraldConfig> {
    const next = validate(fn(structuredClone(this.#current)), `invalid change to ${section}`);
    this.#commit(next, [section]);
    return this.#current;
  }

  async replace(cfg: HeraldConfigInput): Promise<HeraldConfig> {
    const next = validate(cfg, 'invalid config');
    this.#commit(next, changedSections(this.#current, next));
    return this.#current;
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {}

  #commit(next: HeraldConfig, sections: readonly ConfigSection[]): void {
    this.backend.store = structuredClone(next) as Record<string, unknown>;
    this.#current = deepFreeze(next);
    tellListeners(this.#listeners, this.#current, sections);
  }
}

/** The sections whose content differs. */
export function changedSections(before: HeraldConfig, after: HeraldConfig): ConfigSection[] {
  return CONFIG_SECTIONS.filter((s) => JSON.stringify(after[s]) !== JSON.stringify(before[s]));
}

/**
 * A failing listener must not keep the others from hearing of a change that is already
 * persisted; the first failure is rethrown once all have run.
 */
export function tellListeners(listeners: ReadonlySet<Listener>, cfg: HeraldConfig, sections: readonly ConfigSection[]): void {
  let failure: { error: unknown } | undefined;
  for (const section of sections) {
    for (const listener of [...listeners]) {
      try {
        listener(cfg, section);
      } catch (error) {
        failure ??= { error };
      }
    }
  }
  if (failure) throw failure.error;
}

/** A stored or loaded document in the current shape (shared/config-migrations.ts); a version this Herald cannot read is a ConfigError naming `where`. */
export function migrate(input: unknown, where: string): ReturnType<typeof migrateConfig> {
  try {
    return migrateConfig(input);
  } catch (error) {
    if (error instanceof ConfigVersionError) throw ConfigError.fromProblems(where, [error.message]);
    throw error;
  }
}

/** Parses with HeraldConfigSchema; `where` (a file, or what was being changed) prefixes each problem. */
export function validate(input: unknown, where: string): HeraldConfig {
  const result = HeraldConfigSchema.safeParse(input);
  if (!result.success) throw ConfigError.fromProblems(where, zodProblems(result.error).map(formatProblem));
  return result.data;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// ── Item helpers for the api's create / update / delete ────────────────────

export type ItemSection = 'sources' | 'channels' | 'rules';
export type ConfigItem<S extends ItemSection> = HeraldConfig[S][number];

const SINGULAR: Record<ItemSection, string> = { sources: 'source', channels: 'channel', rules: 'rule' };

/**
 * Creates (`mode: 'create'`, the id must be new) or replaces (`mode: 'update'`, the id must
 * exist) one source, channel or rule. The item is validated with the whole config, so a rule
 * naming an unknown channel fails here; problems are reported relative to the item (`url: …`).
 * The checks run on the config the write applies to (a newer one, if another replica won a race).
 */
export async function upsertItem<S extends ItemSection>(
  store: ConfigStore,
  section: S,
  item: unknown,
  mode: 'create' | 'update',
): Promise<ConfigItem<S>> {
  const kind = SINGULAR[section];
  const id = (item as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') {
    throw new ConfigError(`invalid ${kind}: id: required`, ['id: required']);
  }
  let at = -1;
  try {
    // The item is unchecked input here; `update` validates the whole config and applies defaults.
    const saved = await store.update(section, (cfg) => {
      const list = cfg[section] as ReadonlyArray<{ id: string }>;
      const index = list.findIndex((existing) => existing.id === id);
      if (mode === 'create' && index !== -1) {
        throw new ConfigError(`a ${kind} with id "${id}" already exists`, [`id: duplicate id "${id}"`], 'duplicate');
      }
      if (mode === 'update' && index === -1) {
        throw new ConfigError(`no ${kind} with id "${id}"`, [`id: no ${kind} with id "${id}"`], 'not_found');
      }
      at = index === -1 ? list.length : index;
      const nextList = [...list];
      nextList[at] = item as { id: string };
      return { ...cfg, [section]: nextList } as HeraldConfigInput;
    });
    return saved[section][at] as ConfigItem<S>;
  } catch (error) {
    if (!(error instanceof ConfigError) || error.code === 'duplicate' || error.code === 'not_found') throw error;
    throw relativeToItem(error, kind, `${section}.${at}.`);
  }
}

/** Removes one item; a channel that rules still send to cannot be removed. */
export async function removeItem(store: ConfigStore, section: ItemSection, id: string): Promise<void> {
  const kind = SINGULAR[section];
  await store.update(section, (cfg) => {
    const list = cfg[section] as ReadonlyArray<{ id: string }>;
    if (!list.some((item) => item.id === id)) {
      throw new ConfigError(`no ${kind} with id "${id}"`, [`id: no ${kind} with id "${id}"`], 'not_found');
    }
    if (section === 'channels') {
      const users = cfg.rules.filter((rule) => rule.channels.includes(id)).map((rule) => rule.id);
      if (users.length) {
        const message = `channel "${id}" is used by rule${users.length > 1 ? 's' : ''} ${users.join(', ')}; remove it from them first`;
        throw new ConfigError(message, [message], 'in_use');
      }
    }
    return { ...cfg, [section]: list.filter((item) => item.id !== id) };
  });
}

function relativeToItem(error: ConfigError, kind: string, prefix: string): ConfigError {
  const problems = error.problems.map((p) => (p.startsWith(prefix) ? p.slice(prefix.length) : p));
  return ConfigError.fromProblems(`invalid ${kind}`, problems, error.code);
}

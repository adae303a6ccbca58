// The config of a team hub, kept in PostgreSQL instead of each replica's config.json: one
// row holding the whole document and a version. A write is a compare-and-swap on that
// version; a write that lost the race to another replica reloads and applies its change
// (a function of the config, see ConfigStore.update) again to the newer document, so two
// replicas' edits of different items both stay, and an edit of the same item is decided
// as on one hub: by the item's own checks (a duplicate id is a conflict). The statement
// that writes also NOTIFYs `herald_config`; every replica LISTENs, reloads and tells its
// listeners (live config, the api's update stream) what changed.
//
// Secret references stay references: the document names `keychain:`, `env:` or `file:`
// secrets that each replica resolves on its own machine.
import type { HeraldConfig, HeraldConfigInput } from '../../../shared/config.js';
import type { Queryable } from '../leadership/lease-table.js';
import { type ConfigSection, type ConfigStore, changedSections, deepFreeze, migrate, tellListeners, validate } from './config-store.js';
import { ConfigError } from './problems.js';

export const CONFIG_TABLE = 'herald_config';
export const CONFIG_CHANNEL = 'herald_config';

/** pgstore's migrations create it too; this is for a database they have not migrated. */
export const CONFIG_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${CONFIG_TABLE} (
  id smallint PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL,
  document jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL
)`;

/** LISTEN on a channel: `onListening` after every (re)subscription, so what was missed meanwhile is read. */
export type Subscribe = (channel: string, onPayload: (payload: string) => void, onListening?: () => void) => Promise<() => void | Promise<void>>;

export interface PostgresConfigOptions {
  db: Queryable;
  subscribe: Subscribe;
  replicaId: string;
  /** The document to start the table with when it is empty (this replica's config.json, or defaults). */
  seed: () => HeraldConfigInput;
  log?: (line: string) => void;
  /** A write that keeps losing races gives up after this many attempts. */
  maxAttempts?: number;
}

type Listener = (cfg: HeraldConfig, section: ConfigSection) => void;

interface Row extends Record<string, unknown> {
  version: number | string;
  document: unknown;
}

export async function openPostgresConfigStore(options: PostgresConfigOptions): Promise<ConfigStore> {
  const store = new PostgresConfigStore(options);
  await store.open();
  return store;
}

class PostgresConfigStore implements ConfigStore {
  readonly path = `PostgreSQL table ${CONFIG_TABLE}`;
  #current!: HeraldConfig;
  #version = 0;
  readonly #listeners = new Set<Listener>();
  /** Writes and reloads one at a time: a reload never lands between a write's read and its swap. */
  #queue: Promise<unknown> = Promise.resolve();
  #unsubscribe: (() => void | Promise<void>) | undefined;
  #closed = false;

  constructor(private readonly options: PostgresConfigOptions) {}

  async open(): Promise<void> {
    const { db } = this.options;
    await db.query(CONFIG_TABLE_SQL);
    // The first replica on an empty database brings its config; the others find it there.
    const seed = validate(migrate(this.options.seed(), 'the seed config').config, 'the seed config');
    const seeded = await db.query(
      `INSERT INTO ${CONFIG_TABLE} (id, version, document, updated_at, updated_by) VALUES (1, 1, $1::jsonb, now(), $2) ON CONFLICT (id) DO NOTHING RETURNING version`,
      [JSON.stringify(seed), this.options.replicaId],
    );
    if (seeded.rows.length > 0) this.options.log?.(`config: the database had none; started it with this replica's config`);
    const row = await this.#read();
    this.#current = deepFreeze(this.#parse(row));
    this.#version = Number(row.version);
    // Subscribed after the first read: a change in between is caught by onListening's reload.
    this.#unsubscribe = await this.options.subscribe(
      CONFIG_CHANNEL,
      (payload) => {
        if (Number(payload) > this.#version) this.#reloadSoon();
      },
      () => this.#reloadSoon(),
    );
  }

  get(): HeraldConfig {
    return this.#current;
  }

  update(section: ConfigSection, fn: (cfg: HeraldConfig) => HeraldConfigInput): Promise<HeraldConfig> {
    return this.#write((base) => ({ next: validate(fn(structuredClone(base)), `invalid change to ${section}`), sections: [section] }));
  }

  replace(cfg: HeraldConfigInput): Promise<HeraldConfig> {
    const next = validate(cfg, 'invalid config');
    return this.#write((base) => ({ next, sections: changedSections(base, next) }));
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#unsubscribe?.();
  }

  #serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #write(change: (base: HeraldConfig) => { next: HeraldConfig; sections: readonly ConfigSection[] }): Promise<HeraldConfig> {
    return this.#serial(async () => {
      const attempts = this.options.maxAttempts ?? 10;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        const { next, sections } = change(this.#current);
        // Swap and notify in one statement: the notification goes out when (and only if) it commits.
        const { rows } = await this.options.db.query<{ version: number | string }>(
          `WITH swapped AS (
             UPDATE ${CONFIG_TABLE} SET version = version + 1, document = $1::jsonb, updated_at = now(), updated_by = $2
             WHERE id = 1 AND version = $3 RETURNING version)
           SELECT version, pg_notify('${CONFIG_CHANNEL}', version::text) FROM swapped`,
          [JSON.stringify(next), this.options.replicaId, this.#version],
        );
        if (rows.length === 1) {
          this.#apply(next, Number(rows[0]!.version), sections);
          return this.#current;
        }
        // Another replica wrote first: take its config (telling listeners), then apply this change to it.
        await this.#reload();
      }
      throw new ConfigError(
        `the config kept changing on other replicas while this change was saved (${attempts} attempts); nothing was saved, try again`,
        undefined,
        'contended',
      );
    });
  }

  #reloadSoon(): void {
    if (this.#closed) return;
    this.#serial(() => this.#reload()).catch((error: Error) => this.options.log?.(`config: could not read the config from the database: ${error.message}`));
  }

  async #reload(): Promise<void> {
    const row = await this.#read();
    const version = Number(row.version);
    if (version <= this.#version) return;
    const next = this.#parse(row);
    const sections = changedSections(this.#current, next);
    this.#apply(next, version, sections);
    if (sections.length) this.options.log?.(`config: version ${version} from the database (${sections.join(', ')} changed on another replica)`);
  }

  #apply(next: HeraldConfig, version: number, sections: readonly ConfigSection[]): void {
    this.#current = deepFreeze(next);
    this.#version = version;
    try {
      tellListeners(this.#listeners, this.#current, sections);
    } catch (error) {
      // Saved either way; the listener's failure is this replica's, not the write's.
      this.options.log?.(`config: a listener failed on version ${version}: ${(error as Error).message}`);
    }
  }

  async #read(): Promise<Row> {
    const { rows } = await this.options.db.query<Row>(`SELECT version, document FROM ${CONFIG_TABLE} WHERE id = 1`);
    if (!rows[0]) throw new ConfigError(`the ${CONFIG_TABLE} table has no config row (was it emptied by hand?)`);
    return rows[0];
  }

  /** Older documents are migrated as a file would be; a newer one than this replica reads is an error naming the table. */
  #parse(row: Row): HeraldConfig {
    return validate(migrate(row.document, this.path).config, this.path);
  }
}

// Per-source state (poll cursors, last snapshots, pipeline streaks), as JSON by key.
import type { SourceStateTx } from './ingest-transaction.js';
import type { Db } from './open.js';

export class SourceStateStore {
  private readonly select;
  private readonly upsert;
  private readonly remove;
  private readonly removeAll;

  constructor(db: Db) {
    this.select = db.prepare('SELECT value FROM source_state WHERE source_id = ? AND key = ?').pluck();
    this.upsert = db.prepare(`INSERT INTO source_state (source_id, key, value, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (source_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
    this.remove = db.prepare('DELETE FROM source_state WHERE source_id = ? AND key = ?');
    this.removeAll = db.prepare('DELETE FROM source_state WHERE source_id = ?');
  }

  get<T>(sourceId: string, key: string): T | undefined {
    const value = this.select.get(sourceId, key) as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  /** Call inside the ingest transaction when state and events must land together. */
  set(sourceId: string, key: string, value: unknown, now = Date.now()): void {
    this.setJson(sourceId, key, JSON.stringify(value), now);
  }

  /** `set` with the value already serialized. */
  setJson(sourceId: string, key: string, json: string, now = Date.now()): void {
    this.upsert.run(sourceId, key, json, now);
  }

  delete(sourceId: string, key: string): void {
    this.remove.run(sourceId, key);
  }

  clear(sourceId: string): void {
    this.removeAll.run(sourceId);
  }

  /** The state one ingest transaction reads and writes (see SourceStateBatch); `flush()` it before the commit. */
  batch(now: number): SourceStateBatch {
    return new SourceStateBatch(this, now);
  }
}

/**
 * Source state within one ingest transaction: each key is read from the table once and
 * written once, at `flush()`, however many of the transaction's events touch it (a storm
 * of failures of one pipeline moves its streak once per event: a SELECT and an UPSERT
 * each, before). Reads see the transaction's earlier writes. Values are kept as their
 * JSON text, so a reader gets its own copy, as it did from the table.
 */
export class SourceStateBatch {
  /** `${sourceId}\0${key}` → the value's JSON (undefined: no row); the dirty ones are written at flush. */
  private readonly values = new Map<string, { sourceId: string; key: string; json: string | undefined; dirty: boolean }>();

  constructor(
    private readonly store: SourceStateStore,
    private readonly now: number,
  ) {}

  get(sourceId: string, key: string): unknown {
    const id = `${sourceId}\0${key}`;
    let entry = this.values.get(id);
    if (!entry) {
      const value = this.store.get<unknown>(sourceId, key);
      entry = { sourceId, key, json: value === undefined ? undefined : JSON.stringify(value), dirty: false };
      this.values.set(id, entry);
    }
    return entry.json === undefined ? undefined : JSON.parse(entry.json);
  }

  set(sourceId: string, key: string, value: unknown): void {
    // Serialized now: a value that cannot be stored fails its own item, as the UPSERT did.
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new TypeError(`source state ${key} of ${sourceId}: ${typeof value} is not a JSON value`);
    this.values.set(`${sourceId}\0${key}`, { sourceId, key, json, dirty: true });
  }

  delete(sourceId: string, key: string): void {
    this.values.set(`${sourceId}\0${key}`, { sourceId, key, json: undefined, dirty: true });
  }

  /** One source's state for an enricher: its reads see the writes of earlier items in the same transaction. */
  forSource(sourceId: string): SourceStateTx {
    return {
      get: (key) => this.get(sourceId, key),
      set: (key, value) => this.set(sourceId, key, value),
      delete: (key) => this.delete(sourceId, key),
    };
  }

  /** Writes what changed: call inside the transaction, before it commits. */
  flush(): void {
    for (const entry of this.values.values()) {
      if (!entry.dirty) continue;
      if (entry.json === undefined) this.store.delete(entry.sourceId, entry.key);
      else this.store.setJson(entry.sourceId, entry.key, entry.json, this.now);
      entry.dirty = false;
    }
  }
}

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
    this.upsert.run(sourceId, key, JSON.stringify(value), now);
  }

  delete(sourceId: string, key: string): void {
    this.remove.run(sourceId, key);
  }

  /** One source's state for an enricher: its reads see the writes of earlier items in the same transaction. */
  forSource(sourceId: string, now: number): SourceStateTx {
    return {
      get: (key) => this.get(sourceId, key),
      set: (key, value) => this.set(sourceId, key, value, now),
      delete: (key) => this.delete(sourceId, key),
    };
  }

  clear(sourceId: string): void {
    this.removeAll.run(sourceId);
  }
}

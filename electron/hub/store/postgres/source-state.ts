// Per-source state (poll cursors, snapshots, pipeline streaks) on PostgreSQL, as JSON by key.
// Read inside the ingest transaction under an advisory lock on the key, held to commit: two
// replicas (or two requests on one) counting the same pipeline's streak go one after the
// other, never both from the same old count.
import { lockName, lockNames, type Sql } from './sql.js';

export class PgSourceStateStore {
  constructor(private readonly sql: Sql) {}

  async get<T>(sourceId: string, key: string, sql: Sql = this.sql): Promise<T | undefined> {
    const { rows } = await sql<{ value: string }>('SELECT value FROM source_state WHERE source_id = $1 AND key = $2', [sourceId, key]);
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].value) as T);
  }

  /** Inside the ingest transaction: locks the key until commit, then reads it. */
  async getLocked<T>(sql: Sql, sourceId: string, key: string): Promise<T | undefined> {
    await lockNames(sql, [lockName('source_state', sourceId, key)]);
    const { rows } = await sql<{ value: string }>('SELECT value FROM source_state WHERE source_id = $1 AND key = $2', [sourceId, key]);
    return rows[0] === undefined ? undefined : (JSON.parse(rows[0].value) as T);
  }

  /** Inside the ingest transaction when state and events land together. */
  async set(sql: Sql, sourceId: string, key: string, value: unknown, now: number): Promise<void> {
    await sql(
      `INSERT INTO source_state (source_id, key, value, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (source_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [sourceId, key, JSON.stringify(value), now],
    );
  }

  async delete(sql: Sql, sourceId: string, key: string): Promise<void> {
    await sql('DELETE FROM source_state WHERE source_id = $1 AND key = $2', [sourceId, key]);
  }

  async clear(sourceId: string): Promise<void> {
    await this.sql('DELETE FROM source_state WHERE source_id = $1', [sourceId]);
  }
}

// Muted pipelines on PostgreSQL (store/mutes.ts), one row per pipeline key.
import { isMuteActive, type Mute, type PipelineRef, pipelineKey } from '../../../../shared/mutes.js';
import { type MuteEnd, type MuteRow, rowToMute } from '../mutes.js';
import type { Sql } from './sql.js';

export class PgMuteStore {
  constructor(private readonly sql: Sql) {}

  async add(ref: PipelineRef & { sourceName?: string }, end: MuteEnd, nowMs: number): Promise<Mute> {
    const { rows } = await this.sql<MuteRow>(
      `INSERT INTO mutes (key, source_id, source_name, project, pipeline, branch, until, until_passes, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (key) DO UPDATE SET source_name = excluded.source_name, until = excluded.until,
         until_passes = excluded.until_passes, created_at = excluded.created_at
       RETURNING *`,
      [
        pipelineKey(ref),
        ref.sourceId,
        ref.sourceName ?? null,
        ref.project ?? null,
        ref.pipeline ?? null,
        ref.branch ?? null,
        'untilMs' in end ? end.untilMs : null,
        'untilPasses' in end,
        nowMs,
      ],
    );
    return rowToMute(rows[0]!);
  }

  /** The stored mute of a pipeline key, active or not (the ingest transaction decides with its clock). */
  async find(key: string, sql: Sql = this.sql): Promise<Mute | undefined> {
    const { rows } = await sql<MuteRow>('SELECT * FROM mutes WHERE key = $1', [key]);
    return rows[0] && rowToMute(rows[0]);
  }

  async active(key: string, now: Date): Promise<Mute | undefined> {
    const mute = await this.find(key);
    return mute && isMuteActive(mute, now) ? mute : undefined;
  }

  async list(now: Date): Promise<Mute[]> {
    const { rows } = await this.sql<MuteRow>('SELECT * FROM mutes ORDER BY created_at DESC, key');
    return rows.map(rowToMute).filter((m) => isMuteActive(m, now));
  }

  async remove(key: string): Promise<boolean> {
    return ((await this.sql('DELETE FROM mutes WHERE key = $1', [key])).rowCount ?? 0) > 0;
  }

  /** The pipeline passed: an "until it passes" mute ends (inside the ingest transaction). */
  async liftOnPass(sql: Sql, key: string): Promise<boolean> {
    return ((await sql('DELETE FROM mutes WHERE key = $1 AND until_passes', [key])).rowCount ?? 0) > 0;
  }

  async purgeExpired(nowMs: number): Promise<number> {
    return (await this.sql('DELETE FROM mutes WHERE until IS NOT NULL AND until <= $1', [nowMs])).rowCount ?? 0;
  }

  async nextExpiry(nowMs: number): Promise<number | undefined> {
    const { rows } = await this.sql<{ at: number | null }>('SELECT min(until) AS at FROM mutes WHERE until IS NOT NULL AND until > $1', [nowMs]);
    return rows[0]?.at ?? undefined;
  }
}

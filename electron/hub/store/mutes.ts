// Muted pipelines (shared/mutes.ts), one row per pipeline key. Expired timed mutes are
// ignored at once and deleted by `purgeExpired` (retention); reads take the hub's clock.
import { isMuteActive, type Mute, type PipelineRef, pipelineKey } from '../../../shared/mutes.js';
import type { Db } from './open.js';

/** A mutes row as both engines read it (SQLite stores the flag as 0/1, PostgreSQL as a boolean). */
export interface MuteRow {
  key: string;
  source_id: string;
  source_name: string | null;
  project: string | null;
  pipeline: string | null;
  branch: string | null;
  until: number | null;
  until_passes: number | boolean;
  created_at: number;
}

export function rowToMute(row: MuteRow): Mute {
  return {
    key: row.key,
    sourceId: row.source_id,
    ...(row.source_name !== null && { sourceName: row.source_name }),
    ...(row.project !== null && { project: row.project }),
    ...(row.pipeline !== null && { pipeline: row.pipeline }),
    ...(row.branch !== null && { branch: row.branch }),
    ...(row.until !== null && { until: new Date(row.until).toISOString() }),
    untilPasses: Boolean(row.until_passes),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export type MuteEnd = { untilMs: number } | { untilPasses: true };

export class MuteStore {
  private readonly upsert;
  private readonly selectOne;
  private readonly selectAll;
  private readonly removeOne;
  private readonly removeUntilPasses;
  private readonly removeExpired;
  private readonly selectNextExpiry;
  /**
   * Every row as of the last write, for `list` (the board's pushes read it after each ingest
   * commit). This store is the table's only writer and one process owns the file; a write
   * drops it. Not filled inside a transaction, which could still roll back what it read.
   */
  private all: Mute[] | undefined;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(`INSERT INTO mutes (key, source_id, source_name, project, pipeline, branch, until, until_passes, created_at)
      VALUES (@key, @source_id, @source_name, @project, @pipeline, @branch, @until, @until_passes, @created_at)
      ON CONFLICT (key) DO UPDATE SET source_name = excluded.source_name, until = excluded.until,
        until_passes = excluded.until_passes, created_at = excluded.created_at`);
    this.selectOne = db.prepare('SELECT * FROM mutes WHERE key = ?');
    this.selectAll = db.prepare('SELECT * FROM mutes ORDER BY created_at DESC, key');
    this.removeOne = db.prepare('DELETE FROM mutes WHERE key = ?');
    this.removeUntilPasses = db.prepare('DELETE FROM mutes WHERE key = ? AND until_passes = 1');
    this.removeExpired = db.prepare('DELETE FROM mutes WHERE until IS NOT NULL AND until <= ?');
    this.selectNextExpiry = db.prepare('SELECT min(until) FROM mutes WHERE until IS NOT NULL AND until > ?').pluck();
  }

  /** Mutes a pipeline (replacing its mute, if any). */
  add(ref: PipelineRef & { sourceName?: string }, end: MuteEnd, nowMs: number): Mute {
    const key = pipelineKey(ref);
    this.all = undefined;
    this.upsert.run({
      key,
      source_id: ref.sourceId,
      source_name: ref.sourceName ?? null,
      project: ref.project ?? null,
      pipeline: ref.pipeline ?? null,
      branch: ref.branch ?? null,
      until: 'untilMs' in end ? end.untilMs : null,
      until_passes: 'untilPasses' in end ? 1 : 0,
      created_at: nowMs,
    });
    return rowToMute(this.selectOne.get(key) as MuteRow);
  }

  /** The mute holding a pipeline at `now`, if any (one primary-key lookup per pipeline event). */
  active(key: string, now: Date): Mute | undefined {
    const row = this.selectOne.get(key) as MuteRow | undefined;
    const mute = row && rowToMute(row);
    return mute && isMuteActive(mute, now) ? mute : undefined;
  }

  /** Mutes that hold at `now`, newest first. */
  list(now: Date): Mute[] {
    let all = this.all;
    if (!all) {
      all = (this.selectAll.all() as MuteRow[]).map(rowToMute);
      if (!this.db.inTransaction) this.all = all;
    }
    return all.filter((m) => isMuteActive(m, now));
  }

  /** Lifts a mute; false when there was none. */
  remove(key: string): boolean {
    return this.changed(this.removeOne.run(key).changes) > 0;
  }

  /** The pipeline passed: an "until it passes" mute ends (inside the ingest transaction). */
  liftOnPass(key: string): boolean {
    return this.changed(this.removeUntilPasses.run(key).changes) > 0;
  }

  /** Deletes timed mutes that have ended; returns how many. */
  purgeExpired(nowMs: number): number {
    return this.changed(this.removeExpired.run(nowMs).changes);
  }

  /** Rows a write changed: any drops the list kept for `list`. */
  private changed(rows: number): number {
    if (rows > 0) this.all = undefined;
    return rows;
  }

  /** When the next timed mute ends (epoch ms), for a wake-up that tells the UI. */
  nextExpiry(nowMs: number): number | undefined {
    return (this.selectNextExpiry.get(nowMs) as number | null) ?? undefined;
  }
}

// Versioned migrations: a new file gets the whole schema; an older file is brought up to
// date in place, its data kept; a file from a newer Herald is refused by name.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../electron/hub/store/migrations.js';
import { openStore } from '../../electron/hub/store/store.js';

const indexes = (db: Database.Database) =>
  (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' AND sql IS NOT NULL ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);
const route = () => [{ ruleId: 'r', ruleName: 'R', outcome: 'routed' as const, channels: ['c'], heldBack: [], reason: 'test' }];

describe('store migrations', () => {
  it('a new file gets every migration, and only the per-channel due index', () => {
    const store = openStore(mkdtempSync(path.join(tmpdir(), 'herald-migrate-')));
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes(store.db)).toEqual(['deliveries_channel_due', 'deliveries_channel_status', 'deliveries_event']);
    store.close();
  });

  it('a file from the previous version is migrated in place and keeps its events and deliveries', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-migrate-'));
    const old = openStore(dir);
    old.ingest([{ source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title: 'kept across the upgrade' }] }], route);
    // Back to how version 3 left a file: the all-channel due index still there, no mutes table (5).
    old.db.exec(`CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending'; DROP TABLE mutes`);
    old.db.pragma('user_version = 3');
    old.close();

    const store = openStore(dir);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes(store.db)).not.toContain('deliveries_due');
    expect(store.events.list({ limit: 10 }).items.map((e) => e.title)).toEqual(['kept across the upgrade']);
    expect(store.outbox.counts()).toEqual({ pending: 1, failed: 0 });
    expect(store.mutes.list(new Date())).toEqual([]);
    store.close();
  });

  it('a file from a newer Herald is refused, naming both versions', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-migrate-'));
    openStore(dir).close();
    const file = path.join(dir, 'herald.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openStore(dir)).toThrow(`database schema version ${SCHEMA_VERSION + 1} is newer than this Herald understands (${SCHEMA_VERSION})`);
  });
});

// Versioned migrations: a new file gets the whole schema; an older file is brought up to
// date in place, its data kept; a file from a newer Herald is refused by name.
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, SCHEMA_VERSION } from '../../../../electron/hub/store/migrations.js';
import { openStore } from '../../../../electron/hub/store/store.js';

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

  it('a file from version 3 is migrated in place and keeps its events and deliveries', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-migrate-'));
    // A file as Herald with schema 3 left it: an event and its pending delivery, no mutes table (5), no commit column (6).
    const old = new Database(path.join(dir, 'herald.db'));
    migrate(old, 3);
    const { lastInsertRowid } = old
      .prepare(`INSERT INTO events (id, source_id, source_kind, source_name, type, severity, title, occurred_at, received_at, dedup_key)
        VALUES ('ev1', 's', 'generic', 'S', 'pipeline.failed', 'critical', 'kept across the upgrade', '2026-01-01T00:00:00.000Z', 1767225600000, 'k')`)
      .run();
    old.prepare(`INSERT INTO deliveries (event_seq, channel_id, rule_id, status, next_attempt_at, created_at, updated_at) VALUES (?, 'c', 'r', 'pending', 0, 0, 0)`).run(lastInsertRowid);
    old.close();

    const store = openStore(dir);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexes(store.db)).not.toContain('deliveries_due');
    expect(store.events.list({ limit: 10 }).items.map((e) => e.title)).toEqual(['kept across the upgrade']);
    expect(store.outbox.counts()).toEqual({ pending: 1, failed: 0 });
    expect(store.mutes.list(new Date())).toEqual([]);
    // Events after the upgrade carry their commit, found by filter and by search for a short SHA.
    const sha = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    store.ingest([{ source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title: 'after', subject: { commit: sha } }] }], route);
    expect(store.events.list({ limit: 10, commit: 'a1b2c3d' }).items.map((e) => [e.title, e.subject.commit])).toEqual([['after', sha]]);
    expect(store.events.list({ limit: 10, text: 'a1b2c3d' }).items.map((e) => e.title)).toEqual(['after']);
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

// The full-text index filled in batches (store/events.ts indexForSearch), not by a trigger per
// event: a search sees every stored event all the same, the ingest transaction adds them once
// enough wait, a rolled-back transaction leaves index and mark as they were, an event deleted
// before it was indexed is simply not found, a store reopened after a crash indexes what it
// missed, and a database from before (schema 9, indexed by the trigger) keeps its index.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../../../shared/event.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { migrate } from '../../../../electron/hub/store/migrations.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';

const open: Store[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const newDir = () => mkdtempSync(join(tmpdir(), 'herald-search-index-'));
function storeAt(dir: string, log?: (line: string) => void): Store {
  const store = openStore(dir, log && { log });
  open.push(store);
  return store;
}
const source = { kind: 'generic', id: 's', name: 'S' };
const item = (title: string, over: Partial<EventInput> = {}): IngestItem => ({ source, inputs: [{ type: 'pipeline.failed', title, ...over }] });
const ingest = (store: Store, titles: string[]) => store.ingest(titles.map((t) => item(t)), () => []);
const mark = (store: Store) => store.db.prepare('SELECT seq FROM search_indexed').pluck().get() as number;
const indexedRows = (store: Store) => store.db.prepare('SELECT count(*) FROM events_fts').pluck().get() as number;
const search = (store: Store, text: string) => store.events.list({ text, limit: 1000 } as Parameters<Store['events']['list']>[0]).items.map((e) => e.title);

describe('the search index, filled in batches', () => {
  it('a search right after a commit finds the new events: it indexes what waits first', () => {
    const store = storeAt(newDir());
    ingest(store, ['alpha deploy broke', 'beta lint warning', 'gamma deploy fixed']);
    // Too few to index at commit: they wait, unindexed.
    expect(mark(store)).toBe(0);
    expect(indexedRows(store)).toBe(0);
    expect(search(store, 'deploy')).toEqual(['gamma deploy fixed', 'alpha deploy broke']);
    expect(mark(store)).toBe(3);
    expect(search(store, 'subject-less')).toEqual([]);
  });

  it('the ingest transaction adds them once 128 wait, in one go, without any search', () => {
    const store = storeAt(newDir());
    for (let batch = 0; batch < 15; batch++) ingest(store, Array.from({ length: 8 }, (_, i) => `storm ${batch * 8 + i}`));
    expect(mark(store)).toBe(0); // 120 waiting
    ingest(store, Array.from({ length: 8 }, (_, i) => `storm ${120 + i}`));
    expect(mark(store)).toBe(128);
    expect(indexedRows(store)).toBe(128);
    expect(search(store, 'storm').length).toBe(128);
  });

  it('a transaction that rolls back leaves the index and its mark as they were', () => {
    const store = storeAt(newDir());
    for (let batch = 0; batch < 15; batch++) ingest(store, Array.from({ length: 8 }, (_, i) => `calm ${batch * 8 + i}`));
    // The batch that crosses 128 fails after its events and the index were written (its last step).
    let insideTheTransaction = 0;
    const indexForSearch = store.events.indexForSearch.bind(store.events);
    vi.spyOn(store.events, 'indexForSearch').mockImplementationOnce((...args) => {
      indexForSearch(...args);
      insideTheTransaction = mark(store);
      throw new Error('failed after the index');
    });
    expect(() => ingest(store, Array.from({ length: 8 }, (_, i) => `x ${i}`))).toThrow('failed after the index');
    expect(insideTheTransaction).toBe(128);
    expect(mark(store)).toBe(0);
    expect(indexedRows(store)).toBe(0);
    // The seqs the rollback handed back are used again and indexed like any other.
    ingest(store, Array.from({ length: 8 }, (_, i) => `after ${i}`));
    expect(mark(store)).toBe(128);
    expect(search(store, 'after')).toHaveLength(8);
    expect(search(store, 'calm')).toHaveLength(120);
  });

  it('an event deleted before it was indexed is not found, and the others are', () => {
    const store = storeAt(newDir());
    const [first, second] = ingest(store, ['keep this release', 'drop this release']);
    const dropped = second!.status === 'accepted' ? second!.events[0]!.id : '';
    expect(store.events.delete([dropped])).toBe(1);
    expect(search(store, 'release')).toEqual(['keep this release']);
    expect(first!.status).toBe('accepted');
    // The delete trigger met a row the index never held: FTS5's own check finds the index sound.
    expect(() => store.db.exec("INSERT INTO events_fts(events_fts) VALUES('integrity-check')")).not.toThrow();
  });

  it('a store reopened after a crash indexes the events it had not indexed, before any search', () => {
    const dir = newDir();
    const store = openStore(dir);
    ingest(store, ['left out one', 'left out two']);
    expect(mark(store)).toBe(0);
    store.db.close(); // a crash: no clean close
    const reopened = storeAt(dir);
    expect(mark(reopened)).toBe(2);
    expect(search(reopened, 'left')).toHaveLength(2);
  });

  it('a clean close indexes what waits', () => {
    const dir = newDir();
    const store = openStore(dir);
    ingest(store, ['closing time']);
    store.close();
    const db = new Database(join(dir, 'herald.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT seq FROM search_indexed').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('a database from before (schema 9, indexed by a trigger) keeps its index and goes on in batches', () => {
    const dir = newDir();
    const old = new Database(join(dir, 'herald.db'));
    old.pragma('journal_mode = WAL');
    migrate(old, 9);
    const insert = old.prepare(`INSERT INTO events (id, source_id, source_kind, source_name, type, severity, title, occurred_at, received_at, dedup_key)
      VALUES (?, 's', 'generic', 'S', 'pipeline.failed', 'error', ?, '2026-01-01T00:00:00Z', 0, ?)`);
    for (let i = 0; i < 3; i++) insert.run(`old-${i}`, `legacy outage ${i}`, `k${i}`);
    old.close();
    const store = storeAt(dir);
    expect(mark(store)).toBe(3);
    expect(indexedRows(store)).toBe(3);
    ingest(store, ['fresh outage']);
    expect(search(store, 'outage')).toEqual(['fresh outage', 'legacy outage 2', 'legacy outage 1', 'legacy outage 0']);
  });

  it('a damaged store writes nothing for a search, and still finds the events the index has not taken', () => {
    const dir = newDir();
    const store = storeAt(dir);
    for (let batch = 0; batch < 16; batch++) ingest(store, Array.from({ length: 8 }, (_, i) => `indexed deploy ${batch * 8 + i}`));
    ingest(store, ['newest deploy broke', 'newest lint warning']);
    expect(mark(store)).toBe(128); // two wait outside the index
    const corrupt = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    expect(store.noteError(corrupt)).toBe(true);
    const files = () =>
      ['herald.db', 'herald.db-wal'].map((f) => (existsSync(join(dir, f)) ? createHash('sha256').update(readFileSync(join(dir, f))).digest('hex') : 'none'));
    const before = files();
    const found = search(store, 'deploy');
    expect(found).toHaveLength(129);
    expect(found[0]).toBe('newest deploy broke');
    expect(search(store, 'newest')).toEqual(['newest lint warning', 'newest deploy broke']);
    expect(store.events.list({ text: 'newest', limit: 1 } as Parameters<Store['events']['list']>[0])).toMatchObject({ total: 2, nextCursor: expect.any(String) });
    expect(files()).toEqual(before);
    expect(mark(store)).toBe(128);
    expect(indexedRows(store)).toBe(128);
  });

  it('an index write that meets a damaged file marks the store damaged (told once, with the way out), and the search still finds every event', () => {
    const dir = newDir();
    const lines: string[] = [];
    const damaged: string[] = [];
    const store = openStore(dir, { log: (line) => lines.push(line), onDamaged: (problem) => damaged.push(problem) });
    open.push(store);
    ingest(store, ['malformed page deploy', 'second deploy']);
    const corrupt = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    const write = vi.spyOn(store.events, 'indexForSearch').mockImplementation(() => {
      throw corrupt;
    });
    expect(search(store, 'deploy')).toEqual(['second deploy', 'malformed page deploy']);
    expect(store.damage).toMatch(/herald\.db is damaged \(database disk image is malformed\): nothing more is accepted into it; stop Herald, then `npm run db -- check --data-dir /);
    expect(damaged).toEqual([store.damage]);
    // Not reported as an index that lags: the damage is the news, and the file is not written again.
    expect(lines).toEqual([]);
    expect(search(store, 'second')).toEqual(['second deploy']);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('an index write that fails (the file locked by another writer) is logged once, and the search still finds every event', () => {
    const dir = newDir();
    const lines: string[] = [];
    const store = storeAt(dir, (line) => lines.push(line));
    ingest(store, ['locked out deploy', 'second deploy']);
    const other = new Database(join(dir, 'herald.db'));
    store.db.pragma('busy_timeout = 20');
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(search(store, 'deploy')).toEqual(['second deploy', 'locked out deploy']);
      expect(search(store, 'locked')).toEqual(['locked out deploy']);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(lines).toEqual([expect.stringMatching(/^store: the search index could not take the newest events \(database is locked\); searches scan the events not yet indexed/)]);
    expect(mark(store)).toBe(0);
    // Once the lock is gone the index takes them, and a later failure is told again.
    expect(search(store, 'deploy')).toHaveLength(2);
    expect(mark(store)).toBe(2);
    ingest(store, ['third deploy']);
    const again = new Database(join(dir, 'herald.db'));
    again.exec('BEGIN IMMEDIATE');
    try {
      expect(search(store, 'third')).toEqual(['third deploy']);
    } finally {
      again.exec('ROLLBACK');
      again.close();
    }
    expect(lines).toHaveLength(2);
  });

  it('a store opened with many events outside the index (after a salvage) logs how many it indexes before starting', () => {
    const dir = newDir();
    const store = openStore(dir);
    for (let batch = 0; batch < 5; batch++) ingest(store, Array.from({ length: 240 }, (_, i) => `salvaged ${batch * 240 + i}`));
    // As salvage.ts leaves it: every event, no index.
    store.db.exec("UPDATE search_indexed SET seq = 0; INSERT INTO events_fts (events_fts) VALUES ('delete-all')");
    store.db.close();
    const lines: string[] = [];
    const reopened = storeAt(dir, (line) => lines.push(line));
    expect(lines).toEqual([
      'store: adding 1200 events to the search index before the hub starts (after a salvage or a crash)',
      expect.stringMatching(/^store: search index complete \(1200 events added in \d+ ms\)$/),
    ]);
    expect(mark(reopened)).toBe(1200);
    expect(indexedRows(reopened)).toBe(1200);
    // A crash's few waiting events are not worth a line.
    ingest(reopened, ['one more']);
    reopened.db.close();
    open.splice(open.indexOf(reopened), 1);
    const quiet: string[] = [];
    storeAt(dir, (line) => quiet.push(line));
    expect(quiet).toEqual([]);
  });
});

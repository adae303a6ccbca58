// Each table has one access object per engine that writes it (issue #11): the ingest
// transaction combines them, so the PostgreSQL engine (store/postgres/) has its own table
// objects, one file per table named as SQLite's, not SQL copied across files. Read from the
// sources, so a new write in the wrong file fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const HUB = join(import.meta.dirname, '../../../../electron/hub');
const OWNERS: Record<string, string> = {
  events: 'store/events.ts',
  events_fts: 'store/events.ts',
  search_indexed: 'store/events.ts',
  summary_members: 'store/events.ts',
  // A connection's temporary index of the events events_fts has not taken (not in the file).
  'temp.events_fts_tail': 'store/events.ts',
  deliveries: 'store/outbox.ts',
  seen_deliveries: 'store/seen-deliveries.ts',
  source_state: 'store/source-state.ts',
  health: 'store/health.ts',
  mutes: 'store/mutes.ts',
  board: 'store/board.ts',
  board_saved: 'store/board.ts',
  throttle: 'rules/throttle-memory.ts',
  digest_items: 'rules/digest-windows.ts',
  storm_groups: 'rules/storm-groups.ts',
  storm_group_items: 'rules/storm-groups.ts',
};
/** The PostgreSQL engine's owner of each table: store/postgres/ and the SQLite owner's file name. */
const PG_OWNER = (owner: string) => `store/postgres/${owner.split('/').pop()!}`;
/**
 * Tables only SQLite has: events_fts and search_indexed (PostgreSQL searches a column of
 * events), board_saved (SQLite keeps the board in memory and saves it in batches; PostgreSQL
 * writes it in ingest).
 */
const SQLITE_ONLY = new Set(['events_fts', 'board_saved', 'search_indexed', 'temp.events_fts_tail']);
/**
 * Writes a migration makes besides the owner's: the delete trigger keeps events_fts in step
 * with events (and the older insert triggers it replaced); search_indexed gets its row there.
 */
const MIGRATION_WRITES = new Set(['events_fts', 'search_indexed']);
/** Tables only the PostgreSQL engine has. */
const PG_ONLY: Record<string, string> = { schema_version: 'store/postgres/migrations.ts' };

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? tsFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('table owners', () => {
  const writes = tsFiles(HUB).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const relative = file.slice(HUB.length + 1);
    return [...text.matchAll(/\b(?:INSERT(?: OR (?:IGNORE|REPLACE))? INTO|UPDATE|DELETE FROM)\s+((?:temp\.)?[a-z_]+)/g)].map((m) => ({ file: relative, table: m[1]! }));
  });

  it('finds the writes it checks', () => {
    expect(new Set(writes.map((w) => w.table))).toEqual(new Set([...Object.keys(OWNERS), ...Object.keys(PG_ONLY)]));
  });

  it.each(Object.entries(OWNERS))('%s is written only by %s (and its PostgreSQL twin)', (table, owner) => {
    const files = new Set(writes.filter((w) => w.table === table).map((w) => w.file));
    const expected = SQLITE_ONLY.has(table) ? [owner] : [owner, PG_OWNER(owner)];
    if (MIGRATION_WRITES.has(table)) expected.push('store/migrations.ts');
    expect([...files].sort()).toEqual(expected.sort());
  });

  it.each(Object.entries(PG_ONLY))('%s is written only by %s', (table, owner) => {
    expect([...new Set(writes.filter((w) => w.table === table).map((w) => w.file))]).toEqual([owner]);
  });
});

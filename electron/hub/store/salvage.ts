// Salvage of a damaged database into a new file, row by row: every table of the current
// schema is read from the damaged file in rowid order, in ranges, skipping what cannot be
// read (a range that fails is retried row by row, and past a run of unreadable rows the scan
// jumps ahead), and written into a fresh database made by the migrations; the full-text
// index is filled when the store next opens it (store/events.ts indexForSearch). (SQLite's own `.recover` needs the sqlite_dbpage table,
// which Debian's sqlite3 shell and better-sqlite3's build lack.)
import type { Db } from './open.js';

export interface SalvageReport {
  /** Rows copied, per table. */
  copied: Record<string, number>;
  /** Rows that could be read but not written (a delivery whose event was lost), per table. */
  dropped: Record<string, number>;
  /** Read errors met (each a range or row that could not be read). */
  readErrors: number;
}

const RANGE = 500;
/** Past an unreadable row the scan jumps ahead by this much, doubling while reads keep failing. */
const FIRST_JUMP = 1;
const MAX_JUMP = 1 << 20;

export function salvageInto(from: Db, to: Db): SalvageReport {
  const report: SalvageReport = { copied: {}, dropped: {}, readErrors: 0 };
  const tables = to
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE '%_fts_%' ORDER BY rowid")
    .pluck()
    .all() as string[];
  for (const table of tables) {
    const columns = (to.pragma(`table_info("${table}")`) as Array<{ name: string }>).map((c) => c.name);
    let available: Set<string>;
    try {
      available = new Set((from.pragma(`table_info("${table}")`) as Array<{ name: string }>).map((c) => c.name));
    } catch {
      report.readErrors++;
      continue;
    }
    const shared = columns.filter((c) => available.has(c));
    if (shared.length === 0) continue;
    const list = shared.map((c) => `"${c}"`).join(', ');
    const insert = to.prepare(`INSERT OR IGNORE INTO "${table}" (${list}) VALUES (${shared.map(() => '?').join(', ')})`);
    let copied = 0;
    let dropped = 0;
    const write = (rows: unknown[][]) =>
      to.transaction(() => {
        for (const row of rows) {
          try {
            copied += insert.run(...row).changes;
          } catch {
            dropped++;
          }
        }
      })();
    if (hasRowid(from, table)) {
      const range = from.prepare(`SELECT rowid, ${list} FROM "${table}" WHERE rowid >= ? ORDER BY rowid LIMIT ?`).raw();
      let next = Number.MIN_SAFE_INTEGER;
      let jump = FIRST_JUMP;
      for (;;) {
        let rows: unknown[][];
        try {
          rows = range.all(next, RANGE) as unknown[][];
        } catch {
          report.readErrors++;
          // Row by row from here until one reads, then jumping further while none do.
          try {
            rows = range.all(next, 1) as unknown[][];
            jump = FIRST_JUMP;
          } catch {
            if (next === Number.MIN_SAFE_INTEGER) next = 0;
            next += jump;
            jump = Math.min(jump * 2, MAX_JUMP);
            if (next > Number.MAX_SAFE_INTEGER - MAX_JUMP) break;
            continue;
          }
        }
        if (rows.length === 0) break;
        write(rows.map((row) => row.slice(1)));
        next = Number(rows[rows.length - 1]![0]) + 1;
      }
    } else {
      // WITHOUT ROWID tables are small bookkeeping: read in one pass, keeping what came before an error.
      const rows: unknown[][] = [];
      try {
        for (const row of from.prepare(`SELECT ${list} FROM "${table}"`).raw().iterate()) rows.push(row as unknown[]);
      } catch {
        report.readErrors++;
      }
      write(rows);
    }
    report.copied[table] = copied;
    if (dropped) report.dropped[table] = dropped;
  }
  return report;
}

function hasRowid(db: Db, table: string): boolean {
  try {
    db.prepare(`SELECT rowid FROM "${table}" LIMIT 0`).all();
    return true;
  } catch {
    return false;
  }
}

// A damaged database must never lose acknowledged events silently.
//
// SQLite replays the WAL at open only up to the first frame whose checksum fails, and a
// missing WAL is simply no WAL: a WAL truncated, with flipped bytes or deleted opens
// without a word, minus the transactions it held. So the hub keeps its own record of what
// it acknowledged: after every fsync that a webhook's 2xx waited for, the highest event
// seq is written to `herald.db-acked` (no fsync of its own: it is written only after the
// WAL is on disk, so it can lag behind the database after a power cut but never run ahead
// of it). At open, a database whose events end below that mark has lost acknowledged
// events, and the hub refuses to start.
//
// A damaged page is found by `PRAGMA quick_check` at open (stopping at its first finding),
// and at run time by SQLite itself (SQLITE_CORRUPT / SQLITE_NOTADB): from then on the store
// counts as damaged, and ingest answers 503 rather than accepting events into it.
//
// Both checks run on a read-only connection, which never checkpoints or deletes the WAL:
// a refused database is left exactly as it was found, for `npm run db -- recover`.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from './open.js';

export const ACKED_SUFFIX = '-acked';

/**
 * What to run, for this database's data dir: the db tool's commands with `--data-dir`, so a
 * hub started with its own dir (a service's --data-dir or $HERALD_DATA_DIR) is not told to
 * check the default one.
 */
export function recoveryHint(file: string): string {
  const dir = shellWord(dirname(file));
  return `stop Herald, then \`npm run db -- check --data-dir ${dir}\` to see what is wrong and \`npm run db -- recover --data-dir ${dir}\` to salvage what is left into a new file (the damaged one is kept)`;
}

/** A path as one shell word: as it is when it has nothing the shell reads, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

export class DatabaseDamaged extends Error {
  constructor(
    readonly file: string,
    /** What is wrong, without the way out (the desktop app offers its own: shell/damaged-database.ts). */
    readonly problem: string,
  ) {
    super(`the database ${file} is damaged: ${problem}. Herald will not use it: ${recoveryHint(file)}`);
    this.name = 'DatabaseDamaged';
  }
}

/** An error SQLite raises for a damaged file (not for a locked or full one). */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

const HIGHEST_EVENT_SEQ = "SELECT seq FROM sqlite_sequence WHERE name = 'events'";

/** The highest event seq ever handed out (AUTOINCREMENT keeps it even when retention deleted the events). */
export function highestEventSeq(db: Db): number {
  try {
    return (db.prepare(HIGHEST_EVENT_SEQ).pluck().get() as number | undefined) ?? 0;
  } catch (error) {
    if (/no such table/.test((error as Error).message)) return 0; // a new database
    throw error;
  }
}

/** highestEventSeq of a migrated database, prepared once: the ingest path reads it at every group commit. */
export function highestEventSeqReader(db: Db): () => number {
  const statement = db.prepare(HIGHEST_EVENT_SEQ).pluck();
  return () => (statement.get() as number | undefined) ?? 0;
}

export function readAckedSeq(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${file}${ACKED_SUFFIX}`, 'utf8');
  } catch {
    return undefined;
  }
  const seq = Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

/**
 * What is wrong with the database at `file`, or undefined. `open` opens it read-only.
 * `full` runs integrity_check instead of quick_check (the `db check` command).
 */
export function findDamage(file: string, open: (file: string) => Db, options: { full?: boolean } = {}): string | undefined {
  let db: Db | undefined;
  try {
    db = open(file);
    const check = options.full ? 'integrity_check(20)' : 'quick_check(1)';
    const findings = db.pragma(check, { simple: false }) as Array<Record<string, string>>;
    const lines = findings.map((row) => Object.values(row)[0]);
    if (lines.length !== 1 || lines[0] !== 'ok') return `SQLite's ${check.replace(/\(.*/, '')} found: ${lines.join('; ')}`;
    const acked = readAckedSeq(file);
    const highest = highestEventSeq(db);
    if (acked !== undefined && highest < acked) {
      return `it holds events up to #${highest}, but Herald acknowledged events up to #${acked}: the write-ahead log (${file}-wal) is missing, cut short or damaged, and ${acked - highest} acknowledged events are not in it`;
    }
    return undefined;
  } catch (error) {
    if (isCorruption(error)) return (error as Error).message;
    throw error;
  } finally {
    db?.close();
  }
}

/** Writes the acknowledged-seq mark in place (a few bytes, no fsync: see the header). */
export class AckedMark {
  private fd: number | undefined;
  private last = -1;

  constructor(private readonly file: string) {}

  record(seq: number): void {
    if (seq <= this.last) return;
    this.fd ??= openSync(`${this.file}${ACKED_SUFFIX}`, 'w', 0o600);
    const text = `${seq}\n`;
    writeSync(this.fd, text, 0);
    ftruncateSync(this.fd, Buffer.byteLength(text));
    this.last = seq;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

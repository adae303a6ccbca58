// Opens (or creates) Herald's SQLite file with the pragmas the delivery guarantees need.
import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';
import { sqliteLoadProblem } from './native-binding.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** better-sqlite3's binary, when not the one in node_modules (the desktop app's Electron build). */
  nativeBinding?: string;
}

/** better-sqlite3's Database, with a load failure of its binary told in one line. */
export function newDatabase(file: string, options: Database.Options & OpenOptions = {}): Db {
  try {
    return new Database(file, options);
  } catch (error) {
    const problem = sqliteLoadProblem(error, options.nativeBinding);
    throw problem ? new Error(problem) : error;
  }
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  ownerOnly(file);
  const db = newDatabase(file, options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding });
  // WAL: readers never block the writer. synchronous=FULL: a commit is on disk when it
  // returns. The ingest path commits without it and fsyncs the WAL off the event loop
  // before answering 2xx (ingest.ts, wal-sync.ts): the same guarantee, an accepted event
  // survives a crash or power loss.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection; the pages an
  // ingest touches (the newest rows and index leaves) fit in far less, and reads beyond
  // come from the OS's file cache: 4 MB keeps the hub's memory down (history queries stay
  // within their targets, bench/history.mjs).
  db.pragma('cache_size = -4000');
  // After a burst the WAL starts over from its beginning; this gives the disk space back.
  db.pragma('journal_size_limit = 33554432');
  migrate(db);
  return db;
}

/**
 * The history is private: the database owner-only (0600). SQLite creates a new file 0644
 * (less the umask) and gives the -wal and -shm files it creates later the database file's
 * own mode, so a database made 0600 before the open keeps all three owner-only. An empty
 * file is a new database to SQLite. Files from before this rule (a crash leaves -wal and
 * -shm behind) are tightened too.
 */
function ownerOnly(file: string): void {
  if (file === ':memory:') return;
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, 0o600);
  }
}

// Opens (or creates) Herald's SQLite file with the pragmas the delivery guarantees need.
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(file: string): Db {
  const db = new Database(file);
  // WAL: readers never block the writer. synchronous=FULL: a commit is on disk before
  // ingress answers 2xx, so an accepted event survives a crash or power loss.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

// The store: one SQLite file in the data dir, and the tables' access objects.
import { join } from 'node:path';
import { EventStore } from './events.js';
import { HealthStore } from './health.js';
import { type Db, openDatabase } from './open.js';
import { Outbox } from './outbox.js';
import { SourceStateStore } from './source-state.js';

export interface Store {
  readonly db: Db;
  readonly file: string;
  readonly events: EventStore;
  readonly outbox: Outbox;
  readonly health: HealthStore;
  readonly sourceState: SourceStateStore;
  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;
  /** Bytes on disk: the database and its WAL. */
  sizeBytes(): number;
  close(): void;
}

export const DB_FILE = 'herald.db';

export function openStore(dataDir: string): Store {
  const file = join(dataDir, DB_FILE);
  const db = openDatabase(file);
  return {
    db,
    file,
    events: new EventStore(db),
    outbox: new Outbox(db),
    health: new HealthStore(db),
    sourceState: new SourceStateStore(db),
    transaction: (fn) => db.transaction(fn)(),
    sizeBytes: () => {
      const pages = db.pragma('page_count', { simple: true }) as number;
      const size = db.pragma('page_size', { simple: true }) as number;
      return pages * size;
    },
    close: () => {
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

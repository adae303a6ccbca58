// Which engine the store runs on: PostgreSQL when the hub is given a database URL (a team:
// several replicas on one database), otherwise SQLite in the data dir (the desktop, one
// server). The password never travels in the URL the user types into a log or a process
// list: it comes from a secret reference (keychain:, file:, env:) resolved by the caller.
import { openPostgresEngine, type PostgresEngine } from './postgres/engine.js';
import { openSqliteEngine, type SqliteEngine } from './sqlite-engine.js';

export interface DatabaseChoice {
  /** postgres://user@host:port/db — no URL: SQLite in the data dir. */
  url: string;
  /** The password, resolved from its secret reference; undefined when the URL or the server needs none. */
  password?: string | undefined;
  /** How long a delivery claim is leased to this replica before another may claim it (default the engine's, 60 s). */
  deliveryLeaseMs?: number | undefined;
}

export interface OpenEngineOptions {
  dataDir: string;
  database?: DatabaseChoice | undefined;
  /** This replica's name: its outbox claims and leases carry it. */
  replicaId: string;
  /** better-sqlite3's binary to load instead of node_modules' (SQLite only). */
  sqliteBinding?: string | undefined;
  /** `false`: the ingest leaves the board alone (benchmarks only, store.ts StoreOptions.board; SQLite only). */
  board?: boolean | undefined;
  log: (line: string) => void;
}

/** Opens the chosen engine; throws one line naming the problem (never the password) when it cannot. */
export async function openStoreEngine(options: OpenEngineOptions): Promise<SqliteEngine | PostgresEngine> {
  const { database, log } = options;
  if (!database) {
    return openSqliteEngine(options.dataDir, {
      ...(options.sqliteBinding !== undefined && { nativeBinding: options.sqliteBinding }),
      ...(options.board === false && { board: false }),
      log,
    });
  }
  if (options.board === false) throw new Error('a hub without the board (a benchmark switch) runs on SQLite only');
  // The engine logs its own problems (unreachable, back again).
  return openPostgresEngine(database.url, {
    ...(database.password !== undefined && { password: database.password }),
    ...(database.deliveryLeaseMs !== undefined && { leaseMs: database.deliveryLeaseMs }),
    replica: options.replicaId,
    log,
  });
}

/** The password a database URL carries, if any (to warn that it belongs in a secret reference). */
export function urlHasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

// What a hub needs besides its store to run as one of several replicas: who runs the
// one-at-a-time work (Leadership) and where the config lives (ConfigStore). On SQLite
// (one process owns the file) the hub holds every lease and keeps config.json; on
// PostgreSQL the replicas share a lease table and the config document in the database.
import type { HeraldConfigInput } from '../../../shared/config.js';
import { type KeyValueBackend, type ConfigStore, openConfigStore } from '../config/config-store.js';
import { openPostgresConfigStore, type Subscribe } from '../config/postgres-config-store.js';
import { type Leadership, singleLeadership } from './leadership.js';
import { type Queryable, startLeaseTable } from './lease-table.js';

/** What the PostgreSQL engine offers for this (store/postgres/engine.ts). */
export interface SharedDatabase extends Queryable {
  subscribe: Subscribe;
}

export interface ReplicaPartsOptions {
  /** The shared database, or undefined for one hub on SQLite. */
  database: SharedDatabase | undefined;
  replicaId: string;
  dataDir: string;
  configBackend?: KeyValueBackend;
  log: (line: string) => void;
}

export async function openReplicaParts(options: ReplicaPartsOptions): Promise<{ leadership: Leadership; config: ConfigStore }> {
  const { database, replicaId, dataDir, log } = options;
  const localConfig = () => openConfigStore({ dataDir, log, ...(options.configBackend && { backend: options.configBackend }) });
  if (!database) return { leadership: singleLeadership(replicaId), config: localConfig() };
  // The first replica on an empty database brings this data dir's config.json (or the defaults).
  const config = await openPostgresConfigStore({
    db: database,
    subscribe: database.subscribe,
    replicaId,
    seed: () => localConfig().get() as HeraldConfigInput,
    log,
  });
  try {
    const leadership = await startLeaseTable({ db: database, replicaId, log });
    log(`replica ${replicaId}: config and leases in the database`);
    return { leadership, config };
  } catch (error) {
    await config.close();
    throw error;
  }
}

// The store's engines for an engine-neutral suite: each opens a fresh, empty store behind the
// async store interface (store/engine.ts): SQLite in a temp dir, PostgreSQL in a fresh database
// of a cluster the test file starts (test/helpers/postgres-cluster.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreEngine } from '../../electron/hub/store/engine.js';
import { openPostgresEngine, type PostgresEngineOptions } from '../../electron/hub/store/postgres/engine.js';
import { openSqliteEngine } from '../../electron/hub/store/sqlite-engine.js';
import type { PostgresCluster } from './postgres-cluster.js';

export interface EngineFactory {
  name: 'sqlite' | 'postgres';
  /** A fresh empty store; close() also removes a SQLite temp dir. */
  open(options?: PostgresEngineOptions): Promise<StoreEngine>;
}

export function storeEngines(cluster: () => PostgresCluster): EngineFactory[] {
  return [
    {
      name: 'sqlite',
      open: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'herald-engine-'));
        const engine = await openSqliteEngine(dir, { checkpointIntervalMs: false });
        return { ...engine, close: () => engine.close().finally(() => rmSync(dir, { recursive: true, force: true })) } as StoreEngine;
      },
    },
    { name: 'postgres', open: async (options = {}) => openPostgresEngine(await cluster().createDatabase(), options) },
  ];
}

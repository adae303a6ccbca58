// vitest globalSetup: one PostgreSQL cluster for the whole run, handed to test files as plain data
// (`inject('heraldPostgres')`, read by sharedPostgresCluster()). Destroyed when the run ends.
// Use: `globalSetup: ['test/helpers/postgres-global-setup.ts']` in a vitest config.
import type { TestProject } from 'vitest/node';
import { startPostgresCluster } from './postgres-cluster.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startPostgresCluster();
  project.provide('heraldPostgres', cluster.info);
  return () => cluster.destroy();
}

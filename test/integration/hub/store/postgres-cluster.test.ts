// The throwaway PostgreSQL cluster the store tests run on: real server, password required, stop,
// kill and restart do what they say, and destroy leaves nothing behind.
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresCluster, startPostgresCluster } from '../../../helpers/postgres-cluster.js';

const connect = async (url: string) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  return client;
};

describe('postgres-cluster helper', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('creates databases reachable over loopback TCP with the password', async () => {
    const url = await cluster.createDatabase();
    expect(url).toMatch(/^postgres:\/\/herald_test:[^@]+@127\.0\.0\.1:\d+\/herald_/);
    const client = await connect(url);
    const { rows } = await client.query<{ db: string; fsync: string }>(`SELECT current_database() AS db, current_setting('fsync') AS fsync`);
    await client.end();
    expect(rows[0]?.db).toBe(new URL(url).pathname.slice(1));
    expect(rows[0]?.fsync).toBe('on');
  });

  it('refuses a wrong password (no trust anywhere)', async () => {
    await expect(connect(cluster.url('postgres', { password: 'wrong' }))).rejects.toThrow(/password authentication failed/);
    const hba = readFileSync(`${cluster.info.dataDir}/pg_hba.conf`, 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.trim().startsWith('#'));
    expect(hba.length).toBeGreaterThan(0);
    expect(hba.filter((line) => /\btrust\b/.test(line))).toEqual([]);
  });

  it('stop, start, kill and restart: committed rows survive, clients see the outage', async () => {
    const url = await cluster.createDatabase('kept_rows');
    const client = await connect(url);
    await client.query('CREATE TABLE t (n int); INSERT INTO t VALUES (1)');
    await client.end();

    await cluster.stop();
    expect(await cluster.isRunning()).toBe(false);
    await expect(connect(url)).rejects.toThrow(/ECONNREFUSED/);
    await cluster.start();

    const held = await connect(url);
    await cluster.kill();
    await expect(held.query('SELECT 1')).rejects.toThrow();
    expect(await cluster.isRunning()).toBe(false);
    await cluster.restart();

    const after = await connect(url);
    expect((await after.query('SELECT n FROM t')).rows).toEqual([{ n: 1 }]);
    await after.end();
    await cluster.restart('immediate');
    expect(await cluster.isRunning()).toBe(true);
  });

  it('destroy removes the data dir', async () => {
    const other = await startPostgresCluster();
    expect(existsSync(other.info.dataDir)).toBe(true);
    await other.destroy();
    expect(existsSync(other.info.baseDir)).toBe(false);
    expect(await other.isRunning()).toBe(false);
  });
});

// The config of a team hub in a real PostgreSQL database (electron/hub/config/postgres-config-store.ts):
// the first replica seeds it, the others read it; a change through one is heard by the others
// (LISTEN/NOTIFY) with the sections that changed; concurrent edits of different items both stay
// (compare-and-swap on the version, the change applied again to the newer config); a duplicate
// stays a conflict; an invalid change or a newer document version is a clear error.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSection, ConfigStore } from '../../../../electron/hub/config/config-store.js';
import { upsertItem } from '../../../../electron/hub/config/config-store.js';
import { openPostgresConfigStore } from '../../../../electron/hub/config/postgres-config-store.js';
import type { HeraldConfigInput } from '../../../../shared/config.js';
import { waitFor } from '../../../helpers/hub-process.js';
import { listenerOn } from '../../../helpers/pg-listen.js';
import { type PostgresCluster, sharedPostgresCluster } from '../../../helpers/postgres-cluster.js';

let cluster: PostgresCluster;
let release: () => Promise<void>;
const pools: pg.Pool[] = [];
const stores: ConfigStore[] = [];

beforeAll(async () => {
  ({ cluster, release } = await sharedPostgresCluster());
});
afterAll(async () => {
  await release?.();
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const pool of pools.splice(0)) await pool.end().catch(() => {});
});

const hook = (id: string) => ({ id, kind: 'webhook' as const, name: `Hook ${id}`, url: `http://127.0.0.1:9/${id}` });

async function replica(url: string, id: string, seed: HeraldConfigInput = {}): Promise<ConfigStore> {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pools.push(pool);
  const store = await openPostgresConfigStore({ db: pool, subscribe: listenerOn(url), replicaId: id, seed: () => seed });
  stores.push(store);
  return store;
}

describe('config in the database, shared by replicas', () => {
  it('the first replica seeds the table; a later one reads it and ignores its own seed', async () => {
    const url = await cluster.createDatabase();
    const a = await replica(url, 'a', { channels: [hook('first')], settings: { theme: 'dark' } });
    const b = await replica(url, 'b', { channels: [hook('other')] });
    expect(b.get().channels.map((c) => c.id)).toEqual(['first']);
    expect(b.get()).toEqual(a.get());
    expect(b.path).toBe('PostgreSQL table herald_config');
  });

  it('a change through one replica reaches the other, with the section that changed', async () => {
    const url = await cluster.createDatabase();
    const a = await replica(url, 'a');
    const b = await replica(url, 'b');
    const heard: ConfigSection[] = [];
    b.onChange((_cfg, section) => heard.push(section));
    await a.update('settings', (cfg) => ({ ...cfg, settings: { ...cfg.settings, theme: 'light' } }));
    await upsertItem(a, 'channels', hook('ops'), 'create');
    await waitFor(() => b.get().channels.length === 1, 5_000, 'b to hear of the channel');
    expect(b.get().settings.theme).toBe('light');
    // Two quick versions may reach b as one reload: each changed section is told (once per reload).
    expect([...heard].sort()).toEqual(['channels', 'settings']);
  });

  it('concurrent creates of different items on two replicas both stay; the same id twice is a conflict', async () => {
    const url = await cluster.createDatabase();
    const a = await replica(url, 'a');
    const b = await replica(url, 'b');
    // Neither has heard of the other's write when it writes: b's swap fails on the version and is applied again.
    await Promise.all([
      ...['a1', 'a2', 'a3'].map((id) => upsertItem(a, 'channels', hook(id), 'create')),
      ...['b1', 'b2', 'b3'].map((id) => upsertItem(b, 'channels', hook(id), 'create')),
    ]);
    const ids = (store: ConfigStore) => store.get().channels.map((c) => c.id).sort();
    await waitFor(() => ids(a).length === 6 && ids(b).length === 6, 5_000, 'both replicas to see six channels');
    expect(ids(a)).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
    expect(ids(b)).toEqual(ids(a));

    const results = await Promise.allSettled([upsertItem(a, 'channels', hook('same'), 'create'), upsertItem(b, 'channels', hook('same'), 'create')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ code: 'duplicate', message: 'a channel with id "same" already exists' });
  });

  it('an invalid change writes nothing and tells nobody', async () => {
    const url = await cluster.createDatabase();
    const a = await replica(url, 'a');
    const b = await replica(url, 'b');
    const heard: ConfigSection[] = [];
    b.onChange((_cfg, section) => heard.push(section));
    await expect(upsertItem(a, 'rules', { id: 'r', name: 'R', channels: ['nope'] }, 'create')).rejects.toThrow('invalid rule: channels.0: unknown channel "nope"');
    const { rows } = await cluster.query<{ version: string }>('SELECT version FROM herald_config', [], new URL(url).pathname.slice(1));
    expect(Number(rows[0]!.version)).toBe(1);
    await upsertItem(a, 'channels', hook('after'), 'create');
    await waitFor(() => heard.length === 1, 5_000, 'b to hear the valid change');
    expect(heard).toEqual(['channels']);
  });

  it('a document of a newer version than this Herald reads is refused, naming the table', async () => {
    const url = await cluster.createDatabase();
    await replica(url, 'a');
    await cluster.query(`UPDATE herald_config SET document = jsonb_set(document, '{version}', '999')`, [], new URL(url).pathname.slice(1));
    await expect(replica(url, 'b')).rejects.toThrow(/PostgreSQL table herald_config/);
  });
});

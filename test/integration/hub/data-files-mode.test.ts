// The data dir and the database files hold the whole history (titles, payloads, actors):
// owner-only, like config.json — on a fresh install and on one made before this rule.
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, writeConfig } from '../../helpers/hub-process.js';

const SECRET = 'mode-secret';
const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('data files are owner-only', () => {
  let hub: HubProcess | undefined;
  afterEach(async () => {
    await hub?.kill('SIGKILL');
    hub = undefined;
  });

  const start = async (dataDir: string, dir: string) => {
    const configFile = writeConfig(dir, { sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_MODE_SECRET' }] });
    hub = await startHubProcess({ dataDir, configFile, env: { HERALD_MODE_SECRET: SECRET } });
    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'private title' }),
    });
    expect(res.status).toBe(202);
  };
  const expectOwnerOnly = (dataDir: string) => {
    expect(modeOf(dataDir)).toBe('700');
    for (const name of ['herald.db', 'herald.db-wal', 'herald.db-shm', 'config.json']) {
      expect(existsSync(join(dataDir, name)), name).toBe(true);
      expect({ name, mode: modeOf(join(dataDir, name)) }).toEqual({ name, mode: '600' });
    }
  };

  it('a fresh data dir: 0700, herald.db, -wal and -shm 0600 (with umask 022)', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    await start(dataDir, dir);
    expectOwnerOnly(dataDir);
  });

  it('an existing install with 0755 / 0644 files (a crash left -wal and -shm) is tightened at start', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    await start(dataDir, dir);
    await hub!.kill('SIGKILL'); // the WAL and shared-memory files stay behind
    hub = undefined;
    chmodSync(dataDir, 0o755);
    for (const name of ['herald.db', 'herald.db-wal', 'herald.db-shm', 'config.json']) chmodSync(join(dataDir, name), 0o644);
    await start(dataDir, dir);
    expectOwnerOnly(dataDir);
  });
});

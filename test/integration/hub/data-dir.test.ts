// One hub per data dir: a second hub on the same dir (a second `npm run serve`, the desktop
// app beside a headless hub) stops with one line naming the dir, and `npm run db -- recover`
// refuses while a hub runs there — before, both went ahead: two processes sent every delivery
// twice, and recover swapped the file from under the running hub, whose next acknowledged
// events went into the file kept as damaged. The lock is the OS's: a hub killed with SIGKILL
// leaves nothing to clean up.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { main as dbTool } from '../../../electron/db-tool.js';
import { HEADLESS, type HubProcess, startHubProcess, tempDir } from '../../helpers/hub-process.js';

const run = promisify(execFile);
const hubs: HubProcess[] = [];
afterEach(async () => {
  for (const hub of hubs.splice(0)) await hub.kill('SIGKILL');
});
const start = async (dataDir: string) => {
  const hub = await startHubProcess({ dataDir });
  hubs.push(hub);
  return hub;
};
/** A second headless hub on the dir: its exit code and output (it must not start). */
const secondHub = async (dataDir: string) => {
  const args = [HEADLESS, '--data-dir', dataDir, '--ingress-port', '0', '--api-port', '0', '--api-token', 'second-token-0123456789'];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { timeout: 20_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
};

describe('one hub per data dir', { timeout: 60_000 }, () => {
  it('a second hub on the same data dir stops with one line naming the dir; once the first is killed, a new one starts', async () => {
    const dataDir = join(tempDir(), 'data');
    const first = await start(dataDir);
    const second = await secondHub(dataDir);
    expect(second.code).toBe(1);
    expect(second.output.trim()).toBe(
      `herald: the data dir ${dataDir} is in use by another Herald (a hub, the desktop app or \`npm run db -- recover\` holds ${join(dataDir, 'herald.lock')}): stop it first, or give this hub a data dir of its own (--data-dir DIR or $HERALD_DATA_DIR)`,
    );
    // The first goes on as before.
    expect((await first.api<{ database: { ok: boolean } }>('hub.status')).database).toEqual({ ok: true });
    // Killed outright, it leaves no lock behind: the OS drops it with the process.
    await first.kill('SIGKILL');
    const third = await start(dataDir);
    expect((await third.api<{ counts: { events: number } }>('hub.status')).counts.events).toBe(0);
  });

  it('recover refuses while a hub runs on the data dir and changes no file; with the hub stopped it runs', async () => {
    const dataDir = join(tempDir(), 'data');
    const hub = await start(dataDir);
    const before = readdirSync(dataDir).sort();
    const out: string[] = [];
    expect(() => dbTool(['recover', '--data-dir', dataDir], (line) => out.push(line))).toThrow(
      `the data dir ${dataDir} is in use by another Herald (a hub, the desktop app or \`npm run db -- recover\` holds ${join(dataDir, 'herald.lock')}): stop it, then run recover again`,
    );
    expect(out).toEqual([]);
    expect(readdirSync(dataDir).sort()).toEqual(before);
    expect(readdirSync(dataDir).some((name) => name.includes('.damaged-'))).toBe(false);

    await hub.kill('SIGTERM');
    expect(dbTool(['recover', '--data-dir', dataDir], (line) => out.push(line))).toBe(0);
    expect(out[0]).toMatch(/^recovered into /);
    expect(existsSync(join(dataDir, 'herald.db'))).toBe(true);
  });
});

describe('a data dir that cannot be used', { timeout: 60_000 }, () => {
  it('stops the start with one line naming the dir and why, leaving nothing behind', async () => {
    const base = tempDir();
    const file = join(base, 'not-a-folder');
    writeFileSync(file, 'x');
    expect(await secondHub(file)).toEqual({
      code: 1,
      output: `herald: data dir ${file}: a file of that name is in the way (not a folder); choose another with --data-dir DIR or $HERALD_DATA_DIR\n`,
    });
    expect(await secondHub(join(file, 'data'))).toEqual({
      code: 1,
      output: `herald: data dir ${join(file, 'data')}: part of the path is a file, not a folder; choose another with --data-dir DIR or $HERALD_DATA_DIR\n`,
    });
    expect(readdirSync(base)).toEqual(['not-a-folder']);
  });
});

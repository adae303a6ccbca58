// better-sqlite3 for two ABIs side by side. The desktop path: prebuild-install (for real)
// fetches "the Electron build" from a loopback mirror — a stand-in, this Node's own build in
// a prebuild tarball, so this process can load it — into a folder of its own, and the hub
// opens its store with that file (main thread and checkpoint thread). The headless path
// (the real headless entry) loads node_modules' build. A missing binary, or one built for
// another ABI, stops the hub with one line naming better-sqlite3, the file and the fix.
// Needs `npm run build` (the hub from dist/, so the checkpoint thread runs).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteLoadProblem } from '../../../electron/hub/store/native-binding.js';
import { ensureSqliteBinding } from '../../../electron/launch/sqlite-binding.js';
import { withModuleVersion } from '../../helpers/abi-patch.js';
import { makePrebuildTarball, type Mirror, REPO, startMirror } from '../../helpers/electron-mirror.js';
import { startHubProcess } from '../../helpers/hub-process.js';

const run = promisify(execFile);
const SQLITE_DIR = path.join(REPO, 'node_modules/better-sqlite3');
const NODE_BUILD = path.join(SQLITE_DIR, 'build/Release/better_sqlite3.node');
const SQLITE_VERSION = (JSON.parse(readFileSync(path.join(SQLITE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
const ELECTRON_ABI = readFileSync(path.join(REPO, 'node_modules/electron/abi_version'), 'utf8').trim();
const ELECTRON_VERSION = (JSON.parse(readFileSync(path.join(REPO, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
const PROBE = path.join(REPO, 'test/helpers/store-probe.mjs');

async function probe(dataDir: string, binding?: string): Promise<{ mapped: string[]; log: string[]; events: number }> {
  const { stdout } = await run(process.execPath, [PROBE, dataDir, ...(binding ? [binding] : [])], { timeout: 30_000 });
  return JSON.parse(stdout) as { mapped: string[]; log: string[]; events: number };
}

async function probeFailure(dataDir: string, binding: string): Promise<{ stderr: string; code: number }> {
  try {
    await run(process.execPath, [PROBE, dataDir, binding], { timeout: 30_000 });
  } catch (error) {
    const { stderr, code } = error as { stderr: string; code: number };
    return { stderr, code };
  }
  throw new Error('the probe opened the store');
}

describe.skipIf(process.platform !== 'linux')('better-sqlite3: the Electron build beside the Node one', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'herald-sqlite-binding-'));
  let mirror: Mirror;
  let fetched: string;

  beforeAll(async () => {
    mirror = await startMirror();
    mirror.files.set(`/sqlite/v${SQLITE_VERSION}/better-sqlite3-v${SQLITE_VERSION}-electron-v${ELECTRON_ABI}-linux-${process.arch}.tar.gz`, makePrebuildTarball(NODE_BUILD));
    const result = await ensureSqliteBinding({
      nativeRoot: path.join(root, 'native'),
      target: { packageDir: SQLITE_DIR, electronVersion: ELECTRON_VERSION, abi: ELECTRON_ABI, platform: 'linux', arch: process.arch },
      env: { PATH: process.env.PATH, HOME: root, npm_config_cache: path.join(root, 'npm-cache'), npm_config_better_sqlite3_binary_host: `${mirror.url}/sqlite` },
    });
    if (!result.ok) throw new Error(result.reason);
    fetched = result.file;
  });
  afterAll(async () => {
    await mirror.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('is fetched for the ABI in node_modules/electron/abi_version into a folder of its own', () => {
    expect(fetched).toBe(path.join(root, 'native', `better-sqlite3-v${SQLITE_VERSION}-electron-v${ELECTRON_ABI}-linux-${process.arch}`, 'build/Release/better_sqlite3.node'));
    expect(readFileSync(NODE_BUILD).equals(readFileSync(fetched))).toBe(true); // the stand-in
  });

  it('the desktop path: the hub opens its store with that file, on the checkpoint thread too, and never loads node_modules’ build', async () => {
    const result = await probe(mkdtempSync(path.join(root, 'desktop-')), fetched);
    expect(result.mapped).toEqual([fetched]);
    expect(result.log.filter((line) => line.startsWith('store:'))).toEqual([]); // the checkpoint thread started
    expect(result.events).toBe(0);
  });

  it('the headless path: the real headless entry loads node_modules’ build', async () => {
    const hub = await startHubProcess({});
    try {
      const maps = readFileSync(`/proc/${hub.child.pid}/maps`, 'utf8');
      const mapped = [...new Set(maps.split('\n').filter((l) => l.endsWith('better_sqlite3.node')).map((l) => l.slice(l.indexOf('/'))))];
      expect(mapped).toEqual([NODE_BUILD]);
    } finally {
      await hub.kill();
    }
  });

  it('a missing binary: one line naming better-sqlite3, the file and the fix', async () => {
    const missing = path.join(root, 'gone', 'better_sqlite3.node');
    const { stderr, code } = await probeFailure(mkdtempSync(path.join(root, 'missing-')), missing);
    expect(code).toBe(1);
    expect(stderr).toBe(`herald: better-sqlite3: no binary at ${missing}: give a build for ABI ${process.versions.modules}, or none to load node_modules' own\n`);
  });

  it('a binary built for another ABI (an Electron build loaded by Node): one line, not a dlopen stack', async () => {
    const other = path.join(root, 'abi150', 'better_sqlite3.node');
    rmSync(path.dirname(other), { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(path.dirname(other), { recursive: true });
    writeFileSync(other, withModuleVersion(NODE_BUILD, Number(process.versions.modules), Number(ELECTRON_ABI)));
    const line = `herald: better-sqlite3: ${other} is built for ABI ${ELECTRON_ABI}; Node ${process.versions.node} needs ABI ${process.versions.modules}: give a build for ABI ${process.versions.modules}, or none to load node_modules' own\n`;
    expect(await probeFailure(mkdtempSync(path.join(root, 'mismatch-')), other)).toEqual({ stderr: line, code: 1 });
    // A data dir that already holds a store (its integrity check opens it first): the same line, not "damaged".
    const existing = mkdtempSync(path.join(root, 'mismatch-existing-'));
    await probe(existing);
    expect(await probeFailure(existing, other)).toEqual({ stderr: line, code: 1 });
  });
});

describe('the line Electron’s main process shows', () => {
  const electron = { ...process.versions, electron: '45.4.1', modules: '150' };
  // Electron's words when node_modules' Node build is loaded (Node's own format, the ABIs swapped).
  const mismatch = Object.assign(
    new Error(
      "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 150. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).",
    ),
    { code: 'ERR_DLOPEN_FAILED' },
  );

  it('started without `npm start` (no fetched build): the Node build does not load', () => {
    expect(sqliteLoadProblem(mismatch, undefined, electron)).toBe(
      "better-sqlite3: node_modules/better-sqlite3/build/Release/better_sqlite3.node is built for ABI 115; Electron 45.4.1 needs ABI 150: start Herald with `npm start`, which fetches better-sqlite3's build for Electron (or HERALD_HEADLESS=1 npm start)",
    );
  });

  it('the fetched build went missing', () => {
    const gone = Object.assign(new Error("Cannot find module '/cache/better_sqlite3.node'\nRequire stack:\n- /app/node_modules/better-sqlite3/lib/database.js"), { code: 'MODULE_NOT_FOUND' });
    expect(sqliteLoadProblem(gone, '/cache/better_sqlite3.node', electron)).toBe(
      "better-sqlite3: no binary at /cache/better_sqlite3.node: delete /cache/better_sqlite3.node and run `npm start` again, which fetches better-sqlite3's build for Electron (or HERALD_HEADLESS=1 npm start)",
    );
  });

  it('other errors are not its business', () => {
    expect(sqliteLoadProblem(new Error('SQLITE_CANTOPEN: unable to open database file'), undefined, electron)).toBeNull();
  });
});

// The first desktop `npm start` on a machine whose electron package has no runtime yet:
// Electron's real installer (install.js, @electron/get, its zip extractor) and better-
// sqlite3's real prebuild-install run against a loopback mirror; what they fetch is a
// stand-in Electron (a shell script recording its arguments) and this Node's own
// better-sqlite3 build. The electron package used is a temporary copy: the real
// node_modules/electron is checked to be exactly as it was.
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, type LaunchOptions } from '../../../electron/launch/launcher.js';
import { electronPackageCopy, electronVersion, makePrebuildTarball, makeZip, type Mirror, REPO, sha256, standInElectron, startMirror } from '../../helpers/electron-mirror.js';

const VERSION = electronVersion();
const ABI = readFileSync(path.join(REPO, 'node_modules/electron/abi_version'), 'utf8').trim();
const SQLITE_DIR = path.join(REPO, 'node_modules/better-sqlite3');
const SQLITE_VERSION = (JSON.parse(readFileSync(path.join(SQLITE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
const NODE_BUILD = path.join(SQLITE_DIR, 'build/Release/better_sqlite3.node');
const PLATFORM = process.platform;
const ZIP = `electron-v${VERSION}-${PLATFORM}-${process.arch}.zip`;
const PREBUILD = `better-sqlite3-v${SQLITE_VERSION}-electron-v${ABI}-${PLATFORM}-${process.arch}.tar.gz`;

/** Names, sizes and mtimes under a folder: what "left as it was" is checked against. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((entry) => {
      const full = path.join(entry.parentPath, entry.name);
      const stat = lstatSync(full);
      return `${path.relative(dir, full)} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

describe.skipIf(PLATFORM !== 'linux')('npm start, first desktop start (loopback mirror)', () => {
  const realElectron = path.join(REPO, 'node_modules/electron');
  const before = snapshot(realElectron);
  const root = mkdtempSync(path.join(os.tmpdir(), 'herald-first-start-'));
  const record = path.join(root, 'electron-argv.txt');
  let mirror: Mirror;

  beforeAll(async () => {
    mirror = await startMirror();
    const zip = makeZip([
      { name: 'electron', data: standInElectron(record), mode: 0o755 },
      { name: 'version', data: Buffer.from(`v${VERSION}`) },
    ]);
    mirror.files.set(`/good/v${VERSION}/${ZIP}`, zip);
    mirror.files.set(`/good/v${VERSION}/SHASUMS256.txt`, Buffer.from(`${sha256(zip)} *${ZIP}\n`));
    mirror.files.set(`/sqlite/v${SQLITE_VERSION}/${PREBUILD}`, makePrebuildTarball(NODE_BUILD));
    // Sent in two halves 600 ms apart: long enough for progress to be reported.
    mirror.slow.set(`/good/v${VERSION}/${ZIP}`, 600);
  });
  afterAll(async () => {
    await mirror.close();
    rmSync(root, { recursive: true, force: true });
    expect(snapshot(realElectron)).toEqual(before);
  });

  function options(name: string, mirrorPath: string, over: Partial<LaunchOptions> = {}) {
    const dir = path.join(root, name);
    const lines: string[] = [];
    const progress: string[] = [];
    const headlessRuns: string[][] = [];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      DISPLAY: ':99',
      ELECTRON_MIRROR: `${mirror.url}/${mirrorPath}/`,
      electron_use_remote_checksums: '1',
      electron_config_cache: path.join(dir, 'electron-cache'),
      npm_config_cache: path.join(dir, 'npm-cache'),
      npm_config_better_sqlite3_binary_host: `${mirror.url}/sqlite`,
    };
    const opts: LaunchOptions = {
      platform: PLATFORM,
      arch: process.arch,
      env,
      argv: ['--hidden'],
      appDir: REPO,
      electronDir: electronPackageCopy(dir),
      sqliteDir: SQLITE_DIR,
      nativeRoot: path.join(dir, 'native'),
      print: (line) => lines.push(line),
      progress: (line) => progress.push(line),
      runHeadless: async (argv) => void headlessRuns.push(argv),
      progressIntervalMs: 100,
      ...over,
    };
    return { opts, lines, progress, headlessRuns };
  }

  it('fetches the runtime with its checksum, extracts it, fetches the Electron sqlite build, and starts Electron on the app folder', async () => {
    const { opts, lines, progress, headlessRuns } = options('good', 'good');
    const outcome = await launch(opts);
    expect(outcome).toEqual({ mode: 'desktop', exitCode: 0 });
    expect(headlessRuns).toEqual([]);

    const electronDir = opts.electronDir as string;
    expect(readFileSync(path.join(electronDir, 'path.txt'), 'utf8')).toBe('electron');
    const binding = path.join(opts.nativeRoot, `better-sqlite3-v${SQLITE_VERSION}-electron-v${ABI}-${PLATFORM}-${process.arch}`, 'build/Release/better_sqlite3.node');
    expect(readFileSync(binding).equals(readFileSync(NODE_BUILD))).toBe(true);
    // The stand-in ran with the app folder first, the user's arguments after, and the binding to load.
    expect(readFileSync(record, 'utf8').split('\n')).toEqual([REPO, '--hidden', `HERALD_SQLITE_BINDING=${binding}`, '']);

    expect(mirror.requests).toEqual([`/good/v${VERSION}/${ZIP}`, `/good/v${VERSION}/SHASUMS256.txt`, `/sqlite/v${SQLITE_VERSION}/${PREBUILD}`]);
    expect(lines).toEqual([
      `Herald: first desktop start: fetching the Electron ${VERSION} runtime (about 100 MB, once) with Electron's installer from ${mirror.url}/good/`,
      `Herald: Electron ${VERSION} runtime ready (${path.join(electronDir, 'dist', 'electron')})`,
      `Herald: fetching better-sqlite3's build for Electron ${VERSION} (ABI ${ABI}, once) with prebuild-install`,
    ]);
    // Progress while the zip arrived: half of it, then all (the installer then moves it away).
    const half = `${(Math.floor(readFileSync(path.join(opts.env.electron_config_cache as string, readdirSync(opts.env.electron_config_cache as string)[0]!, ZIP)).length / 2) / 1_048_576).toFixed(1)} MB`;
    expect(progress.some((line) => line.startsWith(`Herald: Electron ${VERSION}: ${half} received (`))).toBe(true);

    // A second start fetches nothing.
    mirror.requests.length = 0;
    rmSync(record);
    const again = await launch({ ...opts, print: (line) => lines.push(line) });
    expect(again).toEqual({ mode: 'desktop', exitCode: 0 });
    expect(mirror.requests).toEqual([]);
    expect(lines).toHaveLength(3);
    expect(existsSync(record)).toBe(true);
  });

  it('a mirror answering 404: one line with the installer’s reason and what to do, then headless', async () => {
    rmSync(record, { force: true });
    const { opts, lines, headlessRuns } = options('missing', 'nothing-here');
    const outcome = await launch(opts);
    expect(outcome.mode).toBe('headless');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      `Herald: could not fetch the Electron runtime (HTTPError: Response code 404 (Not Found) for ${mirror.url}/nothing-here/v${VERSION}/${ZIP}); ` +
        'offline or behind a firewall? set ELECTRON_MIRROR to a reachable mirror, or ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron; ' +
        'running the headless hub instead (UI in the browser).',
    );
    expect(headlessRuns).toEqual([['--hidden']]);
    expect(existsSync(path.join(opts.electronDir as string, 'path.txt'))).toBe(false);
    expect(existsSync(record)).toBe(false);
  });

  it('a zip whose checksum does not match is refused, not started', async () => {
    const zip = mirror.files.get(`/good/v${VERSION}/${ZIP}`)!;
    mirror.files.set(`/tampered/v${VERSION}/${ZIP}`, Buffer.concat([zip, Buffer.from('x')]));
    mirror.files.set(`/tampered/v${VERSION}/SHASUMS256.txt`, mirror.files.get(`/good/v${VERSION}/SHASUMS256.txt`)!);
    const { opts, lines, headlessRuns } = options('tampered', 'tampered');
    await launch(opts);
    expect(lines[1]).toMatch(/^Herald: could not fetch the Electron runtime \(Error: Generated checksum for "electron-v[\d.]+-linux-\w+\.zip" did not match expected checksum\.\); offline/);
    expect(headlessRuns).toHaveLength(1);
    expect(existsSync(path.join(opts.electronDir as string, 'path.txt'))).toBe(false);
  });

  it('no better-sqlite3 build for Electron on the mirror: one line naming it, then headless', async () => {
    const { opts, lines, headlessRuns } = options('no-prebuild', 'good', {});
    opts.env.npm_config_better_sqlite3_binary_host = `${mirror.url}/elsewhere`;
    const outcome = await launch(opts);
    expect(outcome.mode).toBe('headless');
    expect(lines.at(-1)).toBe(
      `Herald: could not fetch better-sqlite3 for Electron's ABI ${ABI} (No prebuilt binaries found (target=${VERSION} runtime=electron arch=${process.arch} libc= platform=${PLATFORM}) at ${mirror.url}/elsewhere/v${SQLITE_VERSION}/${PREBUILD}); ` +
        "offline or behind a firewall? set npm_config_better_sqlite3_binary_host_mirror to a mirror of better-sqlite3's releases, or HERALD_HEADLESS=1; " +
        'running the headless hub instead (UI in the browser).',
    );
    expect(headlessRuns).toHaveLength(1);
    expect(readdirSync(opts.nativeRoot)).toEqual([]); // no half-fetched folder left to load later
  });

  it('a Node too old for Electron’s installer: one line saying so (not "offline?"), nothing fetched', async () => {
    mirror.requests.length = 0;
    const { opts, lines, headlessRuns } = options('old-node', 'good', { nodeVersion: '20.18.0' });
    const outcome = await launch(opts);
    expect(outcome.mode).toBe('headless');
    expect(lines).toEqual([
      `Herald: no Electron runtime: Node 20.18.0 cannot run Electron's installer (it needs Node 20.19+ or 22.12+): upgrade Node, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron ${VERSION}; running the headless hub instead (UI in the browser).`,
    ]);
    expect(headlessRuns).toHaveLength(1);
    expect(mirror.requests).toEqual([]);
  });

  it('HERALD_HEADLESS=1 or no display: headless at once, nothing fetched', async () => {
    mirror.requests.length = 0;
    for (const env of [{ HERALD_HEADLESS: '1' }, { DISPLAY: '' }]) {
      const { opts, lines, headlessRuns } = options(`headless-${Object.keys(env)[0]}`, 'good');
      Object.assign(opts.env, env);
      const outcome = await launch(opts);
      expect(outcome.mode).toBe('headless');
      expect(lines).toHaveLength(1);
      expect(headlessRuns).toHaveLength(1);
    }
    expect(mirror.requests).toEqual([]);
  });
});

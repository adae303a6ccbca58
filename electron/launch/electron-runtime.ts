// The Electron runtime for `npm start`. Electron 45's package downloads its runtime on first
// use, not at `npm install`; this finds it on disk and, when it is missing, runs Electron's
// own installer (node_modules/electron/install.js: ELECTRON_MIRROR, electron_config_cache,
// proxies and checksums are its business) in a child process, showing how much has arrived.
// Never `require('electron')`: from plain Node that would run the same download silently.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type ElectronRuntime = { found: true; binary: string } | { found: false; reason: string };

/** What `npm start` needs to know about the installed `electron` package. */
export interface ElectronPackage {
  dir: string;
  version: string;
  /** The NODE_MODULE_VERSION its runtime loads native modules for (node_modules/electron/abi_version). */
  abi: string;
}

export function readElectronPackage(dir: string): ElectronPackage {
  const { version } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version, abi: readFileSync(path.join(dir, 'abi_version'), 'utf8').trim() };
}

/**
 * Where `electron`'s own index.js would look (path.txt names the binary under dist/, or
 * under $ELECTRON_OVERRIDE_DIST_PATH), without its download-on-demand fallback.
 */
export function findElectronRuntime(packageDir: string, env: NodeJS.ProcessEnv, exists: (file: string) => boolean = existsSync): ElectronRuntime {
  const pathFile = path.join(packageDir, 'path.txt');
  const executable = exists(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const binary = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron');
    return exists(binary) ? { found: true, binary } : { found: false, reason: `${binary} (ELECTRON_OVERRIDE_DIST_PATH) does not exist` };
  }
  if (!executable) return { found: false, reason: 'not downloaded yet (node_modules/electron/path.txt is missing)' };
  const binary = path.join(packageDir, 'dist', executable);
  return exists(binary) ? { found: true, binary } : { found: false, reason: `node_modules/electron/dist/${executable} is missing` };
}

/**
 * Electron's installer and @electron/get are ES modules that install.js loads with
 * require(): Node runs that from 20.19 (and 22.12) on, whatever their `engines` field
 * (>= 22.12) says. Tried on 20.19.0 and 20.20 against a loopback mirror; older Nodes stop
 * with ERR_REQUIRE_ESM, so they are told so instead.
 */
export function installerNodeProblem(nodeVersion: string): string | null {
  const [major = 0, minor = 0] = nodeVersion.replace(/^v/, '').split('.').map(Number);
  const ok = major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19);
  return ok ? null : `Node ${nodeVersion} cannot run Electron's installer (it needs Node 20.19+ or 22.12+): upgrade Node`;
}

/** The one line that says what to do when the runtime cannot be fetched. */
export const RUNTIME_FETCH_HELP = 'offline or behind a firewall? set ELECTRON_MIRROR to a reachable mirror, or ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron';

/** The installer's error in one line: the first line of its stack that is not a frame, with the URL it names. */
export function installerReason(stderr: string, exitCode: number | null): string {
  const line = stderr
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('at ') && !/^\(node:\d+\)/.test(l) && !l.startsWith('(Use `node --trace'));
  if (!line) return `Electron's installer exited with ${exitCode ?? 'a signal'}`;
  // fetch() hides the cause (ECONNREFUSED, ENOTFOUND…) behind this message.
  return line === 'TypeError: fetch failed' ? 'fetch failed (no connection to the mirror)' : line;
}

export interface InstallProgress {
  /** Bytes of the runtime's zip written so far. */
  bytes: number;
  elapsedMs: number;
}

export interface InstallOptions {
  pkg: ElectronPackage;
  env: NodeJS.ProcessEnv;
  onProgress?(progress: InstallProgress): void;
  /** Called every this many ms while the installer runs (default 1,000). */
  progressIntervalMs?: number;
  /** Give up when no byte has arrived for this long (default 120 s): every wait has a bound. */
  stallMs?: number;
}

export type InstallResult = { ok: true; runtime: ElectronRuntime & { found: true } } | { ok: false; reason: string };

/**
 * Runs node_modules/electron/install.js. The installer itself prints no progress when its
 * output is not a terminal (and only after 30 s when it is), so it downloads into a temp
 * folder of ours (TMPDIR) whose growth is what onProgress reports.
 */
export async function installElectronRuntime(options: InstallOptions): Promise<InstallResult> {
  const { pkg } = options;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'herald-electron-fetch-'));
  const stallMs = options.stallMs ?? 120_000;
  const started = Date.now();
  try {
    const child = spawn(process.execPath, [path.join(pkg.dir, 'install.js')], {
      cwd: pkg.dir,
      env: { ...options.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let lastBytes = -1;
    let lastChange = Date.now();
    let stalled = false;
    const tick = setInterval(() => {
      const bytes = bytesUnder(tmp);
      if (bytes !== lastBytes) {
        lastBytes = bytes;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        stalled = true;
        child.kill('SIGTERM');
      }
      options.onProgress?.({ bytes, elapsedMs: Date.now() - started });
    }, options.progressIntervalMs ?? 1_000);
    const exit = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    }).finally(() => clearInterval(tick));
    if (stalled) return { ok: false, reason: `no data from the mirror for ${Math.round(stallMs / 1000)} s` };
    if (exit !== 0) return { ok: false, reason: installerReason(stderr, exit) };
    const runtime = findElectronRuntime(pkg.dir, options.env);
    if (!runtime.found) return { ok: false, reason: `the installer finished but ${runtime.reason}` };
    return { ok: true, runtime };
  } catch (error) {
    return { ok: false, reason: `could not run Electron's installer: ${(error as Error).message}` };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function bytesUnder(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0; // removed between listing and reading: the installer moves its download
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    try {
      total += entry.isDirectory() ? bytesUnder(full) : statSync(full).size;
    } catch {
      // moved meanwhile
    }
  }
  return total;
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

// better-sqlite3 for Electron's ABI, beside (never instead of) the Node build in
// node_modules/better-sqlite3/build that the headless hub and the tests load. The package
// is not N-API: its binary exports node_register_module_v<ABI> and loads only in a runtime
// of that ABI (this Node: 115; Electron 45: 150). prebuild-install — better-sqlite3's own
// install step, already in node_modules — fetches its Electron build once into a folder of
// its own; the hub is then told to load that file (better-sqlite3's nativeBinding option).
// Its settings are prebuild-install's: npm_config_better_sqlite3_binary_host(_mirror) for a
// mirror, npm's proxy settings, npm_config_cache for where downloads are kept.
// Packaged builds do not come here: electron-builder rebuilds the module for Electron.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface SqliteBindingTarget {
  /** The better-sqlite3 package folder (its package.json names the version to fetch). */
  packageDir: string;
  electronVersion: string;
  abi: string;
  platform: string;
  arch: string;
}

/** Where the Electron build lives: one folder per better-sqlite3 version, ABI, platform and arch. */
export function sqliteBindingDir(nativeRoot: string, target: SqliteBindingTarget): string {
  const { version } = JSON.parse(readFileSync(path.join(target.packageDir, 'package.json'), 'utf8')) as { version: string };
  return path.join(nativeRoot, `better-sqlite3-v${version}-electron-v${target.abi}-${target.platform}-${target.arch}`);
}

/** The .node file inside that folder, as better-sqlite3's prebuilt tarballs lay it out. */
export function sqliteBindingFile(dir: string): string {
  return path.join(dir, 'build', 'Release', 'better_sqlite3.node');
}

export const SQLITE_FETCH_HELP =
  'offline or behind a firewall? set npm_config_better_sqlite3_binary_host_mirror to a mirror of better-sqlite3\'s releases, or HERALD_HEADLESS=1';

/** prebuild-install's own words for why it failed, with the URL it asked, in one line. */
export function prebuildReason(output: string, exitCode: number | null): string {
  const lines = output.split('\n').map((l) => l.trim());
  const url = lines.map((l) => /^prebuild-install http request GET (\S+)/.exec(l)?.[1]).find(Boolean);
  const warning = lines.map((l) => /^prebuild-install (?:warn|error) (?:install )?(.+)$/.exec(l)?.[1]).find(Boolean);
  const reason = warning ?? `prebuild-install exited with ${exitCode ?? 'a signal'}`;
  return url ? `${reason} at ${url}` : reason;
}

export type SqliteBindingResult = { ok: true; file: string; fetched: boolean } | { ok: false; reason: string };

export interface EnsureOptions {
  nativeRoot: string;
  target: SqliteBindingTarget;
  env: NodeJS.ProcessEnv;
  /** Bound on the whole fetch (default 3 min; the tarball is a few MB). */
  timeoutMs?: number;
}

/**
 * The Electron build's file, fetched first when missing. It is fetched into a scratch
 * folder and renamed into place, so an interrupted fetch never leaves a half file that a
 * later start would load.
 */
export async function ensureSqliteBinding(options: EnsureOptions): Promise<SqliteBindingResult> {
  const dir = sqliteBindingDir(options.nativeRoot, options.target);
  const file = sqliteBindingFile(dir);
  if (existsSync(file)) return { ok: true, file, fetched: false };
  const scratch = `${dir}.partial-${process.pid}`;
  try {
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    // prebuild-install reads the package.json of the folder it installs into.
    copyFileSync(path.join(options.target.packageDir, 'package.json'), path.join(scratch, 'package.json'));
    const bin = createRequire(path.join(options.target.packageDir, 'package.json')).resolve('prebuild-install/bin.js');
    const args = [bin, '--runtime', 'electron', '--target', options.target.electronVersion, '--arch', options.target.arch, '--platform', options.target.platform, '--path', scratch, '--verbose'];
    const { code, output, timedOut } = await run(process.execPath, args, { cwd: scratch, env: options.env, timeoutMs: options.timeoutMs ?? 180_000 });
    if (timedOut) return { ok: false, reason: `prebuild-install did not finish within ${Math.round((options.timeoutMs ?? 180_000) / 1000)} s` };
    if (code !== 0) return { ok: false, reason: prebuildReason(output, code) };
    if (!existsSync(sqliteBindingFile(scratch))) return { ok: false, reason: 'the prebuilt archive holds no build/Release/better_sqlite3.node' };
    rmSync(dir, { recursive: true, force: true });
    renameSync(scratch, dir);
    return { ok: true, file, fetched: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, opts.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

// `npm start`, step by step: headless when asked or without a display; otherwise make sure
// the Electron runtime and better-sqlite3's Electron build are there (fetching each once,
// with progress), then start Electron on the app folder. Whatever fails says so in one
// line — the tool's reason and what to do — and the headless hub runs instead.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findElectronRuntime, formatMegabytes, installElectronRuntime, installerNodeProblem, readElectronPackage, RUNTIME_FETCH_HELP, type InstallProgress } from './electron-runtime.js';
import { decideLaunch, electronMirrorOf, headlessNotice } from './plan.js';
import { ensureSqliteBinding, SQLITE_FETCH_HELP, sqliteBindingDir, sqliteBindingFile } from './sqlite-binding.js';

/** The env var that tells the Electron main process which better-sqlite3 binary to load. */
export const SQLITE_BINDING_ENV = 'HERALD_SQLITE_BINDING';

export interface LaunchOptions {
  platform: string;
  arch: string;
  env: NodeJS.ProcessEnv;
  /** Passed on to Electron (after the app folder) or to the headless hub. */
  argv: string[];
  /** The folder holding package.json, which Electron is started on. */
  appDir: string;
  /** node_modules/electron; undefined when the package is not installed. */
  electronDir: string | undefined;
  /** node_modules/better-sqlite3. */
  sqliteDir: string;
  /** Where better-sqlite3's Electron build is kept. */
  nativeRoot: string;
  /** One finished line. */
  print(line: string): void;
  /** A progress line; a terminal overwrites it in place. */
  progress(line: string): void;
  runHeadless(argv: string[]): Promise<void>;
  /** Default: node's spawn with the terminal inherited. */
  startElectron?(binary: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess;
  /** How often download progress is reported (default 1 s). */
  progressIntervalMs?: number;
  /** Default: this process's Node. */
  nodeVersion?: string;
}

export type LaunchOutcome = { mode: 'headless'; reason: string } | { mode: 'desktop'; exitCode: number };

export async function launch(options: LaunchOptions): Promise<LaunchOutcome> {
  const headless = async (reason: string): Promise<LaunchOutcome> => {
    options.print(headlessNotice(reason));
    await options.runHeadless(options.argv);
    return { mode: 'headless', reason };
  };
  const plan = decideLaunch(options);
  if (plan.mode === 'headless') return headless(plan.reason);
  if (!options.electronDir) return headless('no Electron runtime: the electron package is not installed (npm install)');

  const pkg = readElectronPackage(options.electronDir);
  const found = findElectronRuntime(pkg.dir, options.env);
  let binary = found.found ? found.binary : '';
  if (!found.found) {
    // An override names a runtime the user unpacked; fetching into dist/ would not change it.
    if (options.env.ELECTRON_OVERRIDE_DIST_PATH) return headless(`no Electron runtime: ${found.reason}`);
    // Not a network problem: say so rather than send the user to mirrors and firewalls.
    const tooOld = installerNodeProblem(options.nodeVersion ?? process.versions.node);
    if (tooOld) return headless(`no Electron runtime: ${tooOld}, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron ${pkg.version}`);
    options.print(`Herald: first desktop start: fetching the Electron ${pkg.version} runtime (about 100 MB, once) with Electron's installer from ${electronMirrorOf(options.env)}`);
    const installed = await installElectronRuntime({
      pkg,
      env: options.env,
      onProgress: ({ bytes, elapsedMs }: InstallProgress) => options.progress(`Herald: Electron ${pkg.version}: ${formatMegabytes(bytes)} received (${Math.round(elapsedMs / 1000)} s)`),
      ...(options.progressIntervalMs !== undefined && { progressIntervalMs: options.progressIntervalMs }),
    });
    if (!installed.ok) return headless(`could not fetch the Electron runtime (${installed.reason}); ${RUNTIME_FETCH_HELP}`);
    binary = installed.runtime.binary;
    options.print(`Herald: Electron ${pkg.version} runtime ready (${binary})`);
  }

  const target = { packageDir: options.sqliteDir, electronVersion: pkg.version, abi: pkg.abi, platform: options.platform, arch: options.arch };
  if (!existsSync(sqliteBindingFile(sqliteBindingDir(options.nativeRoot, target)))) {
    options.print(`Herald: fetching better-sqlite3's build for Electron ${pkg.version} (ABI ${pkg.abi}, once) with prebuild-install`);
  }
  const binding = await ensureSqliteBinding({ nativeRoot: options.nativeRoot, target, env: options.env });
  if (!binding.ok) return headless(`could not fetch better-sqlite3 for Electron's ABI ${pkg.abi} (${binding.reason}); ${SQLITE_FETCH_HELP}`);

  const env: NodeJS.ProcessEnv = { ...options.env, [SQLITE_BINDING_ENV]: binding.file };
  delete env.ELECTRON_RUN_AS_NODE; // would make the binary a plain Node
  const start = options.startElectron ?? ((binary, args, childEnv) => spawn(binary, args, { stdio: 'inherit', env: childEnv }));
  const child = start(binary, [options.appDir, ...options.argv], env);
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`could not start Electron (${binary}): ${error.message}`)));
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    });
    return { mode: 'desktop', exitCode };
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

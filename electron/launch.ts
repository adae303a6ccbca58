// `npm start`: the desktop app when an Electron runtime and a display exist, otherwise one
// line saying why and the headless hub in this process. Plain Node: requiring the `electron`
// package would try to download its runtime, so the runtime is looked for on disk instead.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type ElectronRuntime = { found: true; binary: string } | { found: false; reason: string };

/**
 * Where `electron`'s own index.js would look (path.txt names the binary under dist/, or
 * under $ELECTRON_OVERRIDE_DIST_PATH), without its download-on-demand fallback.
 */
export function findElectronRuntime(
  env: NodeJS.ProcessEnv,
  resolvePackageJson: () => string = () => createRequire(import.meta.url).resolve('electron/package.json'),
  exists: (file: string) => boolean = existsSync,
  read: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): ElectronRuntime {
  let packageDir: string;
  try {
    packageDir = path.dirname(resolvePackageJson());
  } catch {
    return { found: false, reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const executable = exists(pathFile) ? read(pathFile).trim() : undefined;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const binary = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, executable || 'electron');
    return exists(binary) ? { found: true, binary } : { found: false, reason: `${binary} (ELECTRON_OVERRIDE_DIST_PATH) does not exist` };
  }
  if (!executable) return { found: false, reason: 'its download did not complete (node_modules/electron/path.txt is missing)' };
  const binary = path.join(packageDir, 'dist', executable);
  return exists(binary) ? { found: true, binary } : { found: false, reason: `node_modules/electron/dist/${executable} is missing` };
}

/** Linux and the BSDs need an X11 or Wayland display; macOS and Windows always have one. */
export function displayProblem(platform: string, env: NodeJS.ProcessEnv): string | null {
  if (platform === 'darwin' || platform === 'win32') return null;
  return env.DISPLAY || env.WAYLAND_DISPLAY ? null : 'DISPLAY and WAYLAND_DISPLAY are unset';
}

export type LaunchPlan = { mode: 'electron'; binary: string } | { mode: 'headless'; reason: string };

export function decideLaunch(input: { platform: string; env: NodeJS.ProcessEnv; runtime: ElectronRuntime }): LaunchPlan {
  if (input.env.HERALD_HEADLESS === '1') return { mode: 'headless', reason: 'HERALD_HEADLESS=1' };
  if (!input.runtime.found) return { mode: 'headless', reason: `no Electron runtime: ${input.runtime.reason}` };
  const noDisplay = displayProblem(input.platform, input.env);
  if (noDisplay) return { mode: 'headless', reason: `no display: ${noDisplay}` };
  return { mode: 'electron', binary: input.runtime.binary };
}

/** The one line `npm start` prints before falling back. */
export function headlessNotice(reason: string): string {
  return `Herald: ${reason}; running the headless hub instead (UI in the browser).`;
}

async function main(): Promise<void> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const plan = decideLaunch({ platform: process.platform, env: process.env, runtime: findElectronRuntime(process.env) });
  if (plan.mode === 'headless') {
    process.stdout.write(`${headlessNotice(plan.reason)}\n`);
    const headless = await import('./headless.js');
    await headless.main(process.argv.slice(2));
    return;
  }
  // The app folder (package.json's "main" points at dist/electron/main.js): two levels up from dist/electron.
  const appDir = path.resolve(here, '../..');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would make the binary a plain Node
  const child = spawn(plan.binary, [appDir, ...process.argv.slice(2)], { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`herald: could not start Electron: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((err: Error) => {
    process.stderr.write(`herald: ${err.message}\n`);
    process.exit(1);
  });
}

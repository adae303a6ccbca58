// `npm start`: wiring only. The desktop app where a display exists — its Electron runtime
// and better-sqlite3's Electron build fetched on the first start — otherwise one line saying
// why and the headless hub in this process. The steps and decisions live in launch/.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './launch/launcher.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function packageDir(name: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  // The app folder (package.json's "main" points at dist/electron/main.js): two levels up from dist/electron.
  const appDir = path.resolve(here, '../..');
  const sqliteDir = packageDir('better-sqlite3');
  if (!sqliteDir) throw new Error('better-sqlite3 is not installed: run npm install');
  const tty = process.stdout.isTTY === true;
  let progressShown = false;
  let lastProgressLine = 0;
  const outcome = await launch({
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    argv: process.argv.slice(2),
    appDir,
    electronDir: packageDir('electron'),
    sqliteDir,
    nativeRoot: path.join(appDir, 'node_modules', '.cache', 'herald-electron-native'),
    print: (line) => {
      process.stdout.write(`${progressShown && tty ? '\n' : ''}${line}\n`);
      progressShown = false;
    },
    // A terminal overwrites the line in place; a log gets one line every 5 s.
    progress: (line) => {
      if (tty) {
        process.stdout.write(`\r${line}`);
        progressShown = true;
      } else if (Date.now() - lastProgressLine >= 5_000) {
        lastProgressLine = Date.now();
        process.stdout.write(`${line}\n`);
      }
    },
    runHeadless: async (argv) => (await import('./headless.js')).main(argv),
  });
  if (outcome.mode === 'desktop') process.exitCode = outcome.exitCode;
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((err: Error) => {
    process.stderr.write(`herald: ${err.message}\n`);
    process.exit(1);
  });
}

// The build, in three parts with their own inputs: the TypeScript of the hub, headless entry
// and Electron shell (tsc, two configs), the preload bundle (esbuild) and the renderer
// (vite). `node scripts/build.mjs` (what `npm start` and `npm run serve` run) builds only the
// parts whose inputs changed since their last build, so restarting an unchanged checkout
// costs a few milliseconds of stat() calls instead of the whole build; `--all` (`npm run
// build`, `npm test`, CI) builds every part whatever the stamps say.
//
// A part's stamp (dist/.build-stamps/<part>) is a hash of its inputs' paths, sizes and
// modification times and of its build command; a part whose outputs are missing is built
// whatever its stamp says. tsc also runs incrementally (its .tsbuildinfo under dist/, so
// removing dist/ starts it over), so a change to one file re-checks far less than the
// whole program.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMPS = join(root, 'dist/.build-stamps');
const TSBUILDINFO = join(root, 'dist/.tsbuildinfo');
const bin = (name) => join(root, 'node_modules/.bin', name);

const common = ['package.json', 'package-lock.json', 'tsconfig.base.json'];
const PARTS = [
  {
    name: 'tsc',
    inputs: [...common, 'tsconfig.node.json', 'tsconfig.electron.json', 'shared', 'electron'],
    outputs: ['dist/electron/headless.js', 'dist/electron/launch.js', 'dist/electron/main.js', 'dist/electron/hub/ingress/ingress-thread.js'],
    commands: [
      [bin('tsc'), '-p', 'tsconfig.node.json', '--incremental', '--tsBuildInfoFile', join(TSBUILDINFO, 'node.tsbuildinfo')],
      [bin('tsc'), '-p', 'tsconfig.electron.json', '--incremental', '--tsBuildInfoFile', join(TSBUILDINFO, 'electron.tsbuildinfo')],
    ],
    // tsc's incremental state must not outlive the files it says it wrote.
    onMissingOutputs: () => rmSync(TSBUILDINFO, { recursive: true, force: true }),
  },
  {
    name: 'preload',
    inputs: [...common, 'electron/preload.ts', 'shared'],
    outputs: ['dist/electron/preload.cjs'],
    commands: [[bin('esbuild'), 'electron/preload.ts', '--bundle', '--platform=browser', '--format=cjs', '--external:electron', '--target=chrome140', '--outfile=dist/electron/preload.cjs', '--log-level=warning']],
  },
  {
    name: 'renderer',
    inputs: [...common, 'tsconfig.renderer.json', 'vite.config.ts', 'renderer', 'shared'],
    outputs: ['dist/renderer/index.html'],
    commands: [[bin('vite'), 'build', '--logLevel', 'warn']],
  },
];

/** Every file under the inputs, with size and mtime: a change, an added or a removed file changes the hash. */
function fingerprint(part) {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(part.commands));
  const visit = (path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      hash.update(`${relative(root, path)}:absent\n`);
      return;
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
      return;
    }
    hash.update(`${relative(root, path)}:${stat.size}:${stat.mtimeMs}\n`);
  };
  for (const input of part.inputs) visit(join(root, input));
  return hash.digest('hex');
}

export function build({ all = false, log = (line) => process.stdout.write(`${line}\n`) } = {}) {
  mkdirSync(STAMPS, { recursive: true });
  const built = [];
  for (const part of PARTS) {
    const stampFile = join(STAMPS, part.name);
    const outputsThere = part.outputs.every((output) => existsSync(join(root, output)));
    const before = fingerprint(part);
    const stamp = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';
    if (!all && outputsThere && stamp === before) continue;
    if (!outputsThere) part.onMissingOutputs?.();
    const started = Date.now();
    for (const [command, ...args] of part.commands) execFileSync(command, args, { cwd: root, stdio: 'inherit' });
    // The inputs as they were when the build started: an edit made during it is built next time.
    writeFileSync(stampFile, before);
    built.push(`${part.name} ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  log(built.length ? `build: ${built.join(', ')}` : 'build: nothing changed');
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    build({ all: process.argv.includes('--all') });
  } catch (error) {
    // tsc, esbuild and vite have printed their errors already.
    process.stderr.write(`build failed: ${error.message.split('\n')[0]}\n`);
    process.exit(1);
  }
}

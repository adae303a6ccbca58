// The test tree mirrors the source folders (run by `npm run lint:layers`, so by `npm test`
// and before every land): a unit or integration test sits in the folder of what it tests,
// with `electron/` dropped —
//   electron/hub/store/events.ts      → test/unit/hub/store/events.test.ts
//   electron/shell/tray.ts (+ main.ts) → test/unit/shell/tray.test.ts
//   renderer/lib/rule-draft.ts        → test/unit/renderer/lib/rule-draft.test.ts
//   shared/rules.ts                   → test/unit/shared/rules.test.ts
//   scripts/check-test-layout.mjs     → test/unit/scripts/check-test-layout.test.ts
// integration tests by their main subject (test/integration/hub/channels/email.test.ts).
// Browser tests stay in test/e2e/ (*.e2e.test.ts); helpers and fixtures beside them.
// A test anywhere else fails the check, named with the folder it belongs in.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (this script's parent folder), or the folder given as the first argument (the check's own test). */
const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const LEVELS = ['unit', 'integration'];

/** Source folders a test folder may mirror: `hub/store` for electron/hub/store, `renderer/lib`, `shared`. */
function sourceFolders() {
  const folders = new Set();
  const walk = (dir, mirror) => {
    folders.add(mirror);
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), path.posix.join(mirror, entry.name));
    }
  };
  for (const entry of existsSync(path.join(root, 'electron')) ? readdirSync(path.join(root, 'electron'), { withFileTypes: true }) : []) {
    if (entry.isDirectory()) walk(path.join('electron', entry.name), entry.name);
  }
  for (const top of ['renderer', 'shared', 'scripts']) if (existsSync(path.join(root, top))) walk(top, top);
  return folders;
}

function testFiles(dir) {
  const out = [];
  if (!existsSync(path.join(root, dir))) return out;
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(rel));
    else if (entry.name.endsWith('.test.ts')) out.push(rel);
  }
  return out;
}

/** Source files by base name (`events` → [`hub/store`]), in mirror folders. */
function sourceNames(folders) {
  const names = new Map();
  for (const folder of folders) {
    const dir = /^(renderer|shared|scripts)(\/|$)/.test(folder) ? folder : `electron/${folder}`;
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const base = entry.isFile() && /\.tsx?$/.test(entry.name) ? entry.name.replace(/\.tsx?$/, '') : undefined;
      if (base) names.set(base, [...(names.get(base) ?? []), folder]);
    }
  }
  return names;
}

/** The old flat names' prefixes, and the folder each stood for. */
const PREFIXES = {
  store: 'hub/store', source: 'hub/sources', sources: 'hub/sources', poll: 'hub/sources', channel: 'hub/channels', config: 'hub/config',
  api: 'hub/api', ingress: 'hub/ingress', delivery: 'hub/delivery', rules: 'hub/rules', board: 'hub/board', shell: 'shell', renderer: 'renderer',
};

/**
 * Where a misplaced test belongs: for an old flat name the folder its prefix stood for
 * (`store-events` → hub/store/events), else the folder of the one source file of its name,
 * else the folder of the source it imports most (the hub's and shell's before shared/).
 */
function suggestion(file, level, folders, names) {
  const base = path.posix.basename(file, '.test.ts');
  const prefix = /^([a-z]+)-(.+)$/.exec(base);
  const prefixed = prefix && PREFIXES[prefix[1]];
  if (prefixed) {
    const inside = (names.get(prefix[2]) ?? []).filter((f) => f === prefixed || f.startsWith(`${prefixed}/`));
    return `test/${level}/${inside.length === 1 ? inside[0] : prefixed}/${prefix[2]}.test.ts`;
  }
  if (names.get(base)?.length === 1) return `test/${level}/${names.get(base)[0]}/${base}.test.ts`;
  const text = readFileSync(path.join(root, file), 'utf8');
  const counts = new Map();
  for (const match of text.matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]));
    const mirror = target.startsWith('electron/') ? path.posix.dirname(target.slice('electron/'.length)) : /^(renderer|shared|scripts)\//.test(target) ? path.posix.dirname(target) : undefined;
    if (mirror && folders.has(mirror)) counts.set(mirror, (counts.get(mirror) ?? 0) + (mirror === 'shared' ? 0.5 : 1));
  }
  const best = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  return best ? `test/${level}/${best}/` : `test/${level}/<source folder>/ (hub/…, shell, launch, updates, renderer/…, shared)`;
}

const folders = sourceFolders();
const names = sourceNames(folders);
const problems = [];
for (const file of testFiles('test')) {
  const [, top, ...rest] = file.split('/');
  if (top === 'e2e') {
    if (rest.length !== 1 || !file.endsWith('.e2e.test.ts')) problems.push(`${file}: browser tests are test/e2e/<name>.e2e.test.ts`);
    continue;
  }
  const level = LEVELS.includes(top) ? top : 'unit';
  const folder = LEVELS.includes(top) ? rest.slice(0, -1).join('/') : undefined;
  if (folder && folders.has(folder)) continue;
  const where = folder === undefined ? `outside test/unit, test/integration and test/e2e` : folder === '' ? `directly in test/${level}/` : `in test/${level}/${folder}/, which mirrors no source folder`;
  problems.push(`${file}: ${where} — move it to ${suggestion(file, level, folders, names)}`);
}

if (problems.length) {
  console.error(
    `${problems.length} test file${problems.length > 1 ? 's' : ''} outside the mirrored layout (the test tree mirrors the source folders; scripts/check-test-layout.mjs):\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(`✔ test layout: ${testFiles('test').length} test files in the source tree's mirror`);

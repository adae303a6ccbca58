// `npm run db -- check|recover [--data-dir DIR]`: the way out when the hub refuses a damaged
// database (store/integrity.ts). `check` runs SQLite's full integrity check and Herald's
// acknowledged-events check, read-only. `recover` salvages what can be read into a new file
// (store/salvage.ts), keeps the damaged files beside it as `herald.db.damaged-<time>`, and
// puts the new one in place. It refuses while a hub runs on the data dir (data-dir.ts's lock).
import { existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultDataDir } from './headless.js';
import { lockDataDir } from './hub/data-dir.js';
import { ACKED_SUFFIX, findDamage, highestEventSeq, shellWord } from './hub/store/integrity.js';
import { newDatabase, openDatabase } from './hub/store/open.js';
import { salvageInto } from './hub/store/salvage.js';
import { DB_FILE } from './hub/store/store.js';

const USAGE = `usage: npm run db -- check|recover [--data-dir DIR]
  check     is the database whole? (read-only; exit code 1 when it is damaged)
  recover   salvage what can be read into a new database; the damaged files are kept
            as herald.db.damaged-<time>. Stop Herald first (it refuses while a hub
            runs on the data dir).
`;

const readOnly = (file: string, nativeBinding?: string) => newDatabase(file, { readonly: true, fileMustExist: true, ...(nativeBinding !== undefined && { nativeBinding }) });

export function checkDatabase(dataDir: string, out: (line: string) => void): boolean {
  const file = join(dataDir, DB_FILE);
  if (!existsSync(file)) {
    out(`no database at ${file}`);
    return false;
  }
  const problem = findDamage(file, readOnly, { full: true });
  if (problem) {
    out(`damaged: ${file}: ${problem}`);
    out(`to salvage what is left: npm run db -- recover --data-dir ${shellWord(dataDir)}`);
    return false;
  }
  const db = readOnly(file);
  try {
    const events = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    out(`ok: ${file} passes SQLite's integrity check and holds every acknowledged event (${events} events, up to #${highestEventSeq(db)})`);
  } finally {
    db.close();
  }
  return true;
}

/** `nativeBinding`: better-sqlite3's build for the runtime, when not the default one (the desktop app from sources, main.ts). */
export function recoverDatabase(dataDir: string, out: (line: string) => void, now = new Date(), nativeBinding?: string): void {
  const file = join(dataDir, DB_FILE);
  if (!existsSync(file)) throw new Error(`no database at ${file}`);
  // A hub running on the dir would go on writing into the file renamed from under it.
  const lock = lockDataDir(dataDir, { doing: 'stop it, then run recover again', nativeBinding });
  try {
    recoverLocked(file, out, now, nativeBinding);
  } finally {
    lock.release();
  }
}

function recoverLocked(file: string, out: (line: string) => void, now: Date, nativeBinding: string | undefined): void {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const recovered = `${file}.recovered-${stamp}`;
  const from = readOnly(file, nativeBinding);
  const to = openDatabase(recovered, nativeBinding === undefined ? {} : { nativeBinding });
  let report;
  try {
    report = salvageInto(from, to);
    to.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    from.close();
    to.close();
  }
  const kept: string[] = [];
  for (const suffix of ['', '-wal', '-shm', ACKED_SUFFIX]) {
    if (!existsSync(`${file}${suffix}`)) continue;
    const damaged = `${file}.damaged-${stamp}${suffix}`;
    renameSync(`${file}${suffix}`, damaged);
    kept.push(damaged);
  }
  renameSync(recovered, file);
  for (const suffix of ['-wal', '-shm']) if (existsSync(`${recovered}${suffix}`)) renameSync(`${recovered}${suffix}`, `${file}${suffix}`);
  const copied = Object.entries(report.copied).map(([table, n]) => `${table} ${n}`).join(', ');
  const dropped = Object.entries(report.dropped).map(([table, n]) => `${table} ${n}`).join(', ');
  out(`recovered into ${file}: ${copied}`);
  if (dropped) out(`  rows read but not kept (they pointed at rows that were lost): ${dropped}`);
  out(`  unreadable ranges skipped: ${report.readErrors}`);
  out(`  the damaged files are kept: ${kept.join(', ')}`);
}

export function main(argv = process.argv.slice(2), out: (line: string) => void = (line) => void process.stdout.write(`${line}\n`)): number {
  const { values, positionals } = parseArgs({ args: argv, options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  const [command] = positionals;
  if (values.help || (command !== 'check' && command !== 'recover') || positionals.length !== 1) {
    out(USAGE.trimEnd());
    return values.help ? 0 : 2;
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  if (command === 'check') return checkDatabase(dataDir, out) ? 0 : 1;
  recoverDatabase(dataDir, out);
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  try {
    process.exitCode = main();
  } catch (error) {
    process.stderr.write(`herald db: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

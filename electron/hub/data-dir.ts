// The data dir holds the whole history (titles, payloads, actors), the config and the api
// token: owner-only (0700), on a fresh install and on one created before this rule. On
// Windows the mode bits mean little; the per-user profile folder is what protects it.
//
// One hub per data dir: a second one (a second `npm run serve`, the desktop app beside a
// headless hub on the default dir, `npm run db -- recover` while a hub runs) would share the
// SQLite file with a process that keeps its delivery claims and board in memory — sending
// every delivery twice, or writing into a file swapped from under it. The lock is an OS file
// lock (SQLite's, on `herald.lock`: fcntl on Unix, LockFileEx on Windows), so the system
// drops it when its process ends, however it ends: no stale pid file after a crash.
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { newDatabase } from './store/open.js';

const OWNER_ONLY_DIR = 0o700;
export const LOCK_FILE = 'herald.lock';

/**
 * Creates the data dir owner-only, or makes an existing one so; says what it changed. One
 * that cannot be made or written stops the start with one line naming it and why.
 */
export function prepareDataDir(dir: string, log?: (line: string) => void): void {
  try {
    mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new Error(`data dir ${dir}: ${whyNotUsable(error as NodeJS.ErrnoException)}; choose another with --data-dir DIR or $HERALD_DATA_DIR`);
  }
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  chmodSync(dir, OWNER_ONLY_DIR);
  log?.(`data dir: others could read ${dir} (mode ${mode.toString(8)}); made it owner-only (700)`);
}

function whyNotUsable(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EEXIST':
      return 'a file of that name is in the way (not a folder)';
    case 'ENOTDIR':
      return 'part of the path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return `this user (${userInfo().username}) may not create or write it`;
    case 'EROFS':
      return 'it is on a read-only file system';
    default:
      return error.message;
  }
}

export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data dir for this process, or throws DataDirInUse naming the dir; `doing` is
 * what the message tells the user to do (default: stop the other one, or use another dir).
 */
export function lockDataDir(dir: string, options: { nativeBinding?: string | undefined; doing?: string } = {}): DataDirLock {
  const file = join(dir, LOCK_FILE);
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const db = newDatabase(file, { timeout: 0, ...(options.nativeBinding !== undefined && { nativeBinding: options.nativeBinding }) });
  try {
    // An exclusive transaction never committed: its lock lasts as long as the connection.
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
    throw new DataDirInUse(
      `the data dir ${dir} is in use by another Herald (a hub, the desktop app or \`npm run db -- recover\` holds ${file}): ${options.doing ?? 'stop it first, or give this hub a data dir of its own (--data-dir DIR or $HERALD_DATA_DIR)'}`,
    );
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}

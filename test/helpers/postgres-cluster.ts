// A throwaway real PostgreSQL cluster for tests (Debian's postgresql package): initdb into a temp
// dir, pg_ctl start on a free loopback port with its unix socket inside that dir, a superuser with
// a password (scram-sha-256 over TCP and the socket; trust nowhere), removed after.
//
// PostgreSQL refuses to run as root, and CI runs as root: then initdb/pg_ctl run as the unprivileged
// `postgres` user (created by the Debian package) via runuser, and the temp dir is given to it.
// The server keeps its real durability settings (fsync, synchronous_commit): stop/kill/restart tests
// see what a user's server does. Only initdb's own sync of the fresh files is skipped (--no-sync).
//
// Two ways to use it:
// - per test file: `const pg = await startPostgresCluster()` in beforeAll, `await pg.destroy()` in
//   afterAll. A file that stops, kills or restarts the server must own its cluster.
// - shared by many files: list test/helpers/postgres-global-setup.ts in a vitest `globalSetup`;
//   files call `sharedPostgresCluster()` (attaches to it, or starts one of their own when the
//   run has none) and only create databases in it.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Everything needed to reach and control a cluster; plain data, so a global setup can hand it to test files. */
export interface PostgresClusterInfo {
  binDir: string;
  dataDir: string;
  /** The temp dir holding dataDir, the socket dir and the log; removed by destroy(). */
  baseDir: string;
  socketDir: string;
  logFile: string;
  port: number;
  user: string;
  password: string;
  /** The OS user that runs the server (`postgres` when the tests run as root), or null: ourselves. */
  runAs: string | null;
}

export interface PostgresCluster {
  readonly info: PostgresClusterInfo;
  readonly port: number;
  /** Superuser URL of the `postgres` maintenance database. */
  readonly adminUrl: string;
  /** URL of `database` for the superuser (no database is created). */
  url(database: string, options?: { user?: string; password?: string }): string;
  /** Creates a fresh empty database (a unique name unless given) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  /** Runs one statement as the superuser in `database` (default `postgres`). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[], database?: string): Promise<pg.QueryResult<R>>;
  /** Is the server accepting connections right now? */
  isRunning(): Promise<boolean>;
  /** pg_ctl start (bounded wait); a no-op when running. */
  start(): Promise<void>;
  /** pg_ctl stop: 'fast' (default) disconnects clients and shuts down cleanly; 'immediate' is a crash (recovery on next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** SIGKILL to the postmaster and every server process: the machine-lost case. start() recovers. */
  kill(): Promise<void>;
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server (kills it if a stop does not finish) and removes the temp dir. */
  destroy(): Promise<void>;
}

const START_TIMEOUT_S = 30;
const STOP_TIMEOUT_S = 30;
const ADMIN_CONNECT_TIMEOUT_MS = 5_000;
const USER = 'herald_test';

function findBinDir(): string {
  if (process.env.HERALD_PG_BINDIR) return process.env.HERALD_PG_BINDIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) {
    throw new Error(`no PostgreSQL server found in ${root}/*/bin (install Debian's postgresql package, or set HERALD_PG_BINDIR)`);
  }
  return join(root, versions[0] as string, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a server tool as the cluster's OS user; rejects with the tool's own output on failure. */
function runTool(info: Pick<PostgresClusterInfo, 'binDir' | 'runAs'>, tool: string, args: string[], timeoutMs: number): Promise<string> {
  const binary = join(info.binDir, tool);
  const [command, argv] = info.runAs ? ['runuser', ['-u', info.runAs, '--', binary, ...args]] : [binary, args];
  return new Promise((resolve, reject) => {
    // cwd: the unprivileged user must be able to stat it (root's cwd may be closed to it).
    execFile(command, argv, { timeout: timeoutMs, killSignal: 'SIGKILL', cwd: tmpdir(), env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${tool} ${args[0] ?? ''} failed: ${(stderr || stdout || error.message).trim().slice(-1500)}`));
      else resolve(stdout);
    });
  });
}

function logTail(info: PostgresClusterInfo): string {
  try {
    return readFileSync(info.logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no server log)';
  }
}

let databaseCounter = 0;

/** A handle on an existing cluster (one this process started, or one a global setup started). */
export function attachPostgresCluster(info: PostgresClusterInfo): PostgresCluster {
  const url = (database: string, options: { user?: string; password?: string } = {}) =>
    `postgres://${encodeURIComponent(options.user ?? info.user)}:${encodeURIComponent(options.password ?? info.password)}@127.0.0.1:${info.port}/${encodeURIComponent(database)}`;

  async function query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = [], database = 'postgres') {
    const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: ADMIN_CONNECT_TIMEOUT_MS });
    client.on('error', () => {}); // a server stopped under an idle admin connection is not a test failure
    await client.connect();
    try {
      return await client.query<R>(sql, values);
    } finally {
      await client.end().catch(() => {});
    }
  }

  async function isRunning(): Promise<boolean> {
    try {
      await query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  const postmasterPid = (): number | null => {
    try {
      const pid = Number(readFileSync(join(info.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  };

  /** Running, not a zombie: a killed server's processes wait for a reaper (in a container, PID 1 may be slow to reap). */
  const alive = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  };

  async function start(): Promise<void> {
    if (await isRunning()) return;
    const options = [
      `-c listen_addresses=127.0.0.1`,
      `-c port=${info.port}`,
      `-c unix_socket_directories=${info.socketDir}`,
      // Tests open many pools at once; the default 100 can run out when every file shares one cluster.
      `-c max_connections=200`,
    ].join(' ');
    try {
      await runTool(info, 'pg_ctl', ['start', '-D', info.dataDir, '-l', info.logFile, '-w', '-t', String(START_TIMEOUT_S), '-o', options], (START_TIMEOUT_S + 5) * 1000);
    } catch (error) {
      throw new Error(`PostgreSQL did not start on 127.0.0.1:${info.port}: ${(error as Error).message}\n--- server log ---\n${logTail(info)}`);
    }
  }

  async function stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    const pid = postmasterPid();
    if (pid === null || !alive(pid)) return; // never started, stopped, or killed (a stale postmaster.pid)
    await runTool(info, 'pg_ctl', ['stop', '-D', info.dataDir, '-m', mode, '-w', '-t', String(STOP_TIMEOUT_S)], (STOP_TIMEOUT_S + 5) * 1000);
  }

  /** Every live process whose parent chain leads to `root` (the postmaster's children), read from /proc. */
  function descendants(root: number): number[] {
    const parents = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parents.set(Number(entry), ppid);
      } catch {
        // exited while we looked
      }
    }
    const found: number[] = [];
    const walk = (pid: number) => {
      for (const [child, parent] of parents) if (parent === pid) (found.push(child), walk(child));
    };
    walk(root);
    return found;
  }

  async function kill(): Promise<void> {
    const pid = postmasterPid();
    if (pid === null || !alive(pid)) return;
    const victims = [pid, ...descendants(pid)];
    for (const victim of victims) {
      try {
        process.kill(victim, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 10_000;
    while (victims.some(alive)) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${victims.filter(alive).join(', ')} still alive 10 s after SIGKILL`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // As after a machine crash, the lock file names a dead postmaster. Here its zombie may wait
    // for a slow reaper and still answer kill(pid, 0), so the next start would take it for a
    // running server: the lock files go (every server process is gone, so nothing is shared).
    rmSync(join(info.dataDir, 'postmaster.pid'), { force: true });
    rmSync(join(info.socketDir, `.s.PGSQL.${info.port}.lock`), { force: true });
  }

  return {
    info,
    port: info.port,
    adminUrl: url('postgres'),
    url,
    async createDatabase(name) {
      const database = name ?? `herald_${process.pid}_${Date.now().toString(36)}_${++databaseCounter}`;
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`database name ${JSON.stringify(database)}: use [a-z0-9_], starting with a letter or _`);
      await query(`CREATE DATABASE "${database}"`);
      return url(database);
    },
    async dropDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name ${JSON.stringify(name)}: use [a-z0-9_]`);
      await query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
    query,
    isRunning,
    start,
    stop,
    kill,
    async restart(mode = 'fast') {
      await stop(mode);
      await start();
    },
    async destroy() {
      try {
        await stop('immediate');
      } catch {
        await kill().catch(() => {});
      }
      rmSync(info.baseDir, { recursive: true, force: true });
    },
  };
}

/** initdb + start a new cluster; throws with the tool's output or the server log when either fails. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const binDir = findBinDir();
  const runAs = userInfo().uid === 0 ? 'postgres' : null;
  let owner: { uid: number; gid: number } | null = null;
  if (runAs) {
    const ids = await new Promise<string>((resolve, reject) =>
      execFile('id', ['-u', runAs], (error, out) => (error ? reject(new Error(`running as root, but there is no "${runAs}" user to run PostgreSQL (install Debian's postgresql package)`)) : resolve(out))),
    );
    const gid = await new Promise<string>((resolve, reject) => execFile('id', ['-g', runAs], (error, out) => (error ? reject(error) : resolve(out))));
    owner = { uid: Number(ids.trim()), gid: Number(gid.trim()) };
  }

  const baseDir = mkdtempSync(join(tmpdir(), 'herald-pg-'));
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const info: PostgresClusterInfo = {
    binDir,
    baseDir,
    dataDir: join(baseDir, 'data'),
    socketDir: baseDir,
    logFile: join(baseDir, 'server.log'),
    port: 0,
    user: USER,
    password,
    runAs,
  };
  try {
    const pwFile = join(baseDir, 'pwfile');
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (owner) {
      chownSync(baseDir, owner.uid, owner.gid);
      chownSync(pwFile, owner.uid, owner.gid);
    }
    chmodSync(baseDir, 0o700);
    await runTool(info, 'initdb', ['-D', info.dataDir, '-U', USER, `--pwfile=${pwFile}`, '--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'], 120_000);
    rmSync(pwFile, { force: true });

    // A free port can be taken between our probe and the server's bind: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      info.port = await freePort();
      const cluster = attachPostgresCluster(info);
      try {
        await cluster.start();
        return cluster;
      } catch (error) {
        lastError = error;
        if (!/could not bind|Address already in use/i.test(String((error as Error).message))) break;
      }
    }
    throw lastError;
  } catch (error) {
    rmSync(baseDir, { recursive: true, force: true });
    throw error;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set by test/helpers/postgres-global-setup.ts when a run shares one cluster. */
    heraldPostgres: PostgresClusterInfo | null;
  }
}

/**
 * The run's shared cluster when a vitest globalSetup started one, else a cluster of this file's own.
 * `release()` destroys an own cluster and leaves a shared one running. Only create databases in a
 * shared cluster: stopping it would break the files running beside this one.
 */
export async function sharedPostgresCluster(): Promise<{ cluster: PostgresCluster; shared: boolean; release(): Promise<void> }> {
  const { inject } = await import('vitest');
  let info: PostgresClusterInfo | null | undefined;
  try {
    info = inject('heraldPostgres');
  } catch {
    info = undefined;
  }
  if (info) {
    const cluster = attachPostgresCluster(info);
    return { cluster, shared: true, release: async () => {} };
  }
  const cluster = await startPostgresCluster();
  return { cluster, shared: false, release: () => cluster.destroy() };
}

// The connection pool from a `postgres://` URL, and what a user is told when it fails.
// Every wait is bounded: connecting, each statement, each lock wait, an idle transaction.
// Errors name the server, the user and the database — never the password — in one line.
import pg from 'pg';

export interface PostgresConnectionOptions {
  /** postgres://user[:password]@host[:port]/database[?sslmode=…] */
  url: string;
  /** Overrides the URL's password (the hub resolves a secret reference into this). */
  password?: string | undefined;
  /** Connections this replica holds at most (default 10). */
  maxConnections?: number;
  /** Connecting: a server that does not answer within this is unreachable (default 5 s). */
  connectTimeoutMs?: number;
  /** Any one statement (default 30 s). */
  statementTimeoutMs?: number;
  /** Waiting for a row or advisory lock inside a statement (default 10 s). */
  lockTimeoutMs?: number;
  /** Shows in pg_stat_activity. */
  applicationName?: string;
}

/** Where the data lives, said without the password: postgres://user@host:port/database. */
export interface PostgresLocation {
  host: string;
  port: number;
  user: string;
  database: string;
  /** The URL without its password, for logs and the status page. */
  display: string;
}

/** A URL that is not a PostgreSQL URL: said before any connection is tried. */
export class BadDatabaseUrl extends Error {
  override readonly name = 'BadDatabaseUrl';
}

export function parseDatabaseUrl(url: string): PostgresLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadDatabaseUrl('database URL: not a URL; expected postgres://USER@HOST:5432/DATABASE');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new BadDatabaseUrl(`database URL: scheme "${parsed.protocol.replace(/:$/, '')}" is not postgres; expected postgres://USER@HOST:5432/DATABASE`);
  }
  // ?host= wins over the URL's host, as in libpq and pg: a unix socket directory (postgres://u:p@localhost/db?host=/run/postgresql).
  const host = parsed.searchParams.get('host') || decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, ''));
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const user = decodeURIComponent(parsed.username);
  if (!host) throw new BadDatabaseUrl('database URL: no host; expected postgres://USER@HOST:5432/DATABASE');
  if (!database) throw new BadDatabaseUrl(`database URL: no database name after the host; expected postgres://user:password@${host}:5432/database`);
  if (!user) throw new BadDatabaseUrl(`database URL: no user; expected postgres://user:password@${host}:5432/${database}`);
  const port = parsed.port ? Number(parsed.port) : 5432;
  const safe = new URL(url);
  safe.password = '';
  safe.searchParams.delete('password');
  return { host, port, user, database, display: safe.toString() };
}

/** pg returns int8 as text (it may pass 2^53); ours are epoch ms, seqs and counts: numbers. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

/**
 * The URL with the password put in when it comes apart (a resolved secret): pg lets a
 * connection string's fields override the explicit ones, so it must travel in the URL.
 */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

export function createPool(options: PostgresConnectionOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withPassword(options.url, options.password),
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    lock_timeout: options.lockTimeoutMs ?? 10_000,
    idle_in_transaction_session_timeout: 60_000,
    // A client-side bound too, for a server that stopped answering mid-statement.
    query_timeout: (options.statementTimeoutMs ?? 30_000) + 5_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'herald',
    types,
  });
  // An idle connection the server closed (a restart): the pool drops it and opens a new one on demand.
  pool.on('error', () => {});
  return pool;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Whether an error means the database cannot be reached now (down, restarting, refusing
 * connections, the connection lost): the store is unavailable, and trying later may work.
 */
export function isUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now; 53300: too many connections.
  if (e.code && (/^08/.test(e.code) || /^57P0[123]$/.test(e.code) || e.code === '53300')) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i.test(
    e.message ?? '',
  );
}

/** One line for a user: what went wrong reaching the database, naming it, without the password. */
export function describeConnectionError(error: unknown, where: PostgresLocation): string {
  const e = error as { code?: string; message?: string };
  const at = `PostgreSQL at ${where.host}:${where.port}`;
  const message = redact(e.message ?? String(error));
  switch (e.code) {
    case '28P01':
      return `${at} refused the password for user "${where.user}" (check the password or its secret)`;
    case '28000':
      return `${at} does not let user "${where.user}" connect to database "${where.database}" (pg_hba.conf, or the role may not log in)`;
    case '3D000':
      return `${at} has no database "${where.database}" (create it, or fix the database name in the URL)`;
    case 'ECONNREFUSED':
      return `nothing accepts connections at ${where.host}:${where.port} (is PostgreSQL running, and on this port?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `database host "${where.host}" not found (check the host in the URL)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `database host ${where.host} is unreachable`;
    case '57P01':
    case '57P02':
    case '57P03':
      return `${at} is shutting down or starting up (${message})`;
    case '53300':
      return `${at} has no free connection slot (too many clients)`;
    default:
      if (/timeout exceeded when trying to connect|connection timeout/i.test(message)) return `${at} did not answer in time (is the host reachable, and the port PostgreSQL's?)`;
      if (/Connection terminated/i.test(message)) return `${at} closed the connection (${message})`;
      if (/client password must be a string/i.test(message)) return `${at} asks for a password for user "${where.user}" and none was given (in the URL or its secret)`;
      if (/SSL/i.test(message)) return `${at}: ${message} (check sslmode in the URL)`;
      return `${at}: ${message}`;
  }
}

/** Drops anything that looks like a URL's password, should a driver message quote one. */
function redact(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

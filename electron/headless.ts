// Plain-Node entry: the hub, the HTTP api and the built renderer, no display needed.
// `node dist/electron/headless.js --help` lists the flags.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startApiServer } from './hub/api/http-server.js';
import { checkSecretRefs, unknownRuleTypes } from './hub/config/config-file.js';
import { openSecretStore, parseSecretRef, type SecretStore } from './hub/config/secrets.js';
import { type DatabaseChoice, urlHasPassword } from './hub/store/open-engine.js';
import { startHub } from './hub/hub.js';

const HELP = `Herald hub (headless)

Usage: herald-headless [options]   (npm run serve -- [options])

  --data-dir DIR       where the database, config and api token live
                       (default: $HERALD_DATA_DIR, else ${defaultDataDir({ ...process.env, HERALD_DATA_DIR: '' })})
  --config FILE        a JSON or YAML config (sources, channels, rules, settings);
                       it replaces the stored config at start: config as code
  --ingress-port N     webhook port (default from settings: 8787; 0 = any free port)
  --api-port N         UI/api port (default from settings: 8788; 0 = any free port)
  --host ADDR          address both listeners bind (default 127.0.0.1)
  --api-token TOKEN    api token (or $HERALD_API_TOKEN); otherwise one is generated
                       and kept in the data dir
  --database URL       PostgreSQL shared by several hub replicas (or $HERALD_DATABASE_URL):
                       postgres://USER@HOST:PORT/DB — without one, SQLite in the data dir
  --database-password REF
                       the database password as a secret reference (or
                       $HERALD_DATABASE_PASSWORD): keychain:<name>, file:<absolute path>
                       or env:<VAR> — not in the URL
  -h, --help           this text
`;

const here = dirname(fileURLToPath(import.meta.url));
const STOP_TIMEOUT_MS = 15_000;
const VERSION = (() => {
  for (const candidate of [join(here, '../../package.json'), join(here, '../package.json')]) {
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return '0.0.0';
})();

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = homedir()): string {
  if (env.HERALD_DATA_DIR) return env.HERALD_DATA_DIR;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Herald');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Herald');
  return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'herald');
}

function parsePort(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: not a port number: "${value}"`);
  return port;
}

/** For a port another program holds: which flag picks another. */
function portInUseHint(error: unknown, flag: string): string {
  const code = (error as NodeJS.ErrnoException).code ?? ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' ? ` (another program listens there: choose another port with ${flag} N, or 0 for any free one)` : '';
}

/** The api token: given, or kept in the data dir (created owner-only on first start). */
function apiToken(dataDir: string, given: string | undefined): string {
  if (given) return given;
  const file = join(dataDir, 'api-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/** Shorter than this, a token can be guessed by trying: the generated one has 32 characters. */
const MIN_API_TOKEN_CHARS = 16;

/** What is weak about the api token as given: on the command line, or short. */
export function apiTokenProblems(fromFlag: string | undefined, token: string): string[] {
  const problems: string[] = [];
  // /proc/<pid>/cmdline is readable by every user: the token in it opens the api to all of them.
  if (fromFlag !== undefined) problems.push('--api-token is visible to every user of this machine (ps); give it as $HERALD_API_TOKEN, or let the hub keep one in the data dir');
  if (token.length < MIN_API_TOKEN_CHARS) problems.push(`the api token has ${token.length} characters: one that short can be guessed; use at least ${MIN_API_TOKEN_CHARS} (the generated one has 32)`);
  return problems;
}

/**
 * The PostgreSQL the hub runs on, if any: the URL from --database or $HERALD_DATABASE_URL,
 * the password from a secret reference (never echoed). Throws one line naming the problem.
 */
export async function databaseChoice(
  urlFlag: string | undefined,
  passwordFlag: string | undefined,
  secrets: Pick<SecretStore, 'resolve'>,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DatabaseChoice | undefined> {
  const url = urlFlag ?? (env.HERALD_DATABASE_URL?.trim() || undefined);
  const passwordRef = passwordFlag ?? (env.HERALD_DATABASE_PASSWORD?.trim() || undefined);
  // Named as the user gave it: the flag, or the variable a service manager set.
  const passwordFrom = passwordFlag !== undefined ? '--database-password' : '$HERALD_DATABASE_PASSWORD';
  if (url === undefined) {
    if (passwordRef !== undefined) throw new Error(`${passwordFrom}: given without a database URL (--database or $HERALD_DATABASE_URL)`);
    return undefined;
  }
  let password: string | undefined;
  if (passwordRef !== undefined) {
    try {
      parseSecretRef(passwordRef);
      password = await secrets.resolve(passwordRef);
    } catch (error) {
      throw new Error(`${passwordFrom}: ${(error as Error).message}`);
    }
  } else if (urlHasPassword(url)) {
    log('  warning:  the database URL holds a password: give it as a secret reference instead (--database-password keychain:<name> | file:<path> | env:<VAR>)');
  }
  const leaseMs = env.HERALD_DELIVERY_LEASE_MS === undefined ? undefined : Number(env.HERALD_DELIVERY_LEASE_MS);
  if (leaseMs !== undefined && !(Number.isInteger(leaseMs) && leaseMs >= 1000)) throw new Error(`HERALD_DELIVERY_LEASE_MS: not a whole number of milliseconds, at least 1000: "${env.HERALD_DELIVERY_LEASE_MS}"`);
  return { url, ...(password !== undefined && { password }), ...(leaseMs !== undefined && { deliveryLeaseMs: leaseMs }) };
}

/**
 * $HERALD_BENCH_NO_BOARD=1: the hub ingests without keeping the board, for the benchmark that
 * measures what the board costs the webhook intake (bench/board-hub.mjs) and nothing else —
 * not a user setting (no flag, nothing in the UI). Unset: the board is kept, as always.
 */
export function benchBoardSwitch(env: NodeJS.ProcessEnv = process.env): { board?: false } {
  const value = env.HERALD_BENCH_NO_BOARD;
  if (value === undefined || value === '') return {};
  if (value !== '1') throw new Error(`HERALD_BENCH_NO_BOARD: 1 or unset (a benchmark switch), not "${value}"`);
  return { board: false };
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      'ingress-port': { type: 'string' },
      'api-port': { type: 'string' },
      host: { type: 'string' },
      'api-token': { type: 'string' },
      database: { type: 'string' },
      'database-password': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const dataDir = resolve(values['data-dir'] ?? defaultDataDir());
  // Every flag checked before anything starts: a bad one leaves no database or token behind.
  const ingressPort = parsePort(values['ingress-port'], '--ingress-port');
  const apiPort = parsePort(values['api-port'], '--api-port');
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const secrets = await openSecretStore();
  const database = await databaseChoice(values.database, values['database-password'], secrets, log);
  const boardSwitch = benchBoardSwitch();
  const hub = await startHub({
    ...(database && { database }),
    ...boardSwitch,
    dataDir,
    ...(values.config && { configFile: resolve(values.config) }),
    ...(values.host && { ingressHost: values.host }),
    ...(ingressPort !== undefined && { ingressPort }),
    secrets,
    version: VERSION,
    log,
  }).catch((error: Error) => {
    throw new Error(`${error.message}${portInUseHint(error, '--ingress-port')}`);
  });
  const settings = hub.config.settings;
  const token = apiToken(dataDir, values['api-token'] ?? process.env.HERALD_API_TOKEN);
  const rendererDir = join(here, '../renderer');
  let api;
  try {
    api = await startApiServer({
      host: values.host ?? settings.api.host,
      port: apiPort ?? settings.api.port,
      token,
      handlers: hub.api,
      subscribe: (listener) => hub.onUpdate(listener),
      rendererDir,
    });
  } catch (error) {
    await hub.stop();
    throw new Error(`could not start the api: ${(error as Error).message}${portInUseHint(error, '--api-port')}`);
  }
  hub.setApiUrl(api.url);

  log(`Herald ${VERSION} hub running headless`);
  log(`  data dir: ${dataDir}`);
  log(`  database: ${hub.store.kind === 'postgres' ? `PostgreSQL ${hub.store.location}` : `SQLite ${hub.store.location}`}`);
  log(`  ingress:  ${hub.ingressUrl}  (webhooks: POST ${hub.ingressUrl}/hooks/<sourceId>)`);
  log(`  ui/api:   ${api.url}/?token=${token}`);
  if (boardSwitch.board === false) log('  board:    not kept (HERALD_BENCH_NO_BOARD=1: a benchmark switch)');
  log(`  keychain: ${secrets.status.available ? 'available' : `unavailable: ${secrets.status.reason}`}`);
  for (const problem of apiTokenProblems(values['api-token'], token)) log(`  warning:  ${problem}`);
  for (const problem of await checkSecretRefs(hub.config, secrets)) log(`  warning:  ${problem}`);
  for (const problem of unknownRuleTypes(hub.config)) log(`  warning:  ${problem}`);
  // What saving the channel would say in the UI (a desktop channel on a hub without a desktop session), said at start for config as code.
  for (const channel of await hub.api['channels.list']({})) if (channel.warning) log(`  warning:  channel "${channel.config.id}": ${channel.warning}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping (queued deliveries stay in the store)`);
    // Everything accepted is already on disk: if a clean stop hangs, leaving is safe.
    setTimeout(() => {
      log(`${signal}: clean stop took over ${STOP_TIMEOUT_MS / 1000} s; exiting anyway`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    await api.close();
    await hub.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((error: Error) => {
    process.stderr.write(`herald: ${error.message}\n`);
    process.exit(1);
  });
}

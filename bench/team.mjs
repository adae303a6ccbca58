// Team benchmark: accepted and delivered events/s and end-to-end p99 for one hub on SQLite,
// one replica on PostgreSQL and two replicas on one PostgreSQL database. Real hubs (built,
// child processes), a loopback webhook sink, events posted round-robin to the replicas'
// ingress ports (what a load balancer does). PostgreSQL is a throwaway cluster started by
// the tests' own helper (test/helpers/postgres-cluster.ts: initdb/pg_ctl on a free
// loopback port, removed after). Not a test: it prints figures for the README.
//
//   npm run bench:team -- [--events 5000] [--concurrency 32] [--setups sqlite,pg1,pg2]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import { leanPool, leanSink, requestBytes } from './lean-http.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    setups: { type: 'string', default: 'sqlite,pg1,pg2' },
  },
});
const N = Number(values.events);
const C = Number(values.concurrency);
const SETUPS = values.setups.split(',');
const SECRET = 'bench-secret';
const headless = resolve(import.meta.dirname, '../dist/electron/headless.js');
if (!existsSync(headless)) throw new Error('build first: npm run build');

const sleep = (t) => new Promise((r) => setTimeout(r, t));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Starts one hub; resolves with its ingress URL once it prints it. */
async function startHub(dir, env, configFile) {
  const args = ['--max-semi-space-size=2', '--heap-growing-percent=20', '--expose-gc', headless, '--data-dir', join(dir, 'data'), '--ingress-port', '0', '--api-port', '0'];
  if (configFile) args.push('--config', configFile);
  const child = spawn(process.execPath, args, { env: { ...process.env, HERALD_BENCH_SECRET: SECRET, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const deadline = Date.now() + 60_000;
  while (!/ingress:\s+http:\/\/\S+/.test(out)) {
    if (child.exitCode !== null) throw new Error(`hub exited:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hub did not start in 60 s:\n${out}`);
    }
    await sleep(50);
  }
  return { child, ingress: new URL(/ingress:\s+(http:\/\/\S+)/.exec(out)[1]), output: () => out };
}

async function stopHub(hub) {
  if (hub.child.exitCode !== null) return;
  const exited = new Promise((r) => hub.child.on('exit', r));
  hub.child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
}

async function run(setup, cluster) {
  const arrivals = new Map();
  const sink = await leanSink((body) => {
    const title = JSON.parse(body.toString()).t.split(' — ')[0];
    if (!arrivals.has(title)) arrivals.set(title, performance.now());
  });
  const dir = mkdtempSync(join(tmpdir(), `herald-bench-team-${setup}-`));
  const config = join(dir, 'herald.json');
  writeFileSync(
    config,
    JSON.stringify({
      sources: [{ id: 'bench', kind: 'generic', name: 'Bench', secret: 'env:HERALD_BENCH_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `http://127.0.0.1:${sink.port}/in`, template: '{"id":"{{id}}","t":"{{title}}"}', concurrency: 16 }],
      rules: [{ id: 'all', name: 'All', channels: ['sink'] }],
      settings: { retention: { maxAgeDays: 30, maxEvents: 10_000_000 } },
    }),
  );
  const replicas = setup === 'pg2' ? 2 : 1;
  const database = setup === 'sqlite' ? undefined : await cluster.createDatabase();
  const hubs = [];
  try {
    for (let i = 0; i < replicas; i++) {
      const env = database ? { HERALD_DATABASE_URL: database, HERALD_REPLICA_ID: `bench-${i}` } : {};
      // The first replica seeds the database's config; the second reads it there.
      hubs.push(await startHub(join(dir, `r${i}`), env, i === 0 ? config : undefined));
    }
    const pools = hubs.map((hub) => leanPool(hub.ingress.hostname, Number(hub.ingress.port), C));
    // Warm-up: JIT, connections, the first claims.
    const warm = (i) => `warm-${setup}-${i}`;
    await Promise.all(Array.from({ length: 200 }, (_, i) => post(pools[i % pools.length], warm(i))));
    while (![...Array(200).keys()].every((i) => arrivals.has(warm(i)))) await sleep(50);

    const sentAt = new Map();
    let next = 0;
    let lastAck = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: C }, async () => {
        while (next < N) {
          const i = next++;
          const title = `e2e-${setup}-${i}`;
          sentAt.set(title, performance.now());
          await post(pools[i % pools.length], title);
          lastAck = performance.now();
        }
      }),
    );
    const deadline = Date.now() + 300_000;
    while (arrivals.size < N + 200) {
      if (Date.now() > deadline) throw new Error(`only ${arrivals.size - 200} of ${N} delivered in 5 min`);
      await sleep(20);
    }
    const lastArrival = Math.max(...[...sentAt.keys()].map((t) => arrivals.get(t)));
    const e2e = [...sentAt].map(([t, at]) => arrivals.get(t) - at).sort((a, b) => a - b);
    for (const pool of pools) pool.close?.();
    return {
      setup,
      accepted: N / ((lastAck - start) / 1000),
      delivered: N / ((lastArrival - start) / 1000),
      p50: percentile(e2e, 50),
      p99: percentile(e2e, 99),
    };
  } finally {
    for (const hub of hubs) await stopHub(hub);
    await sink.close?.();
  }
}

async function post(pool, title) {
  const body = Buffer.from(JSON.stringify({ type: 'pipeline.failed', title, subject: { project: 'acme/api', branch: 'main', pipeline: 'build' } }));
  const status = await pool.send(requestBytes('/hooks/bench', { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body));
  if (status !== 202) throw new Error(`post: HTTP ${status}`);
}

const NAMES = { sqlite: 'SQLite, one hub', pg1: 'PostgreSQL, one replica', pg2: 'PostgreSQL, two replicas' };
let cluster;
if (SETUPS.some((s) => s.startsWith('pg'))) {
  const { startPostgresCluster } = await tsImport('../test/helpers/postgres-cluster.ts', import.meta.url);
  try {
    cluster = await startPostgresCluster();
  } catch (error) {
    console.log(`PostgreSQL: ${error.message.split('\n')[0]}`);
    console.log('Install the server to measure it: `sudo apt-get install postgresql` (Debian/Ubuntu), or set HERALD_PG_BINDIR to its bin dir. SQLite only now.');
  }
}
console.log(`bench:team — ${N} events, ${C} posting at once, round-robin over the replicas' ingress`);
try {
  for (const setup of SETUPS) {
    if (setup.startsWith('pg') && !cluster) continue;
    const r = await run(setup, cluster);
    console.log(
      `${NAMES[setup].padEnd(26)} accepted ${r.accepted.toFixed(0).padStart(6)}/s   delivered ${r.delivered.toFixed(0).padStart(6)}/s   end to end p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms`,
    );
  }
} finally {
  await cluster?.destroy();
}
process.exit(0);

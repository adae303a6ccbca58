// Herald and Prometheus Alertmanager side by side (issue #15): the same unique events, one
// per request at the same concurrency (a node:http keep-alive client), each routed to the
// same loopback webhook sink, one after the other on this machine. Prints delivered
// events/s (first post → last arrival at the sink), end-to-end p99 (post → sink), peak
// RSS of each, and Herald's ratios. Not a test: it prints figures for the README.
//
// CPU per delivered event survives the machine's load far better than events/s: for each
// contender the utime+stime of its process (/proc/<pid>/stat) across the measured window
// (first post → last arrival), Herald's per thread as well (/proc/<pid>/task/*/schedstat:
// main, herald-ingress, herald-checkpt, the libuv pool that runs the fsyncs, V8's platform
// threads that run GC and the compiler), and the bench process's own (client + sink).
//
// The floor (bench/floor-server.mjs) is what Node itself costs here: a bare node:http
// server that answers each POST and forwards its body to the same sink with a keep-alive
// agent, no parsing, no storage. Herald cannot go faster than it on this machine.
//
// Alertmanager comes from the Debian package (/usr/bin/prometheus-alertmanager). It groups
// by every label (`group_by: ['...']`) with `group_wait: 0s`, so each alert is sent on its
// own, as Herald's webhook channel sends each event. Herald runs headless in its default
// configuration (the `npm run serve` V8 flags; the webhook channel with no concurrency set).
// Alertmanager answers before anything is on disk; Herald answers after its fsync.
//
//   npm run bench:vs-alertmanager -- [--events 3000] [--concurrency 16] [--warmup 3000] [--rounds 1] [--only herald|alertmanager|floor[,…]]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processCpu, readProcText } from './proc-cpu.mjs';

const ALERTMANAGER = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '16' },
    // A hub runs warm: with 300 warm-up events Herald's first measured round still paid for
    // V8's optimizing compiler (673 against 420-437 µs of CPU per event in the rounds after).
    warmup: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const ONLY = values.only?.split(',') ?? ['alertmanager', 'herald', 'floor'];
for (const name of ONLY) {
  if (!['alertmanager', 'herald', 'floor'].includes(name)) {
    console.error(`--only ${values.only}: expected herald, alertmanager or floor (or a comma-separated list of them)`);
    process.exit(2);
  }
}
const N = Number(values.events);
const C = Number(values.concurrency);
const WARMUP = Number(values.warmup);
const ROUNDS = Math.max(1, Number(values.rounds));
const STARTUP_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 120_000;
const REQUEST_TIMEOUT_MS = 10_000;

if (!existsSync(ALERTMANAGER) && ONLY.includes('alertmanager')) {
  console.error(`Alertmanager not found at ${ALERTMANAGER}. Install it (Debian/Ubuntu):\n  sudo apt-get install prometheus-alertmanager\nor point ALERTMANAGER_BIN at its binary.`);
  process.exit(2);
}
const HEADLESS = resolve(import.meta.dirname, '../dist/electron/headless.js');
if (!existsSync(HEADLESS) && ONLY.includes('herald')) {
  console.error('Herald is not built: run `npm run build` first (or `npm run bench:vs-alertmanager`, which builds).');
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (x, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Resolves once `check()` is true; throws with `what` after `ms`. */
async function until(check, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A loopback port free right now (the kernel's pick). */
async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

// ── the sink: one node:http server for both; each body names the events it carries ──
const arrivals = new Map();
const sink = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      // Alertmanager's webhook: { alerts: [{ labels: { bench_id } }] }; Herald's template: { id }; the floor forwards the posted { title }.
      const ids = Array.isArray(body.alerts) ? body.alerts.map((a) => a.labels.bench_id) : body.id !== undefined ? [body.id.split(' — ')[0]] : [body.title];
      for (const id of ids) if (!arrivals.has(id)) arrivals.set(id, at);
    } catch (error) {
      console.error(`sink: unreadable body: ${error.message}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const sinkBase = `http://127.0.0.1:${sink.address().port}`;

// ── processes, always stopped ──
const children = new Set();
const dirs = [];
function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

function launch(command, args, env = {}) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  return { child, output: () => output };
}

/** SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

// ── CPU time: the process's from /proc/<pid>/stat, each thread's from its schedstat ──
/**
 * What each of a Node process's threads is, told apart while they idle (after start-up):
 * the main thread is the process's own id; Herald names its worker threads (herald-ingress,
 * herald-checkpt); Node names every other thread "node", so the two pools are told apart by
 * what they wait on: each pool's idle threads wait on one futex (syscall 202), and V8's
 * platform threads (GC, compiler) are started before the libuv pool (fs calls, the fsyncs).
 */
function threadRoles(pid) {
  const roles = new Map();
  const waiting = new Map(); // futex address → tids
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b)) {
    const comm = readProcText(`/proc/${pid}/task/${tid}/comm`)?.trim() ?? '?';
    if (tid === pid) roles.set(tid, 'main');
    else if (comm !== 'node') roles.set(tid, comm);
    else {
      roles.set(tid, 'other');
      const [nr, address] = (readProcText(`/proc/${pid}/task/${tid}/syscall`) ?? '').split(' ');
      if (nr === '202') waiting.set(address, [...(waiting.get(address) ?? []), tid]);
    }
  }
  // One pool's condition variable is one struct: its waiters' futex words lie within 64 bytes.
  const pools = [];
  let last;
  for (const [address, tids] of [...waiting].map(([a, t]) => [Number(a), t]).sort((a, b) => a[0] - b[0])) {
    if (last !== undefined && address - last < 64) pools.at(-1).push(...tids);
    else pools.push([...tids]);
    last = address;
  }
  pools.splice(0, pools.length, ...pools.filter((tids) => tids.length >= 2).sort((a, b) => Math.min(...a) - Math.min(...b)));
  if (pools.length >= 2) {
    for (const tid of pools[0]) roles.set(tid, 'V8 platform');
    for (const tid of pools.at(-1)) roles.set(tid, 'libuv pool');
  }
  return roles;
}

/** On-CPU time (µs) per role of a process's threads; a thread started since `roles` was taken counts as 'other'. */
function threadCpu(pid, roles) {
  const byRole = {};
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    const ns = Number(readProcText(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0);
    const role = roles.get(tid) ?? 'other';
    byRole[role] = (byRole[role] ?? 0) + ns / 1000;
  }
  return byRole;
}

/** A CPU reading of the contender (and of this bench process); `since(earlier)` gives µs per event. */
function cpuSnapshot(pid, roles) {
  return { at: performance.now(), process: processCpu(pid), threads: roles ? threadCpu(pid, roles) : undefined, bench: process.cpuUsage() };
}
function cpuPerEvent(before, after, count) {
  const user = (after.process.user - before.process.user) / count;
  const sys = (after.process.sys - before.process.sys) / count;
  const threads = {};
  if (before.threads && after.threads) {
    for (const role of Object.keys(after.threads)) threads[role] = (after.threads[role] - (before.threads[role] ?? 0)) / count;
  }
  const benchUs = (after.bench.user + after.bench.system - before.bench.user - before.bench.system) / count;
  const cores = ((user + sys) * count) / ((after.at - before.at) * 1000);
  return { total: user + sys, user, sys, cores, threads, bench: benchUs };
}

// ── the load: a node:http keep-alive client, one event per request ──
const agent = new http.Agent({ keepAlive: true, maxSockets: C });
function request(url, headers, body) {
  return new Promise((resolvePost, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers }, timeout: REQUEST_TIMEOUT_MS });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolvePost() : reject(new Error(`${url}: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts `count` events at concurrency C; resolves with the figures of the burst, CPU included (`cpu()` reads it). */
async function burst(prefix, count, post, cpu) {
  const sentAt = new Map();
  const acks = [];
  let next = 0;
  const cpuBefore = cpu();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < count) {
        const id = `${prefix}-${next++}`;
        const at = performance.now();
        sentAt.set(id, at);
        await post(id);
        acks.push(performance.now() - at);
      }
    }),
  );
  acks.sort((a, b) => a - b);
  const acceptedSeconds = (performance.now() - start) / 1000;
  await until(() => [...sentAt.keys()].every((id) => arrivals.has(id)), DRAIN_TIMEOUT_MS, `${prefix}: every event at the sink`);
  const cpuAfter = cpu();
  let last = 0;
  const latencies = [];
  for (const [id, at] of sentAt) {
    const arrived = arrivals.get(id);
    last = Math.max(last, arrived);
    latencies.push(arrived - at);
  }
  latencies.sort((a, b) => a - b);
  return {
    deliveredPerSecond: count / ((last - start) / 1000),
    acceptedPerSecond: count / acceptedSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ackP99: percentile(acks, 99),
    cpu: cpuPerEvent(cpuBefore, cpuAfter, count),
  };
}

const medianOf = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** Warm-up, then ROUNDS measured bursts; medians. `threads`: break the CPU down per thread (a Node process). */
async function measure(name, post, pid, { threads = false } = {}) {
  const roles = threads ? threadRoles(pid) : undefined;
  const cpu = () => cpuSnapshot(pid, roles);
  await burst(`${name}-warmup`, WARMUP, post, cpu);
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await burst(`${name}-r${r}`, N, post, cpu));
  const median = (key) => medianOf(rounds.map((x) => x[key]));
  const cpuMedian = (key) => medianOf(rounds.map((x) => x.cpu[key]));
  const roleNames = [...new Set(rounds.flatMap((x) => Object.keys(x.cpu.threads)))];
  return {
    cpu: {
      total: cpuMedian('total'),
      user: cpuMedian('user'),
      sys: cpuMedian('sys'),
      cores: cpuMedian('cores'),
      bench: cpuMedian('bench'),
      rounds: rounds.map((x) => x.cpu.total),
      threads: Object.fromEntries(roleNames.map((role) => [role, medianOf(rounds.map((x) => x.cpu.threads[role] ?? 0))])),
    },
    deliveredPerSecond: median('deliveredPerSecond'),
    acceptedPerSecond: median('acceptedPerSecond'),
    p50: median('p50'),
    p99: median('p99'),
    ackP99: median('ackP99'),
    peakRss: peakRssMb(pid),
  };
}

async function alertmanager() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-alertmanager-'));
  dirs.push(dir);
  const port = await freePort();
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: sink',
      "  group_by: ['...']", // every label: one group per alert, no aggregation
      '  group_wait: 0s',
      '  group_interval: 1m',
      '  repeat_interval: 24h',
      'receivers:',
      '  - name: sink',
      '    webhook_configs:',
      `      - url: ${sinkBase}/alertmanager`,
      '        send_resolved: false',
      '',
    ].join('\n'),
  );
  const { child, output } = launch(ALERTMANAGER, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=', // no gossip: a single instance
    '--log.level=warn',
  ]);
  const base = `http://127.0.0.1:${port}`;
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`alertmanager exited (${child.exitCode}):\n${output()}`);
      return fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
    },
    STARTUP_TIMEOUT_MS,
    'alertmanager to be ready',
  );
  const startsAt = new Date().toISOString();
  const post = (id) =>
    request(`${base}/api/v2/alerts`, {}, JSON.stringify([{ labels: { alertname: 'PipelineFailed', bench_id: id, project: 'acme/api' }, annotations: { summary: id }, startsAt }]));
  try {
    return await measure('am', post, child.pid);
  } finally {
    await stop(child);
  }
}

async function herald() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-herald-'));
  dirs.push(dir);
  const secret = 'bench-secret';
  const config = join(dir, 'herald.json');
  writeFileSync(
    config,
    JSON.stringify({
      sources: [{ id: 'bench', kind: 'generic', name: 'Bench', secret: 'env:HERALD_BENCH_SECRET' }],
      // Defaults: no concurrency, no timeout set.
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `${sinkBase}/herald`, template: '{"id":"{{title}}"}' }],
      rules: [{ id: 'all', name: 'All', channels: ['sink'] }],
    }),
  );
  // The V8 flags of `npm run serve` (package.json).
  const { child, output } = launch(
    process.execPath,
    [...(process.env.BENCH_HUB_NODE_ARGS ?? '--max-semi-space-size=2 --heap-growing-percent=20 --expose-gc').split(' ').filter(Boolean), HEADLESS, '--data-dir', join(dir, 'data'), '--config', config, '--ingress-port', '0', '--api-port', '0'],
    { HERALD_BENCH_SECRET: secret },
  );
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`herald exited (${child.exitCode}):\n${output()}`);
      return /ingress:\s+http:\/\/\S+/.test(output());
    },
    STARTUP_TIMEOUT_MS,
    'herald to listen',
  );
  const ingress = /ingress:\s+(http:\/\/\S+)/.exec(output())[1].replace(/\/$/, '');
  const post = (id) =>
    request(`${ingress}/hooks/bench`, { authorization: `Bearer ${secret}` }, JSON.stringify({ type: 'pipeline.failed', title: id, subject: { project: 'acme/api', branch: 'main', pipeline: 'build' } }));
  try {
    return await measure('herald', post, child.pid, { threads: true });
  } finally {
    await stop(child);
  }
}

async function floor() {
  const { child, output } = launch(process.execPath, [resolve(import.meta.dirname, 'floor-server.mjs'), `${sinkBase}/floor`]);
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`the floor server exited (${child.exitCode}):\n${output()}`);
      return /listening \d+/.test(output());
    },
    STARTUP_TIMEOUT_MS,
    'the floor server to listen',
  );
  const base = `http://127.0.0.1:${/listening (\d+)/.exec(output())[1]}`;
  const post = (id) => request(`${base}/hooks/bench`, {}, JSON.stringify({ type: 'pipeline.failed', title: id, subject: { project: 'acme/api', branch: 'main', pipeline: 'build' } }));
  try {
    return await measure('floor', post, child.pid, { threads: true });
  } finally {
    await stop(child);
  }
}

console.log(
  `Herald vs Alertmanager — ${N} unique events per round, ${ROUNDS} round(s) (median), one per request at concurrency ${C} (node:http keep-alive), after ${WARMUP} warm-up events; ` +
    `node ${process.version}, ${cpus().length} cores, load average before ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
);
const line = (name, r) =>
  `${name.padEnd(13)} delivered ${fmt(r.deliveredPerSecond).padStart(6)} events/s · accepted ${fmt(r.acceptedPerSecond).padStart(6)} /s · end-to-end p50 ${fmt(r.p50, 1).padStart(6)} ms, p99 ${fmt(r.p99, 1).padStart(7)} ms (answer p99 ${fmt(r.ackP99, 1)} ms) · peak RSS ${fmt(r.peakRss, 1)} MB`;
const us = (x) => fmt(x).padStart(4);
const cpuLine = (r) => {
  const c = r.cpu;
  const threads = Object.entries(c.threads)
    .filter(([, v]) => v >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([role, v]) => `${role} ${fmt(v)}`)
    .join(', ');
  return (
    `${''.padEnd(13)} CPU per delivered event ${us(c.total)} µs (user ${fmt(c.user)} + sys ${fmt(c.sys)}; ${fmt(c.cores, 2)} cores busy)` +
    (threads ? ` · threads (schedstat, µs): ${threads}` : '') +
    ` · bench client+sink ${fmt(c.bench)} µs` +
    (ROUNDS > 1 ? ` · rounds ${c.rounds.map((x) => fmt(x)).join(' ')}` : '')
  );
};
const results = {};
const contenders = [
  ['alertmanager', 'am', 'Alertmanager', alertmanager],
  ['herald', 'herald', 'Herald', herald],
  ['floor', 'floor', 'Floor (Node)', floor],
];
try {
  for (const [name, key, label, run] of contenders) {
    if (!ONLY.includes(name)) continue;
    results[key] = await run();
    console.log(line(label, results[key]));
    console.log(cpuLine(results[key]));
  }
} catch (error) {
  console.error(`bench failed: ${error.message}`);
  process.exitCode = 1;
}
if (results.herald) {
  // Defaults that keep up (#15): the outbox drains as fast as ingest accepts, or a backlog grows through the burst.
  const h = results.herald;
  console.log(`Herald's outbox: delivered ${fmt(h.deliveredPerSecond)} of ${fmt(h.acceptedPerSecond)} accepted events/s (${((100 * h.deliveredPerSecond) / h.acceptedPerSecond).toFixed(0)} %)`);
}
if (results.am && results.herald) {
  const { am, herald: h } = results;
  console.log(
    `Herald / Alertmanager: delivered events/s ${(h.deliveredPerSecond / am.deliveredPerSecond).toFixed(2)}× (target ≥ 1.5×), ` +
      `end-to-end p99 ${(h.p99 / am.p99).toFixed(2)}× (target ≤ 0.5×), peak RSS ${(h.peakRss / am.peakRss).toFixed(2)}×, ` +
      `CPU per event ${(h.cpu.total / am.cpu.total).toFixed(2)}×`,
  );
}
if (results.floor) {
  const f = results.floor;
  const vs = (name, r) =>
    `${name} delivered ${((100 * r.deliveredPerSecond) / f.deliveredPerSecond).toFixed(0)} % of the floor's events/s at ${(r.cpu.total / f.cpu.total).toFixed(2)}× its CPU per event`;
  const parts = [results.am && vs('Alertmanager', results.am), results.herald && vs('Herald', results.herald)].filter(Boolean);
  if (results.am) parts.push(`1.5× Alertmanager = ${fmt(1.5 * results.am.deliveredPerSecond)} events/s = ${((150 * results.am.deliveredPerSecond) / f.deliveredPerSecond).toFixed(0)} % of the floor`);
  if (parts.length) console.log(`Floor (bare node:http, forward, no storage): ${parts.join('; ')}`);
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
agent.destroy();
sink.close();
sink.closeAllConnections();
stopAll();

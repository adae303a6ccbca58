// Ingest benchmark: a real hub (built, child process) routing every event to a loopback
// webhook sink. Prints accepted events/s, ack latency, end-to-end latency, RSS and
// DB bytes per event. Not a test: it prints figures for the README.
//
//   npm run bench:ingest -- [--events 20000] [--concurrency 64] [--fill 100000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    fill: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '10' },
  },
});
const N = Number(values.events);
const C = Number(values.concurrency);
const FILL = Number(values.fill);
const SECONDS = Number(values.seconds);
const SECRET = 'bench-secret';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const ms = (x) => `${x.toFixed(2)} ms`;
const sleep = (t) => new Promise((r) => setTimeout(r, t));

// ── the sink ──
const arrivals = new Map();
let sinkCount = 0;
const sink = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    sinkCount++;
    const { t } = JSON.parse(Buffer.concat(chunks).toString());
    if (t.startsWith('e2e-')) arrivals.set(t, performance.now());
    res.end('ok');
  });
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const sinkUrl = `http://127.0.0.1:${sink.address().port}/in`;

// ── the hub ──
const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
const config = join(dir, 'herald.json');
writeFileSync(
  config,
  JSON.stringify({
    sources: [{ id: 'bench', kind: 'generic', name: 'Bench', secret: 'env:HERALD_BENCH_SECRET' }],
    channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: sinkUrl, template: '{"id":"{{id}}","t":"{{title}}"}', concurrency: 16 }],
    rules: [{ id: 'all', name: 'All', channels: ['sink'] }],
    settings: { retention: { maxAgeDays: 30, maxEvents: 10_000_000 } },
  }),
);
const headless = resolve(import.meta.dirname, '../dist/electron/headless.js');
if (!existsSync(headless)) throw new Error('build first: npm run build');
const hub = spawn(process.execPath, [headless, '--data-dir', join(dir, 'data'), '--config', config, '--ingress-port', '0', '--api-port', '0'], {
  env: { ...process.env, HERALD_BENCH_SECRET: SECRET },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
hub.stdout.on('data', (c) => (out += c));
while (!/ingress:\s+http:\/\/\S+/.test(out)) {
  if (hub.exitCode !== null) throw new Error(`hub exited:\n${out}`);
  await sleep(50);
}
const ingress = new URL(/ingress:\s+(http:\/\/\S+)/.exec(out)[1]);

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function post(title) {
  const body = JSON.stringify({ type: 'pipeline.failed', title, subject: { project: 'acme/api', branch: 'main', pipeline: 'build' } });
  return new Promise((resolvePost, reject) => {
    const start = performance.now();
    const req = http.request(
      {
        host: ingress.hostname,
        port: ingress.port,
        path: '/hooks/bench',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? resolvePost(performance.now() - start) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function memory() {
  const status = readFileSync(`/proc/${hub.pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function burst(count, concurrency, prefix) {
  const latencies = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        latencies.push(await post(`${prefix}-${i}`));
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

async function paced(rate, seconds, prefix) {
  const latencies = [];
  const sent = new Map();
  const total = rate * seconds;
  const start = performance.now();
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const title = `${prefix}-${i}`;
    sent.set(title, performance.now());
    pending.push(post(title).then((l) => latencies.push(l)));
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), sent };
}

console.log(`Herald ingest benchmark — node ${process.version}, ${(await import('node:os')).cpus().length} cores; hub pid ${hub.pid}`);

// 1. Throughput: every event durable (synchronous=FULL commit) before its 202.
await burst(500, 16, 'warmup');
const t = await burst(N, C, 'burst');
console.log(
  `accepted:   ${N} events at concurrency ${C}: ${(N / t.seconds).toFixed(0)} events/s; ack p50 ${ms(percentile(t.latencies, 50))}, p99 ${ms(percentile(t.latencies, 99))}`,
);

// Let the outbox drain before measuring latency at a steady rate.
const drainUntil = async (target) => {
  while (sinkCount < target) await sleep(100);
};
await drainUntil(N + 500);

// 2. Ack latency at 500 events/s.
const a = await paced(500, SECONDS, 'ack');
console.log(`ack @500/s: p50 ${ms(percentile(a.latencies, 50))}, p99 ${ms(percentile(a.latencies, 99))} (${a.latencies.length} events)`);
await drainUntil(N + 500 + 500 * SECONDS);

// 3. End to end at 100 events/s: POST sent → the sink has it.
const e = await paced(100, SECONDS, 'e2e');
while (arrivals.size < e.sent.size) await sleep(50);
const e2e = [...e.sent].map(([title, sentAt]) => arrivals.get(title) - sentAt).sort((x, y) => x - y);
console.log(`e2e @100/s: p50 ${ms(percentile(e2e, 50))}, p99 ${ms(percentile(e2e, 99))} (${e2e.length} events, ingress → rules → outbox → webhook sink)`);

// 4. Fill to FILL events: memory and bytes per event.
const sofar = N + 500 + 500 * SECONDS + 100 * SECONDS;
if (FILL > sofar) await burst(FILL - sofar, C, 'fill');
await drainUntil(FILL);
await sleep(500);
const mem = memory();
const dbFile = join(dir, 'data', 'herald.db');
const bytes = statSync(dbFile).size + (existsSync(`${dbFile}-wal`) ? statSync(`${dbFile}-wal`).size : 0);
console.log(`memory:     after ${FILL} events stored and delivered: RSS ${mem.rss.toFixed(0)} MB, peak RSS ${mem.peak.toFixed(0)} MB`);
console.log(`disk:       ${(bytes / 1024 / 1024).toFixed(1)} MB for ${FILL} events and their deliveries: ${(bytes / FILL).toFixed(0)} bytes/event`);

hub.kill('SIGTERM');
agent.destroy();
sink.close();

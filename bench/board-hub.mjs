// What the board costs the hub's webhook intake (issue 13: ingest with the board ≥ 95 % of
// without, in the same run). bench/board.mjs measures the board at the store (the ingest
// transaction alone); this measures what a sender sees: two real headless hubs (built,
// child processes, the same config and V8 flags as bench/ingest.mjs), one keeping the board
// as always and one started with HERALD_BENCH_NO_BOARD=1 (a benchmark switch: its ingest
// leaves the board alone), each posted the same events over HTTP (POST → ingress thread →
// ingest transaction → group commit + fsync → 202) by the lean client of bench/lean-http.mjs.
//
// The board is realistic: --things pipelines (5,000) on branches through the generic source,
// shaped as bench/board.mjs's events (a third failing, four events per commit), all on the
// board before the rounds start; a view listens to each hub's /api/updates (the Now page
// open: the hub with the board pushes board.updated, or board.changed in a storm, which the
// view answers as the Now page does, reading the board again; both push event.created).
// Rules route nothing by default (no channel: the intake alone, where the board's share is
// largest); --sink routes every event, on both hubs, to a loopback webhook sink.
//
// Two hub processes differ from each other by a few µs of CPU per event for their whole
// life, whichever keeps the board (one run of one pair has shown the hub without the board
// using more CPU than the one with it). So the run is --pairs (4) pairs of fresh hubs, one
// after the other, and the figures pool the rounds of every pair. In each pair, after the
// fill and --warmup (1) unmeasured round each (the hubs' code optimised and heaps grown to
// hold the board, as in a hub that has been running: the first rounds of a fresh pair ran
// ~10 % slower with the board), rounds alternate between the hubs (off, on, off, …, off) so
// a change in the machine's load falls on both alike (see below). Each round: --events
// (10,000: a second's ingest, so one major garbage collection more or less in a round moves
// its ratio by a few per cent, not by ten as in rounds of 4,000) requests at --concurrency (events/s by the wall clock from the first POST to the last
// 202), then the hub is left until it is idle (its deliveries drained, then SETTLE_MS: the
// board's save after a quiet second, board-feed.ts, lands there when one is due); the hub
// process's CPU (utime + stime from /proc/<pid>/stat, all its threads) over the round and
// that wait, per event. Printed: medians over all rounds and per pair, the mean CPU over all
// rounds (every save counted), and the CPU per group of threads. Not a test.
//
//   npm run bench:board-hub -- [--pairs 4] [--rounds 6] [--warmup 1] [--events 10000] [--concurrency 64] [--things 5000] [--sink] [--no-view]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { leanPool, leanSink, requestBytes } from './lean-http.mjs';
import { processCpu, readProcText, statCpu, statName } from './proc-cpu.mjs';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '1' },
    events: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    things: { type: 'string', default: '5000' },
    sink: { type: 'boolean', default: false },
    view: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const PAIRS = Number(values.pairs);
const ROUNDS = Number(values.rounds);
const WARMUP = Number(values.warmup);
const PER_ROUND = Number(values.events);
const C = Number(values.concurrency);
const THINGS = Number(values.things);
/**
 * After a round's last 202: longer than the board's save after a quiet second (board-feed.ts
 * SAVE_AFTER_IDLE_MS), so a save lands in the settling of the round it follows (at most one per
 * SAVE_AT_MOST_EVERY_MS: a pair's default rounds span more than that).
 */
const SETTLE_MS = 1_300;
const SECRET = 'bench-board-hub-secret';
const TOKEN = 'bench-board-hub-token';
const ROOT = resolve(import.meta.dirname, '..');
const HEADLESS = join(ROOT, 'dist/electron/headless.js');
if (!existsSync(HEADLESS)) throw new Error('build first: npm run build');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ── events: bench/board.mjs's shape, through the generic source ──
const WORDS = ['timeout', 'flaky', 'openssl', 'migration', 'rollback', 'canary', 'lint', 'coverage', 'docker', 'terraform', 'helm', 'cache'];
const sha = (n) => createHash('sha1').update(String(n)).digest('hex');
const headers = { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` };
const eventRequest = (i) =>
  requestBytes(
    '/hooks/bench',
    headers,
    Buffer.from(
      JSON.stringify({
        type: i % 3 === 0 ? 'pipeline.failed' : 'pipeline.succeeded',
        title: `project-${i % 50} ci #${i} ${WORDS[(i * 13) % WORDS.length]} ${i % 3 === 0 ? 'failed' : 'passed'} on branch-${i % THINGS}`,
        subject: { project: `project-${i % 50}`, pipeline: 'ci', branch: `branch-${i % THINGS}`, commit: sha(Math.floor(i / 4)) },
      }),
    ),
  );

// ── the sink (--sink) and the hubs ──
let delivered = 0;
const sink = values.sink ? await leanSink(() => delivered++) : undefined;
const dirs = [];
const running = new Set();
process.on('exit', () => {
  for (const hub of running) if (hub.child.exitCode === null) hub.child.kill('SIGTERM');
  sink?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

// The same V8 flags as `npm run serve` (package.json) and bench/ingest.mjs ($BENCH_HUB_NODE_ARGS replaces them: a profile).
const HUB_NODE_ARGS = (process.env.BENCH_HUB_NODE_ARGS ?? '--max-semi-space-size=2 --heap-growing-percent=20 --expose-gc').split(' ').filter(Boolean);
async function startHub(side) {
  const dir = mkdtempSync(join(tmpdir(), `herald-bench-board-hub-${side}-`));
  dirs.push(dir);
  const config = join(dir, 'herald.json');
  writeFileSync(
    config,
    JSON.stringify({
      sources: [{ id: 'bench', kind: 'generic', name: 'Bench', secret: 'env:HERALD_BENCH_SECRET' }],
      channels: sink ? [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `http://127.0.0.1:${sink.port}/in`, template: '{"id":"{{id}}"}', concurrency: 16 }] : [],
      rules: sink ? [{ id: 'all', name: 'All', channels: ['sink'] }] : [],
      settings: { retention: { maxAgeDays: 30, maxEvents: 10_000_000 } },
    }),
  );
  const env = { ...process.env, HERALD_BENCH_SECRET: SECRET };
  delete env.HERALD_BENCH_NO_BOARD;
  if (side === 'off') env.HERALD_BENCH_NO_BOARD = '1';
  const args = [...HUB_NODE_ARGS, HEADLESS, '--data-dir', join(dir, 'data'), '--config', config, '--ingress-port', '0', '--api-port', '0', '--api-token', TOKEN];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  for (const deadline = Date.now() + 60_000; ; await sleep(50)) {
    const ingress = /ingress:\s+(http:\/\/\S+)/.exec(out)?.[1];
    const api = /ui\/api:\s+(http:\/\/[^/\s]+)/.exec(out)?.[1];
    if (ingress && api) {
      if ((side === 'off') !== out.includes('board:    not kept')) throw new Error(`the ${side} hub did not take the switch as meant:\n${out}`);
      const url = new URL(ingress);
      const hub = { side, child, dir, pid: child.pid, api, pool: leanPool(url.hostname, Number(url.port), C), pushes: { bytes: 0, boardUpdated: 0, boardChanged: 0, reloads: 0 }, view: undefined };
      running.add(hub);
      return hub;
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the ${side} hub did not start:\n${out}`);
  }
}

/** Stops a hub and removes its data (the next pair starts afresh). */
async function stopHub(hub) {
  hub.stopping = true;
  for (const deadline = Date.now() + 10_000; hub.reloading && Date.now() < deadline; ) await sleep(20);
  hub.view?.destroy();
  hub.pool.close();
  if (hub.child.exitCode === null) {
    const exited = new Promise((done) => hub.child.once('exit', done));
    hub.child.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    if (hub.child.exitCode === null) hub.child.kill('SIGKILL');
  }
  running.delete(hub);
  rmSync(hub.dir, { recursive: true, force: true });
}

async function api(hub, method, input = {}) {
  const res = await fetch(`${hub.api}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(input),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * What the Now page reads when told `board.changed` (a storm: board-feed.ts): the page it
 * shows, the counts of its filters, and the app's red count (renderer NowPage.tsx, App.tsx).
 * One read at a time; changes told meanwhile make one more.
 */
function reloadLikeNow(hub) {
  if (hub.reloading) {
    hub.reloadAgain = true;
    return;
  }
  hub.reloading = true;
  hub.pushes.reloads++;
  Promise.all([api(hub, 'board.list', { limit: 200 }), api(hub, 'board.list', { limit: 0 }), api(hub, 'board.list', { states: ['failing'], limit: 0 })]).then(
    () => {
      hub.reloading = false;
      if (hub.reloadAgain) {
        hub.reloadAgain = false;
        reloadLikeNow(hub);
      }
    },
    (error) => {
      hub.reloading = false;
      if (!hub.stopping) console.error(`the ${hub.side} hub's board reload failed: ${error.message}`);
    },
  );
}

/** A view on the hub's update stream, as the Now page keeps one: reads every push, counts the board's, reads the board again when told it changed. */
function listen(hub) {
  return new Promise((done, fail) => {
    const req = httpRequest(`${hub.api}/api/updates`, { headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) return fail(new Error(`the ${hub.side} hub's /api/updates: HTTP ${res.statusCode}`));
      res.setEncoding('latin1');
      res.on('data', (chunk) => {
        hub.pushes.bytes += chunk.length;
        for (let at = chunk.indexOf('"board.updated"'); at >= 0; at = chunk.indexOf('"board.updated"', at + 1)) hub.pushes.boardUpdated++;
        for (let at = chunk.indexOf('"board.changed"'); at >= 0; at = chunk.indexOf('"board.changed"', at + 1)) {
          hub.pushes.boardChanged++;
          reloadLikeNow(hub);
        }
      });
      res.on('error', () => undefined);
      done();
    });
    req.on('error', (error) => (hub.view ? undefined : fail(error)));
    req.end();
    hub.view = req;
  });
}

// ── CPU of a hub process: utime + stime of all its threads (/proc/<pid>/stat, clock ticks of 1/100 s) ──
function cpuUs(pid) {
  const { user, sys } = processCpu(pid);
  return user + sys;
}

/**
 * The same per group of threads, living ones: the main thread (the ingest transaction, the
 * board, the api), the threads Herald names (herald-ingress, herald-checkpt) and the rest
 * (Node names them all "node": V8's GC and compiler threads, libuv's pool with the fsyncs).
 */
function threadCpuUs(pid) {
  const groups = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readProcText(`/proc/${pid}/task/${tid}/stat`);
    if (!stat) continue; // the thread has gone
    const name = tid === String(pid) ? 'main' : statName(stat).startsWith('herald-') ? statName(stat) : 'other';
    const { user, sys } = statCpu(stat);
    groups[name] = (groups[name] ?? 0) + user + sys;
  }
  return groups;
}

async function burst(hub, requests) {
  let next = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < requests.length) {
        const status = await hub.pool.send(requests[next++]);
        if (status !== 202) throw new Error(`the ${hub.side} hub answered HTTP ${status}`);
      }
    }),
  );
  hub.sent = (hub.sent ?? 0) + requests.length;
}
/** Every event sent so far delivered (--sink): a round's deliveries are its own cost, not the next one's. */
let sentToSink = 0;
async function drained(count) {
  if (!sink) return;
  sentToSink += count;
  for (const deadline = Date.now() + 60_000; delivered < sentToSink; await sleep(20)) {
    if (Date.now() > deadline) throw new Error(`the sink has ${delivered} of ${sentToSink} deliveries after 60 s`);
  }
}

const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const sum = (o) => Object.values(o).reduce((a, n) => a + n, 0);

/** One pair of fresh hubs: fill, warm up, measured rounds; returns its rounds, thread CPU and pushes. */
async function runPair(pair) {
  // Which hub starts first alternates between pairs (start order places them in memory and on the cores).
  const hubs = {};
  for (const side of pair % 2 === 0 ? ['on', 'off'] : ['off', 'on']) hubs[side] = await startHub(side);
  if (values.view) await Promise.all(Object.values(hubs).map(listen));
  // Both boards filled: each pipeline once (THINGS things).
  const fill = Array.from({ length: THINGS }, (_, i) => eventRequest(i));
  for (const hub of [hubs.off, hubs.on]) {
    await burst(hub, fill);
    await drained(fill.length);
  }
  let first = THINGS;
  const nextRequests = () => {
    const requests = Array.from({ length: PER_ROUND }, (_, i) => eventRequest(first + i));
    first += PER_ROUND;
    return requests;
  };
  // Unmeasured: both hubs' code optimised and heaps grown (a fresh hub's first rounds are its start-up).
  for (let i = 0; i < WARMUP; i++) {
    const requests = nextRequests();
    for (const hub of [hubs.off, hubs.on]) {
      await burst(hub, requests);
      await drained(requests.length);
    }
  }
  await sleep(SETTLE_MS);

  const rounds = { on: [], off: [] };
  const threadsBefore = { on: threadCpuUs(hubs.on.pid), off: threadCpuUs(hubs.off.pid) };
  // Strictly alternating (off, on, off, on, …, off): each hub idles for the same time (the other's
  // round) before each of its rounds — a hub left idle longer starts its burst slower (ABBA order
  // showed it: whichever ran second, after a longer idle, lost ~25 %). One more round of the hub
  // without closes the pair, so each round with the board sits between two without: its ratio is
  // taken to their mean, which cancels a steady drift of the machine's load.
  const measure = async (side, requests) => {
    const hub = hubs[side];
    const cpuStart = cpuUs(hub.pid);
    const start = performance.now();
    await burst(hub, requests);
    const seconds = (performance.now() - start) / 1000;
    await drained(requests.length);
    await sleep(SETTLE_MS);
    rounds[side].push({ rate: requests.length / seconds, cpu: (cpuUs(hub.pid) - cpuStart) / requests.length });
  };
  for (let round = 0; round <= ROUNDS; round++) {
    // The same events for both hubs, made before either's clock starts.
    const requests = nextRequests();
    await measure('off', requests);
    if (round < ROUNDS) await measure('on', requests);
  }
  const threadsAfter = { on: threadCpuUs(hubs.on.pid), off: threadCpuUs(hubs.off.pid) };

  // Both hubs hold every event sent to them; only the one with the board has things on it.
  const status = { on: await api(hubs.on, 'hub.status'), off: await api(hubs.off, 'hub.status') };
  const board = { on: await api(hubs.on, 'board.list', { limit: 0 }), off: await api(hubs.off, 'board.list', { limit: 0 }) };
  for (const side of ['on', 'off']) {
    if (status[side].counts.events < hubs[side].sent) throw new Error(`pair ${pair + 1}: the ${side} hub stored ${status[side].counts.events} of the ${hubs[side].sent} events sent`);
  }
  if (sum(board.on.counts) < THINGS || sum(board.off.counts) !== 0) throw new Error(`pair ${pair + 1}: board: ${sum(board.on.counts)} things with the board, ${sum(board.off.counts)} without`);
  const pushes = hubs.on.pushes;
  const things = sum(board.on.counts);
  await Promise.all(Object.values(hubs).map(stopHub));

  /** The hub without the board around round i of the hub with it: the mean of the rounds before and after. */
  const offAround = (i, key) => (rounds.off[i][key] + rounds.off[i + 1][key]) / 2;
  return {
    rounds,
    wall: rounds.on.map((x, i) => x.rate / offAround(i, 'rate')),
    cpu: rounds.on.map((x, i) => offAround(i, 'cpu') / x.cpu),
    boardCpu: rounds.on.map((x, i) => x.cpu - offAround(i, 'cpu')),
    threads: { before: threadsBefore, after: threadsAfter },
    pushes,
    things,
  };
}

console.log(`load average at start: ${load()}`);
const loadBefore = load();
const started = performance.now();
const pairs = [];
for (let pair = 0; pair < PAIRS; pair++) {
  const result = await runPair(pair);
  pairs.push(result);
  console.log(
    `pair ${pair + 1} of ${PAIRS}: with / without the board, per-round ratio median ${pct(med(result.wall))} by the wall clock (rounds ${result.wall.map(pct).join(', ')}), ${pct(med(result.cpu))} by hub CPU per event; load ${load()}`,
  );
}
const runSeconds = (performance.now() - started) / 1000;

const all = (key) => pairs.flatMap((p) => p[key]);
const allRounds = (side) => pairs.flatMap((p) => p.rounds[side]);
const wall = all('wall');
const cpu = all('cpu');
console.log(
  `\nhub ingest = the hub's webhook intake (POST → ingress thread → ingest transaction → group commit + fsync → 202), two headless hubs, one with the board and one without (HERALD_BENCH_NO_BOARD=1),`,
);
console.log(
  `${PAIRS} pairs of fresh hubs, each: ${WARMUP} unmeasured round${WARMUP === 1 ? '' : 's'} per hub, then ${ROUNDS} rounds with the board between ${ROUNDS + 1} without (alternating), of ${PER_ROUND.toLocaleString('en-US')} events each at concurrency ${C}, one event per request, generic source, ${pairs[0].things.toLocaleString('en-US')} things on the board; ` +
    `${sink ? 'every event routed to a loopback webhook sink (deliveries drained inside each round)' : 'no channel (rules route nothing)'}; ` +
    `${values.view ? `a view listening on each as the Now page does (from the hubs with the board: ${pairs.reduce((a, p) => a + p.pushes.boardUpdated, 0)} board.updated pushes, ${pairs.reduce((a, p) => a + p.pushes.boardChanged, 0)} board.changed, ${pairs.reduce((a, p) => a + p.pushes.reloads, 0)} reloads of the Now page's three board.list reads)` : 'no view listening'}; ${runSeconds.toFixed(0)} s (load average ${loadBefore} → ${load()}):`,
);
console.log(
  `   events/s (medians over all ${wall.length} rounds): with ${med(allRounds('on').map((x) => x.rate)).toFixed(0)}, without ${med(allRounds('off').map((x) => x.rate)).toFixed(0)}; per-round ratio (to the mean of the rounds without around it) median ${pct(med(wall))}; per pair ${pairs.map((p) => pct(med(p.wall))).join(', ')}`,
);
console.log(
  `   hub CPU per event (medians, /proc utime+stime over each round and its settling): with ${med(allRounds('on').map((x) => x.cpu)).toFixed(0)} µs, without ${med(allRounds('off').map((x) => x.cpu)).toFixed(0)} µs; per-round ratio median ${pct(med(cpu))}; the board's part ${med(all('boardCpu')).toFixed(1)} µs/event; per pair ${pairs.map((p) => pct(med(p.cpu))).join(', ')}`,
);
// The medians leave out a round whose settling held a board save (at most one per
// SAVE_AT_MOST_EVERY_MS): the totals over every round and its settling count each save.
const totalCpu = (side) => allRounds(side).reduce((a, x) => a + x.cpu, 0) / allRounds(side).length;
console.log(`   hub CPU per event over all rounds (mean, every save counted): with ${totalCpu('on').toFixed(1)} µs, without ${totalCpu('off').toFixed(1)} µs: ${pct(totalCpu('off') / totalCpu('on'))}; the board's part ${(totalCpu('on') - totalCpu('off')).toFixed(1)} µs/event`);
const threadUs = (side, name) => pairs.reduce((a, p) => a + (p.threads.after[side][name] ?? 0) - (p.threads.before[side][name] ?? 0), 0);
const groups = [...new Set(pairs.flatMap((p) => [...Object.keys(p.threads.after.on), ...Object.keys(p.threads.after.off)]))].sort();
const eventsOf = (side) => PAIRS * (side === 'on' ? ROUNDS : ROUNDS + 1) * PER_ROUND;
console.log(`   by thread, over all rounds (µs per event, with / without): ${groups.map((name) => `${name} ${(threadUs('on', name) / eventsOf('on')).toFixed(0)} / ${(threadUs('off', name) / eventsOf('off')).toFixed(0)}`).join(', ')}`);
console.log(`target (hub's webhook intake): ingest with the board ≥ 95 % of without: ${med(wall) >= 0.95 ? 'met' : 'MISSED'} (${pct(med(wall))} by the wall clock, ${pct(med(cpu))} by hub CPU per event)`);
process.exit(0);

// CPU per event of the hub's main thread on the intake path, in process, no HTTP: what the
// main thread does between the ingress thread's message and the answer going back — the
// group commit (Ingestor), the ingest transaction (router, pipeline streaks, events + FTS,
// board, deliveries), the fsync of the WAL on the thread pool, the acknowledged mark, and
// the hub's after-commit work (a UI update per event when someone listens, the delivery
// worker's wake-up) — measured with the same load shape as bench/vs-alertmanager.mjs: the
// same generic event, one rule to one webhook channel, `--concurrency` requests in flight
// (each wave's items are submitted together, as one message from the ingress thread brings
// them, and the next wave goes once all are answered). Far steadier than events/s on a
// shared machine: it is one thread's CPU, and no client or sink competes with it.
// Not a test: it prints figures for the README.
//
//   npm run bench:intake-cpu -- [--events 20000] [--concurrency 8,16] [--rounds 5]
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '8,16' },
    rounds: { type: 'string', default: '5' },
  },
});
const N = Number(values.events);
const CONCURRENCY = values.concurrency.split(',').map(Number);
const ROUNDS = Math.max(1, Number(values.rounds));

const dist = resolve(import.meta.dirname, '../dist');
if (!existsSync(`${dist}/electron/hub/ingest.js`)) throw new Error('build first: npm run build');
const { Ingestor, ackOf } = await import(`${dist}/electron/hub/ingest.js`);
const { openSqliteEngine } = await import(`${dist}/electron/hub/store/sqlite-engine.js`);
const { buildRouter } = await import(`${dist}/electron/hub/rules/router.js`);
const { startMutePolicy } = await import(`${dist}/electron/hub/rules/mutes.js`);
const { enrichWithStreaks } = await import(`${dist}/electron/hub/sources/streak-enricher.js`);
const { genericSource } = await import(`${dist}/electron/hub/sources/generic.js`);
const { storedRaw } = await import(`${dist}/electron/hub/store/raw-payload.js`);
const { HeraldConfigSchema } = await import(`${dist}/shared/config.js`);

const config = HeraldConfigSchema.parse({
  sources: [{ id: 'bench', kind: 'generic', name: 'Bench', secret: 'env:HERALD_BENCH_SECRET' }],
  channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: 'http://127.0.0.1:9/herald', template: '{"id":"{{title}}"}' }],
  rules: [{ id: 'all', name: 'All', channels: ['sink'] }],
});
const source = { kind: 'generic', id: 'bench', name: 'Bench' };

/** What the ingress thread sends for one request of bench/vs-alertmanager.mjs (the generic source's parse, the stored raw). */
let serial = 0;
function item() {
  const body = Buffer.from(JSON.stringify({ type: 'pipeline.failed', title: `herald-r-${serial++}`, subject: { project: 'acme/api', branch: 'main', pipeline: 'build' } }));
  const parsed = genericSource.parse({ headers: {}, body });
  return { source, inputs: parsed.events, rawStored: storedRaw(parsed.raw, body.toString('utf8')) };
}

/** On-CPU time (µs) of this process's main thread (its tid is the pid), and of the whole process. */
const mainThreadUs = () => Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
const processUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

async function run(concurrency) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-intake-'));
  const engine = await openSqliteEngine(dir);
  const mutes = startMutePolicy({ store: engine, now: Date.now, sourceName: () => 'Bench', emit: () => undefined });
  const router = buildRouter(config, Date.now, mutes);
  let committed = 0;
  const ingestor = new Ingestor({
    store: engine,
    router: () => router,
    enrich: enrichWithStreaks,
    onCommitted: (outcomes) => {
      mutes.afterCommit();
      committed += outcomes.length;
    },
  });
  // One wave: `concurrency` requests arrive in one message, each answered with its ack.
  // The items are made beforehand: parsing them is the ingress thread's work, not measured here.
  const burst = async (count) => {
    const items = Array.from({ length: count }, item);
    for (let i = 0; i < count; i += concurrency) await Promise.all(items.slice(i, i + concurrency).map((it) => ingestor.submit(it).then(ackOf)));
  };
  await burst(3000); // warm-up: JIT, page cache
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const items = Array.from({ length: N }, item);
    const before = { main: mainThreadUs(), all: processUs(), at: performance.now() };
    for (let i = 0; i < N; i += concurrency) await Promise.all(items.slice(i, i + concurrency).map((it) => ingestor.submit(it).then(ackOf)));
    rounds.push({ main: (mainThreadUs() - before.main) / N, all: (processUs() - before.all) / N, perSecond: N / ((performance.now() - before.at) / 1000) });
  }
  mutes.stop();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  if (committed === 0) throw new Error('nothing was committed');
  const median = (key) => rounds.map((x) => x[key]).sort((a, b) => a - b)[Math.floor((rounds.length - 1) / 2)];
  return { main: median('main'), all: median('all'), perSecond: median('perSecond'), mainRounds: rounds.map((x) => x.main) };
}

console.log(
  `Intake CPU per event on the main thread, in process (Ingestor → ingest transaction → fsync → ack), ${N} events per round, ${ROUNDS} rounds (median); node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
);
for (const concurrency of CONCURRENCY) {
  const r = await run(concurrency);
  console.log(
    `  ${String(concurrency).padStart(2)} in flight: main thread ${r.main.toFixed(1)} µs/event (rounds ${r.mainRounds.map((x) => x.toFixed(1)).join(' ')}), ` +
      `whole process ${r.all.toFixed(1)} µs/event, ${Math.round(r.perSecond).toLocaleString('en-US')} events/s`,
  );
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

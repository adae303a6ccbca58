// npm run bench:poll — the github-actions poller watching 100 repositories through a
// loopback GitHub stand-in that behaves as GitHub does for this (ETag / If-None-Match →
// 304, which GitHub does not count against the rate limit; X-RateLimit-* on every answer).
//
// 1. An idle hour, simulated: 60 polls at the default 60 s interval, driven one after the
//    other with pollNow (nothing in a poll depends on the wall clock between polls except
//    the hourly owner/* listing, which explicit repositories do not use) → requests made,
//    requests counted against the rate limit (target: under 5 % of 5,000).
// 2. RSS the hub adds for the 100 watched repositories (after GC, before → after).
// 3. Latency: the interval set to 10 s and the scheduler left to run on its own; a run
//    finishes on the stand-in at a random moment; time until the webhook channel's
//    loopback sink gets the pipeline.failed delivery (target: interval + 1 s).
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub } from '../dist/electron/hub/hub.js';

const REPOS = 100;
const SAMPLES = Number(process.env.BENCH_POLL_SAMPLES ?? 5);
const TOKEN = 'ghp_bench';
const gc = globalThis.gc ?? (() => undefined);

// ── The GitHub stand-in ─────────────────────────────────────────────────────
const repos = new Map();
for (let i = 0; i < REPOS; i++) repos.set(`bench/repo-${i}`, { runs: [{ id: 1_000_000 + i, status: 'completed', conclusion: 'success', at: '2026-01-01T00:00:00Z' }] });
let nextRun = 2_000_000;
const stats = { requests: 0, counted: 0, remaining: 5000 };
const reset = Math.floor(Date.now() / 1000) + 3600;
const runJson = (name, run) => ({
  id: run.id,
  name: 'CI',
  path: '.github/workflows/ci.yml',
  head_branch: 'main',
  head_sha: 'a'.repeat(40),
  event: 'push',
  status: run.status,
  conclusion: run.conclusion,
  run_number: run.id % 1000,
  run_attempt: 1,
  created_at: run.at,
  updated_at: run.at,
  html_url: `https://github.example/${name}/actions/runs/${run.id}`,
  actor: { login: 'octocat' },
  triggering_actor: { login: 'octocat' },
  repository: { full_name: name, owner: { login: 'bench' }, html_url: `https://github.example/${name}` },
});
const github = http.createServer((req, res) => {
  stats.requests++;
  const url = new URL(req.url, 'http://x');
  const m = /^\/repos\/([^/]+\/[^/]+)\/(actions\/runs|deployments)$/.exec(url.pathname);
  const repo = m && repos.get(m[1]);
  if (!repo || req.headers.authorization !== `Bearer ${TOKEN}`) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
    return;
  }
  const body = JSON.stringify(m[2] === 'deployments' ? [] : { total_count: repo.runs.length, workflow_runs: repo.runs.map((r) => runJson(m[1], r)) });
  const etag = `W/"${createHash('sha1').update(body).digest('hex')}"`;
  const headers = { 'content-type': 'application/json', etag, 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': String(reset) };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { ...headers, 'x-ratelimit-remaining': String(stats.remaining) }).end();
    return;
  }
  stats.counted++;
  stats.remaining--;
  res.writeHead(200, { ...headers, 'x-ratelimit-remaining': String(stats.remaining) }).end(body);
});

// ── The delivery sink (a webhook channel) ───────────────────────────────────
let onDelivery = () => undefined;
const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(204).end();
    onDelivery();
  });
});

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
const githubUrl = await listen(github);
const sinkUrl = await listen(sink);

const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-poll-'));
const configFile = join(dataDir, 'herald.json');
writeFileSync(
  configFile,
  JSON.stringify({
    channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `${sinkUrl}/hook` }],
    rules: [{ id: 'failures', name: 'Failures', match: { types: ['pipeline.failed'] }, channels: ['sink'] }],
  }),
);
const secrets = {
  status: { available: true },
  resolve: async (ref) => (ref === 'env:BENCH_GH_TOKEN' ? TOKEN : Promise.reject(new Error(`${ref} is not set`))),
  set: async (name) => `keychain:${name}`,
  delete: async () => undefined,
  has: async () => true,
};
const hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000 });
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return process.memoryUsage().rss;
};

const rssBefore = await settle();
const source = {
  id: 'gha',
  kind: 'github-actions',
  name: 'Bench',
  token: 'env:BENCH_GH_TOKEN',
  repos: [...repos.keys()],
  apiUrl: githubUrl,
  pollIntervalSeconds: 3600,
};
await hub.api['sources.create']({ config: source, secrets: {} });
// The first poll (at once, by the scheduler) records every repository: 2 counted requests each.
let outcome = await hub.pollNow('gha');
if (!outcome.ok) throw new Error(outcome.error);
const firstPoll = { ...stats };

// ── 1. An idle hour: 60 polls at the 60 s interval ───────────────────────────
const mark = { ...stats };
const started = performance.now();
for (let minute = 0; minute < 60; minute++) {
  outcome = await hub.pollNow('gha');
  if (!outcome.ok) throw new Error(outcome.error);
}
const pollMs = (performance.now() - started) / 60;
const idle = { requests: stats.requests - mark.requests, counted: stats.counted - mark.counted };
const rssAfter = await settle();

// ── 3. Latency at a 10 s interval, the scheduler on its own ─────────────────
await hub.api['sources.update']({ config: { ...source, pollIntervalSeconds: 10 }, secrets: {} });
await new Promise((resolve) => setTimeout(resolve, 2000));
const latencies = [];
for (let i = 0; i < SAMPLES; i++) {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 10_000));
  const repo = repos.get(`bench/repo-${(i * 37) % REPOS}`);
  const delivered = new Promise((resolve) => {
    onDelivery = resolve;
  });
  const t0 = performance.now();
  repo.runs.unshift({ id: nextRun++, status: 'completed', conclusion: 'failure', at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
  await delivered;
  latencies.push(performance.now() - t0);
}
onDelivery = () => undefined;
await hub.stop();
github.close();
sink.close();

const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
latencies.sort((a, b) => a - b);
console.log(`bench:poll — ${REPOS} repositories, github-actions poller, loopback GitHub stand-in`);
console.log(`first poll (records the current state): ${firstPoll.requests} requests, ${firstPoll.counted} counted`);
console.log(`idle hour (60 polls at 60 s): ${fmt(idle.requests)} requests made, ${fmt(idle.counted)} counted against the rate limit = ${fmt((idle.counted / 5000) * 100)} % of 5,000 [target < 5 %]`);
console.log(`one idle poll of ${REPOS} repositories: ${fmt(pollMs)} ms`);
console.log(`RSS added by watching ${REPOS} repositories: ${fmt((rssAfter - rssBefore) / 1024 / 1024)} MB (${fmt(rssBefore / 1048576)} → ${fmt(rssAfter / 1048576)} MB, after GC)`);
console.log(`run finished → delivery at a 10 s interval (${SAMPLES} samples): median ${fmt(latencies[Math.floor(latencies.length / 2)] / 1000)} s, max ${fmt(latencies.at(-1) / 1000)} s [target ≤ interval + 1 s = 11 s]`);
process.exit(0);

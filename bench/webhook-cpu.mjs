// CPU per webhook request for what a source must do before anything is stored: verify the
// signature or token, parse, map to events and validate them — in process, no HTTP, no
// store, one core, warm. Generic (Herald's own event JSON, bearer token) against a signed
// GitHub `workflow_run` (18.8 KB, @octokit/webhooks-examples), the pair `bench:ingest`
// compares end to end: this is the part of the GitHub figure no store or thread layout
// can take away. Not a test: it prints figures for the README.
//
//   npm run bench:webhook-cpu -- [--requests 20000] [--rounds 3]
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { signedWorkflowRuns } from './github-payloads.mjs';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } },
});
const N = Number(values.requests);
const ROUNDS = Number(values.rounds);

const dist = resolve(import.meta.dirname, '../dist');
if (!existsSync(`${dist}/electron/hub/sources/webhook-registry.js`)) throw new Error('build first: npm run build');
const { webhookSourceFor } = await import(`${dist}/electron/hub/sources/webhook-registry.js`);
const { EventInputSchema } = await import(`${dist}/shared/event.js`);

const GENERIC_SECRET = 'bench-secret';
const GITHUB_SECRET = 'bench-github-secret';
const genericSource = { id: 'bench', kind: 'generic', name: 'Bench', enabled: true, secret: 'env:HERALD_BENCH_SECRET' };
const githubSource = { id: 'gh', kind: 'github', name: 'GitHub', enabled: true, secret: 'env:HERALD_BENCH_GH_SECRET' };

// The same bodies bench/ingest.mjs posts.
const genericBody = Buffer.from(JSON.stringify({ type: 'pipeline.failed', title: 'burst-1', subject: { project: 'acme/api', branch: 'main', pipeline: 'build' } }));
const githubRequests = signedWorkflowRuns(GITHUB_SECRET).map(({ body, signature }) => ({
  headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_run', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature },
  body,
  pathRest: '',
}));
const genericRequest = { headers: { 'content-type': 'application/json', authorization: `Bearer ${GENERIC_SECRET}` }, body: genericBody, pathRest: '' };

/** What the receiver does before it asks the store (ingress/receiver.ts): the same checks, in the same order. */
function handle(handler, request, secret, source, validate) {
  if (!handler.verify(request, secret, source)) throw new Error(`${source.kind}: signature refused`);
  const parsed = handler.parse(request, source);
  if (parsed.kind !== 'events') throw new Error(`${source.kind}: ${parsed.kind} ${parsed.reason ?? ''}`);
  // The receiver validates what a source produced, except the generic source's (its parse is that schema).
  if (validate) for (const event of parsed.events) if (!EventInputSchema.safeParse(event).success) throw new Error(`${source.kind}: invalid event`);
  return parsed.events.length;
}

function cpuPerRequest(run) {
  for (let i = 0; i < 2_000; i++) run(i); // warm: optimized code, as in a running hub
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) run(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / N;
}

const generic = webhookSourceFor('generic');
const github = webhookSourceFor('github');
const results = { generic: [], github: [] };
for (let round = 0; round < ROUNDS; round++) {
  results.generic.push(cpuPerRequest(() => handle(generic, genericRequest, GENERIC_SECRET, genericSource, false)));
  results.github.push(cpuPerRequest((i) => handle(github, githubRequests[i % githubRequests.length], GITHUB_SECRET, githubSource, true)));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const line = (xs) => `${median(xs).toFixed(1)} µs (rounds: ${xs.map((x) => x.toFixed(1)).join(', ')})`;
console.log(`Herald webhook CPU — node ${process.version}; ${N} requests per round, verify + parse + map + validate, in process`);
console.log(`generic event (${genericBody.length} B, bearer token):     ${line(results.generic)}`);
console.log(`GitHub workflow_run (${(githubRequests[0].body.length / 1024).toFixed(1)} KB, HMAC-SHA256): ${line(results.github)}`);
console.log(`GitHub costs ${(median(results.github) - median(results.generic)).toFixed(0)} µs more per request, before its receipt over HTTP, the redelivery check and the store`);

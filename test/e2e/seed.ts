// A lived-in hub for screenshots and the bench: sources, channels (one failing), rules and
// a spread of realistic events, all through the public api and ingress.
import type { Sink } from '../helpers/http-sink.js';
import type { HubProcess } from '../helpers/hub-process.js';
import { sendEvents } from './hub.js';

export const SEED_SECRET_ENV = { HERALD_SEED_CI_SECRET: 'seed-ci-secret', HERALD_SEED_GH_SECRET: 'seed-gh-secret' };

const PROJECTS = ['payments-api', 'web-frontend', 'search-indexer', 'auth-service', 'mobile-bff'];
const ENVIRONMENTS = ['dev', 'staging', 'prod-eu', 'prod-us'];
const BRANCHES = ['main', 'release/2.4', 'feature/checkout-v2', 'fix/timeout'];
const KINDS: Array<{ type: string; title: (p: string, n: number, b: string, e: string) => string; env?: boolean }> = [
  { type: 'pipeline.failed', title: (p, n, b) => `${p} #${n} failed on ${b}` },
  { type: 'pipeline.succeeded', title: (p, n, b) => `${p} #${n} passed on ${b}` },
  { type: 'pipeline.triggered', title: (p, n, b) => `${p} #${n} started on ${b}` },
  { type: 'deployment.succeeded', title: (p, n, _b, e) => `${p} deployed to ${e}`, env: true },
  { type: 'deployment.failed', title: (p, n, _b, e) => `${p} deploy to ${e} failed`, env: true },
  { type: 'security_gate.failed', title: (p) => `Security gate failed for ${p}: 2 critical findings` },
  { type: 'compliance.noncompliant', title: (_p, _n, _b, e) => `Environment ${e} became non-compliant`, env: true },
  { type: 'finding.new', title: (p) => `New finding in ${p}: CVE-2025-1234 in openssl` },
];

export function seedEvents(count: number, offset = 0): unknown[] {
  const events = [];
  for (let i = 0; i < count; i++) {
    const k = KINDS[(i * 7 + offset) % KINDS.length]!;
    const p = PROJECTS[(i + offset) % PROJECTS.length]!;
    const b = BRANCHES[(i * 3 + offset) % BRANCHES.length]!;
    const e = ENVIRONMENTS[(i * 5 + Math.floor(i / 8) + offset) % ENVIRONMENTS.length]!;
    const n = 1000 + i + offset;
    events.push({
      type: k.type,
      title: k.title(p, n, b, e),
      summary: `Run ${n} of ${p}. Triggered by a push to ${b}.`,
      url: `https://ci.example.com/${p}/runs/${n}`,
      actor: ['alice', 'bob', 'chen', 'dana'][i % 4],
      subject: { project: p, branch: b, pipeline: 'build-and-test', ...(k.env && { environment: e }) },
      dedupKey: `seed-${offset}-${i}`,
      data: { run: n, durationSeconds: 60 + (i % 300) },
    });
  }
  return events;
}

/** The UTC wall time `hours` from now, as HH:MM. */
function hhmmUtc(hours: number): string {
  const at = new Date(Date.now() + hours * 3_600_000);
  return `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')}`;
}

export async function seedHub(hub: HubProcess, sinks: { ok: Sink; failing: Sink }): Promise<void> {
  await hub.api('settings.update', { settings: { delivery: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 100, unhealthyAfter: 3 } } });
  await hub.api('sources.create', { config: { id: 'ci', name: 'CI pipelines', kind: 'generic', secret: 'env:HERALD_SEED_CI_SECRET' }, secrets: {} });
  await hub.api('sources.create', { config: { id: 'github-org', name: 'GitHub (acme)', kind: 'github', secret: 'env:HERALD_SEED_GH_SECRET' }, secrets: {} });
  await hub.api('sources.create', {
    config: { id: 'gocd', name: 'GoCD cctray', kind: 'cctray', url: 'http://127.0.0.1:9/go/cctray.xml', pollIntervalSeconds: 60 },
    secrets: {},
  });
  await hub.api('channels.create', { config: { id: 'team', name: 'Team webhook', kind: 'webhook', url: `${sinks.ok.url}/team` }, secrets: {} });
  await hub.api('channels.create', { config: { id: 'ops', name: 'Ops webhook', kind: 'webhook', url: `${sinks.failing.url}/ops` }, secrets: {} });
  await hub.api('channels.create', { config: { id: 'desktop', name: 'Desktop', kind: 'desktop' }, secrets: {} });
  await hub.api('rules.create', {
    config: { id: 'failures', name: 'Failures to the team', match: { types: ['pipeline.failed', 'deployment.failed'] }, channels: ['team'], throttle: { windowSeconds: 3600 } },
  });
  await hub.api('rules.create', {
    config: {
      id: 'prod-deploys',
      name: 'Prod deploys to ops',
      match: { types: ['deployment.*'], environment: ['prod-*'] },
      channels: ['ops'],
      // Shown on the Rules page, never in force while the seed runs: a fixed 22:00–07:00
      // would hold the prod deliveries back whenever the suite runs at night in Berlin.
      quietHours: { start: hhmmUtc(6), end: hhmmUtc(14), timeZone: 'UTC' },
    },
  });
  await hub.api('rules.create', {
    config: { id: 'security', name: 'Security and compliance', enabled: false, match: { types: ['security_gate.*', 'compliance.*'], severities: ['critical'] }, channels: ['desktop'] },
  });
  sinks.failing.respond(502, 'bad gateway');
  await sendEvents(`${hub.ingressUrl}/hooks/ci`, SEED_SECRET_ENV.HERALD_SEED_CI_SECRET, seedEvents(80));
  // Some read, most not: the list shows both.
  const page = await hub.api<{ items: Array<{ id: string }> }>('events.list', { limit: 80 });
  await hub.api('events.markRead', { ids: page.items.slice(20).map((e) => e.id) });
}

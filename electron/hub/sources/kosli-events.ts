// Kosli's events in Herald's words, shared by the webhook and the snapshot poller so a
// rule matches both alike. Subject: org → group, environment → environment,
// flow → project, artifact name → artifact (the fingerprint goes in data), the artifact's
// provenance commit → commit (so "started in production" joins the commit's thread).
import { commitOf, type EventInput, type Subject } from '../../../shared/event.js';

export type KosliArtifactType = 'artifact.started' | 'artifact.stopped' | 'artifact.scaled' | 'artifact.allowlisted';

export interface KosliArtifactChange {
  type: KosliArtifactType;
  org: string;
  environment: string;
  name: string;
  fingerprint?: string;
  flow?: string;
  /** The git commit the artifact was built from (its provenance). */
  commit?: string;
  /** Instance counts before and after. */
  from?: number;
  to?: number;
  url?: string;
  occurredAt?: string;
  /** Small extras (snapshot index, commit…). */
  data?: Record<string, unknown>;
  summary?: string;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function kosliSubject(org: string, environment: string, flow?: string, artifact?: string, commit?: unknown): Subject {
  const sha = commitOf(commit);
  return {
    group: clip(org, 300),
    environment: clip(environment, 300),
    ...(flow && { project: clip(flow, 300) }),
    ...(artifact && { artifact: clip(artifact, 300) }),
    ...(sha && { commit: sha }),
  };
}

const instances = (n: number) => `${n} instance${n === 1 ? '' : 's'}`;

export function kosliArtifactEvent(change: KosliArtifactChange): EventInput {
  const { name, environment } = change;
  const counts = change.from !== undefined && change.to !== undefined ? ` (from ${change.from} to ${change.to})` : '';
  const titles: Record<KosliArtifactType, string> = {
    'artifact.started': `${name} started running in ${environment}`,
    'artifact.stopped': `${name} stopped running in ${environment}`,
    'artifact.scaled':
      change.from !== undefined && change.to !== undefined
        ? `${name} scaled ${change.to > change.from ? 'up' : 'down'} from ${change.from} to ${change.to} in ${environment}`
        : `${name} was scaled in ${environment}`,
    'artifact.allowlisted': `${name} was added to the allow-list of ${environment}`,
  };
  const defaultSummary: Record<KosliArtifactType, string | undefined> = {
    'artifact.started': change.to !== undefined ? `${instances(change.to)} running${counts}.` : undefined,
    'artifact.stopped': change.from !== undefined ? `${instances(change.from)} stopped${counts}.` : undefined,
    'artifact.scaled': undefined,
    'artifact.allowlisted': undefined,
  };
  const summary = change.summary ?? defaultSummary[change.type];
  const data: Record<string, unknown> = {
    org: change.org,
    ...(change.fingerprint && { fingerprint: change.fingerprint }),
    ...(change.from !== undefined && { from: change.from }),
    ...(change.to !== undefined && { to: change.to }),
    ...change.data,
  };
  return {
    type: change.type,
    title: clip(titles[change.type], 500),
    ...(summary && { summary: clip(summary, 10_000) }),
    subject: kosliSubject(change.org, environment, change.flow, name, change.commit),
    ...(change.url && { url: change.url }),
    ...(change.occurredAt && { occurredAt: change.occurredAt }),
    data,
  };
}

export interface KosliComplianceChange {
  org: string;
  environment: string;
  compliant: boolean;
  url?: string;
  occurredAt?: string;
  summary?: string;
  data?: Record<string, unknown>;
}

export function kosliComplianceEvent(change: KosliComplianceChange): EventInput {
  const summary = change.summary ?? (change.compliant ? 'Was Non-Compliant.' : 'Was Compliant.');
  return {
    type: change.compliant ? 'compliance.compliant' : 'compliance.noncompliant',
    title: clip(change.compliant ? `${change.environment} is compliant again` : `${change.environment} became non-compliant`, 500),
    summary: clip(summary, 10_000),
    subject: kosliSubject(change.org, change.environment),
    ...(change.url && { url: change.url }),
    ...(change.occurredAt && { occurredAt: change.occurredAt }),
    data: { org: change.org, compliant: change.compliant, ...change.data },
  };
}

/** Kosli's `"1692616493"` (Unix seconds, string or number) → ISO time, or undefined. */
export function unixSecondsToIso(value: unknown): string | undefined {
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

// Polls Kosli API v2 environment snapshots and diffs consecutive ones into events:
// an artifact appears (started), disappears (stopped), changes its instance count
// (scaled, from → to), joins the allow-list (allowlisted), and the environment turns
// non-compliant or compliant again.
//
// - `GET {host}/api/v2/snapshots/{org}/{env}/-1` is the latest snapshot (the CLI's
//   `kosli get snapshot env`); `/{n}` is snapshot number n. `Authorization: Bearer <token>`.
// - Snapshots are numbered. When several were reported between two polls, the ones in
//   between are fetched too (up to 20), so a short-lived artifact is not missed.
// - The first poll of an environment records a baseline and raises nothing.
// - Instance count: `annotation.now` when present, else the number of creation
//   timestamps; 0 means the artifact has exited.
// - Commit: the artifact's `git_commit` (its provenance) goes on the subject.
// - Allow-list: an artifact whose snapshot entry says `allowlisted: true` (field name
//   unverified against the live API; a webhook source reports it reliably).
import type { SourceConfig } from '../../../shared/config.js';
import { commitOf, type EventInput } from '../../../shared/event.js';
import { kosliArtifactEvent, kosliComplianceEvent, unixSecondsToIso } from './kosli-events.js';
import { arrayAt, getJson, integerAt, isObject, objectAt, optionalText, stringAt, type Validators } from './poll-http.js';
import type { PollContext, PollingSource, PollResult } from './source.js';

export type KosliConfig = Extract<SourceConfig, { kind: 'kosli' }>;

export interface KosliArtifactState {
  name: string;
  flow?: string;
  /** The commit it was built from (`git_commit`). */
  commit?: string;
  count: number;
  allowlisted?: boolean;
}

export interface KosliSnapshot {
  index: number;
  /** null: the snapshot does not say. */
  compliant: boolean | null;
  timestamp?: string;
  /** By fingerprint; only running artifacts (count > 0). */
  artifacts: Record<string, KosliArtifactState>;
}

export interface KosliEnvState extends KosliSnapshot {
  validators?: Validators;
}

export interface KosliState {
  environments: Record<string, KosliEnvState>;
}

export const KOSLI_DEFAULT_INTERVAL_SECONDS = 60;
const MAX_IN_BETWEEN = 20;

/** A snapshot document → what the diff needs; throws a shape error naming the field. */
export function parseSnapshot(json: unknown, where: string): KosliSnapshot {
  const body = objectAt(json, where);
  // An environment nobody has reported yet answers an empty snapshot.
  if (body.index === undefined && body.artifacts === undefined) return { index: 0, compliant: null, artifacts: {} };
  const index = integerAt(body.index, `${where}.index`);
  const list = arrayAt(body.artifacts ?? [], `${where}.artifacts`);
  const artifacts: Record<string, KosliArtifactState> = {};
  list.forEach((item, i) => {
    const path = `${where}.artifacts[${i}]`;
    const artifact = objectAt(item, path);
    const fingerprint = stringAt(artifact.fingerprint, `${path}.fingerprint`);
    const count = instanceCount(artifact, path);
    if (count <= 0) return;
    const flow = optionalText(artifact.flow_name, 300);
    const commit = commitOf(artifact.git_commit);
    const existing = artifacts[fingerprint];
    artifacts[fingerprint] = {
      name: optionalText(artifact.name, 300) ?? fingerprint.slice(0, 12),
      ...(flow && { flow }),
      ...(commit && { commit }),
      count: count + (existing?.count ?? 0),
      ...(artifact.allowlisted === true && { allowlisted: true }),
    };
  });
  const timestamp = unixSecondsToIso(body.timestamp);
  return {
    index,
    compliant: typeof body.compliant === 'boolean' ? body.compliant : null,
    ...(timestamp && { timestamp }),
    artifacts,
  };
}

function instanceCount(artifact: Record<string, unknown>, path: string): number {
  const annotation = isObject(artifact.annotation) ? artifact.annotation : undefined;
  if (annotation && annotation.now !== undefined) return integerAt(annotation.now, `${path}.annotation.now`);
  if (Array.isArray(artifact.creationTimestamp)) return artifact.creationTimestamp.length;
  return 1;
}

export interface DiffContext {
  org: string;
  environment: string;
  /** The snapshot's page in the Kosli app. */
  url?: string;
}

/** Events for the step from one snapshot to the next. */
export function diffSnapshots(previous: KosliSnapshot, next: KosliSnapshot, context: DiffContext): EventInput[] {
  const events: EventInput[] = [];
  const common = {
    org: context.org,
    environment: context.environment,
    ...(context.url && { url: context.url }),
    ...(next.timestamp && { occurredAt: next.timestamp }),
  };
  const data = { snapshotIndex: next.index };
  const fingerprints = new Set([...Object.keys(previous.artifacts), ...Object.keys(next.artifacts)]);
  for (const fingerprint of fingerprints) {
    const before = previous.artifacts[fingerprint];
    const after = next.artifacts[fingerprint];
    const artifact = after ?? before!;
    const base = {
      ...common,
      name: artifact.name,
      fingerprint,
      ...(artifact.flow && { flow: artifact.flow }),
      ...(artifact.commit && { commit: artifact.commit }),
      data,
    };
    const from = before?.count ?? 0;
    const to = after?.count ?? 0;
    if (from === 0 && to > 0) events.push(kosliArtifactEvent({ ...base, type: 'artifact.started', from, to }));
    else if (from > 0 && to === 0) events.push(kosliArtifactEvent({ ...base, type: 'artifact.stopped', from, to }));
    else if (from !== to) events.push(kosliArtifactEvent({ ...base, type: 'artifact.scaled', from, to }));
    if (after?.allowlisted && !before?.allowlisted) events.push(kosliArtifactEvent({ ...base, type: 'artifact.allowlisted' }));
  }
  if (previous.compliant !== null && next.compliant !== null && previous.compliant !== next.compliant) {
    events.push(kosliComplianceEvent({ ...common, compliant: next.compliant, data }));
  }
  return events;
}

export function createKosliSource(): PollingSource<KosliConfig, KosliState> {
  return {
    kind: 'kosli',
    defaultIntervalSeconds: KOSLI_DEFAULT_INTERVAL_SECONDS,
    async poll(ctx: PollContext<KosliConfig>, lastState: KosliState | undefined): Promise<PollResult<KosliState>> {
      const { config } = ctx;
      const token = ctx.secrets.token;
      if (!token) throw new Error('the Kosli API token is not set');
      const request = {
        headers: { authorization: `Bearer ${token}` },
        signal: ctx.signal,
        timeoutMs: config.timeoutSeconds * 1000,
        ...(config.tls && { tls: config.tls }),
      };
      const host = config.host.replace(/\/+$/, '');
      const snapshotUrl = (environment: string, id: number) =>
        `${host}/api/v2/snapshots/${encodeURIComponent(config.org)}/${encodeURIComponent(environment)}/${id}`;
      const appUrl = (environment: string, index: number) =>
        `${host}/${encodeURIComponent(config.org)}/environments/${encodeURIComponent(environment)}/snapshots/${index}`;

      const events: EventInput[] = [];
      const environments: Record<string, KosliEnvState> = {};
      for (const environment of config.environments) {
        const before = lastState?.environments[environment];
        const answer = await getJson(snapshotUrl(environment, -1), { ...request, ...(before?.validators && { validators: before.validators }) });
        if (answer.kind === 'unchanged' && before) {
          environments[environment] = before;
          continue;
        }
        if (answer.kind === 'unchanged') throw new Error(`Kosli answered 304 for ${environment} to a request without validators`);
        const latest = parseSnapshot(answer.json, `snapshot of ${environment}`);
        const validators = Object.keys(answer.validators).length ? { validators: answer.validators } : {};
        environments[environment] = { ...latest, ...validators };
        // First sight, the same snapshot, or a renumbered (recreated) environment: no transition to report.
        if (!before || latest.index <= before.index) continue;

        const chain: KosliSnapshot[] = [before];
        const firstBetween = Math.max(before.index + 1, latest.index - MAX_IN_BETWEEN);
        for (let index = firstBetween; index < latest.index; index++) {
          const between = await getJson(snapshotUrl(environment, index), request);
          if (between.kind === 'json') chain.push(parseSnapshot(between.json, `snapshot ${index} of ${environment}`));
        }
        chain.push(latest);
        for (let i = 1; i < chain.length; i++) {
          const next = chain[i]!;
          events.push(...diffSnapshots(chain[i - 1]!, next, { org: config.org, environment, url: appUrl(environment, next.index) }));
        }
      }
      return { events, state: { environments } };
    },
  };
}

export const kosliSource = createKosliSource();

// Polls Devtron's workflow status for each configured app (for users who cannot edit
// Devtron's notifications): `GET /orchestrator/app/workflow/status/{appId}` with the API
// token in the `token` header (devtron api/router/app/pipeline/configure/PipelineConfigRouter.go
// → PipelineConfigRestHandler.FetchAppWorkflowStatusForTriggerView). The answer is Devtron's
// envelope `{code, status, result: {ciWorkflowStatus: [...], cdWorkflowStatus: [...]}}`
// (pipelineConfig.TriggerWorkflowStatus; errors as `{code, status, errors: [{userMessage}]}`):
//   ciWorkflowStatus: {ciPipelineId, ciPipelineName?, ciStatus, storageConfigured, ciWorkflowId?}
//   cdWorkflowStatus: {ci_pipeline_id, pipeline_id, pipeline_name?, deploy_status, pre_status, post_status, …}
// Transitions only: the first poll of an app records where each pipeline stands and raises
// nothing. A CI pipeline's status class changing (or a new ciWorkflowId finishing) raises
// pipeline.triggered / succeeded / failed / cancelled; a CD pipeline's deploy_status
// changing raises deployment.*. What Devtron does not say here: the environment of a CD
// pipeline and the commit (the webhook source carries both).
import type { SourceConfig } from '../../../shared/config.js';
import type { EventInput } from '../../../shared/event.js';
import { apiUrl, arrayAt, getJson, integerAt, isObject, optionalText, PollError, shapeError } from './poll-http.js';
import type { PollContext, PollingSource, PollResult } from './source.js';

export type DevtronPollConfig = Extract<SourceConfig, { kind: 'devtron-poll' }>;

type Outcome = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'idle';

interface CiSeen {
  status: string;
  workflowId?: number;
}
interface CdSeen {
  status: string;
}
export interface DevtronAppState {
  ci: Record<string, CiSeen>;
  cd: Record<string, CdSeen>;
}
export interface DevtronPollState {
  apps: Record<string, DevtronAppState>;
}

export const DEVTRON_DEFAULT_INTERVAL_SECONDS = 60;

/** Devtron's workflow and runner statuses (cdWorkflow bean, Argo phases, pipelineStage.go) by what they mean. */
const OUTCOMES: Record<string, Outcome> = {
  starting: 'running',
  queued: 'running',
  initiating: 'running',
  pending: 'running',
  running: 'running',
  progressing: 'running',
  waitingtostart: 'running',
  succeeded: 'succeeded',
  healthy: 'succeeded',
  failed: 'failed',
  error: 'failed',
  timedout: 'failed',
  degraded: 'failed',
  unabletofetch: 'failed',
  aborted: 'cancelled',
  cancelled: 'cancelled',
  'not triggered': 'idle',
  'not deployed': 'idle',
  '': 'idle',
};

export function outcomeOf(status: string): Outcome {
  return OUTCOMES[status.trim().toLowerCase()] ?? 'idle';
}

/** `12:payments` → {id: 12, name: 'payments'}. */
export function parseApp(entry: string): { id: number; name: string } {
  const [id, ...rest] = entry.split(':');
  const name = rest.join(':').trim();
  return { id: Number(id), name: name || `app ${id}` };
}

interface CiStatus {
  pipelineId: number;
  name?: string;
  status: string;
  workflowId?: number;
}
interface CdStatus {
  pipelineId: number;
  name?: string;
  status: string;
}

function parseAnswer(json: unknown, where: string): { ci: CiStatus[]; cd: CdStatus[] } {
  if (!isObject(json)) throw shapeError(`${where}: expected Devtron's {code, status, result} object`);
  // "No workflow found" comes back as HTTP 200 with errors[0].code "404": an app without pipelines.
  if (Array.isArray(json.errors) && json.errors.length > 0) {
    const first = isObject(json.errors[0]) ? json.errors[0] : {};
    if (String(first.code) === '404') return { ci: [], cd: [] };
    const message = optionalText(first.userMessage, 300) ?? optionalText(first.internalMessage, 300) ?? 'an error';
    throw new PollError('http', `${where}: Devtron answered ${message}`);
  }
  const result = json.result;
  if (result === undefined || result === null) return { ci: [], cd: [] };
  if (!isObject(result)) throw shapeError(`${where}.result: expected an object`);
  const list = (value: unknown, path: string) => (value === null || value === undefined ? [] : arrayAt(value, path));
  const ci = list(result.ciWorkflowStatus, `${where}.result.ciWorkflowStatus`).map((item, i) => {
    const path = `${where}.result.ciWorkflowStatus[${i}]`;
    if (!isObject(item)) throw shapeError(`${path}: expected an object`);
    const name = optionalText(item.ciPipelineName, 250);
    const workflowId = typeof item.ciWorkflowId === 'number' && item.ciWorkflowId > 0 ? item.ciWorkflowId : undefined;
    return { pipelineId: integerAt(item.ciPipelineId, `${path}.ciPipelineId`), ...(name && { name }), status: optionalText(item.ciStatus, 100) ?? '', ...(workflowId && { workflowId }) };
  });
  const cd = list(result.cdWorkflowStatus, `${where}.result.cdWorkflowStatus`).map((item, i) => {
    const path = `${where}.result.cdWorkflowStatus[${i}]`;
    if (!isObject(item)) throw shapeError(`${path}: expected an object`);
    const name = optionalText(item.pipeline_name, 250);
    return { pipelineId: integerAt(item.pipeline_id, `${path}.pipeline_id`), ...(name && { name }), status: optionalText(item.deploy_status, 100) ?? '' };
  });
  return { ci, cd };
}

const VERBS: Record<Exclude<Outcome, 'idle'>, string> = { running: 'triggered', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' };

function transition(before: { status: string; workflowId?: number } | undefined, now: { status: string; workflowId?: number }): Exclude<Outcome, 'idle'> | undefined {
  const outcome = outcomeOf(now.status);
  if (outcome === 'idle') return undefined;
  const previous = before ? outcomeOf(before.status) : 'idle';
  const newRun = before?.workflowId !== undefined && now.workflowId !== undefined && before.workflowId !== now.workflowId;
  return previous !== outcome || newRun ? outcome : undefined;
}

export const devtronPollSource: PollingSource<DevtronPollConfig, DevtronPollState> = {
  kind: 'devtron-poll',
  defaultIntervalSeconds: DEVTRON_DEFAULT_INTERVAL_SECONDS,
  async poll(ctx: PollContext<DevtronPollConfig>, lastState: DevtronPollState | undefined): Promise<PollResult<DevtronPollState>> {
    const { config } = ctx;
    const token = ctx.secrets.token;
    if (!token) throw new Error('the Devtron API token is not set');
    const request = { headers: { token }, signal: ctx.signal, timeoutMs: config.timeoutSeconds * 1000, ...(config.tls && { tls: config.tls }) };
    const base = config.url.replace(/\/+$/, '');
    const events: EventInput[] = [];
    const apps: Record<string, DevtronAppState> = {};
    for (const entry of config.apps) {
      const app = parseApp(entry);
      const answer = await getJson(apiUrl(config.url, `/orchestrator/app/workflow/status/${app.id}`), request);
      if (answer.kind !== 'json') throw shapeError(`app ${app.id}: Devtron answered 304 to a request without validators`);
      const { ci, cd } = parseAnswer(answer.json, `app ${app.id}`);
      const before = lastState?.apps[String(app.id)];
      const now: DevtronAppState = { ci: {}, cd: {} };
      const url = `${base}/dashboard/app/${app.id}/trigger`;
      for (const p of ci) {
        const seen: CiSeen = { status: p.status, ...(p.workflowId !== undefined && { workflowId: p.workflowId }) };
        now.ci[String(p.pipelineId)] = seen;
        const outcome = before ? transition(before.ci[String(p.pipelineId)], seen) : undefined;
        if (!outcome) continue;
        const pipeline = p.name ?? String(p.pipelineId);
        events.push({
          type: `pipeline.${VERBS[outcome]}`,
          title: `${app.name} build ${VERBS[outcome]}`,
          summary: `Devtron CI pipeline ${pipeline}: ${p.status}.`,
          subject: { project: app.name, pipeline },
          url,
          data: { appId: app.id, pipelineId: p.pipelineId, pipelineType: 'CI', status: p.status, ...(p.workflowId !== undefined && { workflowId: p.workflowId }) },
        });
      }
      for (const p of cd) {
        const seen: CdSeen = { status: p.status };
        now.cd[String(p.pipelineId)] = seen;
        const outcome = before ? transition(before.cd[String(p.pipelineId)], seen) : undefined;
        if (!outcome) continue;
        const pipeline = p.name ?? String(p.pipelineId);
        events.push({
          type: `deployment.${VERBS[outcome]}`,
          title: `${app.name} deployment ${VERBS[outcome]}${p.name ? ` (${p.name})` : ` (pipeline ${p.pipelineId})`}`,
          summary: `Devtron CD pipeline ${pipeline}: ${p.status}.`,
          subject: { project: app.name, pipeline },
          url,
          data: { appId: app.id, pipelineId: p.pipelineId, pipelineType: 'CD', status: p.status },
        });
      }
      apps[String(app.id)] = now;
    }
    return { events, state: { apps } };
  },
};

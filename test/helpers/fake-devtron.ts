// A strict fake of Devtron's workflow status API on loopback:
// `GET /orchestrator/app/workflow/status/{appId}` (devtron api/router/app/pipeline/configure/
// PipelineConfigRouter.go), answered as PipelineConfigRestHandler.FetchAppWorkflowStatusForTriggerView
// and common.WriteJsonResp do: `{code, status, result: {cdWorkflowStatus, ciWorkflowStatus}}`
// (internal/sql/repository/pipelineConfig/CdWorfkflowRepository.go TriggerWorkflowStatus and its
// json tags), errors as `{code, status, errors: [{code, internalMessage, userMessage}]}`.
// Checks what Devtron checks: the `token` header (401 without a valid one), the app id an
// integer (400), RBAC on the app (403 "Unauthorized User" for an app the token may not see),
// GET only. An app with no pipelines answers 200 with errors[0].code "404" ("no workflow found").
import { startFakeServer, type FakeServer, type Reply } from './fake-http.js';

export interface FakeCiStatus {
  ciPipelineId: number;
  ciPipelineName?: string;
  ciStatus: string;
  storageConfigured: boolean;
  ciWorkflowId?: number;
}
export interface FakeCdStatus {
  ci_pipeline_id: number;
  pipeline_id: number;
  pipeline_name?: string;
  deploy_status: string;
  pre_status: string;
  post_status: string;
  deploymentAppDeleteRequest: boolean;
}

export interface FakeDevtron extends FakeServer {
  /** appId → its pipelines' statuses (mutable: tests move them). */
  apps: Map<number, { ci: FakeCiStatus[]; cd: FakeCdStatus[] }>;
}

const devtronError = (status: number, statusText: string, userMessage: string, code = '000'): Reply => ({
  status,
  body: { code: status, status: statusText, errors: [{ code, internalMessage: userMessage, userMessage }] },
});

export async function startFakeDevtron(options: { token: string }): Promise<FakeDevtron> {
  const apps = new Map<number, { ci: FakeCiStatus[]; cd: FakeCdStatus[] }>();
  const server = await startFakeServer((req) => {
    const match = /^\/orchestrator\/app\/workflow\/status\/([^/?]+)(\?.*)?$/.exec(req.path);
    if (!match) return { status: 404, body: '404 page not found\n' };
    if (req.method !== 'GET') return { status: 405, body: '' };
    if (req.headers.token !== options.token) return devtronError(401, 'Unauthorized', 'Unauthorized User');
    if (!/^\d+$/.test(match[1]!)) return devtronError(400, 'Bad Request', `strconv.Atoi: parsing "${match[1]}": invalid syntax`);
    const app = apps.get(Number(match[1]));
    if (!app) return devtronError(403, 'Forbidden', 'Unauthorized User');
    if (app.ci.length === 0 && app.cd.length === 0) return { status: 200, body: { code: 200, status: 'OK', errors: [{ code: '404', internalMessage: '', userMessage: 'no workflow found' }] } };
    return { status: 200, body: { code: 200, status: 'OK', result: { cdWorkflowStatus: app.cd, ciWorkflowStatus: app.ci } } };
  });
  return Object.assign(server, { apps });
}

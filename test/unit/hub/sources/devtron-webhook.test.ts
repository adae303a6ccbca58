// Devtron's webhook notifications: bodies rendered with the `mustache` package, as Devtron's
// notifier does (devtron-labs/notifier src/destination/destinationHandlers/webhookHandler.ts:
// Mustache.render(template, parseEventForWebhook(event)), then JSON.parse and POST), from the
// view parseEventForWebhook builds (src/common/mustacheHelper.ts) with Devtron's variable list
// (devtron pkg/notifier GetWebhookVariables). The payload Herald's page offers (triple braces)
// and the same with double braces (HTML-escaped values) must read alike.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Mustache from 'mustache';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceSchema } from '../../../../shared/config.js';
import { DEVTRON_PAYLOAD_TEMPLATE, DEVTRON_SECRET_HEADER, DEVTRON_VARIABLES } from '../../../../shared/devtron-payload.js';
import { ackOf, Ingestor } from '../../../../electron/hub/ingest.js';
import { receiveWebhook } from '../../../../electron/hub/ingress/receiver.js';
import { decodeEntities, devtronSource } from '../../../../electron/hub/sources/devtron-webhook.js';
import { webhookSourceFor } from '../../../../electron/hub/sources/registry.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { openStore } from '../../../../electron/hub/store/store.js';
import { sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';

/** What parseEventForWebhook returns (mustacheHelper.ts), for a notifier Event. */
function webhookView(e: {
  eventTypeId: 1 | 2 | 3 | 4 | 8;
  pipelineType: 'CI' | 'CD';
  pipelineId: number;
  appId: number;
  envId: number;
  appName: string;
  envName?: string;
  triggeredBy: string;
  dockerImageUrl?: string;
  commits?: string[];
}) {
  const eventType = { 1: 'trigger', 2: 'success', 3: 'fail', 8: 'imageScan' }[e.eventTypeId as 1 | 2 | 3 | 8]; // 4 (approval): undefined
  let tag = 'NA';
  let repo = 'NA';
  if (e.dockerImageUrl) {
    const index = e.dockerImageUrl.lastIndexOf(':');
    tag = e.dockerImageUrl.substring(index + 1);
    repo = e.dockerImageUrl.substring(0, index);
  }
  return {
    eventType,
    devtronAppId: e.appId,
    devtronEnvId: e.envId,
    devtronAppName: e.appName,
    devtronEnvName: e.envName,
    devtronPipelineType: e.pipelineType,
    devtronCdPipelineId: e.pipelineId,
    devtronCiPipelineId: e.pipelineId,
    devtronTriggeredByEmail: e.triggeredBy,
    devtronContainerImageTag: tag,
    devtronContainerImageRepo: repo,
    devtronBuildGitCommitHash: e.commits ?? [],
  };
}

/** webhookHandler.sendNotification: render, JSON.parse, axios.post (re-serialized). */
const render = (template: string, view: object) => JSON.stringify(JSON.parse(Mustache.render(template, view)));
const DOUBLE = DEVTRON_PAYLOAD_TEMPLATE.replaceAll('{{{', '{{').replaceAll('}}}', '}}');

const CI_FAIL = webhookView({
  eventTypeId: 3,
  pipelineType: 'CI',
  pipelineId: 17,
  appId: 4,
  envId: 0,
  appName: 'payments-api',
  triggeredBy: 'dev+ci@acme.example',
  dockerImageUrl: 'registry.acme.example:5000/team/payments-api:a1b2c3d-42',
  commits: ['a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', '0f1e2d3c4b5a69788796a5b4c3d2e1f001234567'],
});

const source = SourceSchema.parse({ id: 'devtron', kind: 'devtron', name: 'Devtron', secret: 'env:DEVTRON_HOOK' });

describe('the payload Herald offers', () => {
  it('names every Devtron variable, in triple braces, and is JSON once rendered', () => {
    for (const v of DEVTRON_VARIABLES) expect(DEVTRON_PAYLOAD_TEMPLATE).toContain(`"${v}": "{{{${v}}}}"`);
    expect(() => JSON.parse(Mustache.render(DEVTRON_PAYLOAD_TEMPLATE, CI_FAIL))).not.toThrow();
  });

  it('double braces HTML-escape what triple braces keep (why the source decodes entities)', () => {
    expect(Mustache.render(DOUBLE, CI_FAIL)).toContain('registry.acme.example:5000&#x2F;team&#x2F;payments-api');
    expect(decodeEntities('a&#x2F;b &amp;&lt;x&gt; &quot;q&quot; &#39;s&#39; &#x60;&#x3D;')).toBe('a/b &<x> "q" \'s\' `=');
  });
});

describe('Devtron webhook through the receiver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-devtron-'));
  const store = openStore(dir);
  afterAll(() => store.close());
  const ingestor = new Ingestor({ store: sqliteEngineOver(store), router: () => () => [], onCommitted: () => undefined });
  const deps = {
    source: (id: string) => (id === source.id ? source : undefined),
    resolveSecret: async () => 'dt-secret',
    ingest: (item: IngestItem) => ingestor.submit(item).then(ackOf),
  };
  const post = (body: string, headers: Record<string, string> = { [DEVTRON_SECRET_HEADER.toLowerCase()]: 'dt-secret' }) =>
    receiveWebhook(deps, 'devtron', { headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(body), pathRest: '' });
  const event = async (body: string) => {
    const answer = await post(body);
    expect(answer.status).toBe(202);
    return store.events.get((answer.body.ids as string[])[0]!)!.event;
  };

  it('is the webhook kind devtron', () => {
    expect(webhookSourceFor('devtron')).toBe(devtronSource);
  });

  it.each([
    ['triple braces', DEVTRON_PAYLOAD_TEMPLATE],
    ['double braces', DOUBLE],
  ])('a failed CI build (%s) → pipeline.failed with app, pipeline, image, actor and commit', async (_, template) => {
    const stored = await event(render(template, CI_FAIL));
    expect(stored).toMatchObject({
      type: 'pipeline.failed',
      severity: 'critical',
      title: 'payments-api build failed',
      actor: 'dev+ci@acme.example',
      subject: {
        project: 'payments-api',
        pipeline: '17',
        artifact: 'registry.acme.example:5000/team/payments-api:a1b2c3d-42',
        commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      },
      data: {
        eventType: 'fail',
        pipelineType: 'CI',
        appId: '4',
        pipelineId: '17',
        imageRepo: 'registry.acme.example:5000/team/payments-api',
        imageTag: 'a1b2c3d-42',
        commits: ['a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', '0f1e2d3c4b5a69788796a5b4c3d2e1f001234567'],
      },
    });
    expect(stored.subject.environment).toBeUndefined();
  });

  it.each([
    [1, 'CI', 'pipeline.triggered', 'payments-api build triggered'],
    [2, 'CI', 'pipeline.succeeded', 'payments-api build succeeded'],
    [1, 'CD', 'deployment.triggered', 'payments-api deployment to prod triggered'],
    [2, 'CD', 'deployment.succeeded', 'payments-api deployment to prod succeeded'],
    [3, 'CD', 'deployment.failed', 'payments-api deployment to prod failed'],
    [8, 'CI', 'scan.completed', 'payments-api: image scan of quay.io/acme/payments-api:1.4.0 finished'],
  ] as const)('eventTypeId %s on %s → %s', async (eventTypeId, pipelineType, type, title) => {
    const view = webhookView({
      eventTypeId,
      pipelineType,
      pipelineId: 31,
      appId: 4,
      envId: pipelineType === 'CD' ? 2 : 0,
      appName: 'payments-api',
      ...(pipelineType === 'CD' && { envName: 'prod' }),
      triggeredBy: 'ops@acme.example',
      dockerImageUrl: 'quay.io/acme/payments-api:1.4.0',
    });
    const stored = await event(render(DEVTRON_PAYLOAD_TEMPLATE, view));
    expect(stored).toMatchObject({ type, title, subject: { project: 'payments-api', pipeline: '31' } });
    if (pipelineType === 'CD') expect(stored.subject.environment).toBe('prod');
  });

  it('an event the notifier renders without an eventType (an approval) is kept, not refused', async () => {
    const view = webhookView({ eventTypeId: 4, pipelineType: 'CD', pipelineId: 9, appId: 4, envId: 2, appName: 'payments-api', envName: 'prod', triggeredBy: 'ops@acme.example' });
    const stored = await event(render(DEVTRON_PAYLOAD_TEMPLATE, view));
    expect(stored).toMatchObject({ type: 'devtron.unknown', severity: 'info', subject: { project: 'payments-api', environment: 'prod' } });
    expect(stored.subject.artifact).toBeUndefined(); // "NA" is no image
  });

  it('an eventType Herald does not know is kept under its own name', async () => {
    const body = render(DEVTRON_PAYLOAD_TEMPLATE, { ...CI_FAIL, eventType: 'deploymentBlocked' });
    expect((await event(body)).type).toBe('devtron.deployment_blocked');
  });

  it.each([
    ['no secret', {}, 401],
    ['a wrong secret', { 'x-herald-token': 'nope' }, 401],
    ['the secret as Bearer', { authorization: 'Bearer dt-secret' }, 202],
  ])('%s → %s', async (_, headers, status) => {
    expect((await post(render(DEVTRON_PAYLOAD_TEMPLATE, CI_FAIL), headers)).status).toBe(status);
  });

  it("refuses a body that is not Herald's payload (Devtron's Teams sample), saying what to paste", async () => {
    const teams = { type: 'message', attachments: [{ content: { body: [{ type: 'TextBlock', text: 'App : payments-api' }] } }] };
    const answer = await post(JSON.stringify(teams));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/not a Devtron notification.*payload from Herald's source page/);
  });
});

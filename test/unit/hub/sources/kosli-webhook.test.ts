// Kosli's custom-webhook payload: the documented sample (test/fixtures/kosli, copied from
// Kosli's docs), every documented event under the names Herald accepts, unknown types kept,
// malformed bodies refused with the reason, and the secret in the URL, Bearer or header.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventInputSchema } from '../../../../shared/event.js';
import { SourceSchema } from '../../../../shared/config.js';
import { ackOf, Ingestor } from '../../../../electron/hub/ingest.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { receiveWebhook } from '../../../../electron/hub/ingress/receiver.js';
import { instanceCounts, kosliWebhookSource, normaliseEventType } from '../../../../electron/hub/sources/kosli-webhook.js';
import { webhookSourceFor } from '../../../../electron/hub/sources/registry.js';
import type { IncomingRequest } from '../../../../electron/hub/sources/source.js';
import { openStore } from '../../../../electron/hub/store/store.js';
import { sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';

const SAMPLE_TEXT = readFileSync(join(import.meta.dirname, '../../../fixtures/kosli/custom-webhook-sample.json'), 'utf8');
const SAMPLE = JSON.parse(SAMPLE_TEXT) as Record<string, unknown>;
const config = SourceSchema.parse({ id: 'kosli-hook', kind: 'kosli-webhook', name: 'Kosli', secret: 'env:KOSLI_HOOK' });

const request = (body: unknown, extra: Partial<IncomingRequest> = {}): IncomingRequest => ({
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  pathRest: '',
  ...extra,
});
const parse = (body: unknown) => kosliWebhookSource.parse(request(body), config as never);
const events = (body: unknown) => {
  const result = parse(body);
  if (result.kind !== 'events') throw new Error(`expected events, got ${JSON.stringify(result)}`);
  return result.events;
};

describe('Kosli webhook: the documented sample', () => {
  it('is registered for the kosli-webhook kind', () => {
    expect(webhookSourceFor('kosli-webhook')).toBe(kosliWebhookSource);
  });

  it('maps ARTIFACT_STARTED to artifact.started with org, environment, flow and artifact as subject', () => {
    const result = parse(SAMPLE_TEXT);
    expect(result.kind).toBe('events');
    if (result.kind !== 'events') return;
    expect(result.deliveryId).toBe('kosli:aws-prod:1035:ARTIFACT_STARTED:719defb995c86ad7c406ad74258fe98b9ebd71dfa80cd786870c967cb6c1f08d');
    expect(result.raw).toEqual(SAMPLE);
    expect(result.events).toEqual([
      {
        type: 'artifact.started',
        title: 'runner started running in aws-prod',
        summary: '1 instance started running (from 0 to 1)',
        subject: {
          group: 'cyber-dojo',
          environment: 'aws-prod',
          project: 'runner',
          artifact: 'runner',
          // The artifact's provenance commit: it joins the commit's thread.
          commit: '1ac157003dd6fb9ec764daa47726b7bfed65c312',
        },
        url: 'https://app.kosli.com/cyber-dojo/environments/aws-prod/snapshots/1035',
        occurredAt: '2023-08-21T11:14:53.000Z',
        data: {
          org: 'cyber-dojo',
          fingerprint: '719defb995c86ad7c406ad74258fe98b9ebd71dfa80cd786870c967cb6c1f08d',
          from: 0,
          to: 1,
          eventType: 'ARTIFACT_STARTED',
          snapshotIndex: '1035',
          snapshotStatus: 'compliant',
          artifactStatus: 'compliant',
          commit: '1ac157003dd6fb9ec764daa47726b7bfed65c312',
          commitUrl: 'https://github.com/cyber-dojo/runner/commit/1ac157003dd6fb9ec764daa47726b7bfed65c312',
          buildUrl: 'https://github.com/cyber-dojo/runner/actions/runs/5891969166',
          deployments: [{ number: '44', url: 'https://app.kosli.com/cyber-dojo/flows/runner/deployments/44' }],
          approvals: [{ number: '42', state: 'approved', reviewer: 'username' }],
        },
      },
    ]);
    expect(EventInputSchema.safeParse(result.events[0]).success).toBe(true);
  });
});

describe('Kosli webhook: every documented event', () => {
  const withType = (event_type: string, description: string, status = 'compliant'): Record<string, unknown> => ({
    ...SAMPLE,
    event_type,
    description,
    snapshot: { ...(SAMPLE.snapshot as object), status },
  });

  it.each([
    ['ARTIFACT_STARTED', '2 instances started running (from 0 to 2)', 'artifact.started', 'runner started running in aws-prod', 'info'],
    ['ARTIFACT_STOPPED', 'stopped running (from 2 to 0)', 'artifact.stopped', 'runner stopped running in aws-prod', 'info'],
    ['ARTIFACT_EXITED', 'exited (from 1 to 0)', 'artifact.stopped', 'runner stopped running in aws-prod', 'info'],
    ['ARTIFACT_SCALED', 'scaled (from 1 to 3)', 'artifact.scaled', 'runner scaled up from 1 to 3 in aws-prod', 'info'],
    ['artifact-scaled-down', 'scaled (from 3 to 1)', 'artifact.scaled', 'runner scaled down from 3 to 1 in aws-prod', 'info'],
    ['ARTIFACT_ALLOWLISTED', 'added to the allow-list', 'artifact.allowlisted', 'runner was added to the allow-list of aws-prod', 'info'],
    ['ArtifactAddedToAllowList', 'added to the allow-list', 'artifact.allowlisted', 'runner was added to the allow-list of aws-prod', 'info'],
    ['ENVIRONMENT_NON_COMPLIANT', 'Compliant → Non-Compliant', 'compliance.noncompliant', 'aws-prod became non-compliant', 'critical'],
    ['ENVIRONMENT_COMPLIANT', 'Non-Compliant → Compliant', 'compliance.compliant', 'aws-prod is compliant again', 'success'],
    ['COMPLIANCE_CHANGED', 'status changed', 'compliance.noncompliant', 'aws-prod became non-compliant', 'critical', 'non-compliant'],
  ])('%s → %s', (eventType, description, type, title, severity, status = 'compliant') => {
    const [event] = events(withType(eventType, description, status));
    expect(event).toMatchObject({ type, title });
    expect(EventInputSchema.parse(event).severity ?? severity).toBe(severity);
    expect(event!.subject).toMatchObject({ group: 'cyber-dojo', environment: 'aws-prod' });
  });

  it('keeps an unknown event type as kosli.<name> instead of failing', () => {
    const [event] = events(withType('ARTIFACT_TELEPORTED', 'beamed up'));
    expect(event).toMatchObject({
      type: 'kosli.artifact_teleported',
      title: 'ARTIFACT_TELEPORTED in aws-prod: runner',
      summary: 'beamed up',
      subject: { group: 'cyber-dojo', environment: 'aws-prod', project: 'runner', artifact: 'runner' },
    });
    expect(EventInputSchema.safeParse(event).success).toBe(true);
  });

  it('takes a compliance event without an artifact', () => {
    const { artifact: _a, ...noArtifact } = withType('ENVIRONMENT_NON_COMPLIANT', 'Compliant to Non-Compliant');
    const [event] = events(noArtifact);
    expect(event).toMatchObject({ type: 'compliance.noncompliant', subject: { group: 'cyber-dojo', environment: 'aws-prod' } });
  });

  it.each([
    ['bad JSON', 'not json', 'body is not valid JSON: '],
    ['an array', [1, 2], 'not a Kosli notification: the body must be a JSON object'],
    ['no org, empty environment', { ...SAMPLE, org: undefined, environment: '' }, 'not a Kosli notification: missing org, environment'],
    ['a numeric event_type', { ...SAMPLE, event_type: 7 }, 'not a Kosli notification: missing event_type'],
  ])('refuses %s with the reason', (_name, body, reason) => {
    const result = parse(body);
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.reason).toContain(reason);
  });

  it.each([
    ['ARTIFACT_STARTED', 'ARTIFACT_STARTED'],
    ['artifact-started', 'ARTIFACT_STARTED'],
    ['ArtifactStarted', 'ARTIFACT_STARTED'],
    [' environment non compliant ', 'ENVIRONMENT_NON_COMPLIANT'],
  ])('normalises %j to %s', (raw, normalised) => {
    expect(normaliseEventType(raw)).toBe(normalised);
  });

  it.each([
    ['1 instance started running (from 0 to 1)', { from: 0, to: 1 }],
    ['scaled from 3 to 12', { from: 3, to: 12 }],
    ['no counts here', {}],
  ])('reads instance counts from %j', (description, counts) => {
    expect(instanceCounts(description)).toEqual(counts);
  });
});

describe('Kosli webhook: authentication', () => {
  const secret = 's3cr3t/with:odd chars';
  it.each([
    ['the secret in the URL path', { pathRest: encodeURIComponent(secret) }, true],
    ['Authorization: Bearer', { headers: { authorization: `Bearer ${secret}` } }, true],
    ['X-Herald-Token', { headers: { 'x-herald-token': secret } }, true],
    ['a wrong path token', { pathRest: 'nope' }, false],
    ['the scheme in lower case (it is case-insensitive)', { headers: { authorization: `bearer ${secret}` } }, true],
    ['a wrong bearer', { headers: { authorization: 'Bearer nope' } }, false],
    ['the secret with a character more', { headers: { authorization: `Bearer ${secret}x` } }, false],
    ['no token at all', {}, false],
    ['an empty token', { headers: { 'x-herald-token': '' } }, false],
  ])('%s → %s', (_name, extra, ok) => {
    expect(kosliWebhookSource.verify(request(SAMPLE, extra as Partial<IncomingRequest>), secret, config as never)).toBe(ok);
  });
});

describe('Kosli webhook through the receiver and a real store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-kosli-hook-'));
  const store = openStore(dir);
  afterAll(() => store.close());
  const ingestor = new Ingestor({ store: sqliteEngineOver(store), router: () => () => [], onCommitted: () => undefined });
  const deps = { source: (id: string) => (id === config.id ? config : undefined), resolveSecret: async () => 'hook-secret', ingest: (item: IngestItem) => ingestor.submit(item).then(ackOf) };

  it('stores the sample once, answers a redelivery as duplicate, refuses a wrong token', async () => {
    const first = await receiveWebhook(deps, 'kosli-hook', request(SAMPLE_TEXT, { pathRest: 'hook-secret' }));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accepted: 1 });
    const again = await receiveWebhook(deps, 'kosli-hook', request(SAMPLE_TEXT, { pathRest: 'hook-secret' }));
    expect(again).toEqual({ status: 200, body: { duplicate: true } });
    const wrong = await receiveWebhook(deps, 'kosli-hook', request(SAMPLE_TEXT, { pathRest: 'nope' }));
    expect(wrong.status).toBe(401);
    const stored = store.events.list({ limit: 10, sources: ['kosli-hook'] });
    expect(stored.items.map((e) => [e.type, e.subject.environment, e.subject.artifact])).toEqual([['artifact.started', 'aws-prod', 'runner']]);
  });
});

// Chainloop's webhook fan-out integration: bodies built the way the control plane's Go types
// marshal (test/helpers/chainloop-fanout.ts) around Chainloop's own attestation test data
// (test/fixtures/chainloop), through the real receiver, source and store: TEST_WEBHOOK gets a
// 2xx, an attestation becomes its workflow run plus a compliance event for the project, an
// SBOM material an event of its own, a redelivery is stored once, the secret must be in the URL.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceSchema } from '../../../../shared/config.js';
import { ackOf, Ingestor } from '../../../../electron/hub/ingest.js';
import { receiveWebhook } from '../../../../electron/hub/ingress/receiver.js';
import { chainloopWebhookSource } from '../../../../electron/hub/sources/chainloop-webhook.js';
import { webhookSourceFor } from '../../../../electron/hub/sources/registry.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { openStore } from '../../../../electron/hub/store/store.js';
import { executeAttestation, FIXTURES, metadata, readStatement, testWebhookBody, webhookBody } from '../../../helpers/chainloop-fanout.js';
import { sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';

const SECRET = 'cl-secret/with+chars';
const source = SourceSchema.parse({ id: 'chainloop', kind: 'chainloop-webhook', name: 'Chainloop', secret: 'env:CHAINLOOP_HOOK' });

const RUN = {
  workflow: { ID: '94208094-b8d3-4b38-b1f1-c609c47c49ea', Name: 'build-and-test', Team: 'core', Project: 'payments' },
  run: {
    ID: 'e4cec971-6f4f-442a-8de0-d12ddc4667f2',
    State: 'success',
    StartedAt: '2023-05-03T17:22:12.743426076Z',
    FinishedAt: '2023-05-03T17:25:12.743426076Z',
    RunnerType: 'GITHUB_ACTION',
    RunURL: 'https://github.com/acme/payments/actions/runs/42',
    AttestationDigest: 'sha256:580ac09da7771920dfd0c214964e7bfe4c27903bcbe075769a4044a67c9a390a',
  },
};

/** Chainloop's statement with a git.head subject, plus one passing evaluation shaped as v02.go's PolicyEvaluation. */
function statementPassing(): Record<string, unknown> {
  const statement = readStatement('statement-with-commit');
  const predicate = statement.predicate as Record<string, unknown>;
  statement.predicate = {
    ...predicate,
    policyEvaluations: {
      image: [{ name: 'image-signed', materialName: 'image', type: 'CONTAINER_IMAGE', skipped: false, with: {} }],
    },
    policyEvaluationsCount: 1,
    policyPassedCount: 1,
    policyViolationsCount: 0,
    policyHasViolations: false,
  };
  return statement;
}

describe('Chainloop webhook through the receiver', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-chainloop-hook-'));
  const store = openStore(dir);
  afterAll(() => store.close());
  const ingestor = new Ingestor({ store: sqliteEngineOver(store), router: () => () => [], onCommitted: () => undefined });
  const ignored: string[] = [];
  const deps = {
    source: (id: string) => (id === source.id ? source : undefined),
    resolveSecret: async () => SECRET,
    ingest: (item: IngestItem) => ingestor.submit(item).then(ackOf),
    onIgnored: (_: unknown, reason: string) => void ignored.push(reason),
  };
  const post = (body: string, pathRest = encodeURIComponent(SECRET), contentType = 'application/json') =>
    receiveWebhook(deps, 'chainloop', { headers: { 'content-type': contentType }, body: Buffer.from(body), pathRest });
  const stored = (ids: unknown) => (ids as string[]).map((id) => store.events.get(id)!);

  it('is the webhook kind chainloop-webhook', () => {
    expect(webhookSourceFor('chainloop-webhook')).toBe(chainloopWebhookSource);
  });

  it('answers TEST_WEBHOOK (sent when the integration is registered) with a 2xx and stores nothing', async () => {
    const before = store.events.sourceStats('chainloop').count;
    const answer = await post(testWebhookBody());
    expect(answer.status).toBe(202);
    expect(answer.body.ignored).toMatch(/TEST_WEBHOOK/);
    expect(ignored.at(-1)).toMatch(/registered/);
    expect(store.events.sourceStats('chainloop').count).toBe(before);
  });

  it('an attestation with a policy violation: the run succeeded, the project is non-compliant, naming the violation', async () => {
    const body = webhookBody(metadata(RUN), 'ATTESTATION', executeAttestation(readStatement('statement-with-violations')));
    const answer = await post(body);
    expect(answer.status).toBe(202);
    const [run, compliance] = stored(answer.body.ids);
    expect(run!.event).toMatchObject({
      type: 'pipeline.succeeded',
      severity: 'success',
      title: 'build-and-test succeeded',
      url: 'https://github.com/acme/payments/actions/runs/42',
      occurredAt: '2023-05-03T17:25:12.743Z',
      subject: { project: 'payments', group: 'foobar', pipeline: 'build-and-test', artifact: 'index.docker.io/bitnami/nginx@sha256:580ac09da7771920dfd0c214964e7bfe4c27903bcbe075769a4044a67c9a390a' },
      data: { workflowRunId: RUN.run.ID, attestationDigest: RUN.run.AttestationDigest, runnerType: 'GITHUB_ACTION', projectVersion: 'v0.150.0', team: 'core' },
    });
    expect(compliance!.event).toMatchObject({
      type: 'compliance.noncompliant',
      severity: 'critical',
      title: 'payments is non-compliant: 1 policy violation in build-and-test',
      subject: { project: 'payments', pipeline: 'build-and-test' },
      data: { policyEvaluations: 1, policyViolations: 1, blockingStrategy: 'ADVISORY' },
    });
    expect(compliance!.event.summary).toContain('sbom-freshness (sbom): SBOM created at: 2020-08-02T21:27:04Z which is too old');
  });

  it('an attestation whose policies pass: compliant, with the commit of its git.head subject', async () => {
    const meta = metadata({ ...RUN, run: { ...RUN.run, ID: 'f97a0680-e64b-478a-9eea-df8864fa27f8', AttestationDigest: 'sha256:1111' } });
    const answer = await post(webhookBody(meta, 'ATTESTATION', executeAttestation(statementPassing())));
    expect(answer.status).toBe(202);
    const [run, compliance] = stored(answer.body.ids);
    expect(run!.event.subject.commit).toBe('78ac366c9e8a300d51808d581422ca61f7b5b721');
    expect(run!.event.subject.artifact).toBe('index.docker.io/bitnami/nginx:devel');
    expect(compliance!.event).toMatchObject({
      type: 'compliance.compliant',
      severity: 'success',
      title: 'payments is compliant: 1 policy check pass in build-and-test',
      subject: { project: 'payments', commit: '78ac366c9e8a300d51808d581422ca61f7b5b721' },
      data: { policyEvaluations: 1, policyViolations: 0 },
    });
  });

  it('an attestation that evaluated no policies makes no compliance claim', async () => {
    const meta = metadata({ ...RUN, run: { ...RUN.run, ID: 'run-no-policies', AttestationDigest: 'sha256:2222' } });
    const answer = await post(webhookBody(meta, 'ATTESTATION', executeAttestation(readStatement('statement-with-commit'))));
    expect(answer.status).toBe(202);
    const events = stored(answer.body.ids);
    expect(events.map((e) => e.event.type)).toEqual(['pipeline.succeeded']);
    // The detail view shows the attestation decoded, not base64.
    const raw = events[0]!.raw as { Kind: string; Data: { Predicate: { metadata: { name: string } } } };
    expect(raw.Kind).toBe('ATTESTATION');
    expect(raw.Data.Predicate.metadata.name).toBe('test-new-types');
  });

  it.each([
    ['error', 'pipeline.failed', 'build-and-test failed'],
    ['canceled', 'pipeline.cancelled', 'build-and-test was cancelled'],
    ['expired', 'pipeline.failed', 'build-and-test failed (the attestation expired unfinished)'],
  ])('a run in state %s becomes %s', async (state, type, title) => {
    const meta = metadata({ ...RUN, run: { ...RUN.run, ID: `run-${state}`, State: state } });
    const answer = await post(webhookBody(meta, 'ATTESTATION', executeAttestation(readStatement('statement-with-commit'))));
    expect(stored(answer.body.ids)[0]!.event).toMatchObject({ type, title });
  });

  it('a redelivery (Chainloop retries until it gets a 2xx) is stored once', async () => {
    const meta = metadata({ ...RUN, run: { ...RUN.run, ID: 'run-retried', AttestationDigest: 'sha256:3333' } });
    const body = webhookBody(meta, 'ATTESTATION', executeAttestation(readStatement('statement-with-violations')));
    expect((await post(body)).status).toBe(202);
    const again = await post(body);
    expect(again).toEqual({ status: 200, body: { duplicate: true } });
  });

  it('an SBOM material becomes chainloop.material.<type> naming its component', async () => {
    const sbom = readFileSync(join(FIXTURES, 'attestations/sbom.cyclonedx.json'));
    const answer = await post(webhookBody(metadata(RUN), 'SBOM_CYCLONEDX_JSON', sbom));
    expect(answer.status).toBe(202);
    expect(stored(answer.body.ids)[0]!.event).toMatchObject({
      type: 'chainloop.material.sbom_cyclonedx_json',
      severity: 'info',
      title: 'SBOM (CycloneDX) from build-and-test: test-app@1.0.0',
      summary: '1 components listed.',
      subject: { project: 'payments', pipeline: 'build-and-test', artifact: 'test-app@1.0.0' },
      data: { materialType: 'SBOM_CYCLONEDX_JSON', components: 1 },
    });
  });

  it('a material that is not JSON is still kept', async () => {
    const answer = await post(webhookBody(metadata(RUN), 'ARTIFACT', Buffer.from([0, 1, 2, 255])));
    expect(stored(answer.body.ids)[0]!.event).toMatchObject({ type: 'chainloop.material.artifact', title: 'Material ARTIFACT from build-and-test' });
  });

  it.each([
    ['no secret in the URL', testWebhookBody(), '', 401, /token/],
    ['a wrong secret', testWebhookBody(), 'nope', 401, /token/],
    ['not JSON', 'Metadata=1', encodeURIComponent(SECRET), 400, /not valid JSON/],
    ['not a Chainloop body', '{"hello":1}', encodeURIComponent(SECRET), 400, /Metadata/],
    ['an ATTESTATION whose Data is not an attestation', webhookBody(metadata(RUN), 'ATTESTATION', Buffer.from('"x"')), encodeURIComponent(SECRET), 400, /base64 JSON attestation/],
  ])('refuses %s', async (_, body, pathRest, status, reason) => {
    const answer = await post(body, pathRest);
    expect(answer.status).toBe(status);
    expect(String(answer.body.error)).toMatch(reason);
  });

  it("refuses the older plugins' Discord-style multipart form, naming the integration to use", async () => {
    const answer = await post('--x\r\nContent-Disposition: form-data; name="payload_json"\r\n\r\n{}\r\n--x--', encodeURIComponent(SECRET), 'multipart/form-data; boundary=x');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/multipart.*not supported.*v0\.148\.0/);
  });
});

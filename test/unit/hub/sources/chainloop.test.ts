// Two of Chainloop's four notifications (Product Compliance Change, Integration Unhealthy)
// are platform features outside the open-source control plane, with no API Herald could
// read, so the README keeps a generic-webhook route for them (and shows it for the other
// two, which chainloop-audit reads from the control plane). These are the README's ready
// payloads, checked through the real receiver, generic source and store: each is accepted
// and lands with the right type, severity and subject.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceSchema } from '../../../../shared/config.js';
import { ackOf, Ingestor } from '../../../../electron/hub/ingest.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { receiveWebhook } from '../../../../electron/hub/ingress/receiver.js';
import { pollingSourceFor } from '../../../../electron/hub/sources/registry.js';
import { openStore } from '../../../../electron/hub/store/store.js';
import { sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';

/** The payloads of the README's "Chainloop" section, one per Chainloop notification. */
const CHAINLOOP_PAYLOADS = {
  'Product Compliance Change (to non-compliant)': {
    type: 'compliance.noncompliant',
    title: 'Product payments is non-compliant',
    summary: 'Aggregated compliance of payments changed from compliant to non-compliant.',
    subject: { project: 'payments', group: 'acme' },
    url: 'https://app.chainloop.dev/products/payments',
    data: { tool: 'chainloop', event: 'product_compliance_change', from: 'compliant', to: 'non-compliant' },
  },
  'Product Compliance Change (to compliant)': {
    type: 'compliance.compliant',
    title: 'Product payments is compliant again',
    subject: { project: 'payments', group: 'acme' },
    data: { tool: 'chainloop', event: 'product_compliance_change', from: 'non-compliant', to: 'compliant' },
  },
  'Product Release': {
    type: 'release.created',
    title: 'payments 2.3.0 released',
    subject: { project: 'payments', group: 'acme' },
    data: { tool: 'chainloop', event: 'product_release', version: '2.3.0' },
  },
  'Storage Backend Unhealthy': {
    type: 'health.storage_unhealthy',
    title: 'Chainloop storage backend "oci-main" is unhealthy',
    summary: 'Attestations and artifacts cannot be stored until the backend is reachable again.',
    subject: { group: 'acme' },
    data: { tool: 'chainloop', event: 'storage_backend_unhealthy', backend: 'oci-main' },
  },
  'Integration Unhealthy': {
    type: 'health.integration_unhealthy',
    title: 'Chainloop integration "dependency-track" is unhealthy',
    subject: { group: 'acme' },
    data: { tool: 'chainloop', event: 'integration_unhealthy', integration: 'dependency-track' },
  },
} as const;

describe('Chainloop through the generic webhook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-chainloop-'));
  const store = openStore(dir);
  afterAll(() => store.close());
  const source = SourceSchema.parse({ id: 'chainloop', kind: 'generic', name: 'Chainloop', secret: 'env:CHAINLOOP_HOOK' });
  const ingestor = new Ingestor({ store: sqliteEngineOver(store), router: () => () => [], onCommitted: () => undefined });
  const deps = { source: (id: string) => (id === source.id ? source : undefined), resolveSecret: async () => 'chainloop-secret', ingest: (item: IngestItem) => ingestor.submit(item).then(ackOf) };
  const post = (body: unknown, token = 'chainloop-secret') =>
    receiveWebhook(deps, 'chainloop', { headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: Buffer.from(JSON.stringify(body)), pathRest: '' });

  it('is not a polled kind: nothing to poll in Chainloop', () => {
    expect(pollingSourceFor('generic')).toBeUndefined();
  });

  it.each([
    ['Product Compliance Change (to non-compliant)', 'critical', { project: 'payments', group: 'acme' }],
    ['Product Compliance Change (to compliant)', 'success', { project: 'payments', group: 'acme' }],
    ['Product Release', 'info', { project: 'payments', group: 'acme' }],
    ['Storage Backend Unhealthy', 'critical', { group: 'acme' }],
    ['Integration Unhealthy', 'warning', { group: 'acme' }],
  ] as const)('%s is accepted as %s with its subject', async (name, severity, subject) => {
    const payload = CHAINLOOP_PAYLOADS[name];
    const answer = await post(payload);
    expect(answer.status).toBe(202);
    const id = (answer.body.ids as string[])[0]!;
    const stored = store.events.get(id)!.event;
    expect(stored).toMatchObject({ type: payload.type, severity, title: payload.title, subject, source: { kind: 'generic', id: 'chainloop' } });
    expect(stored.data).toEqual(payload.data);
  });

  it('refuses a payload without the secret', async () => {
    expect((await post(CHAINLOOP_PAYLOADS['Product Release'], 'wrong')).status).toBe(401);
  });
});

// Retention against a real SQLite file: old and surplus events go, undelivered ones stay.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RuleOutcome } from '../../../../shared/api.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';

let store: Store;
afterEach(() => store?.close());

const source = { kind: 'generic', id: 's', name: 'S' };
const routed: RuleOutcome[] = [{ ruleId: 'r', ruleName: 'R', outcome: 'routed', channels: ['c'], heldBack: [], reason: 't' }];

function ingest(count: number, at: Date, route: boolean) {
  store.ingest(
    Array.from({ length: count }, (_, i) => ({ source, inputs: [{ type: 'pipeline.failed', title: `t${i}` }] })),
    () => (route ? routed : []),
    at,
  );
}
const count = () => store.db.prepare('SELECT count(*) FROM events').pluck().get() as number;

describe('retention', () => {
  it('deletes by age and by count, oldest first', () => {
    store = openStore(mkdtempSync(join(tmpdir(), 'herald-ret-')));
    ingest(50, new Date('2026-01-01T00:00:00Z'), false);
    ingest(150, new Date('2026-06-01T00:00:00Z'), false);
    expect(store.events.enforceRetention(30, 100, new Date('2026-06-02T00:00:00Z'), 7)).toBe(100);
    expect(count()).toBe(100);
    const oldest = store.db.prepare('SELECT min(received_at) FROM events').pluck().get() as number;
    expect(oldest).toBe(Date.parse('2026-06-01T00:00:00Z'));
  });

  it('keeps events whose deliveries are still queued, and lets them go once delivered', () => {
    store = openStore(mkdtempSync(join(tmpdir(), 'herald-ret-')));
    ingest(150, new Date('2026-06-01T00:00:00Z'), true);
    expect(store.events.enforceRetention(1, 100, new Date('2026-07-01T00:00:00Z'))).toBe(0);
    expect(count()).toBe(150);
    expect(store.outbox.counts().pending).toBe(150);
    store.db.prepare(`UPDATE deliveries SET status = 'delivered' WHERE id <= 120`).run();
    expect(store.events.enforceRetention(1, 100, new Date('2026-07-01T00:00:00Z'))).toBe(120);
    expect(store.outbox.counts().pending).toBe(30);
  });
});

describe('retention of dedup memory', () => {
  it('forgets webhook delivery ids after a week: a resend with the same id is stored again', () => {
    store = openStore(mkdtempSync(join(tmpdir(), 'herald-ret-')));
    const item = { source, deliveryId: 'd-1', inputs: [{ type: 'pipeline.failed', title: 't' }] };
    const t0 = new Date('2026-06-01T00:00:00Z');
    expect(store.ingest([item], () => [], t0)[0]!.status).toBe('accepted');
    expect(store.ingest([item], () => [], t0)[0]!.status).toBe('duplicate');
    store.enforceRetention(365, 1000, new Date(t0.getTime() + 6 * 86_400_000));
    expect(store.ingest([item], () => [], t0)[0]!.status).toBe('duplicate');
    store.enforceRetention(365, 1000, new Date(t0.getTime() + 8 * 86_400_000));
    expect(store.ingest([item], () => [], t0)[0]!.status).toBe('accepted');
  });
});

// Streaks applied by the enrich hook inside the ingest transaction (store.ingest), on a real SQLite store:
// several requests in one transaction see each other's streak, a duplicate delivery moves
// nothing, a rolled-back transaction leaves the streak as it was, subject-less verdicts and
// other types pass through, a damaged state row starts the streak over.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventInput } from '../../../../shared/event.js';
import type { Router } from '../../../../electron/hub/rules/router.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { enrichWithStreaks } from '../../../../electron/hub/sources/streak-enricher.js';
import { pipelineStreakKey } from '../../../../electron/hub/sources/streaks.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';

const source = { kind: 'github', id: 'gh', name: 'GitHub' };
const subject = { project: 'acme/api', pipeline: 'CI', branch: 'main' };
const KEY = pipelineStreakKey({ subject });
const noRules: Router = () => [];

const verdict = (type: 'pipeline.failed' | 'pipeline.succeeded', over: Partial<EventInput> = {}): EventInput => ({
  type,
  title: `CI ${type === 'pipeline.failed' ? 'failed' : 'succeeded'} on main`,
  subject,
  ...over,
});
const item = (inputs: EventInput[], deliveryId?: string): IngestItem => ({ source, inputs, ...(deliveryId && { deliveryId }) });

let store: Store;
beforeEach(() => {
  store = openStore(mkdtempSync(join(tmpdir(), 'herald-streak-enricher-')));
});
afterEach(() => store.close());

const ingest = (items: IngestItem[], router = noRules) => store.ingest(items, router, new Date(), enrichWithStreaks);
const titles = (outcomes: ReturnType<typeof ingest>) => outcomes.flatMap((o) => (o.status === 'accepted' ? o.events.map((e) => `${e.type}: ${e.title}`) : ['duplicate']));

describe('enrichWithStreaks inside the ingest transaction', () => {
  it('items of one transaction see the streak the one before left', () => {
    const outcomes = ingest([item([verdict('pipeline.failed')]), item([verdict('pipeline.failed')]), item([verdict('pipeline.failed'), verdict('pipeline.succeeded')])]);
    expect(titles(outcomes)).toEqual([
      'pipeline.failed: CI failed on main',
      'pipeline.failed: CI still failing (2) on main',
      'pipeline.failed: CI still failing (3) on main',
      'pipeline.recovered: CI recovered after 3 failures on main',
    ]);
    expect(store.sourceState.get('gh', KEY)).toBeUndefined();
  });

  it('a storm of one pipeline reads its streak once and writes it once per transaction, and the next transaction goes on from it', () => {
    const reads = vi.spyOn(store.sourceState, 'get');
    const writes = vi.spyOn(store.sourceState, 'setJson');
    ingest(Array.from({ length: 5 }, () => item([verdict('pipeline.failed')])));
    expect(reads).toHaveBeenCalledTimes(1);
    expect(writes).toHaveBeenCalledTimes(1);
    expect(store.sourceState.get('gh', KEY)).toMatchObject({ failures: 5 });
    expect(titles(ingest([item([verdict('pipeline.failed')])]))).toEqual(['pipeline.failed: CI still failing (6) on main']);
  });

  it('a duplicate delivery is dropped before the streak moves', () => {
    expect(titles(ingest([item([verdict('pipeline.failed')], 'd1'), item([verdict('pipeline.failed')], 'd1')]))).toEqual(['pipeline.failed: CI failed on main', 'duplicate']);
    expect(store.sourceState.get('gh', KEY)).toMatchObject({ failures: 1 });
  });

  it('a transaction that fails leaves the streak as it was', () => {
    ingest([item([verdict('pipeline.failed')])]);
    const failingRouter: Router = () => {
      throw new Error('router broke');
    };
    expect(() => ingest([item([verdict('pipeline.failed')])], failingRouter)).toThrow('router broke');
    expect(store.sourceState.get('gh', KEY)).toMatchObject({ failures: 1 });
    expect(titles(ingest([item([verdict('pipeline.failed')])]))).toEqual(['pipeline.failed: CI still failing (2) on main']);
  });

  it.each<[string, EventInput]>([
    ['a failure without project, pipeline or branch', { type: 'pipeline.failed', title: 'Something failed' }],
    ['a triggered pipeline', { type: 'pipeline.triggered', title: 'CI started on main', subject }],
    ['a cancelled pipeline', { type: 'pipeline.cancelled', title: 'CI was cancelled on main', subject }],
    ['a deployment failure', { type: 'deployment.failed', title: 'deployment failed', subject }],
  ])('%s passes through twice unchanged and keeps no state', (_name, input) => {
    expect(titles(ingest([item([input]), item([input])]))).toEqual([`${input.type}: ${input.title}`, `${input.type}: ${input.title}`]);
    expect(store.db.prepare("SELECT count(*) FROM source_state WHERE key LIKE 'streak:%'").pluck().get()).toBe(0);
  });

  it('a damaged state row starts the streak over instead of failing the ingest', () => {
    store.sourceState.set('gh', KEY, { failures: 'many' });
    expect(titles(ingest([item([verdict('pipeline.failed')])]))).toEqual(['pipeline.failed: CI failed on main']);
    expect(store.sourceState.get('gh', KEY)).toMatchObject({ failures: 1 });
  });

  it('streaks are per source: the same pipeline in another source starts its own', () => {
    ingest([item([verdict('pipeline.failed')])]);
    const other: IngestItem = { source: { kind: 'github', id: 'gh2', name: 'Other' }, inputs: [verdict('pipeline.failed')] };
    expect(titles(ingest([other]))).toEqual(['pipeline.failed: CI failed on main']);
  });
});

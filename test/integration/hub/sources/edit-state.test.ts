// Editing a polled source: pointed at another server (or org), it starts afresh — the old
// server's cursors and snapshots would hide or invent changes on the new one; renamed or
// retimed, it keeps its place.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { mapSecrets } from '../../../helpers/ci-webhooks.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';
import type { SqliteEngine } from '../../../../electron/hub/store/sqlite-engine.js';

describe('a polled source edited', () => {
  let hub: Hub;
  beforeAll(async () => {
    const dataDir = tempDir('herald-source-edit-');
    // Nothing listens on port 9: the poller fails quietly and never writes state of its own.
    const configFile = writeConfig(dataDir, { sources: [{ id: 'feed', kind: 'cctray', name: 'Feed', url: 'http://127.0.0.1:9/cc.xml', pollIntervalSeconds: 3600 }] });
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets: mapSecrets({}), retentionIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  const cursor = { projects: { build: { lastBuildLabel: '41', activity: 'Sleeping', lastBuildStatus: 'Success' } } };
  const source = async () => (await hub.api['sources.list']({})).find((s) => s.config.id === 'feed')!.config as Record<string, unknown>;

  it('keeps its state when renamed or retimed', async () => {
    (hub.store as SqliteEngine).sync.sourceState.set('feed', 'poll', cursor);
    await hub.api['sources.update']({ config: { ...(await source()), name: 'Feed (renamed)', pollIntervalSeconds: 1800 }, secrets: {} });
    expect(await hub.store.sourceState.get('feed', 'poll')).toEqual(cursor);
  });

  it('starts afresh when pointed at another server', async () => {
    (hub.store as SqliteEngine).sync.sourceState.set('feed', 'poll', cursor);
    await hub.api['sources.update']({ config: { ...(await source()), url: 'http://127.0.0.1:9/other/cc.xml' }, secrets: {} });
    expect(await hub.store.sourceState.get('feed', 'poll')).toBeUndefined();
  });
});

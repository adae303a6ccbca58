// The checkpoint thread (compiled, from dist/) on its own connection to a real SQLite
// file: commits no longer checkpoint, the thread copies the WAL into the database file,
// and stopping it (or not having it) leaves SQLite's automatic checkpoint on.
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../../../electron/hub/store/checkpointer.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';

const THREAD_SCRIPT = resolve(import.meta.dirname, '../../../../dist/electron/hub/store/checkpoint-thread.js');
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function store() {
  const s = openStore(mkdtempSync(join(tmpdir(), 'herald-checkpoint-')));
  stores.push(s);
  return s;
}

const ingest = (s: Store, n: number) =>
  s.ingest(
    Array.from({ length: n }, (_, i) => ({ source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title: `event ${i} ${'x'.repeat(500)}` }] })),
    () => [],
  );
const autoPages = (s: Store) => s.db.pragma('wal_autocheckpoint', { simple: true });

describe('checkpoint thread', () => {
  it('takes checkpoints off the commits and copies the WAL into the database file', async () => {
    const s = store();
    const checkpointer = await startCheckpointer(s, { threadScript: THREAD_SCRIPT, intervalMs: 50 });
    expect(checkpointer.runsOn).toBe('thread');
    // The commit's own checkpoint only as a backstop, far past SQLite's 1,000 pages.
    expect(autoPages(s)).toBe(8000);
    const before = statSync(s.file).size;
    for (let i = 0; i < 40; i++) ingest(s, 50);
    // 2,000 events: well past the 1,000 WAL pages at which a commit would have checkpointed.
    const deadline = Date.now() + 5000;
    while (statSync(s.file).size <= before * 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(s.file).size).toBeGreaterThan(before * 4);
    // Everything committed is in the file now: a checkpoint from here finds nothing left to copy.
    await new Promise((r) => setTimeout(r, 150));
    const [result] = s.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    expect(result!.checkpointed).toBe(result!.log);

    await checkpointer.stop();
    expect(autoPages(s)).toBe(1000);
  });

  it('leaves the automatic checkpoint on where the thread script is missing', async () => {
    const s = store();
    const checkpointer = await startCheckpointer(s, { threadScript: join(tmpdir(), 'no-such-checkpoint-thread.js') });
    expect(checkpointer.runsOn).toBe('commits');
    expect(autoPages(s)).toBe(1000);
    await checkpointer.stop();
  });
});

// Group commit with the fsync off the event loop: a request is answered (and its events
// announced and delivered) only once its transaction is on disk; commits made while an
// fsync runs share the next one; a failed fsync refuses the batch. Real SQLite file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../../electron/hub/ingest.js';
import type { IngestItem, IngestOutcome } from '../../../electron/hub/store/ingest-transaction.js';
import { openStore, type Store } from '../../../electron/hub/store/store.js';
import { WalSync } from '../../../electron/hub/store/wal-sync.js';
import { readAckedSeq } from '../../../electron/hub/store/integrity.js';
import { sqliteEngineOver } from '../../../electron/hub/store/sqlite-engine.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

const item = (title: string): IngestItem => ({ source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title }] });
const count = (store: Store) => store.db.prepare('SELECT count(*) FROM events').pluck().get() as number;

/** The real store, with its disk sync held until the test releases it. */
function heldStore() {
  const store = openStore(mkdtempSync(join(tmpdir(), 'herald-ingest-')));
  stores.push(store);
  const holds: Array<{ release: () => void; fail: (e: Error) => void }> = [];
  const held: Store = {
    ...store,
    syncToDisk: () =>
      new Promise<void>((resolve, reject) => {
        holds.push({ release: () => store.syncToDisk().then(resolve, reject), fail: reject });
      }),
  };
  return { store, held, holds };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('group commit', () => {
  it('answers and announces only after the disk confirmed the commit', async () => {
    const { store, held, holds } = heldStore();
    const committed: IngestOutcome[][] = [];
    const ingestor = new Ingestor({ store: sqliteEngineOver(held), router: () => () => [], onCommitted: (o) => committed.push(o) });
    let answered = 0;
    const answers = [ingestor.submit(item('a')), ingestor.submit(item('b'))].map((p) => p.then(() => answered++));
    await tick();
    await tick();
    // Committed (one transaction for both), not yet answered: the fsync is still running.
    expect(count(store)).toBe(2);
    expect(holds).toHaveLength(1);
    expect(answered).toBe(0);
    expect(committed).toHaveLength(0);
    let drained = false;
    const draining = ingestor.drain().then(() => (drained = true));
    await tick();
    expect(drained).toBe(false);

    holds[0]!.release();
    await Promise.all(answers);
    await draining;
    expect(answered).toBe(2);
    expect(committed.flat().map((o) => o.status === 'accepted' && o.events[0]!.title)).toEqual(['a', 'b']);
  });

  it('the board follows the commit while the disk syncs it (off the senders\' wait), and follows one the disk did not confirm too', async () => {
    const { store, held, holds } = heldStore();
    const committed: IngestOutcome[][] = [];
    const ingestor = new Ingestor({ store: sqliteEngineOver(held), router: () => () => [], onCommitted: (o) => committed.push(o) });
    const pipeline = (branch: string): IngestItem => ({ ...item(branch), inputs: [{ type: 'pipeline.failed', title: branch, subject: { project: 'api', pipeline: 'ci', branch } }] });
    const answers = Promise.all([ingestor.submit(pipeline('main')), ingestor.submit(pipeline('dev'))]);
    await tick();
    await tick();
    // Committed, the fsync still running, nobody answered: the board has both things already.
    expect(holds).toHaveLength(1);
    expect(store.board.count()).toBe(2);
    expect(committed).toHaveLength(0);
    holds[0]!.release();
    await answers;
    // What the UI is told carries the board's changes.
    expect(committed.flat().map((o) => (o.status === 'accepted' ? o.board?.length : undefined))).toEqual([1, 1]);

    const refused = ingestor.submit(pipeline('release'));
    await tick();
    holds[1]!.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(refused).rejects.toThrow('the disk did not confirm the write');
    // Its row is in the database all the same: the board says what the rows say.
    expect(store.board.count()).toBe(3);
  });

  it('refuses the batch, naming the problem, when the disk does not confirm', async () => {
    const { held, holds } = heldStore();
    const committed: unknown[] = [];
    let unconfirmed = 0;
    const ingestor = new Ingestor({ store: sqliteEngineOver(held), router: () => () => [], onCommitted: (o) => committed.push(o), onUnconfirmed: () => unconfirmed++ });
    const answer = ingestor.submit(item('x'));
    await tick();
    holds[0]!.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await expect(answer).rejects.toThrow('could not store the event: the disk did not confirm the write (EIO: i/o error, fdatasync)');
    expect(committed).toHaveLength(0);
    // The rows are committed all the same: the hub is told, so its worker looks for their deliveries.
    expect(unconfirmed).toBe(1);
  });
});

describe('one bad item never fails another', () => {
  /** Data nested so deep that JSON.stringify overflows the stack inside the transaction (ingress refuses such bodies; a poller's could still get here). */
  const overflowing = (): IngestItem => {
    let data: unknown = 1;
    for (let i = 0; i < 200_000; i++) data = [data];
    return { source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title: 'too deep', data: { a: data } }] };
  };

  it('the others in its group commit are stored and answered; it alone is refused, naming why', async () => {
    const { store } = heldStore();
    const committed: IngestOutcome[] = [];
    const ingestor = new Ingestor({ store: sqliteEngineOver(store), router: () => () => [], onCommitted: (o) => committed.push(...o) });
    const results = await Promise.allSettled([ingestor.submit(item('before')), ingestor.submit(overflowing()), ingestor.submit(item('after'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toMatch(/^could not store the event: .*call stack/);
    expect(store.db.prepare('SELECT title FROM events ORDER BY seq').pluck().all()).toEqual(['before', 'after']);
    expect(committed.map((o) => o.status === 'accepted' && o.events[0]!.title)).toEqual(['before', 'after']);
  });
});

describe('the store under the group commit', () => {
  const synchronous = (store: Store) => store.db.pragma('synchronous', { simple: true });
  const ingestOne = (store: Store, title: string) => store.ingest([item(title)], () => []);

  it('commits withoutFsync at synchronous NORMAL and is back at FULL afterwards, also when the work throws', () => {
    const { store } = heldStore();
    expect(synchronous(store)).toBe(2); // FULL
    expect(store.withoutFsync(() => synchronous(store))).toBe(1); // NORMAL
    expect(synchronous(store)).toBe(2);
    expect(() =>
      store.withoutFsync(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(synchronous(store)).toBe(2);
  });

  it('the acknowledged mark names what was committed before the fsync began, never a commit made while it ran', async () => {
    const { store } = heldStore();
    store.withoutFsync(() => ingestOne(store, 'before the sync'));
    const synced = store.syncToDisk();
    // Committed while that fsync runs (not on disk as far as that fsync knows): not acknowledged by it.
    store.withoutFsync(() => ingestOne(store, 'during the sync'));
    await synced;
    expect(readAckedSeq(store.file)).toBe(1);
    await store.syncToDisk();
    expect(readAckedSeq(store.file)).toBe(2);
  });
});

describe('WalSync', () => {
  it('shares one fsync among callers that arrive while it runs, and starts the next for them', async () => {
    const store = openStore(mkdtempSync(join(tmpdir(), 'herald-wal-')));
    stores.push(store);
    const sync = new WalSync(`${store.file}-wal`);
    const first = sync.sync();
    const second = sync.sync();
    const third = sync.sync();
    // The second and third arrived during the first: they wait for one more, together.
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    await Promise.all([first, second]);
    // Idle again: a new caller starts a new sync at once.
    const fourth = sync.sync();
    expect(fourth).not.toBe(second);
    await fourth;
    sync.close();
  });

  it('names the file when the WAL cannot be opened', async () => {
    const sync = new WalSync(join(tmpdir(), 'no-such-dir-herald', 'herald.db-wal'));
    await expect(sync.sync()).rejects.toThrow(/ENOENT.*herald\.db-wal/);
  });
});

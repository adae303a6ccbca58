// A damaged database never loses acknowledged events silently. Crash snapshots are taken by
// copying the files of a live store (what kill -9 leaves: the WAL not yet checkpointed),
// then damaged as disks and people damage them: the WAL cut short, with a flipped byte,
// deleted; a page of the database overwritten. Each refuses to open, naming the problem and
// the way out, and leaves the files as they were; an undamaged snapshot opens with every
// acknowledged event. At run time a corruption error answers 503, never 202.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ingestor } from '../../../../electron/hub/ingest.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { DatabaseDamaged, recoveryHint } from '../../../../electron/hub/store/integrity.js';
import { openStore, type Store } from '../../../../electron/hub/store/store.js';
import { startHubProcess } from '../../../helpers/hub-process.js';
import { main as dbTool } from '../../../../electron/db-tool.js';
import { readdirSync } from 'node:fs';
import { sqliteEngineOver } from '../../../../electron/hub/store/sqlite-engine.js';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) if (s.db.open) s.close();
});
const tempDir = () => mkdtempSync(join(tmpdir(), 'herald-integrity-'));
const item = (title: string): IngestItem => ({ source: { kind: 'generic', id: 's', name: 'S' }, inputs: [{ type: 'pipeline.failed', title }] });
const open = (dir: string) => {
  const store = openStore(dir);
  stores.push(store);
  return store;
};
const titles = (store: Store) => store.db.prepare('SELECT title FROM events ORDER BY seq').pluck().all() as string[];

/** A store with `checkpointed` events in the database file and `inWal` more acknowledged only in its WAL; returns a crash snapshot of it. */
async function crashSnapshot(checkpointed: number, inWal: number): Promise<string> {
  const live = open(tempDir());
  live.db.pragma('wal_autocheckpoint = 0'); // as when the checkpoint thread has not caught up yet
  const ingestor = new Ingestor({ store: sqliteEngineOver(live), router: () => () => [], onCommitted: () => undefined });
  for (let i = 0; i < checkpointed; i++) await ingestor.submit(item(`old ${i}`));
  live.db.pragma('wal_checkpoint(TRUNCATE)');
  // Several group commits: each acknowledged (awaited) before the next.
  for (let i = 0; i < inWal; i++) await ingestor.submit(item(`acked ${i}`));
  const snapshot = tempDir();
  for (const name of ['herald.db', 'herald.db-wal', 'herald.db-acked']) copyFileSync(join(live.file, '..', name), join(snapshot, name));
  return snapshot;
}

/** The files as they are: a hash of each, an empty or missing WAL alike (a read-only open may leave an empty one). */
const filesOf = (dir: string) =>
  ['herald.db', 'herald.db-wal'].map((name) => {
    const path = join(dir, name);
    const bytes = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    return `${name}: ${bytes.length === 0 ? 'none' : createHash('sha256').update(bytes).digest('hex')}`;
  });

const expectRefused = (dir: string, problem: RegExp) => {
  const before = filesOf(dir);
  let error: unknown;
  try {
    open(dir);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DatabaseDamaged);
  expect((error as Error).message).toMatch(problem);
  expect((error as Error).message).toMatch(/npm run db -- recover/);
  // Left exactly as found, for recovery.
  expect(filesOf(dir)).toEqual(before);
};

describe('at open', () => {
  it('an undamaged crash snapshot opens with every acknowledged event', async () => {
    const dir = await crashSnapshot(5, 20);
    expect(titles(open(dir))).toHaveLength(25);
  });

  it('a WAL cut short → refused, naming how many acknowledged events are missing', async () => {
    const dir = await crashSnapshot(5, 20);
    const wal = join(dir, 'herald.db-wal');
    truncateSync(wal, Math.floor(statSync(wal).size / 2));
    expectRefused(dir, /acknowledged events up to #25.*write-ahead log .* is missing, cut short or damaged/);
  });

  it('a WAL with a flipped byte → refused', async () => {
    const dir = await crashSnapshot(5, 20);
    const wal = join(dir, 'herald.db-wal');
    const bytes = readFileSync(wal);
    const at = Math.floor(bytes.length / 3);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(wal, bytes);
    expectRefused(dir, /acknowledged events up to #25/);
  });

  it('a deleted WAL → refused', async () => {
    const dir = await crashSnapshot(5, 20);
    rmSync(join(dir, 'herald.db-wal'));
    expectRefused(dir, /holds events up to #5, but Herald acknowledged events up to #25/);
  });

  it('a damaged page → refused by the quick check', async () => {
    const dir = tempDir();
    const store = open(dir);
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) store.ingest([item(`event ${i} ${'x'.repeat(200)}`)], () => []);
    });
    store.close();
    const file = join(dir, 'herald.db');
    const bytes = readFileSync(file);
    const pageSize = 4096;
    // Scribble over a page in the middle of the file (a b-tree page of events or their index).
    const page = Math.floor(bytes.length / pageSize / 2);
    bytes.fill(0x5a, page * pageSize, page * pageSize + 200);
    writeFileSync(file, bytes);
    expectRefused(dir, /quick_check found/);
  });

  it('a clean stop and start is not mistaken for damage', async () => {
    const dir = tempDir();
    const store = open(dir);
    const ingestor = new Ingestor({ store: sqliteEngineOver(store), router: () => () => [], onCommitted: () => undefined });
    for (let i = 0; i < 10; i++) await ingestor.submit(item(`e${i}`));
    store.close();
    expect(titles(open(dir))).toHaveLength(10);
  });
});

describe('the hub at start', () => {
  it('refuses to start on a damaged database, saying what and what to do', async () => {
    const dir = await crashSnapshot(5, 20);
    rmSync(join(dir, 'herald.db-wal'));
    const error = await startHubProcess({ dataDir: dir }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/hub exited with 1/);
    expect(error?.message).toMatch(/database .*herald\.db is damaged: it holds events up to #5, but Herald acknowledged events up to #25/);
    // The way out names this hub's data dir: the default one may be another hub's, or none.
    expect(error?.message).toContain(`\`npm run db -- check --data-dir ${dir}\` to see what is wrong and \`npm run db -- recover --data-dir ${dir}\``);
  });

  it('a data dir the shell would split or expand is quoted in the way out', () => {
    expect(recoveryHint('/srv/my herald/herald.db')).toContain("npm run db -- check --data-dir '/srv/my herald'");
    expect(recoveryHint("/srv/bob's $HOME/herald.db")).toContain("npm run db -- recover --data-dir '/srv/bob'\\''s $HOME'");
    expect(recoveryHint('/var/lib/herald-a/herald.db')).toContain('npm run db -- recover --data-dir /var/lib/herald-a`');
  });
});

describe('at run time', () => {
  it('a corruption error answers 503 and marks the store damaged; later events are refused too, never 202', async () => {
    const dir = tempDir();
    const setup = open(dir);
    setup.transaction(() => {
      for (let i = 0; i < 50; i++) setup.ingest([item(`before ${i}`)], () => []);
    });
    const root = setup.db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events'").pluck().get() as number;
    setup.close();

    const problems: string[] = [];
    const store = openStore(dir, { onDamaged: (p) => problems.push(p) });
    stores.push(store);
    // The disk goes bad under the running hub: the events table's root page is overwritten.
    const file = join(dir, 'herald.db');
    const bytes = readFileSync(file);
    bytes.fill(0xa5, (root - 1) * 4096, root * 4096);
    writeFileSync(file, bytes);

    const ingestor = new Ingestor({ store: sqliteEngineOver(store), router: () => () => [], onCommitted: () => undefined });
    await expect(ingestor.submit(item('during'))).rejects.toThrow(/could not store the event: the database .* is damaged/);
    expect(store.damage).toMatch(/npm run db -- recover/);
    expect(problems).toHaveLength(1);
    await expect(ingestor.submit(item('after'))).rejects.toThrow(/is damaged/);
  });
});

describe('npm run db -- check | recover', () => {
  const run = (...args: string[]) => {
    const lines: string[] = [];
    const code = dbTool(args, (line) => void lines.push(line));
    return { code, text: lines.join('\n') };
  };

  it('a lost WAL: check names it (exit 1); recover keeps the damaged files and puts what is left in place; the hub opens it', async () => {
    const dir = await crashSnapshot(5, 20);
    rmSync(join(dir, 'herald.db-wal'));
    const check = run('check', '--data-dir', dir);
    expect(check.code).toBe(1);
    expect(check.text).toMatch(/damaged: .*acknowledged events up to #25/);
    expect(check.text.split('\n').at(-1)).toBe(`to salvage what is left: npm run db -- recover --data-dir ${dir}`);

    const recover = run('recover', '--data-dir', dir);
    expect(recover.code).toBe(0);
    expect(recover.text).toMatch(/recovered into .*herald\.db: events 5/);
    expect(readdirSync(dir).filter((n) => n.includes('.damaged-'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^herald\.db\.damaged-[\dTZ-]+$/), expect.stringMatching(/^herald\.db\.damaged-[\dTZ-]+-acked$/)]),
    );
    expect(run('check', '--data-dir', dir)).toMatchObject({ code: 0, text: expect.stringMatching(/^ok: .*5 events, up to #5/) });
    const store = open(dir);
    expect(titles(store)).toEqual(['old 0', 'old 1', 'old 2', 'old 3', 'old 4']);
    // Searchable again: the full-text index was rebuilt from the salvaged rows.
    expect(store.events.list({ text: 'old', limit: 100 }).total).toBe(5);
  });

  it('a damaged page: recover salvages the readable rows around it', async () => {
    const dir = tempDir();
    const store = open(dir);
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) store.ingest([item(`event ${i} ${'x'.repeat(200)}`)], () => []);
    });
    store.close();
    const file = join(dir, 'herald.db');
    const bytes = readFileSync(file);
    const page = Math.floor(bytes.length / 4096 / 2);
    bytes.fill(0x5a, page * 4096, page * 4096 + 200);
    writeFileSync(file, bytes);
    expect(run('check', '--data-dir', dir).code).toBe(1);
    run('recover', '--data-dir', dir);
    expect(run('check', '--data-dir', dir).code).toBe(0);
    const salvaged = titles(open(dir)).length;
    expect(salvaged).toBeGreaterThan(1500);
    expect(salvaged).toBeLessThanOrEqual(2000);
  });
});

// The benchmark switch HERALD_BENCH_NO_BOARD (electron/headless.ts): bench/board-hub.mjs
// compares the headless hub's webhook intake with and without the board, so the switch must
// really leave the board out (events stored, nothing on the board) and the hub without it
// must keep the board as always. The built headless hub, a child process, real HTTP.
import { afterEach, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess, tempDir, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'bench-switch-secret';
const running: HubProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((hub) => hub.kill()));
});

const start = async (env: Record<string, string> = {}) => {
  const dir = tempDir('herald-board-switch-');
  const configFile = writeConfig(dir, { sources: [{ id: 'bench', kind: 'generic', name: 'Bench', secret: 'env:HERALD_SWITCH_SECRET' }], channels: [], rules: [] });
  const hub = await startHubProcess({ dataDir: `${dir}/data`, configFile, env: { HERALD_SWITCH_SECRET: SECRET, ...env } });
  running.push(hub);
  return hub;
};

/** Three failed pipelines on three branches: three things on a kept board. */
const postThree = async (hub: HubProcess) => {
  const events = [0, 1, 2].map((i) => ({ type: 'pipeline.failed', title: `ci failed on branch-${i}`, subject: { project: 'acme/api', pipeline: 'ci', branch: `branch-${i}` } }));
  const res = await fetch(`${hub.ingressUrl}/hooks/bench`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body: JSON.stringify(events) });
  expect(res.status, await res.clone().text()).toBe(202);
};

type Board = { items: { title: string }[]; counts: Record<string, number> };
type Events = { items: unknown[] };

describe('HERALD_BENCH_NO_BOARD (a benchmark switch)', () => {
  it('leaves the board out of ingest: the events are stored, board.list stays empty', async () => {
    const hub = await start({ HERALD_BENCH_NO_BOARD: '1' });
    expect(hub.output()).toContain('board:    not kept (HERALD_BENCH_NO_BOARD=1');
    await postThree(hub);
    // The 202 comes after the ingest transaction committed: the events (and a kept board) are in.
    expect((await hub.api<Events>('events.list', { limit: 10 })).items).toHaveLength(3);
    const board = await hub.api<Board>('board.list', {});
    expect(board.items).toEqual([]);
    expect(board.counts.failing).toBe(0);
  });

  it('without it the board is kept, as always: the same events put three failing pipelines on the board', async () => {
    const hub = await start();
    expect(hub.output()).not.toContain('board:    not kept');
    await postThree(hub);
    expect((await hub.api<Events>('events.list', { limit: 10 })).items).toHaveLength(3);
    const board = await hub.api<Board>('board.list', {});
    expect(board.items).toHaveLength(3);
    expect(board.counts.failing).toBe(3);
  });

  it('refuses any value but 1, naming the variable', async () => {
    await expect(start({ HERALD_BENCH_NO_BOARD: 'yes' })).rejects.toThrow(/HERALD_BENCH_NO_BOARD: 1 or unset \(a benchmark switch\), not "yes"/);
  });
});

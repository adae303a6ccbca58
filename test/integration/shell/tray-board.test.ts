// The tray on a real hub's board (in-process hub, real SQLite file, events over ingress): it
// asks for one page, worst first, and the counts of the whole board, and still says how much
// is red when the page cannot list it all (many red things, or muted red ones ahead of the rest).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import path from 'node:path';
import { type ApiMethod, apiContract } from '../../../shared/api.js';
import { type Hub, startHub } from '../../../electron/hub/hub.js';
import { createTrayController } from '../../../electron/shell/tray.js';
import { TRAY_BOARD_PAGE, TRAY_MENU_FAILING, type TrayActions } from '../../../electron/shell/tray-model.js';
import { electron, resetElectronDouble } from '../../helpers/electron-double.js';
import { mapSecrets } from '../../helpers/ci-webhooks.js';
import { tempDir, waitFor, writeConfig } from '../../helpers/hub-process.js';

const SECRET = 'tray-board-secret';
const ICON_DIR = path.resolve(import.meta.dirname, '../../../build/tray');
const NOW = Date.now();
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();
// 160 pipelines: 45 red the longest (muted below), 15 red since later, 100 green.
const RED_MUTED = 45;
const RED = 15;
const GREEN = 100;
const event = (n: number) => ({
  type: n < RED_MUTED + RED ? 'pipeline.failed' : 'pipeline.succeeded',
  title: `ci on b${n}`,
  subject: { project: 'acme/api', pipeline: 'ci', branch: `b${n}` },
  occurredAt: ago(1000 - n),
});

let hub: Hub;
beforeAll(async () => {
  const dataDir = tempDir('herald-tray-board-');
  const configFile = writeConfig(dataDir, { sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:SECRET' }] });
  hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets: mapSecrets({ SECRET }), retentionIntervalMs: 3_600_000 });
  const all = Array.from({ length: RED_MUTED + RED + GREEN }, (_, n) => event(n));
  for (let i = 0; i < all.length; i += 40) {
    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body: JSON.stringify(all.slice(i, i + 40)) });
    expect(res.status).toBe(202);
  }
  await waitFor(async () => (await hub.api['board.list']({ limit: 0 })).counts.passing === GREEN, 15_000, 'the board');
  for (let n = 0; n < RED_MUTED; n++) await hub.api['mutes.add']({ pipeline: { sourceId: 'ci', project: 'acme/api', pipeline: 'ci', branch: `b${n}` }, untilPasses: true });
});
afterAll(async () => {
  await hub?.stop();
});

describe('the tray on a real board', () => {
  it('asks for one page and the counts; lists the red it got, and counts the red and muted beyond it', async () => {
    resetElectronDouble();
    const asked: unknown[] = [];
    const answered: number[] = [];
    // The hub's api as a transport calls it: the input checked by the contract first.
    const api = new Proxy({} as Parameters<typeof createTrayController>[0]['api'], {
      get: (_t, method: ApiMethod) => async (input: unknown) => {
        const answer = await (hub.api[method] as (i: unknown) => Promise<unknown>)(apiContract[method].input.parse(input));
        if (method === 'board.list') {
          asked.push(input);
          answered.push((answer as { items: unknown[] }).items.length);
        }
        return answer;
      },
    });
    const actions = { openEvent: vi.fn(), markAllRead: vi.fn(), setSnooze: vi.fn(), openWindow: vi.fn(), quit: vi.fn() } satisfies TrayActions;
    const controller = createTrayController({ api, actions, iconDir: ICON_DIR, platform: 'linux' });
    try {
      const state = await controller.refresh();
      expect(asked).toEqual([{ limit: TRAY_BOARD_PAGE }]);
      expect(answered).toEqual([TRAY_BOARD_PAGE]);
      // The page: the 45 muted red (the longest-standing) then 5 of the 15 others.
      expect(state.board.failing.map((i) => i.subject.branch)).toEqual(['b45', 'b46', 'b47', 'b48', 'b49']);
      expect(state.board).toMatchObject({ worst: 'failing', red: RED, mutedFailing: RED_MUTED, running: 0 });
      const tray = electron.created.trays[0]!;
      expect(tray.image.path).toBe(path.join(ICON_DIR, 'tray-failing.png'));
      const labels = tray.menu!.items.map((i) => i.label);
      expect(labels.filter((l) => l?.startsWith('✖'))).toHaveLength(Math.min(5, TRAY_MENU_FAILING));
      expect(labels).toContain(`${RED - 5} more red · ${RED_MUTED} red but muted`);
      expect(tray.tooltip).toMatch(new RegExp(`^Herald · ${RED} red: acme/api: ci · b45, `));
    } finally {
      controller.destroy();
    }
  });
});

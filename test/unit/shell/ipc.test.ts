import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import type { IpcMain } from 'electron';
import { API_METHODS, ApiError, type ApiHandlers, type ApiUpdate, type HeraldBridge } from '../../../shared/api.js';
import { SettingsSchema } from '../../../shared/config.js';
import { APP_ORIGIN } from '../../../electron/shell/identity.js';
import { apiChannel, UPDATE_CHANNEL } from '../../../electron/shell/ipc-channels.js';
import { buildIpcHandlers, createValidatedApi, forwardUpdates, registerIpcHandlers, type IpcHandlerTable } from '../../../electron/shell/ipc.js';
import { withShellHandlers } from '../../../electron/shell/lifecycle.js';
import { originOf } from '../../../electron/shell/url-policy.js';
import { createWindowManager } from '../../../electron/shell/windows.js';
import { electron, resetElectronDouble } from '../../helpers/electron-double.js';
import { makeEvent } from '../../helpers/fake-event.js';

/** A hub whose every method records its input; the few the tests read answer something real-shaped. */
function recordingHub() {
  const calls: Array<[string, unknown]> = [];
  const answers: Partial<Record<string, (input: any) => unknown>> = {
    'events.list': (q) => ({ items: [makeEvent()], total: 1, query: q }),
    'events.get': ({ id }) => {
      throw new ApiError('not_found', `no event ${id}`);
    },
    'events.delete': () => {
      throw new Error('disk I/O error');
    },
    'settings.get': () => SettingsSchema.parse({}),
    'autostart.get': () => ({ supported: false, enabled: false }),
  };
  const handlers = Object.fromEntries(
    API_METHODS.map((method) => [
      method,
      vi.fn(async (input: unknown) => {
        calls.push([method, input]);
        const answer = answers[method];
        return answer ? answer(input) : { ok: true };
      }),
    ]),
  ) as unknown as ApiHandlers;
  return { handlers, calls };
}

const trustApp = (frameUrl: string | undefined) => originOf(frameUrl) === APP_ORIGIN;

beforeEach(() => resetElectronDouble());

describe('the IPC handler table', () => {
  it('registers exactly one ipcMain.handle per api method, on herald:api:<method>', () => {
    const { handlers } = recordingHub();
    const unregister = registerIpcHandlers(electron.ipcMain as unknown as IpcMain, buildIpcHandlers(handlers), trustApp);
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(API_METHODS.map(apiChannel).sort());
    expect(electron.ipcMain.handlers.size).toBe(API_METHODS.length);
    unregister();
    expect(electron.ipcMain.handlers.size).toBe(0);
  });

  it('is complete at compile time: a table without every method does not type-check', () => {
    // @ts-expect-error — 'events.list' and the rest are missing
    const partial: IpcHandlerTable = { 'hub.status': async () => ({ ok: false, error: { code: 'internal', message: '' } }) };
    expect(Object.keys(partial)).toHaveLength(1);
  });

  const badInputs: Array<[string, unknown, RegExp]> = [
    ['events.get', {}, /^events\.get: id: /],
    ['events.get', { id: '' }, /^events\.get: id: /],
    ['events.list', { limit: 0 }, /^events\.list: limit: /],
    ['events.list', { unknownFilter: 1 }, /^events\.list: \(root\): .*unknownFilter/],
    ['events.markRead', { ids: 'e1' }, /^events\.markRead: ids: /],
    ['events.delete', { ids: [] }, /^events\.delete: ids: /],
    ['settings.update', 'snooze please', /^settings\.update: \(root\): /],
    ['rules.preview', { config: {}, limit: 5000 }, /^rules\.preview: limit: /],
    ['autostart.set', { enabled: 'yes' }, /^autostart\.set: enabled: /],
    ['hub.status', { extra: true }, /^hub\.status: \(root\): /],
  ];
  it.each(badInputs)('%s with %j is rejected with the contract’s validation error before the hub sees it', async (method, input, message) => {
    const { handlers, calls } = recordingHub();
    registerIpcHandlers(electron.ipcMain as unknown as IpcMain, buildIpcHandlers(handlers), trustApp);
    const reply = (await electron.ipcRenderer.invoke(apiChannel(method), input)) as { ok: boolean; error: { code: string; message: string } };
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe('invalid_input');
    expect(reply.error.message).toMatch(message);
    expect(calls).toEqual([]);
  });

  it('valid input reaches the hub parsed, defaults applied', async () => {
    const { handlers, calls } = recordingHub();
    registerIpcHandlers(electron.ipcMain as unknown as IpcMain, buildIpcHandlers(handlers), trustApp);
    const reply = (await electron.ipcRenderer.invoke(apiChannel('events.list'), { unread: true })) as { ok: boolean };
    expect(reply.ok).toBe(true);
    expect(calls).toEqual([['events.list', { unread: true, limit: 100 }]]);
    await electron.ipcRenderer.invoke(apiChannel('hub.status'), undefined);
    expect(calls[1]).toEqual(['hub.status', {}]);
  });

  it('hub errors keep their code; anything else is internal', async () => {
    const { handlers } = recordingHub();
    const table = buildIpcHandlers(handlers);
    expect(await table['events.get']({ id: 'nope' })).toEqual({ ok: false, error: { code: 'not_found', message: 'no event nope' } });
    expect(await table['events.delete']({ ids: ['e1'] })).toEqual({
      ok: false,
      error: { code: 'internal', message: 'events.delete failed: disk I/O error' },
    });
  });

  it('refuses calls from a frame that is not the app (and from a frame that is gone)', async () => {
    const { handlers, calls } = recordingHub();
    registerIpcHandlers(electron.ipcMain as unknown as IpcMain, buildIpcHandlers(handlers), trustApp);
    electron.ipcRenderer.senderUrl = 'https://evil.example/page';
    await expect(electron.ipcRenderer.invoke(apiChannel('settings.get'), {})).rejects.toThrow(/refused settings\.get from https:\/\/evil\.example/);
    electron.ipcRenderer.senderUrl = null;
    await expect(electron.ipcRenderer.invoke(apiChannel('settings.get'), {})).rejects.toThrow(/refused settings\.get from an unknown frame/);
    expect(calls).toEqual([]);
  });

  it('the shell’s own calls are validated the same way and throw ApiError', async () => {
    const { handlers, calls } = recordingHub();
    const api = createValidatedApi(handlers);
    await expect(api['events.markRead']({ ids: [''] })).rejects.toMatchObject({ name: 'ApiError', code: 'invalid_input' });
    await api['events.markRead']({ all: true });
    expect(calls).toEqual([['events.markRead', { all: true, read: true }]]);
  });

  it('start at login is answered by the shell, not the hub', async () => {
    const { handlers, calls } = recordingHub();
    let enabled = false;
    const shell = withShellHandlers(handlers, {
      supported: true,
      get: async () => enabled,
      set: async (on) => (enabled = on),
    });
    expect(await shell['autostart.set']({ enabled: true })).toEqual({ supported: true, enabled: true });
    expect(await shell['autostart.get']({})).toEqual({ supported: true, enabled: true });
    const dev = withShellHandlers(handlers, { supported: false, get: async () => false, set: async () => false });
    expect(await dev['autostart.get']({})).toEqual({ supported: false, enabled: false });
    await expect(dev['autostart.set']({ enabled: true })).rejects.toMatchObject({ code: 'unavailable' });
    expect(calls.filter(([m]) => m.startsWith('autostart'))).toEqual([]);
  });
});

describe('preload: window.herald over the double', () => {
  async function loadPreload(): Promise<HeraldBridge> {
    vi.resetModules(); // run the preload's top level again for this test's fresh double
    await import('../../../electron/preload.js');
    return electron.contextBridge.exposed.herald as HeraldBridge;
  }

  it('exposes one key, herald, with invoke and subscribe only (no ipcRenderer, no Node)', async () => {
    const bridge = await loadPreload();
    expect(Object.keys(electron.contextBridge.exposed)).toEqual(['herald']);
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'subscribe']);
  });

  it('invoke round-trips through ipcMain to the hub and back', async () => {
    const { handlers, calls } = recordingHub();
    registerIpcHandlers(electron.ipcMain as unknown as IpcMain, buildIpcHandlers(handlers), trustApp);
    const bridge = await loadPreload();
    const page = await bridge.invoke('events.list', { text: 'deploy', limit: 5 });
    expect(page.items[0]!.id).toBe(makeEvent().id);
    expect(calls).toEqual([['events.list', { text: 'deploy', limit: 5 }]]);
  });

  it('failures reject with an ApiError-shaped Error carrying the code', async () => {
    const { handlers } = recordingHub();
    registerIpcHandlers(electron.ipcMain as unknown as IpcMain, buildIpcHandlers(handlers), trustApp);
    const bridge = await loadPreload();
    await expect(bridge.invoke('events.get', { id: 'gone' })).rejects.toMatchObject({ name: 'ApiError', code: 'not_found', message: 'no event gone' });
    await expect(bridge.invoke('events.list', { limit: -1 })).rejects.toMatchObject({ code: 'invalid_input' });
    // A name outside the method shape never reaches IPC.
    await expect(bridge.invoke('../../etc' as 'hub.status', {})).rejects.toMatchObject({ code: 'invalid_input' });
    // A well-formed name that is not in the contract has no handler: Electron rejects it.
    await expect(bridge.invoke('hub.shutdown' as 'hub.status', {})).rejects.toThrow(/No handler registered for 'herald:api:hub\.shutdown'/);
  });

  it('subscribe gets the hub’s updates forwarded to the window; unsubscribe stops them', async () => {
    const updates = new EventEmitter();
    const onUpdate = (listener: (u: ApiUpdate) => void) => {
      updates.on('update', listener);
      return () => updates.off('update', listener);
    };
    const windows = createWindowManager({ preloadPath: '/opt/herald/preload.cjs', isQuitting: () => false });
    windows.show();
    const stopForwarding = forwardUpdates(onUpdate, () => windows.contents());
    const bridge = await loadPreload();
    const received: ApiUpdate[] = [];
    const unsubscribe = bridge.subscribe((u) => received.push(u));

    updates.emit('update', { type: 'config.changed', what: 'settings' } satisfies ApiUpdate);
    updates.emit('update', { type: 'event.created', event: makeEvent() } satisfies ApiUpdate);
    expect(received.map((u) => u.type)).toEqual(['config.changed', 'event.created']);
    expect(electron.created.windows[0]!.webContents.sent.map((s) => s.channel)).toEqual([UPDATE_CHANNEL, UPDATE_CHANNEL]);

    unsubscribe();
    updates.emit('update', { type: 'events.changed' } satisfies ApiUpdate);
    expect(received).toHaveLength(2);
    stopForwarding();
    expect(updates.listenerCount('update')).toBe(0);
  });
});

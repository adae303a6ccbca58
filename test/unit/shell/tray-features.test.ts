// The tray features' shell decisions with the `electron` double: the global shortcut
// (registered, taken by another app, changed, turned off), popups that replace their
// pipeline's last one, popup buttons that mute, a click that opens the run, sound by
// severity, and the tray's Mute menu and shortcut warning.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import { SettingsSchema } from '../../../shared/config.js';
import { pipelineKey, type Mute } from '../../../shared/mutes.js';
import { createElectronDesktopChannel, popupRequestFor } from '../../../electron/shell/desktop-channel.js';
import { withShellHandlers } from '../../../electron/shell/lifecycle.js';
import { createElectronNotifier } from '../../../electron/shell/notify.js';
import { collapsePopups, COLLAPSE_QUIET_MS, electronPopupButtons, popupClickTarget } from '../../../electron/shell/popups.js';
import { createShortcutController, shortcutState } from '../../../electron/shell/shortcut.js';
import { buildTrayMenu, deriveTrayState, trayPipelines, type TrayActions } from '../../../electron/shell/tray-model.js';
import type { ApiHandlers } from '../../../shared/api.js';
import { DesktopChannelSchema } from '../../../shared/config.js';
import { electron, resetElectronDouble } from '../../helpers/electron-double.js';
import { makeEvent } from '../../helpers/fake-event.js';

const T0 = 1_746_000_000_000;
const NOW = new Date(2025, 4, 6, 14, 10, 0);
beforeEach(() => resetElectronDouble());

describe('global shortcut', () => {
  it('shortcutState: registered, taken, refused, malformed, off', () => {
    expect(shortcutState('CommandOrControl+Shift+H', true)).toEqual({ accelerator: 'CommandOrControl+Shift+H', registered: true });
    expect(shortcutState('CommandOrControl+Shift+H', false)).toEqual({
      accelerator: 'CommandOrControl+Shift+H',
      registered: false,
      problem: 'the shortcut CommandOrControl+Shift+H is taken by another app: choose another one in Settings',
    });
    expect(shortcutState('Super+L', new Error('grab failed')).problem).toBe('the system refused the shortcut Super+L: grab failed');
    expect(shortcutState('Ctrl+Banana', undefined).problem).toBe('the shortcut Ctrl+Banana "Banana" is not a key Electron knows (A–Z, 0–9, F1–F24, Space, Up, Plus…)');
    expect(shortcutState('', undefined)).toEqual({ accelerator: '', registered: false });
  });

  it('registers, opens Herald on press, reports a held one, re-registers when changed, releases the old one', () => {
    const { globalShortcut } = electron;
    const onPress = vi.fn();
    const onChange = vi.fn();
    const shortcut = createShortcutController(globalShortcut, onPress, onChange);
    expect(shortcut.apply('CommandOrControl+Shift+H')).toMatchObject({ registered: true });
    globalShortcut.press('CommandOrControl+Shift+H');
    expect(onPress).toHaveBeenCalledTimes(1);
    // The same one again (settings saved for another reason): left alone, no second registration.
    shortcut.apply('CommandOrControl+Shift+H');
    expect(globalShortcut.register).toHaveBeenCalledTimes(1);

    // Another app holds the new one: not lost silently — the state says so, and the old one is released.
    globalShortcut.held.add('Alt+Space');
    expect(shortcut.apply('Alt+Space')).toEqual({ accelerator: 'Alt+Space', registered: false, problem: 'the shortcut Alt+Space is taken by another app: choose another one in Settings' });
    expect(globalShortcut.isRegistered('CommandOrControl+Shift+H')).toBe(false);
    expect(onChange).toHaveBeenLastCalledWith(shortcut.state());

    // A free one works again; turning it off releases it.
    expect(shortcut.apply('Super+F9')).toMatchObject({ registered: true });
    expect(shortcut.apply('')).toEqual({ accelerator: '', registered: false });
    expect(globalShortcut.registered.size).toBe(0);
    shortcut.apply('Super+F9');
    shortcut.dispose();
    expect(globalShortcut.registered.size).toBe(0);
  });

  it('the shell answers shortcut.status (the hub says unsupported)', async () => {
    const hub = { 'shortcut.status': vi.fn(async () => ({ supported: false, accelerator: 'x', registered: false })) } as unknown as ApiHandlers;
    const autostart = { supported: false, get: async () => false, set: async () => false };
    const handlers = withShellHandlers(hub, autostart, () => ({ accelerator: 'Alt+Space', registered: false, problem: 'taken' }));
    await expect(handlers['shortcut.status']({})).resolves.toEqual({ supported: true, accelerator: 'Alt+Space', registered: false, problem: 'taken' });
    expect(hub['shortcut.status']).not.toHaveBeenCalled();
  });
});

describe('Electron popups: replacement, buttons, click, sound', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 }));
  afterEach(() => vi.useRealTimers());
  const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });

  it('"still failing (2)" closes the pipeline’s earlier popup; another pipeline’s stays', async () => {
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => false, platform: 'linux' });
    const channel = createElectronDesktopChannel(notifier);
    const send = (over: Parameters<typeof makeEvent>[0]) => channel.send({ event: makeEvent(over) }, config, {}, new AbortController().signal);
    await send({ id: 'a1', title: 'ci failed on main' });
    await send({ id: 'b1', title: 'ci failed on dev', subject: { project: 'acme/api', pipeline: 'ci', branch: 'dev' } });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    const [first, other] = electron.created.notifications;
    const closed = vi.fn();
    first!.on('close', closed);
    await send({ id: 'a2', title: 'ci still failing (2) on main' });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    expect(electron.created.notifications.map((n) => n.options.title)).toEqual(['✖ ci failed on main · acme/api', '✖ ci failed on dev · acme/api', '✖ ci still failing (2) on main · acme/api']);
    expect(closed).toHaveBeenCalledTimes(1);
    const otherClosed = vi.fn();
    other!.on('close', otherClosed);
    await send({ id: 'a3', type: 'pipeline.recovered', severity: 'success', title: 'ci recovered after 2 failures on main' });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    expect(otherClosed).not.toHaveBeenCalled();
  });

  it('in one burst, only the pipeline’s newest popup is shown', () => {
    const key = '["gh","acme/api","ci","main"]';
    const queue = [
      { eventId: 'a1', title: 'failed', body: '', queuedAt: T0, replaceKey: key },
      { eventId: 'x', title: 'other', body: '', queuedAt: T0 + 1 },
      { eventId: 'a2', title: 'still failing (2)', body: '', queuedAt: T0 + 2, replaceKey: key },
    ];
    expect(collapsePopups(queue, T0 + 10_000).show.map((p) => p.kind === 'single' && p.eventId)).toEqual(['x', 'a2']);
  });

  it('buttons on macOS and Windows mute the pipeline; Linux Electron shows none', async () => {
    const mute = makeEvent();
    const actions = popupRequestFor({ event: mute }, config).actions;
    expect(electronPopupButtons(actions, 'darwin').map((a) => a.label)).toEqual(['Mute 1 h', 'Mute until it passes']);
    expect(electronPopupButtons(actions, 'win32')).toHaveLength(2);
    expect(electronPopupButtons(actions, 'linux')).toEqual([]);

    const onCommand = vi.fn();
    const notifier = createElectronNotifier({ openEvent: vi.fn(), onCommand, muted: () => false, platform: 'darwin' });
    await createElectronDesktopChannel(notifier).send({ event: mute }, config, {}, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    const [shown] = electron.created.notifications;
    expect(shown!.options.actions).toEqual([
      { type: 'button', text: 'Mute 1 h' },
      { type: 'button', text: 'Mute until it passes' },
    ]);
    shown!.simulateAction(1);
    expect(onCommand).toHaveBeenCalledWith({ kind: 'mute', eventId: mute.id, untilPasses: true });
    shown!.simulateAction(0);
    expect(onCommand).toHaveBeenLastCalledWith({ kind: 'mute', eventId: mute.id, minutes: 60 });
  });

  it('a click opens the run in the browser; without a web link, the event in Herald', async () => {
    expect(popupClickTarget({ eventId: 'e', url: 'https://ci.test/run/1' })).toEqual({ kind: 'url', url: 'https://ci.test/run/1' });
    expect(popupClickTarget({ eventId: 'e', url: 'file:///etc/passwd' })).toEqual({ kind: 'window', eventId: 'e' });
    const openUrl = vi.fn();
    const openEvent = vi.fn();
    const notifier = createElectronNotifier({ openEvent, openUrl, muted: () => false, platform: 'linux' });
    await notifier.notify({ eventId: 'e1', title: 't', body: 'b', url: 'https://ci.test/run/1' });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    electron.created.notifications[0]!.simulateClick();
    expect(openUrl).toHaveBeenCalledWith('https://ci.test/run/1');
    expect(openEvent).not.toHaveBeenCalled();
  });

  it('sound: critical by default, per the settings, silent in quiet hours (Notification.silent)', () => {
    const settings = SettingsSchema.parse({});
    const at = new Date(2025, 4, 6, 23, 0);
    expect(popupRequestFor({ event: makeEvent({ severity: 'critical' }) }, config, settings, at).sound).toBe(true);
    expect(popupRequestFor({ event: makeEvent({ severity: 'warning' }) }, config, settings, at).sound).toBe(false);
    expect(popupRequestFor({ event: makeEvent({ severity: 'warning' }) }, config, { ...settings, sound: { ...settings.sound, warning: true } }, at).sound).toBe(true);
    expect(popupRequestFor({ event: makeEvent() }, config, { ...settings, quietHours: { start: '22:00', end: '07:00' } }, at).sound).toBe(false);
  });
});

describe('tray: Mute a pipeline, shortcut warning', () => {
  const status = { counts: { events: 3, unread: 0, pendingDeliveries: 0, failedDeliveries: 0 }, channels: [], sources: [] };
  const settings = SettingsSchema.parse({});
  const failedMain = makeEvent({ id: 'f1' });
  const failedDev = makeEvent({ id: 'f2', subject: { project: 'acme/api', pipeline: 'ci', branch: 'dev' } });
  const passedDev = makeEvent({ id: 'p2', type: 'pipeline.succeeded', severity: 'success', subject: failedDev.subject });
  const mainKey = pipelineKey({ sourceId: 'gh', project: 'acme/api', pipeline: 'ci', branch: 'main' });

  it('lists pipelines whose newest event failed, once each; a passed one is left out; a muted one stays to lift', () => {
    const mute: Mute = { key: mainKey, sourceId: 'gh', untilPasses: true, createdAt: NOW.toISOString() };
    // Newest first: dev passed after failing; main failed twice.
    expect(trayPipelines([passedDev, failedMain, failedDev, failedMain], [])).toEqual([{ key: mainKey, label: 'acme/api · ci · main', eventId: 'f1' }]);
    expect(trayPipelines([makeEvent({ id: 'r', type: 'pipeline.recovered' }), failedMain], [mute])).toEqual([
      { key: mainKey, label: 'acme/api · ci · main', eventId: 'r', mutedUntil: 'passes' },
    ]);
  });

  it('the menu mutes for 1 h or until it passes, lifts a mute, and warns about a taken shortcut', () => {
    const actions: TrayActions = {
      openEvent: vi.fn(),
      markAllRead: vi.fn(),
      setSnooze: vi.fn(),
      openWindow: vi.fn(),
      quit: vi.fn(),
      mute: vi.fn(),
      liftMute: vi.fn(),
    };
    const state = deriveTrayState({
      status,
      latest: [failedMain, failedDev],
      criticalUnread: 0,
      settings,
      now: NOW,
      mutes: [{ key: pipelineKey({ sourceId: 'gh', project: 'acme/api', pipeline: 'ci', branch: 'dev' }), sourceId: 'gh', untilPasses: false, until: new Date(NOW.getTime() + 3_600_000).toISOString(), createdAt: NOW.toISOString() }],
      shortcutProblem: 'the shortcut Alt+Space is taken by another app: choose another one in Settings',
    });
    const menu = electron.Menu.buildFromTemplate(buildTrayMenu(state, actions, { now: NOW, platform: 'linux' }));
    expect(menu.items[0]!.label).toBe('⚠ Global shortcut not registered: see Settings');
    menu.items[0]!.click();
    expect(actions.openWindow).toHaveBeenCalled();
    const submenu = menu.getMenuItemById('mute')!.submenu!;
    expect(submenu.items.map((i) => i.label)).toEqual(['acme/api · ci · main', 'acme/api · ci · dev (muted until 15:10)']);
    menu.getMenuItemById(`mute-1h:${mainKey}`)!.click();
    expect(actions.mute).toHaveBeenCalledWith('f1', { minutes: 60 });
    menu.getMenuItemById(`mute-pass:${mainKey}`)!.click();
    expect(actions.mute).toHaveBeenLastCalledWith('f1', { untilPasses: true });
    menu.getMenuItemById(`lift:${pipelineKey({ sourceId: 'gh', project: 'acme/api', pipeline: 'ci', branch: 'dev' })}`)!.click();
    expect(actions.liftMute).toHaveBeenCalledTimes(1);
  });
});

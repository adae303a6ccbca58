// A test double of the `electron` module (its runtime cannot be downloaded here). It keeps
// Electron's observable rules where the shell relies on them: IPC payloads are structured-
// cloned (functions throw), a second ipcMain.handle for a channel throws, invoke without a
// handler rejects, contextBridge refuses to overwrite a key, Menu.buildFromTemplate rejects
// items without label/role/type, app.quit runs before-quit → close windows → will-quit → quit
// and stops where a listener calls preventDefault, nativeImage of a missing file is empty.
//
// Use:  vi.mock('electron', async () => (await import('../helpers/electron-double.js')).electronModule);
//       import { electron, resetElectronDouble } from '../helpers/electron-double.js';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';

type AnyFn = (...args: any[]) => any;

/** Electron's event objects: preventDefault plus the event's own fields. */
export function electronEvent<P extends object>(params: P): P & { preventDefault(): void; defaultPrevented: boolean } {
  const event = {
    ...params,
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

// One double per test file, even when vi.resetModules() makes this module load again (a
// module under test and the test itself must see the same app, ipcMain, windows…).
// Keyed by this file's `vi` (which resetModules leaves alone), so test files never share one.
const SHARED = Symbol.for('herald.test.electron-double');
type Shared = { objects?: ReturnType<typeof createObjects>; registry?: Registry };
const perRunner = ((globalThis as Record<symbol, unknown>)[SHARED] ??= new WeakMap<object, Shared>()) as WeakMap<object, Shared>;
const shared: Shared = perRunner.get(vi) ?? {};
perRunner.set(vi, shared);
type Registry = { windows: FakeBrowserWindow[]; trays: FakeTray[]; notifications: FakeNotification[] };
const registry: Registry = (shared.registry ??= { windows: [], trays: [], notifications: [] });

export class FakeWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  url = '';
  destroyed = false;
  windowOpenHandler: AnyFn | undefined;
  readonly sent: Array<{ channel: string; args: unknown[] }> = [];
  readonly loadURL = vi.fn(async (url: string) => {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.url = url;
  });

  getURL(): string {
    return this.url;
  }
  readonly reload = vi.fn();
  /** The renderer process died (Electron's details: reason, exitCode). */
  simulateRenderProcessGone(reason: string, exitCode = 1): void {
    this.emit('render-process-gone', electronEvent({}), { reason, exitCode });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Main → renderer: cloned like Electron does, then handed to the (single) renderer's ipcRenderer. */
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    const cloned = structuredClone(args);
    this.sent.push({ channel, args: cloned });
    ipcRenderer.deliver(channel, cloned);
  }
  setWindowOpenHandler(handler: AnyFn): void {
    this.windowOpenHandler = handler;
  }

  /** The page navigates itself (a link, location.href = …): true when nothing prevented it. */
  simulateNavigation(url: string, kind: 'will-navigate' | 'will-redirect' | 'will-frame-navigate' = 'will-navigate', isMainFrame = true): boolean {
    const event = electronEvent({ url, isSameDocument: false, isMainFrame, frame: null, initiator: null });
    if (kind === 'will-frame-navigate') this.emit(kind, event);
    else this.emit(kind, event, url, false, isMainFrame, 0, 0);
    return !event.defaultPrevented;
  }
  /** The page calls window.open / a target=_blank link; without a handler Electron allows it. */
  simulateWindowOpen(url: string): { action: 'allow' | 'deny' } {
    if (!this.windowOpenHandler) return { action: 'allow' };
    return this.windowOpenHandler({
      url,
      frameName: '',
      features: '',
      disposition: 'foreground-tab',
      referrer: { url: this.url, policy: 'strict-origin-when-cross-origin' },
    });
  }
  simulateWebviewAttach(): boolean {
    const event = electronEvent({});
    this.emit('will-attach-webview', event, {}, {});
    return !event.defaultPrevented;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  visible = false;
  destroyed = false;
  minimized = false;
  focused = false;
  private shownOnce = false;

  constructor(readonly options: Record<string, any> = {}) {
    super();
    const preload = options.webPreferences?.preload;
    if (preload !== undefined && (typeof preload !== 'string' || !path.isAbsolute(preload))) {
      throw new Error('webPreferences.preload must be an absolute path');
    }
    registry.windows.push(this);
  }
  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url).then(() => {
      if (!this.shownOnce) {
        this.shownOnce = true;
        this.emit('ready-to-show');
      }
    });
  }
  show(): void {
    this.visible = true;
    this.focused = true;
  }
  hide(): void {
    this.visible = false;
    this.focused = false;
  }
  focus(): void {
    this.focused = true;
  }
  restore(): void {
    this.minimized = false;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** As the user's close button: listeners of 'close' may prevent it. */
  close(): void {
    if (this.destroyed) return;
    const event = electronEvent({});
    this.emit('close', event);
    if (!event.defaultPrevented) this.destroy();
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, AnyFn>();
  handle(channel: string, handler: AnyFn): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

class FakeIpcRenderer extends EventEmitter {
  /** The URL of the frame main sees as the sender (event.senderFrame.url); null = frame gone. */
  senderUrl: string | null = 'app://herald/index.html';

  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = ipcMain.handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    const event = { sender: null, senderFrame: this.senderUrl === null ? null : { url: this.senderUrl }, processId: 1, frameId: 1 };
    let result: unknown;
    try {
      result = await handler(event, ...structuredClone(args));
    } catch (err) {
      throw new Error(`Error invoking remote method '${channel}': ${String(err)}`);
    }
    return structuredClone(result);
  }
  deliver(channel: string, args: unknown[]): void {
    this.emit(channel, { sender: this, senderId: 0 }, ...args);
  }
}

class FakeContextBridge {
  exposed: Record<string, unknown> = {};
  exposeInMainWorld(key: string, api: unknown): void {
    if (key in this.exposed) throw new Error('Cannot bind an API on top of an existing property on the window object');
    this.exposed[key] = api;
  }
}

export interface FakeImage {
  path: string;
  isEmpty(): boolean;
}

export class FakeTray extends EventEmitter {
  tooltip = '';
  menu: FakeMenu | null = null;
  destroyed = false;
  constructor(public image: FakeImage) {
    super();
    registry.trays.push(this);
  }
  setImage(image: FakeImage): void {
    this.image = image;
  }
  setToolTip(tooltip: string): void {
    this.tooltip = tooltip;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

const MENU_ITEM_TYPES = ['normal', 'separator', 'submenu', 'checkbox', 'radio', 'header', 'palette'];

export class FakeMenuItem {
  readonly id?: string;
  readonly label: string;
  readonly type: string;
  readonly enabled: boolean;
  readonly submenu?: FakeMenu;
  private readonly onClick?: AnyFn;
  constructor(options: Record<string, any>) {
    if (options.label === undefined && options.role === undefined && options.type === undefined) {
      throw new Error('Invalid template for MenuItem: must have at least one of label, role or type');
    }
    if (options.type !== undefined && !MENU_ITEM_TYPES.includes(options.type)) throw new Error(`Unknown menu item type: ${options.type}`);
    if (options.click !== undefined && typeof options.click !== 'function') throw new Error('Invalid menu item: click must be a function');
    this.id = options.id;
    this.label = options.label ?? '';
    this.type = options.type ?? (options.submenu ? 'submenu' : 'normal');
    this.enabled = options.enabled ?? true;
    this.submenu = options.submenu ? Menu.buildFromTemplate(options.submenu) : undefined;
    this.onClick = options.click;
  }
  /** As a user click: nothing happens on a disabled item. */
  click(): void {
    if (this.enabled) this.onClick?.(this, undefined, {});
  }
}

export class FakeMenu {
  constructor(readonly items: FakeMenuItem[]) {}
  getMenuItemById(id: string): FakeMenuItem | null {
    for (const item of this.items) {
      if (item.id === id) return item;
      const nested = item.submenu?.getMenuItemById(id);
      if (nested) return nested;
    }
    return null;
  }
}

export class FakeNotification extends EventEmitter {
  static supported = true;
  static isSupported(this: { supported: boolean }): boolean {
    return this.supported;
  }
  shown = false;
  constructor(readonly options: Record<string, any> = {}) {
    super();
    registry.notifications.push(this);
  }
  show(): void {
    this.shown = true;
    this.emit('show', electronEvent({}));
  }
  close(): void {
    this.emit('close', electronEvent({}));
  }
  /** As the user clicking the popup. */
  simulateClick(): void {
    this.emit('click', electronEvent({}));
  }
  /** As the user pressing one of its buttons (Electron 45: details first, the index also as the deprecated second argument). */
  simulateAction(actionIndex: number): void {
    this.emit('action', electronEvent({ actionIndex, selectionIndex: -1 }), actionIndex);
  }
}

/**
 * globalShortcut: `held` are accelerators another app owns (register answers false, as
 * Electron does); a malformed accelerator throws; `press` is the user pressing one.
 */
class FakeGlobalShortcut {
  readonly registered = new Map<string, AnyFn>();
  readonly held = new Set<string>();
  readonly register = vi.fn((accelerator: string, callback: AnyFn): boolean => {
    if (!/^([A-Za-z]+\+)*[^+]+$/.test(accelerator)) throw new Error(`Failed to parse accelerator ${accelerator}`);
    if (this.held.has(accelerator) || this.registered.has(accelerator)) return false;
    this.registered.set(accelerator, callback);
    return true;
  });
  readonly unregister = vi.fn((accelerator: string) => void this.registered.delete(accelerator));
  readonly unregisterAll = vi.fn(() => this.registered.clear());
  isRegistered(accelerator: string): boolean {
    return this.registered.has(accelerator);
  }
  press(accelerator: string): void {
    this.registered.get(accelerator)?.();
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  quitted = false;
  loginItem = { openAtLogin: false, path: undefined as string | undefined, args: undefined as string[] | undefined };
  readonly requestSingleInstanceLock = vi.fn(() => true);
  readonly setAppUserModelId = vi.fn();
  /** Chromium switches set before `ready` (js-flags for the main process's V8). */
  readonly commandLine = {
    switches: new Map<string, string>(),
    appendSwitch: vi.fn((name: string, value = '') => void this.commandLine.switches.set(name, value)),
    getSwitchValue: vi.fn((name: string) => this.commandLine.switches.get(name) ?? ''),
  };
  readonly whenReady = vi.fn(async () => undefined);
  readonly getVersion = vi.fn(() => '0.0.0-test');
  readonly getPath = vi.fn((name: string) => path.join('/nonexistent/herald-double', name));
  /** `electron <repo>` in development: the folder holding package.json. */
  readonly getAppPath = vi.fn(() => path.resolve(import.meta.dirname, '../..'));
  readonly exit = vi.fn();
  /** Start the app again once this instance has exited. */
  readonly relaunch = vi.fn();
  readonly setLoginItemSettings = vi.fn((settings: { openAtLogin?: boolean; path?: string; args?: string[] }) => {
    this.loginItem = { openAtLogin: settings.openAtLogin ?? false, path: settings.path, args: settings.args };
  });
  readonly getLoginItemSettings = vi.fn((options?: { path?: string; args?: string[] }) => {
    // Windows answers for the exact path + args it was registered with.
    const matches = options?.path === undefined || (options.path === this.loginItem.path && JSON.stringify(options.args ?? []) === JSON.stringify(this.loginItem.args ?? []));
    return { openAtLogin: matches && this.loginItem.openAtLogin, wasOpenedAtLogin: false, executableWillLaunchAtLogin: false, launchItems: [], status: 'not-registered' };
  });
  /** Electron's order: before-quit, windows close, will-quit, quit; a preventDefault stops it there. */
  readonly quit = vi.fn(() => {
    const before = electronEvent({});
    this.emit('before-quit', before);
    if (before.defaultPrevented) return;
    for (const win of [...registry.windows]) win.close();
    if (registry.windows.some((w) => !w.isDestroyed())) return; // a window refused to close
    const will = electronEvent({});
    this.emit('will-quit', will);
    if (will.defaultPrevented) return;
    this.quitted = true;
    this.emit('quit', electronEvent({}), 0);
  });
}

function createObjects() {
  const Menu = {
    buildFromTemplate(template: unknown): FakeMenu {
      if (!Array.isArray(template)) throw new TypeError('Invalid template for Menu: Menu template must be an array');
      return new FakeMenu(template.map((item) => new FakeMenuItem(item as Record<string, any>)));
    },
    setApplicationMenu: vi.fn(),
  };
  const protocol = {
    handlers: new Map<string, AnyFn>(),
    registerSchemesAsPrivileged: vi.fn(),
    handle(scheme: string, handler: AnyFn): void {
      if (protocol.handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
      protocol.handlers.set(scheme, handler);
    },
    unhandle(scheme: string): void {
      protocol.handlers.delete(scheme);
    },
  };
  return {
    app: new FakeApp(),
    BrowserWindow: FakeBrowserWindow,
    ipcMain: new FakeIpcMain(),
    ipcRenderer: new FakeIpcRenderer(),
    contextBridge: new FakeContextBridge(),
    shell: {
      openExternal: vi.fn(async (url: string) => {
        if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) throw new Error(`Invalid URL: ${url}`);
      }),
    },
    Tray: FakeTray,
    Menu,
    nativeImage: {
      createFromPath: vi.fn((file: string): FakeImage => ({ path: file, isEmpty: () => !existsSync(file) })),
    },
    Notification: FakeNotification,
    globalShortcut: new FakeGlobalShortcut(),
    /** emit('suspend' | 'resume' | 'lock-screen' | 'unlock-screen') as the OS does. */
    powerMonitor: new EventEmitter(),
    protocol,
    session: { defaultSession: { setPermissionRequestHandler: vi.fn() } },
    /** showMessageBox answers the first button (mockResolvedValueOnce to choose another). */
    dialog: { showErrorBox: vi.fn(), showMessageBox: vi.fn(async (_options: { buttons?: string[] }) => ({ response: 0, checkboxChecked: false })) },
  };
}

const objects = (shared.objects ??= createObjects());
const { app, ipcMain, ipcRenderer, contextBridge, Menu, powerMonitor } = objects;

export const electron = {
  ...objects,
  /** What the double created, for assertions. */
  created: registry,
};

/** The module as `import … from 'electron'` sees it: named exports and a default. */
export const electronModule = { ...electron, default: electron };

export function resetElectronDouble(): void {
  registry.windows.length = 0;
  registry.trays.length = 0;
  registry.notifications.length = 0;
  for (const emitter of [app, ipcMain, ipcRenderer, powerMonitor]) emitter.removeAllListeners();
  ipcMain.handlers.clear();
  ipcRenderer.senderUrl = 'app://herald/index.html';
  contextBridge.exposed = {};
  objects.protocol.handlers.clear();
  objects.Notification.supported = true;
  objects.globalShortcut.registered.clear();
  objects.globalShortcut.held.clear();
  app.isPackaged = false;
  app.quitted = false;
  app.loginItem = { openAtLogin: false, path: undefined, args: undefined };
  vi.clearAllMocks();
}

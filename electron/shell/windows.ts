// The Herald window: created on demand with locked-down options, hidden (not destroyed)
// when closed so Herald stays in the tray, destroyed only when the app quits.
import { BrowserWindow, type BrowserWindowConstructorOptions, type WebContents } from 'electron';
import { appPageHref, type AppPage, eventHref } from '../../shared/app-routes.js';
import { APP_NAME, APP_ORIGIN } from './identity.js';
import { installNavigationGuards } from './security.js';

export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    title: APP_NAME,
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#1f2937',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}

/** Where the window opens: one event's detail (in History), a page, or wherever it was. */
export interface WindowRoute {
  eventId?: string;
  page?: AppPage;
}

/** The renderer's own hash routes (shared/app-routes.ts). */
export function appPageUrl(route: WindowRoute = {}): string {
  const hash = route.eventId !== undefined ? eventHref(route.eventId) : route.page !== undefined ? appPageHref(route.page) : '';
  return `${APP_ORIGIN}/index.html${hash}`;
}

export interface WindowManager {
  /** Shows the window (creating it if needed); with an event id or a page, opens that. */
  show(route?: WindowRoute): void;
  /** Every live window's webContents, for pushing updates. */
  contents(): WebContents[];
}

export interface WindowManagerOptions {
  preloadPath: string;
  /** True once the user chose Quit: then closing really closes. */
  isQuitting(): boolean;
  /** The close button hid the window (Herald stays in the tray). */
  onHiddenToTray?(): void;
  onError?(err: unknown): void;
}

export function createWindowManager(opts: WindowManagerOptions): WindowManager {
  let win: BrowserWindow | null = null;

  const create = (url: string): BrowserWindow => {
    const created = new BrowserWindow(mainWindowOptions(opts.preloadPath));
    installNavigationGuards(created.webContents, APP_ORIGIN, opts.onError);
    created.on('close', (event) => {
      if (opts.isQuitting()) return;
      event.preventDefault(); // closing keeps Herald in the tray
      created.hide();
      opts.onHiddenToTray?.();
    });
    created.on('closed', () => {
      if (win === created) win = null;
    });
    created.once('ready-to-show', () => created.show());
    // The window lives hidden for days: a renderer that crashed or was killed (out of memory)
    // would leave it blank when next shown. Shown: load the page again; hidden: let it go, the
    // next show makes a new one.
    created.webContents.on('render-process-gone', (_event, details) => {
      if (details.reason === 'clean-exit' || created.isDestroyed()) return; // closed on purpose (Quit)
      opts.onError?.(new Error(`the window's page stopped (${details.reason}, exit code ${details.exitCode}); ${created.isVisible() ? 'loading it again' : 'it is made anew when next opened'}`));
      if (created.isVisible()) created.webContents.reload();
      else created.destroy();
    });
    created.loadURL(url).catch((err: unknown) => opts.onError?.(err));
    return created;
  };

  return {
    show(route = {}) {
      const url = appPageUrl(route);
      if (!win || win.isDestroyed()) {
        win = create(url);
      } else {
        // Same document, new hash: the renderer routes without a reload.
        if (route.eventId !== undefined || route.page !== undefined) win.loadURL(url).catch((err: unknown) => opts.onError?.(err));
        if (win.isMinimized()) win.restore();
        win.show();
        win.focus();
      }
    },
    contents() {
      return win && !win.isDestroyed() ? [win.webContents] : [];
    },
  };
}

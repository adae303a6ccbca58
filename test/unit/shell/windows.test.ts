import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import type { WebContents } from 'electron';
import { registerAppScheme, resolveAppAsset, respondWithAsset, serveRenderer } from '../../../electron/shell/app-protocol.js';
import { APP_ORIGIN } from '../../../electron/shell/identity.js';
import { installNavigationGuards } from '../../../electron/shell/security.js';
import { classifyNavigation, CONTENT_SECURITY_POLICY, isAllowedExternalUrl } from '../../../electron/shell/url-policy.js';
import { appPageUrl, createWindowManager, mainWindowOptions } from '../../../electron/shell/windows.js';
import { PAGES, parseRoute } from '../../../renderer/app/route.js';
import { closeToTrayNotice, createCloseToTrayNotifier, type CloseToTrayNotice } from '../../../electron/shell/close-to-tray.js';
import { electron, FakeWebContents, resetElectronDouble } from '../../helpers/electron-double.js';

const PRELOAD = path.resolve('/opt/herald/dist/electron/preload.cjs');

beforeEach(() => resetElectronDouble());

describe('BrowserWindow options', () => {
  it('isolates the renderer: context isolation, sandbox, no Node, web security, no webview', () => {
    const options = mainWindowOptions(PRELOAD);
    expect(options.webPreferences).toEqual({
      preload: PRELOAD,
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
    });
    expect(options.show).toBe(false); // shown on ready-to-show, no white flash
  });

  it('the window manager creates its window with exactly those options and loads the app page', async () => {
    const windows = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => false });
    windows.show();
    const [win] = electron.created.windows;
    expect(win!.options).toEqual(mainWindowOptions(PRELOAD));
    await vi.waitFor(() => expect(win!.visible).toBe(true));
    expect(win!.webContents.loadURL).toHaveBeenCalledWith('app://herald/index.html');
  });

  it('the CSP allows only the app itself: no inline script, no eval, no remote anything', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-|https?:|\*/);
  });
});

describe('closing and reopening', () => {
  it('closing hides the window (Herald stays in the tray); show() brings the same one back', async () => {
    const windows = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => false });
    windows.show();
    const [win] = electron.created.windows;
    await vi.waitFor(() => expect(win!.visible).toBe(true));
    win!.close();
    expect(win!.isDestroyed()).toBe(false);
    expect(win!.visible).toBe(false);
    windows.show();
    expect(electron.created.windows).toHaveLength(1);
    expect(win!.visible).toBe(true);
    expect(windows.contents()).toEqual([win!.webContents]);
  });

  it('the first close says, once ever, that Herald keeps running and how to get back (not a quit)', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'herald-close-'));
    try {
      const shown: CloseToTrayNotice[] = [];
      const notifier = () => createCloseToTrayNotifier({ dataDir, show: (n) => shown.push(n), notice: () => closeToTrayNotice('linux', 'CommandOrControl+Shift+H') });
      let quitting = false;
      const windows = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => quitting, onHiddenToTray: notifier() });
      windows.show();
      const [win] = electron.created.windows;
      win!.close();
      windows.show();
      win!.close();
      expect(shown).toEqual([
        {
          title: 'Herald is still running in the tray',
          body: 'Closing the window does not stop it: popups keep coming. Open it again with the tray icon, Ctrl+Shift+H or starting Herald again; quit from the tray menu.',
        },
      ]);
      // The next start remembers it was said; a quit's close says nothing.
      const again = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => quitting, onHiddenToTray: notifier() });
      again.show();
      electron.created.windows[1]!.close();
      quitting = true;
      win!.close();
      expect(shown).toHaveLength(1);
      expect(closeToTrayNotice('darwin', undefined)).toEqual({
        title: 'Herald is still running in the menu bar',
        body: 'Closing the window does not stop it: popups keep coming. Open it again with the menu bar icon or starting Herald again; quit from the menu bar menu.',
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('the routes the shell opens are the ones the renderer reads: an event in History, a page, else Now', () => {
    const routeOf = (url: string) => parseRoute(new URL(url).hash);
    expect(routeOf(appPageUrl({ eventId: '01JX/ab#c d' }))).toEqual({ page: 'history', param: '01JX/ab#c d' });
    for (const page of PAGES) expect(routeOf(appPageUrl({ page }))).toEqual({ page });
    expect(routeOf(appPageUrl())).toEqual({ page: 'now' });
    // An open window is moved to the page asked for.
    const windows = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => false });
    windows.show();
    windows.show({ page: 'settings' });
    expect(electron.created.windows).toHaveLength(1);
    expect(electron.created.windows[0]!.webContents.loadURL).toHaveBeenLastCalledWith('app://herald/index.html#/settings');
  });

  it('a page that crashed is not left blank: shown, it loads again; hidden, the next show makes a new window', async () => {
    const onError = vi.fn();
    const windows = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => false, onError });
    windows.show();
    const [first] = electron.created.windows;
    await vi.waitFor(() => expect(first!.visible).toBe(true));
    first!.webContents.simulateRenderProcessGone('crashed');
    expect(first!.webContents.reload).toHaveBeenCalledTimes(1);
    expect(first!.isDestroyed()).toBe(false);
    first!.close(); // to the tray
    first!.webContents.simulateRenderProcessGone('oom');
    expect(first!.isDestroyed()).toBe(true);
    expect(onError).toHaveBeenLastCalledWith(new Error("the window's page stopped (oom, exit code 1); it is made anew when next opened"));
    windows.show({ eventId: 'e1' });
    expect(electron.created.windows).toHaveLength(2);
    expect(electron.created.windows[1]!.webContents.loadURL).toHaveBeenCalledWith('app://herald/index.html#/history/e1');
  });

  it('once quitting, closing really closes', () => {
    let quitting = false;
    const windows = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => quitting });
    windows.show();
    quitting = true;
    electron.created.windows[0]!.close();
    expect(electron.created.windows[0]!.isDestroyed()).toBe(true);
    expect(windows.contents()).toEqual([]);
  });

  it('opening an event routes the page to it (id encoded)', () => {
    const windows = createWindowManager({ preloadPath: PRELOAD, isQuitting: () => false });
    windows.show({ eventId: 'a/b#c' });
    expect(electron.created.windows[0]!.webContents.loadURL).toHaveBeenLastCalledWith('app://herald/index.html#/history/a%2Fb%23c');
    windows.show({ eventId: 'e2' });
    expect(electron.created.windows).toHaveLength(1);
    expect(electron.created.windows[0]!.webContents.loadURL).toHaveBeenLastCalledWith(appPageUrl({ eventId: 'e2' }));
  });
});

describe('navigation guards', () => {
  function guarded(): FakeWebContents {
    const contents = new FakeWebContents();
    installNavigationGuards(contents as unknown as WebContents, APP_ORIGIN);
    return contents;
  }

  const rows: Array<[string, 'app' | 'external' | 'deny']> = [
    ['app://herald/index.html#/events/1', 'app'],
    ['app://herald/settings', 'app'],
    ['https://github.com/acme/api/actions/runs/1', 'external'],
    ['http://jenkins.internal:8080/job/x/', 'external'],
    ['file:///etc/passwd', 'deny'],
    ['javascript:alert(document.cookie)', 'deny'],
    ['data:text/html,<script>alert(1)</script>', 'deny'],
    ['ms-settings:privacy', 'deny'],
    ['app://evil/index.html', 'deny'],
    ['https://user:secret@example.com/', 'deny'],
    ['not a url', 'deny'],
    [`https://example.com/${'a'.repeat(3000)}`, 'deny'],
  ];

  it.each(rows)('%s → %s', (url, verdict) => {
    expect(classifyNavigation(url, APP_ORIGIN)).toBe(verdict);
    expect(isAllowedExternalUrl(url)).toBe(verdict === 'external');
  });

  it.each(rows)('will-navigate to %s: only the app proceeds; only http(s) opens in the OS browser', (url, verdict) => {
    const proceeded = guarded().simulateNavigation(url);
    expect(proceeded).toBe(verdict === 'app');
    if (verdict === 'external') expect(electron.shell.openExternal).toHaveBeenCalledWith(url);
    else expect(electron.shell.openExternal).not.toHaveBeenCalled();
  });

  it.each(rows)('window.open(%s) is denied; only http(s) opens in the OS browser', (url, verdict) => {
    expect(guarded().simulateWindowOpen(url)).toEqual({ action: 'deny' });
    if (verdict === 'external') expect(electron.shell.openExternal).toHaveBeenCalledWith(url);
    else expect(electron.shell.openExternal).not.toHaveBeenCalled();
  });

  it('a redirect away from the app is stopped and opens nothing; so are foreign subframes and webviews', () => {
    const contents = guarded();
    expect(contents.simulateNavigation('https://example.com/', 'will-redirect')).toBe(false);
    expect(contents.simulateNavigation('https://example.com/', 'will-frame-navigate', false)).toBe(false);
    expect(contents.simulateNavigation('app://herald/frame.html', 'will-frame-navigate', false)).toBe(true);
    expect(contents.simulateWebviewAttach()).toBe(false);
    expect(electron.shell.openExternal).not.toHaveBeenCalled();
  });

  it('the window manager installs the guards on every window it creates', () => {
    createWindowManager({ preloadPath: PRELOAD, isQuitting: () => false }).show();
    const contents = electron.created.windows[0]!.webContents;
    expect(contents.simulateNavigation('file:///etc/passwd')).toBe(false);
    expect(contents.simulateWindowOpen('https://example.com/')).toEqual({ action: 'deny' });
    expect(electron.shell.openExternal).toHaveBeenCalledExactlyOnceWith('https://example.com/');
  });
});

describe('the app:// scheme', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'herald-renderer-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Herald</title>');
  writeFileSync(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(os.tmpdir(), 'herald-secret.txt'), 'secret');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const rows: Array<[string, string | null]> = [
    ['app://herald/', 'index.html'],
    ['app://herald/index.html', 'index.html'],
    ['app://herald/assets/app.js?v=1#x', 'assets/app.js'],
    // The URL parser already folds dot segments: these stay inside the folder.
    ['app://herald/../herald-secret.txt', 'herald-secret.txt'],
    ['app://herald/%2e%2e/herald-secret.txt', 'herald-secret.txt'],
    // Escaped slashes survive parsing; decoding them must not climb out.
    ['app://herald/assets/%2e%2e%2f%2e%2e%2fherald-secret.txt', null],
    ['app://herald/..%5c..%5cherald-secret.txt', null],
    ['app://herald/%00index.html', null],
    ['app://herald/%E0%A4%A', null],
    ['app://other/index.html', null],
    ['file:///etc/passwd', null],
  ];
  it.each(rows)('%s → %s', (url, expected) => {
    expect(resolveAppAsset(url, root)).toBe(expected === null ? null : path.join(root, expected));
  });

  it('answers with the file, its type, the CSP and nosniff; 404 outside the folder', async () => {
    const ok = await respondWithAsset('app://herald/assets/app.js', root);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(ok.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await ok.text()).toBe('console.log(1)');
    expect((await respondWithAsset('app://herald/%2e%2e/herald-secret.txt', root)).status).toBe(404);
    expect((await respondWithAsset('app://herald/assets/%2e%2e%2f%2e%2e%2fherald-secret.txt', root)).status).toBe(404);
    expect((await respondWithAsset('app://herald/missing.js', root)).status).toBe(404);
  });

  it('registers a privileged standard scheme and serves through protocol.handle', async () => {
    registerAppScheme();
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    serveRenderer(root);
    const handler = electron.protocol.handlers.get('app')!;
    const response: Response = await handler(new Request('app://herald/index.html'));
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toContain('<title>Herald</title>');
  });
});

// What the window may load and where links go. The renderer shows untrusted event text, so
// it gets no Node, no navigation away from the app, no new windows, and a strict CSP;
// links to the outside open in the OS browser, and only when they are plain http(s).
import { shell, type WebContents } from 'electron';
import { classifyNavigation, isAllowedExternalUrl } from './url-policy.js';

/** Opens a link in the OS browser after the allow-check; false when refused. */
export function openExternalSafely(url: unknown, onError?: (err: unknown) => void): boolean {
  if (!isAllowedExternalUrl(url)) return false;
  shell.openExternal(url).catch((err: unknown) => onError?.(err));
  return true;
}

/**
 * Keeps the window on the app: in-window navigation elsewhere is cancelled (and an http(s)
 * target opens in the OS browser instead); window.open never creates a window.
 */
export function installNavigationGuards(contents: WebContents, appOrigin: string, onError?: (err: unknown) => void): void {
  const guard = (event: { preventDefault(): void; url: string }) => {
    const verdict = classifyNavigation(event.url, appOrigin);
    if (verdict === 'app') return;
    event.preventDefault();
    if (verdict === 'external') openExternalSafely(event.url, onError);
  };
  contents.on('will-navigate', guard);
  // A redirect is the server's choice, not the user's: stop it, open nothing.
  contents.on('will-redirect', (event) => {
    if (classifyNavigation(event.url, appOrigin) !== 'app') event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame && classifyNavigation(event.url, appOrigin) !== 'app') event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (classifyNavigation(url, appOrigin) === 'external') openExternalSafely(url, onError);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

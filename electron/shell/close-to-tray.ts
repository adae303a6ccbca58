// Closing the window hides it: Herald keeps watching from the tray. Said once, in a popup,
// the first time a user closes it, since a window that vanishes reads as "quit" (and on a
// desktop without a tray area — GNOME without its AppIndicator extension — there is no icon
// to find it by). A marker file in the data dir remembers it was said.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CLOSE_TO_TRAY_MARKER = 'told-close-to-tray';

export interface CloseToTrayNotice {
  title: string;
  body: string;
}

/** The words: how to get back, and how to really quit. */
export function closeToTrayNotice(platform: string, shortcut: string | undefined): CloseToTrayNotice {
  const where = platform === 'darwin' ? 'menu bar' : 'tray';
  const ways = [`the ${where} icon`, ...(shortcut ? [shortcut.replace('CommandOrControl', platform === 'darwin' ? 'Cmd' : 'Ctrl')] : []), 'starting Herald again'];
  return {
    title: `Herald is still running in the ${where}`,
    body: `Closing the window does not stop it: popups keep coming. Open it again with ${ways.slice(0, -1).join(', ')} or ${ways.at(-1)}; quit from the ${where} menu.`,
  };
}

/**
 * Returns what to call each time the window is hidden by its close button: shows the notice
 * the first time ever (per data dir), then never again. A marker that cannot be written only
 * means it may be said again next start.
 */
export function createCloseToTrayNotifier(opts: {
  dataDir: string;
  show(notice: CloseToTrayNotice): void;
  notice: () => CloseToTrayNotice;
  onError?(err: unknown): void;
}): () => void {
  const marker = path.join(opts.dataDir, CLOSE_TO_TRAY_MARKER);
  let told = existsSync(marker);
  return () => {
    if (told) return;
    told = true;
    try {
      opts.show(opts.notice());
    } catch (err) {
      opts.onError?.(err); // no popups here: the window still hides
      return;
    }
    try {
      writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
    } catch (err) {
      opts.onError?.(err);
    }
  };
}

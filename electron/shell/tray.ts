// The tray icon: fetches the hub's state, then applies what tray-model.ts decides. Refreshes
// shortly after hub updates (bursts coalesce) and every half minute (snooze expiry, quiet hours).
import path from 'node:path';
import { Menu, nativeImage, Tray } from 'electron';
import type { Api } from '../../shared/api.js';
import { buildTrayMenu, deriveTrayState, TRAY_BOARD_PAGE, TRAY_MENU_EVENTS, trayIconFor, trayTooltip, type TrayActions, type TrayState } from './tray-model.js';

export const TRAY_REFRESH_DEBOUNCE_MS = 300;
export const TRAY_REFRESH_INTERVAL_MS = 30_000;

export interface TrayController {
  /** Fetch and apply now. */
  refresh(): Promise<TrayState>;
  /** Refresh soon; calls within the debounce window share one refresh. */
  scheduleRefresh(): void;
  destroy(): void;
}

export interface TrayControllerOptions {
  api: Pick<Api, 'hub.status' | 'events.list' | 'settings.get' | 'mutes.list' | 'board.list'>;
  actions: TrayActions;
  /** The global shortcut's problem, if it could not be registered (shortcut.ts). */
  shortcutProblem?: () => string | undefined;
  /** build/tray in development, <resources>/tray when packaged. */
  iconDir: string;
  platform: string;
  /** "Restart to update (1.2.0)" once an update is downloaded (updates/policy.ts). */
  restartLabel?: () => string | null;
  now?: () => Date;
  onError?(err: unknown): void;
}

export async function fetchTrayState(api: TrayControllerOptions['api'], now: Date, shortcutProblem?: string): Promise<TrayState> {
  const [status, latest, criticalUnread, settings, mutes, board] = await Promise.all([
    api['hub.status']({}),
    api['events.list']({ limit: TRAY_MENU_EVENTS }),
    api['events.list']({ unread: true, severities: ['critical'], limit: 1 }),
    api['settings.get']({}),
    api['mutes.list']({}),
    // Worst first, so what is red leads the page; the counts tell the rest of the board.
    api['board.list']({ limit: TRAY_BOARD_PAGE }),
  ]);
  return deriveTrayState({
    status,
    latest: latest.items,
    criticalUnread: criticalUnread.total ?? 0,
    settings,
    board,
    now,
    mutes: mutes.items,
    ...(shortcutProblem !== undefined && { shortcutProblem }),
  });
}

export function createTrayController(opts: TrayControllerOptions): TrayController {
  const now = opts.now ?? (() => new Date());
  const image = (file: string) => nativeImage.createFromPath(path.join(opts.iconDir, file));
  const tray = new Tray(image(opts.platform === 'darwin' ? 'tray-okTemplate.png' : 'tray-ok.png'));
  tray.setToolTip('Herald');
  // Windows users expect a left click to open the app; macOS and Linux show the menu.
  if (opts.platform === 'win32') tray.on('click', () => opts.actions.openWindow());

  let lastIcon = '';
  let pending: NodeJS.Timeout | undefined;
  let destroyed = false;

  const refresh = async (): Promise<TrayState> => {
    const at = now();
    const state = await fetchTrayState(opts.api, at, opts.shortcutProblem?.());
    if (destroyed) return state;
    const icon = trayIconFor(state, opts.platform);
    if (icon !== lastIcon) {
      tray.setImage(image(icon));
      lastIcon = icon;
    }
    tray.setToolTip(trayTooltip(state, at));
    tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenu(state, opts.actions, { now: at, platform: opts.platform, restartLabel: opts.restartLabel?.() ?? null })));
    return state;
  };
  const refreshQuietly = () => {
    refresh().catch((err: unknown) => opts.onError?.(err));
  };

  const interval = setInterval(refreshQuietly, TRAY_REFRESH_INTERVAL_MS);
  interval.unref();

  return {
    refresh,
    scheduleRefresh() {
      if (pending !== undefined || destroyed) return;
      pending = setTimeout(() => {
        pending = undefined;
        refreshQuietly();
      }, TRAY_REFRESH_DEBOUNCE_MS);
    },
    destroy() {
      destroyed = true;
      clearInterval(interval);
      if (pending !== undefined) clearTimeout(pending);
      tray.destroy();
    },
  };
}

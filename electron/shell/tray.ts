// The tray icon: fetches the hub's state, then applies what tray-model.ts decides. Refreshes
// shortly after hub updates (bursts coalesce, one read at a time) and every half minute
// (snooze expiry, quiet hours).
import path from 'node:path';
import { Menu, nativeImage, Tray } from 'electron';
import type { Api } from '../../shared/api.js';
import { buildTrayMenu, deriveTrayState, TRAY_BOARD_PAGE, TRAY_MENU_EVENTS, trayIconFor, trayTooltip, type TrayActions, type TrayInputs, type TrayState } from './tray-model.js';

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

type TrayParts = Omit<TrayInputs, 'now' | 'shortcutProblem' | 'readProblem'>;

/** What each part is called in "Could not read the board: …". */
const PART_NAMES = { status: 'status', latest: 'events', criticalUnread: 'events', settings: 'settings', mutes: 'mutes', board: 'board' } as const;

const EMPTY_PARTS: TrayParts = {
  status: { counts: { events: 0, unread: 0, pendingDeliveries: 0, failedDeliveries: 0 }, channels: [], sources: [] },
  latest: [],
  criticalUnread: 0,
  settings: {},
  mutes: [],
};

/**
 * The hub's state for the tray. Each part is read on its own: one that fails (a damaged
 * store refusing a read while hub.status still says why) keeps what was last read of it
 * (`previous`) and is named in `readProblem`, instead of leaving the whole tray as it was.
 */
export async function fetchTrayParts(api: TrayControllerOptions['api'], previous: TrayParts = EMPTY_PARTS): Promise<{ parts: TrayParts; readProblem?: string }> {
  const results = await Promise.allSettled([
    api['hub.status']({}),
    api['events.list']({ limit: TRAY_MENU_EVENTS }),
    api['events.list']({ unread: true, severities: ['critical'], limit: 1 }),
    api['settings.get']({}),
    api['mutes.list']({}),
    // Worst first, so what is red leads the page; the counts tell the rest of the board.
    api['board.list']({ limit: TRAY_BOARD_PAGE }),
  ] as const);
  const [status, latest, critical, settings, mutes, board] = results;
  const parts: TrayParts = {
    status: status.status === 'fulfilled' ? status.value : previous.status,
    latest: latest.status === 'fulfilled' ? latest.value.items : previous.latest,
    criticalUnread: critical.status === 'fulfilled' ? (critical.value.total ?? 0) : previous.criticalUnread,
    settings: settings.status === 'fulfilled' ? settings.value : previous.settings,
    mutes: mutes.status === 'fulfilled' ? mutes.value.items : previous.mutes,
    ...(board.status === 'fulfilled' ? { board: board.value } : previous.board && { board: previous.board }),
  };
  const names = (Object.keys(PART_NAMES) as Array<keyof typeof PART_NAMES>).map((name, i) => ({ name: PART_NAMES[name], result: results[i]! }));
  const failed = names.filter((p) => p.result.status === 'rejected');
  if (failed.length === 0) return { parts };
  const why = (failed[0]!.result as PromiseRejectedResult).reason;
  const what = [...new Set(failed.map((p) => p.name))].join(', ');
  return { parts, readProblem: `Could not read the ${what}: ${why instanceof Error ? why.message : String(why)}` };
}

export function createTrayController(opts: TrayControllerOptions): TrayController {
  const now = opts.now ?? (() => new Date());
  const image = (file: string) => nativeImage.createFromPath(path.join(opts.iconDir, file));
  const tray = new Tray(image(opts.platform === 'darwin' ? 'tray-okTemplate.png' : 'tray-ok.png'));
  tray.setToolTip('Herald');
  // Windows users expect a left click to open the app; macOS and Linux show the menu.
  if (opts.platform === 'win32') tray.on('click', () => opts.actions.openWindow());

  let lastIcon = '';
  let lastTooltip = '';
  let lastMenu = '';
  let pending: NodeJS.Timeout | undefined;
  let destroyed = false;

  let lastParts: TrayParts | undefined;
  const fetchAndApply = async (): Promise<TrayState> => {
    const at = now();
    const { parts, readProblem } = await fetchTrayParts(opts.api, lastParts);
    lastParts = parts;
    const shortcutProblem = opts.shortcutProblem?.();
    const state = deriveTrayState({ ...parts, now: at, ...(shortcutProblem !== undefined && { shortcutProblem }), ...(readProblem !== undefined && { readProblem }) });
    if (destroyed) return state;
    const icon = trayIconFor(state, opts.platform);
    if (icon !== lastIcon) {
      tray.setImage(image(icon));
      lastIcon = icon;
    }
    const tooltip = trayTooltip(state, at);
    if (tooltip !== lastTooltip) {
      tray.setToolTip(tooltip);
      lastTooltip = tooltip;
    }
    // Set again only when it changed: a refresh comes every 30 s (and after each burst of
    // updates), and a menu replaced while open can be redrawn or closed under the pointer
    // (Linux AppIndicator menus travel over D-Bus). The signature is what it shows and what
    // its clicks act on.
    const template = buildTrayMenu(state, opts.actions, { now: at, platform: opts.platform, restartLabel: opts.restartLabel?.() ?? null, ...(opts.now && { clock: opts.now }) });
    const signature = JSON.stringify([template, state.latest, state.board.failing, state.pipelines]);
    if (signature !== lastMenu) {
      tray.setContextMenu(Menu.buildFromTemplate(template));
      lastMenu = signature;
    }
    return state;
  };
  // One read at a time: a slow hub (a storm) must not pile reads up, nor let an older read
  // land after a newer one and put the tray back. Calls meanwhile share one read after it.
  let running: Promise<TrayState> | undefined;
  let queued: Promise<TrayState> | undefined;
  const refresh = (): Promise<TrayState> => {
    if (running === undefined) {
      running = fetchAndApply().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return refresh();
      });
    return queued;
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

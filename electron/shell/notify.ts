// The hub's DesktopNotifier inside Electron: native popups through Electron's Notification
// (node-notifier stays for headless). Bursts collapse (popups.ts); clicking a popup opens
// the event in Herald's window.
import { Notification } from 'electron';
import { collapsePopups, type CollapseOptions, type PopupToShow, type QueuedPopup } from './popups.js';

/** What the hub asks for: plain text, one event. */
export interface DesktopPopupRequest {
  title: string;
  body: string;
  url?: string;
  eventId: string;
  sound?: boolean;
}

export interface ElectronNotifier {
  /** Accepts the popup at once (the hub must not wait out the collapse window) and shows it soon. */
  notify(request: DesktopPopupRequest): Promise<void>;
  /** Drops anything still waiting; no more timers. */
  dispose(): void;
}

export interface ElectronNotifierOptions {
  /** Opens the event in the window; no id = the history (a summary popup). */
  openEvent(eventId: string | undefined): void;
  /** True while popups are paused (snooze, quiet hours). */
  muted(now: Date): boolean;
  platform?: string;
  icon?: string;
  now?: () => number;
  collapse?: CollapseOptions;
  onError?(err: unknown): void;
}

const MAX_TITLE_CHARS = 120;
const MAX_BODY_CHARS = 500;

function clean(text: string, max: number, keepNewlines: boolean): string {
  let t = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, ' ');
  t = keepNewlines ? t.replace(/\n{3,}/g, '\n\n') : t.replace(/\s*\n\s*/g, ' ');
  const chars = [...t.trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * Title and body as the OS should get them. Linux notification servers read the body as
 * markup (the freedesktop spec) and Electron passes it through, so event text is escaped there.
 */
export function popupText(popup: Pick<PopupToShow, 'title' | 'body'>, platform: string): { title: string; body: string } {
  const title = clean(popup.title, MAX_TITLE_CHARS, false);
  const body = clean(popup.body, MAX_BODY_CHARS, true);
  return {
    title,
    body: platform === 'linux' ? body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : body,
  };
}

export function createElectronNotifier(opts: ElectronNotifierOptions): ElectronNotifier {
  const now = opts.now ?? Date.now;
  const platform = opts.platform ?? process.platform;
  let queue: QueuedPopup[] = [];
  let timer: NodeJS.Timeout | undefined;
  // Electron drops click handlers of notifications that get garbage-collected: keep them.
  const live = new Set<Notification>();

  const show = (popup: PopupToShow) => {
    const text = popupText(popup, platform);
    const notification = new Notification({
      title: text.title,
      body: text.body,
      silent: !popup.sound,
      ...(opts.icon ? { icon: opts.icon } : {}),
    });
    const forget = () => live.delete(notification);
    notification.on('click', () => {
      forget();
      opts.openEvent(popup.kind === 'single' ? popup.eventId : undefined);
    });
    notification.on('close', forget);
    notification.on('failed', (_event, error) => {
      forget();
      opts.onError?.(new Error(`a desktop popup failed: ${error}`));
    });
    live.add(notification);
    notification.show();
  };

  const flush = () => {
    timer = undefined;
    const at = now();
    const result = collapsePopups(queue, at, opts.collapse);
    queue = result.pending;
    if (result.wakeAt !== undefined) timer = setTimeout(flush, Math.max(0, result.wakeAt - at));
    if (result.show.length === 0 || opts.muted(new Date(at))) return;
    for (const popup of result.show) {
      try {
        show(popup);
      } catch (err) {
        opts.onError?.(err);
      }
    }
  };

  return {
    notify(request) {
      if (!Notification.isSupported()) {
        return Promise.reject(new Error('desktop notifications are not supported on this system'));
      }
      queue.push({ ...request, queuedAt: now() });
      // Each arrival moves the quiet deadline: recompute it.
      if (timer !== undefined) clearTimeout(timer);
      flush();
      return Promise.resolve();
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      queue = [];
    },
  };
}

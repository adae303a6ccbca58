// The hub's DesktopNotifier inside Electron: native popups through Electron's Notification
// (node-notifier / notify-send stay for headless). Bursts collapse (popups.ts); a pipeline's
// popup closes its previous one (replaceKey) instead of stacking; clicking a popup opens its
// run (or the event in Herald's window); its buttons mute the pipeline where the OS has them.
import { Notification } from 'electron';
import { serverCapabilities } from '../hub/channels/notify-send.js';
import { popupCommand, type PopupAction, type PopupCommand } from '../hub/channels/popup-decisions.js';
import { collapsePopups, electronPopupButtons, popupClickTarget, type CollapseOptions, type LastSummary, type PopupToShow, type QueuedPopup } from './popups.js';

/** What the hub asks for: plain text, one event. */
export interface DesktopPopupRequest {
  title: string;
  body: string;
  url?: string;
  eventId: string;
  sound?: boolean;
  replaceKey?: string;
  actions?: readonly PopupAction[];
  /** What the event is (the mute actions need its pipeline): popupCommand reads these. */
  event?: Parameters<typeof popupCommand>[1];
}

export interface ElectronNotifier {
  /** Accepts the popup at once (the hub must not wait out the collapse window) and shows it soon. */
  notify(request: DesktopPopupRequest): Promise<void>;
  /**
   * Herald is quitting: what waits for company is shown now (silently; the hub counted it
   * delivered), and later requests are refused with NotifierClosed (the delivery stays queued).
   */
  dispose(): void;
}

/** The app is quitting: a popup handed over now is not shown, and its delivery should be tried again at the next start. */
export class NotifierClosed extends Error {
  override readonly name = 'NotifierClosed';
  constructor() {
    super('Herald is quitting: the popup waits for the next start');
  }
}

export interface ElectronNotifierOptions {
  /** Opens the event in the window; no id = the history (a summary popup). */
  openEvent(eventId: string | undefined): void;
  /** Opens a run's web page in the browser (a click on a popup whose event links one). */
  openUrl?(url: string): void;
  /** A click on a single event's popup: the user has seen it (as a click in the tray marks it read). */
  markRead?(eventId: string): void;
  /** A popup button was pressed (mute the pipeline). */
  onCommand?(command: PopupCommand): void;
  /** True while popups are paused (snooze, quiet hours). */
  muted(now: Date): boolean;
  platform?: string;
  /** Linux: the notification server's capabilities (default: asked once over D-Bus; escaping is kept until known). */
  serverCapabilities?: () => Promise<readonly string[]>;
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
 * Title and body as the OS should get them. Linux notification servers that say `body-markup`
 * read the body as markup (the freedesktop spec) and Electron passes it through, so event text
 * is escaped for them; one without it shows the body as it is, where `&lt;` would show as such.
 */
export function popupText(popup: Pick<PopupToShow, 'title' | 'body'>, platform: string, bodyMarkup = true): { title: string; body: string } {
  const title = clean(popup.title, MAX_TITLE_CHARS, false);
  const body = clean(popup.body, MAX_BODY_CHARS, true);
  return {
    title,
    body: platform === 'linux' && bodyMarkup ? body.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : body,
  };
}

export function createElectronNotifier(opts: ElectronNotifierOptions): ElectronNotifier {
  const now = opts.now ?? Date.now;
  const platform = opts.platform ?? process.platform;
  // Until the server has answered (or when it cannot be asked), escape: markup shown as text
  // is the lesser harm than event text read as markup.
  let bodyMarkup = true;
  if (platform === 'linux') {
    (opts.serverCapabilities ?? (() => serverCapabilities()))().then(
      (caps) => void (bodyMarkup = caps.length === 0 || caps.includes('body-markup')),
      () => undefined,
    );
  }
  let queue: QueuedPopup[] = [];
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  // Electron drops click handlers of notifications that get garbage-collected: keep them.
  const live = new Set<Notification>();
  /** The popup on screen per pipeline: the next one closes it. */
  const byKey = new Map<string, Notification>();
  /** The event each request came with, for its buttons. */
  const events = new Map<string, NonNullable<DesktopPopupRequest['event']>>();
  /** The last summary popup: the next waits out the storm gap and may take its place (collapsePopups). */
  let lastSummary: (LastSummary & { notification: Notification }) | undefined;

  const show = (popup: PopupToShow, at: number) => {
    const text = popupText(popup, platform, bodyMarkup);
    const buttons = popup.kind === 'single' && opts.onCommand ? electronPopupButtons(popup.actions, platform) : [];
    const notification = new Notification({
      title: text.title,
      body: text.body,
      silent: !popup.sound,
      ...(opts.icon ? { icon: opts.icon } : {}),
      ...(buttons.length > 0 && { actions: buttons.map((b) => ({ type: 'button' as const, text: b.label })) }),
    });
    const key = popup.kind === 'single' ? popup.replaceKey : undefined;
    const forget = () => {
      live.delete(notification);
      if (key !== undefined && byKey.get(key) === notification) byKey.delete(key);
      if (popup.kind === 'single') events.delete(popup.eventId);
    };
    notification.on('click', () => {
      forget();
      if (popup.kind !== 'single') return opts.openEvent(undefined);
      opts.markRead?.(popup.eventId);
      const target = popupClickTarget(popup);
      if (target.kind === 'url' && opts.openUrl) opts.openUrl(target.url);
      else opts.openEvent(popup.eventId);
    });
    notification.on('action', (details: { actionIndex?: number } | undefined, index?: number) => {
      const button = buttons[details?.actionIndex ?? index ?? -1];
      const event = popup.kind === 'single' ? events.get(popup.eventId) : undefined;
      const command = button && event && popupCommand(button.id, event);
      if (command) opts.onCommand?.(command);
    });
    notification.on('close', forget);
    notification.on('failed', (_event, error) => {
      forget();
      opts.onError?.(new Error(`a desktop popup failed: ${error}`));
    });
    live.add(notification);
    if (popup.kind === 'summary') {
      const previous = popup.replacesLast ? lastSummary?.notification : undefined;
      lastSummary = { at, count: popup.count, notification };
      previous?.close();
    }
    // "Still failing (n)" and "recovered" take the place of the pipeline's last popup.
    if (key !== undefined) {
      const previous = byKey.get(key);
      byKey.set(key, notification);
      previous?.close();
    }
    notification.show();
  };

  const flush = () => {
    timer = undefined;
    const at = now();
    const result = collapsePopups(queue, at, opts.collapse, lastSummary);
    queue = result.pending;
    if (result.wakeAt !== undefined) timer = setTimeout(flush, Math.max(0, result.wakeAt - at));
    if (result.show.length === 0 || opts.muted(new Date(at))) return;
    for (const popup of result.show) {
      try {
        show(popup, at);
      } catch (err) {
        opts.onError?.(err);
      }
    }
  };

  return {
    notify(request) {
      if (closed) return Promise.reject(new NotifierClosed());
      if (!Notification.isSupported()) {
        return Promise.reject(new Error('desktop notifications are not supported on this system'));
      }
      const { event, ...popup } = request;
      if (event) events.set(request.eventId, event);
      queue.push({ ...popup, queuedAt: now() });
      // Each arrival moves the quiet deadline: recompute it.
      if (timer !== undefined) clearTimeout(timer);
      flush();
      return Promise.resolve();
    },
    dispose() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const at = now();
      const waiting = queue;
      queue = [];
      if (waiting.length === 0 || opts.muted(new Date(at))) return;
      // No more waiting for company: the burst as it stands, without a sound at quit.
      const result = collapsePopups(waiting, at, { ...opts.collapse, quietMs: 0, maxWaitMs: 0, stormGapMs: 0 });
      for (const popup of result.show) {
        try {
          show({ ...popup, sound: false }, at);
        } catch (err) {
          opts.onError?.(err);
        }
      }
    },
  };
}

// Linux popups through libnotify's notify-send, run directly (no shell, no node-notifier):
// node-notifier's notify-send path can pass neither a replace id nor actions. notify-send
// 0.8 prints the id the notification server gave (`-p`), takes the id to replace (`-r`),
// and with actions (`-A`) stays running to print the one the user chose. So: a pipeline's
// next popup replaces its last one (the server keeps the id), and "Mute" works from the
// popup where the server offers actions (GetCapabilities says `actions`). notify-send writes
// its id through stdio, which a pipe buffers until exit: a popup with actions (notify-send
// keeps running) runs under coreutils' `stdbuf -oL` so the id arrives at once.
import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { fail, ok, retry, type SendResult } from './channel.js';
import { notifierErrorText, type PopupAction } from './popup-decisions.js';

export interface NotifySendPopup {
  /** Plain text. */
  title: string;
  /** Pango markup, event text escaped (desktop.ts escapeNotifySendBody). */
  body: string;
  urgency: 'low' | 'normal' | 'critical';
  sound: boolean;
  actions: readonly PopupAction[];
  /** Popups with the same key replace each other. */
  replaceKey?: string;
}

/** The id must come back within this long, or the popup counts as not shown. */
const ID_TIMEOUT_MS = 15_000;
/** A popup with actions is listened to this long at most (a server may never close it). */
export const ACTION_WAIT_MS = 30 * 60_000;
/** At most this many popups listened to for actions; the oldest stops listening first. */
const MAX_LISTENING = 16;
/** Remembered replace ids (pipelines), oldest forgotten first. */
const MAX_KEYS = 500;
const NOT_INSTALLED = 'desktop popups need notify-send: install libnotify-bin';
/** libnotify's sound theme name for a new message. */
const SOUND_NAME = 'message-new-instant';

/** notify-send's arguments: options, then `--`, so no title or body is read as an option. */
export function notifySendArgs(popup: NotifySendPopup, replaceId: number | undefined): string[] {
  return [
    '--app-name=Herald',
    `--urgency=${popup.urgency}`,
    '--print-id',
    ...(replaceId !== undefined ? [`--replace-id=${replaceId}`] : []),
    `--hint=${popup.sound ? `string:sound-name:${SOUND_NAME}` : 'boolean:suppress-sound:true'}`,
    ...popup.actions.map((a) => `--action=${a.id}=${a.label}`),
    '--',
    popup.title,
    popup.body,
  ];
}

type Spawn = (command: string, args: string[]) => ChildProcess;

export interface NotifySendOptions {
  spawn?: Spawn;
  /** The notification server's capabilities; default: asked once over D-Bus (gdbus). */
  capabilities?: () => Promise<readonly string[]>;
  actionWaitMs?: number;
  log?: (line: string) => void;
}

/** org.freedesktop.Notifications.GetCapabilities, once; none when it cannot be asked. */
export function serverCapabilities(spawn: Spawn = (c, a) => nodeSpawn(c, a, { stdio: ['ignore', 'pipe', 'ignore'] })): Promise<string[]> {
  return new Promise((resolve) => {
    let out = '';
    let child: ChildProcess;
    try {
      child = spawn('gdbus', ['call', '--session', '--dest', 'org.freedesktop.Notifications', '--object-path', '/org/freedesktop/Notifications', '--method', 'org.freedesktop.Notifications.GetCapabilities']);
    } catch {
      return resolve([]);
    }
    const timer = setTimeout(() => child.kill(), 5_000);
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', () => resolve([]));
    child.on('close', () => {
      clearTimeout(timer);
      resolve([...out.matchAll(/'([\w-]+)'/g)].map((m) => m[1]!));
    });
  });
}

export class NotifySend {
  private readonly spawn: Spawn;
  private readonly ids = new Map<string, number>();
  /** Popups whose notify-send still runs to hear an action, by replace key (or a unique one). */
  private readonly listening = new Map<string, ChildProcess>();
  private capabilities: Promise<readonly string[]> | undefined;
  private seq = 0;
  /** Set when `stdbuf` is missing: popups go without actions from then on. */
  private noStdbuf = false;

  constructor(private readonly opts: NotifySendOptions = {}) {
    this.spawn = opts.spawn ?? ((command, args) => nodeSpawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Whether the server shows action buttons (asked once). */
  async supportsActions(): Promise<boolean> {
    if (this.noStdbuf) return false;
    this.capabilities ??= (this.opts.capabilities ?? (() => serverCapabilities()))();
    return (await this.capabilities).includes('actions');
  }

  /** The id the server gave the last popup of this key (tests, diagnostics). */
  idFor(key: string): number | undefined {
    return this.ids.get(key);
  }

  /** Shows the popup; `onAction` hears the action the user picks, while it is listened to. */
  show(popup: NotifySendPopup, signal: AbortSignal, onAction?: (actionId: string) => void): Promise<SendResult> {
    const key = popup.replaceKey;
    const replaceId = key === undefined ? undefined : this.ids.get(key);
    const eventText = [popup.title, popup.body];
    return new Promise<SendResult>((resolve) => {
      let child: ChildProcess;
      const viaStdbuf = popup.actions.length > 0;
      try {
        const args = notifySendArgs(popup, replaceId);
        child = viaStdbuf ? this.spawn('stdbuf', ['-oL', 'notify-send', ...args]) : this.spawn('notify-send', args);
      } catch (error) {
        resolve(retry(`the desktop notifier could not start: ${notifierErrorText(String((error as Error).message), eventText)}`));
        return;
      }
      let settled = false;
      let stdout = '';
      let stderr = '';
      let id: number | undefined;
      const listenKey = key ?? `#${++this.seq}`;
      const settle = (result: SendResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(idTimer);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAbort = () => {
        child.kill();
        settle(retry('cancelled while showing the popup'));
      };
      const idTimer = setTimeout(() => {
        child.kill();
        settle(retry(`no answer from notify-send within ${ID_TIMEOUT_MS / 1000} s`));
      }, ID_TIMEOUT_MS);
      signal.addEventListener('abort', onAbort, { once: true });
      let waitTimer: NodeJS.Timeout | undefined;

      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        let newline: number;
        while ((newline = stdout.indexOf('\n')) !== -1) {
          const line = stdout.slice(0, newline).trim();
          stdout = stdout.slice(newline + 1);
          // Ids start at 1: notify-send prints 0 when it could not reach the server, then exits 1.
          if (id === undefined && /^[1-9]\d*$/.test(line)) {
            id = Number(line);
            if (key !== undefined) this.remember(key, id);
            settle(ok());
            if (popup.actions.length > 0) this.listen(listenKey, child, (t) => (waitTimer = t));
          } else if (id !== undefined && line) {
            onAction?.(line);
          }
        }
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < 4096) stderr += chunk.toString();
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' && viaStdbuf) {
          this.noStdbuf = true;
          return settle(retry('popup actions need stdbuf (coreutils); retrying without them'));
        }
        settle(error.code === 'ENOENT' ? fail(NOT_INSTALLED) : retry(`the desktop notifier failed: ${error.code ?? 'could not run notify-send'}`));
      });
      child.on('close', (code) => {
        clearTimeout(waitTimer);
        if (this.listening.get(listenKey) === child) this.listening.delete(listenKey);
        if (id !== undefined) return;
        // stdbuf answers 127 when it cannot find the command it was to run.
        if (viaStdbuf && code === 127) return settle(fail(NOT_INSTALLED));
        settle(retry(`the desktop notifier failed: ${notifierErrorText(stderr, eventText)}${code ? ` (exit ${code})` : ''}`));
      });
    });
  }

  /** Stops listening to every popup (the hub stops). */
  close(): void {
    for (const child of this.listening.values()) child.kill();
    this.listening.clear();
  }

  private remember(key: string, id: number): void {
    this.ids.delete(key);
    this.ids.set(key, id);
    if (this.ids.size > MAX_KEYS) this.ids.delete(this.ids.keys().next().value!);
  }

  /** The popup's notify-send keeps running to hear an action; a replacing popup's takes over. */
  private listen(key: string, child: ChildProcess, setTimer: (t: NodeJS.Timeout) => void): void {
    const previous = this.listening.get(key);
    if (previous && previous !== child) previous.kill(); // replaced: its actions belong to the new popup now
    this.listening.set(key, child);
    const timer = setTimeout(() => child.kill(), this.opts.actionWaitMs ?? ACTION_WAIT_MS);
    timer.unref();
    setTimer(timer);
    while (this.listening.size > MAX_LISTENING) {
      const [oldestKey, oldest] = this.listening.entries().next().value!;
      this.listening.delete(oldestKey);
      oldest.kill();
    }
  }
}

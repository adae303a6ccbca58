// The `desktop` channel: a native popup, headless (the Electron shell shows its own
// Notification instead). Linux: notify-send run directly (notify-send.ts: a pipeline's popup
// replaces its last one, actions, sound hints); macOS and Windows: node-notifier
// (terminal-notifier, SnoreToast). Sound, replacement and actions are decided in popup-decisions.ts.
import type { ChannelConfig } from '../../../shared/config.js';
import type { Severity } from '../../../shared/event.js';
import type { OutboundEvent } from '../../../shared/template-variables.js';
import { fail, ok, retry, type Channel, type SendResult } from './channel.js';
import { fitListedEvents, listedEvents, listsEvents } from './format.js';
import { NotifySend } from './notify-send.js';
import {
  desktopSessionProblem,
  notifierErrorText,
  popupActions,
  popupCommand,
  type PopupCommand,
  popupReplaceKey,
  popupSound,
  type SoundSettings,
} from './popup-decisions.js';

export type DesktopChannelConfig = Extract<ChannelConfig, { kind: 'desktop' }>;

/** What node-notifier's `notify` looks like; tests inject their own. */
export interface DesktopNotifier {
  notify(options: Record<string, unknown>, callback: (err: unknown, response?: unknown) => void): unknown;
}

export interface Popup {
  /** Plain text (the Notifications spec shows the summary as is). */
  title: string;
  /** `pango`: notify-send's body, markup with event text escaped; `plain` elsewhere. */
  body: string;
  urgency: 'low' | 'normal' | 'critical';
}

const SYMBOL: Record<Severity, string> = { critical: '✖', warning: '⚠', success: '✔', info: 'ℹ' };
const MAX_TITLE_CHARS = 120;
const MAX_SUMMARY_CHARS = 300;
const MAX_BODY_CHARS = 500;
/** notify-send exits at once; a popup that has not gone out by then will not. */
const NOTIFY_TIMEOUT_MS = 15_000;

/** Escape for the body markup of notify-send (Pango). Quotes stay: they only matter in attributes. */
export function escapePango(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Control characters out (a popup is not a terminal); line breaks kept or folded. */
function clean(text: string, keepNewlines: boolean): string {
  const t = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, ' ');
  return keepNewlines ? t.replace(/\n{3,}/g, '\n\n') : t.replace(/\s*\n\s*/g, ' ');
}

/** Cut at a word boundary near `max` code points, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max - 1).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * notify-send's body is Pango markup, and notify-send itself unescapes C-style `\n`,
 * `\t`, `\\` in it (g_strcompress): escape both, so event text shows as written.
 */
export function escapeNotifySendBody(text: string): string {
  return escapePango(text).replace(/\\/g, '\\\\');
}

export type BodyFormat = 'pango' | 'plain';
const DEFAULT_FORMAT: BodyFormat = process.platform === 'linux' || process.platform.endsWith('bsd') ? 'pango' : 'plain';

/** A digest's or storm group's first lines, whole, then how many more: never a line cut in half. */
function listedLines(event: OutboundEvent): string {
  return fitListedEvents(listedEvents(event), MAX_SUMMARY_CHARS, {
    line: (l) => clean(`${l.lead}${l.text}`, false),
    more: (n) => `…and ${n} more`,
    separator: '\n',
  });
}

/** "✖ build failed on main · acme/api", then summary, subject and actor. */
export function buildPopup(event: OutboundEvent, format: BodyFormat = DEFAULT_FORMAT): Popup {
  const project = event.subject.project;
  let title = `${SYMBOL[event.severity]} ${clean(event.title, false).trim()}`;
  if (project && !event.title.includes(project)) title += ` · ${clean(project, false)}`;

  const lines: string[] = [];
  if (event.summary?.trim()) lines.push(listsEvents(event) ? listedLines(event) : truncate(clean(event.summary.trim(), true), MAX_SUMMARY_CHARS));
  const where = [event.subject.environment, event.subject.branch, event.subject.pipeline, event.subject.artifact]
    .filter((v): v is string => !!v)
    .map((v) => clean(v, false));
  if (where.length) lines.push(where.join(' · '));
  // Herald's own messages (a digest, a storm group) need no "via Herald".
  const by = [event.actor && `by ${clean(event.actor, false)}`, event.source.kind !== 'herald' && `via ${clean(event.source.name, false)}`].filter(Boolean);
  if (by.length) lines.push(by.join(' '));

  let body = truncate(lines.join('\n'), MAX_BODY_CHARS);
  if (format === 'pango') {
    body = escapeNotifySendBody(body);
    // notify-send would read a leading '-' as an option; the entity displays the same dash.
    if (body.startsWith('-')) body = `&#45;${body.slice(1)}`;
  }
  return {
    title: truncate(title, MAX_TITLE_CHARS),
    body,
    // A critical popup stays until dismissed; a digest (asked for in batches) never does.
    urgency: event.severity === 'critical' && event.type !== 'herald.digest' ? 'critical' : 'normal',
  };
}

function errorText(err: unknown): string {
  if (typeof err === 'string') return err.trim();
  return (err as Error | undefined)?.message ?? String(err);
}

let nodeNotifier: Promise<DesktopNotifier> | undefined;
/** node-notifier loads with the first popup: a hub without a desktop channel (a server) never holds it in memory. */
const loadNodeNotifier = () => (nodeNotifier ??= import('node-notifier').then((m) => m.default as unknown as DesktopNotifier));

export interface DesktopChannelOptions {
  /** Settings for the sound decision (popup-decisions.ts); absent = critical only. */
  settings?: () => SoundSettings;
  /** A popup's action asks for this (open the run, mute the pipeline). */
  onCommand?: (command: PopupCommand) => void;
  /** Linux: the notify-send runner (tests pass their own). */
  notifySend?: NotifySend;
  env?: Record<string, string | undefined>;
  platform?: string;
  now?: () => Date;
}

export interface DesktopChannel extends Channel<DesktopChannelConfig> {
  /** Stops listening for popup actions. */
  close(): void;
}

/**
 * Linux and BSD: notify-send directly (replace ids, actions, sound hints), after checking
 * there is a desktop session at all. Elsewhere node-notifier. An injected notifier (tests)
 * takes the node-notifier path anywhere.
 */
export function createDesktopChannel(given?: DesktopNotifier, format: BodyFormat = DEFAULT_FORMAT, opts: DesktopChannelOptions = {}): DesktopChannel {
  const platform = opts.platform ?? process.platform;
  const useNotifySend = given === undefined && (platform === 'linux' || platform.endsWith('bsd'));
  let notifySend = opts.notifySend;
  return {
    kind: 'desktop',
    close: () => notifySend?.close(),
    async send(message, config, _secrets, signal) {
      if (signal.aborted) return retry('cancelled before the popup was shown');
      const event = message.event;
      const sound = popupSound(event.severity, opts.settings?.(), config.sound, opts.now?.() ?? new Date());
      if (useNotifySend) {
        const problem = desktopSessionProblem(opts.env ?? process.env, platform);
        if (problem) return fail(problem);
        notifySend ??= new NotifySend();
        const popup = buildPopup(event, 'pango');
        const actions = opts.onCommand && (await notifySend.supportsActions()) ? popupActions(event) : [];
        const replaceKey = popupReplaceKey(event);
        return notifySend.show({ ...popup, sound, actions, ...(replaceKey !== undefined && { replaceKey }) }, signal, (actionId) => {
          const command = popupCommand(actionId, event);
          if (command) opts.onCommand?.(command);
        });
      }
      const notifier = given ?? (await loadNodeNotifier());
      const popup = buildPopup(event, format);
      const options: Record<string, unknown> = {
        title: popup.title,
        message: popup.body,
        urgency: popup.urgency,
        'app-name': 'Herald',
        wait: false,
        sound, // macOS and Windows
      };
      if (platform === 'linux') options.hint = sound ? 'string:sound-name:message-new-instant' : 'boolean:suppress-sound:true';
      const eventText = [popup.title, popup.body];
      return new Promise<SendResult>((resolve) => {
        let settled = false;
        const settle = (result: SendResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        };
        const onAbort = () => settle(retry('cancelled while showing the popup'));
        const timer = setTimeout(() => settle(retry(`no answer from the notifier within ${NOTIFY_TIMEOUT_MS / 1000} s`)), NOTIFY_TIMEOUT_MS);
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          notifier.notify(options, (err) => {
            // node-notifier passes the notifier's stderr as `err`: empty means success.
            if (!err) return settle(ok());
            const text = errorText(err);
            if (/notify-send must be installed|not found: notify-send|ENOENT/.test(text)) {
              return settle(fail('desktop popups need notify-send: install libnotify-bin'));
            }
            // Never the command line node-notifier ran (it holds the event's text).
            settle(retry(`the desktop notifier failed: ${notifierErrorText(text, eventText)}`));
          });
        } catch (err) {
          settle(retry(`the desktop notifier failed: ${notifierErrorText(errorText(err), eventText)}`));
        }
      });
    },
  };
}

export const desktopChannel = createDesktopChannel();

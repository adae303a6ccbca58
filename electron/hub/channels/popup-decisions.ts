// What a desktop popup does besides showing text, as pure functions both popup paths use
// (node-notifier / notify-send headless, Electron's Notification in the shell):
// - sound: the severities chosen in Settings (critical only by default), or every severity
//   when the channel says `sound: true`; never in quiet hours or while snoozed (desktopHold);
// - replacement: a pipeline's popups share one key (its mute key, shared/mutes.ts), so
//   "still failing (n)" and "recovered" replace the pipeline's earlier popup instead of stacking;
// - actions: open the run, mute the pipeline for an hour or until it passes;
// - where there is no desktop session at all, one sentence instead of a command's error.
import type { Settings } from '../../../shared/config.js';
import type { HeraldEvent, Severity } from '../../../shared/event.js';
import { pipelineKey, pipelineOf } from '../../../shared/mutes.js';
import { desktopHold } from '../../../shared/rules.js';

export const NO_DESKTOP_SESSION = 'this hub has no desktop session: popups cannot be shown here';

export type SoundSettings = Pick<Settings, 'sound' | 'quietHours' | 'snoozeUntil'>;

/** Whether this popup plays a sound. */
export function popupSound(severity: Severity, settings: SoundSettings | undefined, channelSound: boolean, now: Date): boolean {
  if (settings && desktopHold(now, settings) !== null) return false;
  if (channelSound) return true;
  return settings ? settings.sound[severity] : severity === 'critical';
}

/** The key whose earlier popup this one replaces: its pipeline's, for pipeline events. */
export function popupReplaceKey(event: Pick<HeraldEvent, 'source' | 'subject' | 'type'>): string | undefined {
  const ref = pipelineOf(event);
  return ref && pipelineKey(ref);
}

export type PopupActionId = 'default' | 'mute-1h' | 'mute-pass';
export interface PopupAction {
  id: PopupActionId;
  label: string;
}

/** What a popup's action does. */
export type PopupCommand = { kind: 'open'; url: string } | { kind: 'mute'; eventId: string; minutes: number } | { kind: 'mute'; eventId: string; untilPasses: true };

const isWebUrl = (url: string | undefined): url is string => {
  if (!url) return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
};

/**
 * The actions a popup offers: "default" (a click on the popup) opens the run when the event
 * links one; a pipeline event can be muted for an hour or until it passes.
 */
/** A run is a run; a finding, an artifact or a compliance change is opened where it lives (`Open in Kosli`). */
function openLabel(event: Pick<HeraldEvent, 'source' | 'type'>): string {
  return event.type.startsWith('pipeline.') || event.type.startsWith('deployment.') ? 'Open the run' : `Open in ${event.source.name}`.slice(0, 60);
}

export function popupActions(event: Pick<HeraldEvent, 'source' | 'subject' | 'type' | 'url'>): PopupAction[] {
  return [
    ...(isWebUrl(event.url) ? [{ id: 'default' as const, label: openLabel(event) }] : []),
    ...(pipelineOf(event) ? [{ id: 'mute-1h' as const, label: 'Mute 1 h' }, { id: 'mute-pass' as const, label: 'Mute until it passes' }] : []),
  ];
}

/** What an action the user chose does; undefined for an id this popup did not offer. */
export function popupCommand(actionId: string, event: Pick<HeraldEvent, 'id' | 'source' | 'subject' | 'type' | 'url'>): PopupCommand | undefined {
  if (!popupActions(event).some((a) => a.id === actionId)) return undefined;
  if (actionId === 'default') return { kind: 'open', url: event.url! };
  if (actionId === 'mute-1h') return { kind: 'mute', eventId: event.id, minutes: 60 };
  return { kind: 'mute', eventId: event.id, untilPasses: true };
}

/**
 * Linux and the BSDs show popups through a notification server on the session D-Bus, in a
 * graphical session. Without either (a server, a container, an SSH session) nothing can be
 * shown: say so in one sentence. macOS and Windows always have their notification center.
 */
export function desktopSessionProblem(env: Record<string, string | undefined>, platform: string): string | undefined {
  if (platform !== 'linux' && !platform.endsWith('bsd')) return undefined;
  const display = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  return display && env.DBUS_SESSION_BUS_ADDRESS ? undefined : NO_DESKTOP_SESSION;
}

/**
 * A notifier's error, fit for a delivery's last error and the channel's health: never the
 * command line (execFile's "Command failed: notify-send … <title> <body>") or the event's
 * text, first line only, bounded.
 */
export function notifierErrorText(raw: string, eventText: readonly string[]): string {
  const line =
    raw
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '' && !/^Command failed:/i.test(l)) ?? '';
  let text = line;
  for (const t of eventText) if (t.trim().length >= 3) text = text.split(t).join('…');
  text = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  if (!text) return 'the notifier exited with an error';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

// Burst collapsing for desktop popups, as a pure function of the queue and the clock: a
// popup waits briefly for company; once the burst has gone quiet (or waited long enough),
// a few popups show one by one, more than that become a single "12 new events" popup.
// The hub paces desktop deliveries (a burst of 5, then 2 per second), so a burst arrives
// as a trickle: the quiet gap must outlast that pace. A storm lasting minutes would still
// make a summary every 5 s (500 failures: 50 popups, each ringing), so after a summary the
// next summary waits for STORM_GAP_MS and, counting the storm so far, takes the last one's
// place silently.
import type { Settings } from '../../shared/config.js';
import { isInQuietHours, isSnoozed } from '../../shared/rules.js';
import type { PopupAction } from '../hub/channels/popup-decisions.js';
import { isAllowedExternalUrl } from './url-policy.js';

/** A burst is over when nothing new came for this long… */
export const COLLAPSE_QUIET_MS = 1_000;
/** …or when its first popup has waited this long, so a steady stream cannot hold popups back. */
export const COLLAPSE_MAX_WAIT_MS = 5_000;
/**
 * After a summary ("12 new events"), the next popups wait until this long after it: a storm
 * at the hub's pace (2 a second for minutes) makes one summary every 30 s, not one every 5 s.
 */
export const STORM_GAP_MS = 30_000;
/** Up to this many popups in one window are shown separately. */
export const MAX_SEPARATE_POPUPS = 3;
/** Titles quoted in a summary popup's body. */
const SUMMARY_TITLES = 3;

export interface QueuedPopup {
  eventId: string;
  title: string;
  body: string;
  url?: string;
  sound?: boolean;
  /** Popups with the same key (a pipeline's) replace each other (popup-decisions.ts). */
  replaceKey?: string;
  /** Buttons offered where the OS shows them (popupActions). */
  actions?: readonly PopupAction[];
  /** Epoch ms when the hub handed it over. */
  queuedAt: number;
}

export type PopupToShow =
  | { kind: 'single'; eventId: string; title: string; body: string; url?: string; sound: boolean; replaceKey?: string; actions?: readonly PopupAction[] }
  | {
      kind: 'summary';
      eventIds: string[];
      /** Events it counts: these, and those of the summaries it continues. */
      count: number;
      title: string;
      body: string;
      sound: boolean;
      /** A storm goes on: shown in the last summary's place ("74 new events" counts both). */
      replacesLast?: true;
    };

/** The last summary shown: when, and how many events it counted. */
export interface LastSummary {
  at: number;
  count: number;
}

export interface CollapseResult {
  /** Show these now. */
  show: PopupToShow[];
  /** Keep waiting with these. */
  pending: QueuedPopup[];
  /** When to call again (epoch ms), while something is pending. */
  wakeAt?: number;
}

export interface CollapseOptions {
  quietMs?: number;
  maxWaitMs?: number;
  maxSeparate?: number;
  stormGapMs?: number;
}

/**
 * `last`: the last summary popup shown, if one was. A next summary waits until STORM_GAP_MS
 * after it, and within twice that continues it (its count carried on, silent, in its place);
 * a few popups once the burst is quiet show as usual (a lone failure after a storm is not held).
 */
export function collapsePopups(queue: readonly QueuedPopup[], now: number, opts: CollapseOptions = {}, last?: LastSummary): CollapseResult {
  const quietMs = opts.quietMs ?? COLLAPSE_QUIET_MS;
  const maxWaitMs = opts.maxWaitMs ?? COLLAPSE_MAX_WAIT_MS;
  const maxSeparate = opts.maxSeparate ?? MAX_SEPARATE_POPUPS;
  const stormGapMs = opts.stormGapMs ?? STORM_GAP_MS;
  if (queue.length === 0) return { show: [], pending: [] };

  const times = queue.map((p) => p.queuedAt);
  const burstOver = Math.min(Math.max(...times) + quietMs, Math.min(...times) + maxWaitMs);
  const ordered = latestPerKey([...queue].sort((a, b) => a.queuedAt - b.queuedAt));
  const summary = ordered.length > maxSeparate;
  const flushAt = last === undefined || !summary ? burstOver : Math.max(burstOver, last.at + stormGapMs);
  if (now < flushAt) return { show: [], pending: [...queue], wakeAt: flushAt };

  const sound = ordered.some((p) => p.sound === true);
  if (!summary) {
    return {
      show: ordered.map((p) => ({
        kind: 'single',
        eventId: p.eventId,
        title: p.title,
        body: p.body,
        url: p.url,
        sound: p.sound === true,
        ...(p.replaceKey !== undefined && { replaceKey: p.replaceKey }),
        ...(p.actions?.length && { actions: p.actions }),
      })),
      pending: [],
    };
  }
  const continues = last !== undefined && now - last.at < 2 * stormGapMs;
  const total = ordered.length + (continues ? last.count : 0);
  const quoted = ordered.slice(-SUMMARY_TITLES).reverse().map((p) => p.title);
  const rest = total - quoted.length;
  return {
    show: [
      {
        kind: 'summary',
        eventIds: ordered.map((p) => p.eventId),
        count: total,
        title: `${total} new events`,
        body: [...quoted, ...(rest > 0 ? [`…and ${rest} more`] : [])].join('\n'),
        sound: sound && !continues,
        ...(continues && { replacesLast: true as const }),
      },
    ],
    pending: [],
  };
}

/** A pipeline's newer popup in the same burst supersedes its older one (it would only replace it). */
function latestPerKey(ordered: QueuedPopup[]): QueuedPopup[] {
  const last = new Map<string, QueuedPopup>();
  for (const p of ordered) if (p.replaceKey !== undefined) last.set(p.replaceKey, p);
  return ordered.filter((p) => p.replaceKey === undefined || last.get(p.replaceKey) === p);
}

/**
 * Electron's popup buttons, where the OS shows them: macOS and Windows. On Linux Electron's
 * popups go through libnotify without a reliable action callback, so none are offered there
 * (the headless hub's notify-send path offers them when the server supports actions).
 * "default" is the click on the popup itself, not a button.
 */
export function electronPopupButtons(actions: readonly PopupAction[] | undefined, platform: string): PopupAction[] {
  if (platform !== 'darwin' && platform !== 'win32') return [];
  return (actions ?? []).filter((a) => a.id !== 'default');
}

/** Where a click on a single popup goes: its run's web page when it links one, else the event in Herald. */
export function popupClickTarget(popup: { eventId: string; url?: string }): { kind: 'url'; url: string } | { kind: 'window'; eventId: string } {
  return isAllowedExternalUrl(popup.url) ? { kind: 'url', url: popup.url } : { kind: 'window', eventId: popup.eventId };
}

/**
 * The hub already holds desktop deliveries back while snoozed or in quiet hours; this
 * catches popups queued just before the user pressed "Pause".
 */
export function popupsMuted(settings: Pick<Settings, 'snoozeUntil' | 'quietHours'> | undefined, now: Date): boolean {
  if (!settings) return false;
  return isSnoozed(now, settings.snoozeUntil) || (settings.quietHours ? isInQuietHours(now, settings.quietHours) : false);
}

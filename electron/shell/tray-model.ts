// Everything the tray shows, as pure functions of the hub's state: which icon, what the
// tooltip says, and the menu template. The tray wiring (tray.ts) only fetches and applies.
// The board (shared/board.ts) leads: what is red now, not muted, comes first in the menu and
// turns the icon red, as CCMenu's and CatLight's do; the latest events follow.
import type { MenuItemConstructorOptions } from 'electron';
import type { ApiOutput } from '../../shared/api.js';
import type { AppPage } from '../../shared/app-routes.js';
import type { Settings } from '../../shared/config.js';
import { type BoardCounts, type BoardItem, boardItemName, boardProject, type BoardState } from '../../shared/board.js';
import { formatDuration } from '../../shared/duration.js';
import type { HeraldEvent, Severity } from '../../shared/event.js';
import { describePipeline, type Mute, pipelineKey, pipelineOf } from '../../shared/mutes.js';
import { isInQuietHours, isSnoozed } from '../../shared/rules.js';
import { isAllowedExternalUrl } from './url-policy.js';

export const TRAY_STATUSES = ['ok', 'unread', 'failing', 'snoozed'] as const;
export type TrayStatus = (typeof TRAY_STATUSES)[number];

export const TRAY_MENU_EVENTS = 10;
/** Red things listed in the menu; more are summed up in one line. */
export const TRAY_MENU_FAILING = 8;
/**
 * The board page the tray asks for (board.list, no state filter: worst first, so what is red
 * comes first) with the counts of the whole board. More than the menu lists, so red things
 * muted ahead of unmuted ones rarely crowd them out; the counts say the rest either way.
 */
export const TRAY_BOARD_PAGE = 50;
const MAX_LABEL_CHARS = 60;
/** Windows cuts tray tooltips at 127 characters. */
const MAX_TOOLTIP_CHARS = 127;
/** "Until tomorrow" pauses until this local hour of the next day. */
export const TOMORROW_HOUR = 8;

export type TrayEvent = Pick<HeraldEvent, 'id' | 'title' | 'severity' | 'url' | 'read'> & Partial<Pick<HeraldEvent, 'type' | 'source' | 'subject'>>;

/** Pipelines failing lately, offered for muting in the menu. */
export const TRAY_MUTE_PIPELINES = 5;

/** A pipeline in the tray's Mute submenu: the newest failing event names it. */
export interface TrayPipeline {
  key: string;
  label: string;
  eventId: string;
  /** Its mute's end ('passes' or ISO), when muted. */
  mutedUntil?: string;
}

/** A board item as the tray shows it. */
export type TrayBoardItem = Pick<BoardItem, 'key' | 'kind' | 'subject' | 'source' | 'state' | 'since' | 'url' | 'lastEventId' | 'mutedUntil'>;

export interface TrayBoard {
  /** The worst state of what is not muted; undefined when the board is empty or all muted. */
  worst?: BoardState;
  /** Red and not muted, the longest-standing first: those of the page the tray fetched. */
  failing: TrayBoardItem[];
  /** Red and not muted on the whole board (at least `failing.length`). */
  red: number;
  /** Red but muted (until green or for a while). */
  mutedFailing: number;
  /** Running now (a first run, or a rebuild of anything). */
  running: number;
}

export interface TrayState {
  unread: number;
  criticalUnread: number;
  /** Names of the channels and sources that keep failing. */
  failing: string[];
  /** The page the failing line opens: Channels when a channel fails, else Sources. */
  failingPage?: 'channels' | 'sources';
  /** Popups paused by the user until this time (ISO), while that is in the future. */
  snoozedUntil?: string;
  /** Inside the global quiet hours: popups held back too. */
  quietHours: boolean;
  /** Newest first, at most TRAY_MENU_EVENTS. */
  latest: TrayEvent[];
  /** What is red or running now (board.list). */
  board: TrayBoard;
  /** Recently failing pipelines (newest first), and muted ones. */
  pipelines?: TrayPipeline[];
  /** The global shortcut could not be registered: why, in one sentence. */
  shortcutProblem?: string;
  /** The store takes no events now (a damaged file): the hub's words, with the way out. */
  databaseProblem?: string;
  /** A part of the hub's state could not be read (the tray shows the last it read of it): "Could not read the board: …". */
  readProblem?: string;
}

export interface TrayInputs {
  status: Pick<ApiOutput<'hub.status'>, 'counts' | 'channels' | 'sources'> & Partial<Pick<ApiOutput<'hub.status'>, 'database'>>;
  latest: readonly TrayEvent[];
  /** Unread critical events in the whole history (not only the latest ten). */
  criticalUnread: number;
  settings: Pick<Settings, 'snoozeUntil' | 'quietHours'>;
  /** The first board.list page (worst first) and the whole board's counts; an empty board when not given. */
  board?: { items: readonly TrayBoardItem[]; counts: BoardCounts };
  now: Date;
  /** Pipeline mutes now (mutes.list). */
  mutes?: readonly Mute[];
  shortcutProblem?: string;
  /** Which parts of the state could not be read, and why (tray.ts fetchTrayParts). */
  readProblem?: string;
}

const NO_BOARD: NonNullable<TrayInputs['board']> = { items: [], counts: { failing: 0, running: 0, unknown: 0, passing: 0, mutedFailing: 0, rebuilding: 0 } };

/** What the tray shows of the board: the page's red items, the rest from the counts. */
export function deriveBoard({ items, counts }: NonNullable<TrayInputs['board']>): TrayBoard {
  const failing = items.filter((i) => i.state === 'failing' && i.mutedUntil === undefined);
  const red = Math.max(counts.failing - counts.mutedFailing, failing.length);
  // Muted things other than red ones are rare (a timed mute on a green pipeline): counted as what they are.
  const worst: BoardState | undefined = red > 0 ? 'failing' : counts.running > 0 ? 'running' : counts.unknown > 0 ? 'unknown' : counts.passing > 0 ? 'passing' : undefined;
  return {
    ...(worst && { worst }),
    failing: failing.map(({ key, kind, subject, source, state, since, url, lastEventId }) => ({ key, kind, subject, source, state, since, url, lastEventId })),
    red,
    mutedFailing: counts.mutedFailing,
    running: counts.running + counts.rebuilding,
  };
}

export function deriveTrayState({ status, latest, criticalUnread, settings, board = NO_BOARD, now, mutes = [], shortcutProblem, readProblem }: TrayInputs): TrayState {
  // A source the user paused is not failing now, whatever its last health was.
  const failingChannels = status.channels.filter((c) => !c.health.healthy).map((c) => c.name);
  const failing = [...failingChannels, ...status.sources.filter((s) => !s.paused && !s.health.healthy).map((s) => s.name)];
  return {
    unread: status.counts.unread,
    criticalUnread,
    failing,
    ...(failing.length > 0 && { failingPage: failingChannels.length > 0 ? ('channels' as const) : ('sources' as const) }),
    snoozedUntil: isSnoozed(now, settings.snoozeUntil) ? settings.snoozeUntil : undefined,
    quietHours: settings.quietHours ? isInQuietHours(now, settings.quietHours) : false,
    latest: latest.slice(0, TRAY_MENU_EVENTS).map(({ id, title, severity, url, read }) => ({ id, title, severity, url, read })),
    board: deriveBoard(board),
    pipelines: trayPipelines(latest, mutes, board.items),
    ...(shortcutProblem !== undefined && { shortcutProblem }),
    ...(status.database?.ok === false && { databaseProblem: status.database.problem ?? 'the database takes no events now' }),
    ...(readProblem !== undefined && { readProblem }),
  };
}

/**
 * The Mute submenu's pipelines: first the pipelines red on the board and not muted (the
 * longest red first: what the menu's first lines list), then each pipeline whose newest event
 * in the list failed, newest first; one entry per pipeline; a muted pipeline among the events
 * stays listed (to lift it) whatever came since. Without the board's, a red pipeline whose last
 * failure is older than the ten latest events could not be muted from the tray.
 */
export function trayPipelines(latest: readonly TrayEvent[], mutes: readonly Mute[], board: readonly TrayBoardItem[] = []): TrayPipeline[] {
  const muteByKey = new Map(mutes.map((m) => [m.key, m]));
  const seen = new Set<string>();
  const out: TrayPipeline[] = [];
  for (const item of board) {
    if (item.kind !== 'pipeline' || item.state !== 'failing' || item.mutedUntil !== undefined) continue;
    const { project, pipeline, branch } = item.subject;
    const ref = { sourceId: item.source.id, ...(project && { project }), ...(pipeline && { pipeline }), ...(branch && { branch }) };
    const key = pipelineKey(ref);
    if (seen.has(key) || muteByKey.has(key)) continue;
    seen.add(key);
    out.push({ key, label: describePipeline(ref), eventId: item.lastEventId });
    if (out.length === TRAY_MUTE_PIPELINES) return out;
  }
  for (const event of latest) {
    if (!event.type || !event.source || !event.subject) continue;
    const ref = pipelineOf({ type: event.type, source: event.source, subject: event.subject });
    if (!ref) continue;
    const key = pipelineKey(ref);
    if (seen.has(key)) continue;
    seen.add(key);
    const mute = muteByKey.get(key);
    if (event.type !== 'pipeline.failed' && !mute) continue;
    out.push({ key, label: describePipeline(ref), eventId: event.id, ...(mute && { mutedUntil: mute.untilPasses ? 'passes' : mute.until! }) });
    if (out.length === TRAY_MUTE_PIPELINES) break;
  }
  return out;
}

/**
 * One icon for the state that most needs attention: a store that takes no events, something
 * red on the board (not muted), a broken channel or source, or an unread critical event beats a pause the user chose,
 * which beats unread.
 */
export function trayStatus(state: TrayState): TrayStatus {
  if (state.databaseProblem !== undefined || state.readProblem !== undefined || state.board.red > 0 || state.failing.length > 0 || state.criticalUnread > 0) return 'failing';
  if (state.snoozedUntil !== undefined || state.quietHours) return 'snoozed';
  if (state.unread > 0) return 'unread';
  return 'ok';
}

/**
 * The icon file in build/tray. macOS gets template images (black + alpha, which the menu
 * bar tints for light and dark); each state has its own shape, so none needs colour.
 * Electron picks the @2x file next to it on high-density screens.
 */
export function trayIconFor(state: TrayState, platform: string): string {
  return `tray-${trayStatus(state)}${platform === 'darwin' ? 'Template' : ''}.png`;
}

/** Local "14:30", or "Tue 08:00" when not today. */
export function formatClock(at: Date, now: Date): string {
  const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
  return at.toDateString() === now.toDateString() ? hhmm : `${at.toLocaleDateString('en-US', { weekday: 'short' })} ${hhmm}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "acme/api: CI · main" */
export function boardItemLabel(item: TrayBoardItem): string {
  const project = boardProject(item);
  const name = boardItemName(item);
  return name === project ? name : `${project}: ${name}`;
}

export function trayTooltip(state: TrayState, now: Date): string {
  const parts = ['Herald'];
  // First: while it lasts, nothing new arrives at all (the window's sidebar has the way out).
  if (state.databaseProblem !== undefined) parts.push('database takes no new events');
  if (state.readProblem !== undefined) parts.push('could not read the hub: may be out of date');
  const red = state.board.failing;
  if (state.board.red > 0) parts.push(`${state.board.red} red${red.length > 0 ? `: ${red.map(boardItemLabel).join(', ')}` : ''}`);
  else if (state.board.worst !== undefined) parts.push('all green');
  if (state.failing.length > 0) parts.push(`failing: ${state.failing.join(', ')}`);
  if (state.unread > 0) {
    parts.push(`${plural(state.unread, 'unread event')}${state.criticalUnread > 0 ? ` (${state.criticalUnread} critical)` : ''}`);
  } else {
    parts.push('no unread events');
  }
  if (state.snoozedUntil) parts.push(`paused until ${formatClock(new Date(state.snoozedUntil), now)}`);
  else if (state.quietHours) parts.push('quiet hours');
  if (state.shortcutProblem) parts.push('global shortcut not registered');
  return truncate(parts.join(' · '), MAX_TOOLTIP_CHARS);
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

const SEVERITY_MARK: Record<Severity, string> = { critical: '✖', warning: '⚠', success: '✔', info: 'ℹ' };

/**
 * Event text is untrusted: one line, no control or bidi-override characters (which could
 * disguise a label), cut to menu width; on Windows and Linux a single `&` marks a keyboard
 * mnemonic, so it is doubled.
 */
export function menuLabel(text: string, platform: string, maxChars = MAX_LABEL_CHARS): string {
  const oneLine = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = truncate(oneLine || '(untitled)', maxChars);
  return platform === 'darwin' ? cut : cut.replace(/&/g, '&&');
}

export interface SnoozeChoice {
  id: 'snooze-30m' | 'snooze-1h' | 'snooze-tomorrow';
  label: string;
  until: Date;
}

export function snoozeChoices(now: Date): SnoozeChoice[] {
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, TOMORROW_HOUR, 0, 0, 0);
  return [
    { id: 'snooze-30m', label: 'For 30 minutes', until: new Date(now.getTime() + 30 * 60_000) },
    { id: 'snooze-1h', label: 'For 1 hour', until: new Date(now.getTime() + 60 * 60_000) },
    { id: 'snooze-tomorrow', label: `Until tomorrow (${formatClock(tomorrow, tomorrow)})`, until: tomorrow },
  ];
}

/** Where clicking an event goes: its own http(s) link in the browser, else its detail in Herald. */
export type EventTarget = { kind: 'url'; url: string } | { kind: 'window'; eventId: string };

export function eventClickTarget(event: Pick<TrayEvent, 'id' | 'url'>): EventTarget {
  return isAllowedExternalUrl(event.url) ? { kind: 'url', url: event.url } : { kind: 'window', eventId: event.id };
}

export interface TrayActions {
  openEvent(eventId: string, target: EventTarget): void;
  markAllRead(): void;
  /** A date pauses popups until then; null resumes them. */
  setSnooze(until: Date | null): void;
  /** Shows the window; on a page, when given (else where it was). */
  openWindow(page?: AppPage): void;
  quit(): void;
  /** Install the downloaded update and start again (electron-updater's quitAndInstall). */
  restartToUpdate?(): void;
  /** Mute the pipeline an event is about: for minutes, or until it passes. */
  mute?(eventId: string, how: { minutes: number } | { untilPasses: true }): void;
  liftMute?(key: string): void;
}

export type TrayMenuTemplate = MenuItemConstructorOptions[];

/** What clicking a red board item opens: its run in the browser, else its last event in Herald. */
export function boardItemTarget(item: Pick<TrayBoardItem, 'url' | 'lastEventId'>): EventTarget {
  return eventClickTarget({ id: item.lastEventId, url: item.url });
}

/** "✖ acme/api: CI · main — red 3 h 12 min": a long name is cut, never how long it has been red. */
function redLine(item: TrayBoardItem, now: Date, platform: string): string {
  const since = ` — red ${formatDuration(now.getTime() - Date.parse(item.since))}`;
  return menuLabel(`✖ ${boardItemLabel(item)}`, platform, MAX_LABEL_CHARS - since.length) + since;
}

/** The board's part of the menu: what is red (not muted) first, then a line for the rest. */
function boardMenu(board: TrayBoard, actions: TrayActions, now: Date, platform: string): MenuItemConstructorOptions[] {
  if (board.worst === undefined && board.mutedFailing === 0) return [];
  const red: MenuItemConstructorOptions[] = board.failing.slice(0, TRAY_MENU_FAILING).map((item) => ({
    id: `board:${item.key}`,
    label: redLine(item, now, platform),
    click: () => actions.openEvent(item.lastEventId, boardItemTarget(item)),
  }));
  const more = board.red - red.length;
  const notes = [
    more > 0 ? `${more} ${red.length > 0 ? 'more ' : ''}red` : undefined,
    board.mutedFailing > 0 ? `${board.mutedFailing} red but muted` : undefined,
    board.running > 0 ? `${board.running} running` : undefined,
  ].filter((n): n is string => n !== undefined);
  return [
    ...(board.red === 0 ? [{ id: 'board-green', label: '✔ Nothing red now', enabled: false }] : red),
    ...(notes.length ? [{ id: 'board-more', label: notes.join(' · '), click: () => actions.openWindow('now') }] : []),
    { type: 'separator' },
  ];
}

/**
 * `now` words the labels; `clock` is read when an item is clicked (a menu may be left as it
 * is for minutes: "For 30 minutes" counts from the click, not from when the menu was built).
 */
export function buildTrayMenu(state: TrayState, actions: TrayActions, opts: { now: Date; platform: string; restartLabel?: string | null; clock?: () => Date }): TrayMenuTemplate {
  const { now, platform } = opts;
  const clock = opts.clock ?? (() => new Date());
  // A downloaded update comes first: it is the one thing here that waits on the user.
  const update: MenuItemConstructorOptions[] =
    opts.restartLabel && actions.restartToUpdate
      ? [{ id: 'restart-to-update', label: opts.restartLabel, click: () => actions.restartToUpdate?.() }, { type: 'separator' }]
      : [];
  const events: MenuItemConstructorOptions[] = state.latest.length
    ? state.latest.slice(0, TRAY_MENU_EVENTS).map((event) => ({
        id: `event:${event.id}`,
        label: `${event.read ? '' : '• '}${SEVERITY_MARK[event.severity]} ${menuLabel(event.title, platform)}`,
        click: () => actions.openEvent(event.id, eventClickTarget(event)),
      }))
    : [{ id: 'no-events', label: 'No events yet', enabled: false }];

  const failing: MenuItemConstructorOptions[] = state.failing.length
    ? [
        {
          id: 'failing',
          label: menuLabel(`⚠ Failing: ${state.failing.join(', ')}`, platform),
          click: () => actions.openWindow(state.failingPage),
        },
        { type: 'separator' },
      ]
    : [];

  const pause: MenuItemConstructorOptions[] = [
    ...(state.snoozedUntil
      ? [{ id: 'paused-until', label: `Paused until ${formatClock(new Date(state.snoozedUntil), now)}`, enabled: false }, { type: 'separator' as const }]
      : []),
    ...snoozeChoices(now).map((choice) => ({
      id: choice.id,
      label: choice.label,
      click: () => actions.setSnooze(snoozeChoices(clock()).find((c) => c.id === choice.id)!.until),
    })),
    { type: 'separator' },
    { id: 'resume', label: 'Resume notifications', enabled: state.snoozedUntil !== undefined, click: () => actions.setSnooze(null) },
  ];

  const database: MenuItemConstructorOptions[] =
    state.databaseProblem !== undefined
      ? [{ id: 'database-problem', label: menuLabel(`⚠ Database: ${state.databaseProblem}`, platform), click: () => actions.openWindow() }, { type: 'separator' }]
      : [];

  const unread: MenuItemConstructorOptions[] =
    state.readProblem !== undefined
      ? [{ id: 'read-problem', label: menuLabel(`⚠ ${state.readProblem}`, platform), click: () => actions.openWindow() }, { type: 'separator' }]
      : [];

  const shortcut: MenuItemConstructorOptions[] = state.shortcutProblem
    ? [{ id: 'shortcut-problem', label: '⚠ Global shortcut not registered: see Settings', click: () => actions.openWindow('settings') }, { type: 'separator' }]
    : [];

  const pipelines = state.pipelines ?? [];
  const mute: MenuItemConstructorOptions[] =
    pipelines.length > 0 && actions.mute
      ? [
          {
            id: 'mute',
            label: 'Mute a pipeline',
            submenu: pipelines.map((p) => ({
              id: `mute:${p.key}`,
              label: menuLabel(p.mutedUntil ? `${p.label} (muted ${p.mutedUntil === 'passes' ? 'until it passes' : `until ${formatClock(new Date(p.mutedUntil), now)}`})` : p.label, platform),
              submenu: p.mutedUntil
                ? [{ id: `lift:${p.key}`, label: 'Lift mute', click: () => actions.liftMute?.(p.key) }]
                : [
                    { id: `mute-1h:${p.key}`, label: 'Mute 1 h', click: () => actions.mute!(p.eventId, { minutes: 60 }) },
                    { id: `mute-pass:${p.key}`, label: 'Mute until it passes', click: () => actions.mute!(p.eventId, { untilPasses: true }) },
                  ],
            })),
          },
        ]
      : [];

  return [
    ...update,
    ...database,
    ...unread,
    ...shortcut,
    ...boardMenu(state.board, actions, now, platform),
    ...failing,
    ...events,
    { type: 'separator' },
    ...mute,
    { id: 'mark-all-read', label: 'Mark all read', enabled: state.unread > 0, click: () => actions.markAllRead() },
    { id: 'pause', label: state.snoozedUntil ? 'Notifications paused' : 'Pause notifications', submenu: pause },
    { type: 'separator' },
    { id: 'open', label: 'Open Herald', click: () => actions.openWindow() },
    { id: 'quit', label: 'Quit Herald', click: () => actions.quit() },
  ];
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import type { ApiOutput } from '../../../shared/api.js';
import { SettingsSchema } from '../../../shared/config.js';
import type { BoardCounts, BoardItem } from '../../../shared/board.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { createTrayController } from '../../../electron/shell/tray.js';
import {
  buildTrayMenu,
  deriveTrayState,
  menuLabel,
  snoozeChoices,
  TRAY_STATUSES,
  trayIconFor,
  TRAY_BOARD_PAGE,
  trayStatus,
  trayTooltip,
  type TrayActions,
  type TrayState,
} from '../../../electron/shell/tray-model.js';
import { electron, resetElectronDouble, type FakeMenu } from '../../helpers/electron-double.js';
import { makeEvent } from '../../helpers/fake-event.js';

const ICON_DIR = path.resolve(import.meta.dirname, '../../../build/tray');

const GREEN_BOARD = { failing: [], red: 0, mutedFailing: 0, running: 0 };
function state(overrides: Partial<TrayState> = {}): TrayState {
  return { unread: 0, criticalUnread: 0, failing: [], quietHours: false, latest: [], board: GREEN_BOARD, ...overrides };
}

const SINCE = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
function boardItem(key: string, overrides: Partial<BoardItem> = {}): BoardItem {
  return {
    key,
    kind: 'pipeline',
    source: { id: 'gh', name: 'GitHub' },
    subject: { project: 'acme/api', pipeline: key, branch: 'main' },
    state: 'failing',
    since: SINCE(192),
    streak: 2,
    lastEventId: `last-${key}`,
    lastEventAt: SINCE(10),
    title: `${key} failed`,
    url: `https://github.com/acme/api/actions/runs/${key}`,
    ...overrides,
  };
}

/** A board.list answer holding all of `items` (a board smaller than a page): its counts as the hub makes them. */
function page(items: BoardItem[]): { items: BoardItem[]; counts: BoardCounts } {
  const counts: BoardCounts = { failing: 0, running: 0, unknown: 0, passing: 0, mutedFailing: 0, rebuilding: 0 };
  for (const i of items) {
    counts[i.state]++;
    if (i.state === 'failing' && i.mutedUntil !== undefined) counts.mutedFailing++;
    if (i.running && i.state !== 'running') counts.rebuilding++;
  }
  return { items, counts };
}

function recordingActions() {
  return {
    openEvent: vi.fn<TrayActions['openEvent']>(),
    markAllRead: vi.fn<TrayActions['markAllRead']>(),
    setSnooze: vi.fn<TrayActions['setSnooze']>(),
    openWindow: vi.fn<TrayActions['openWindow']>(),
    quit: vi.fn<TrayActions['quit']>(),
  };
}

const NOW = new Date(2025, 4, 6, 14, 10, 0); // local time, so clock labels hold in any zone
const future = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000).toISOString();

/** Builds the template through the double's Menu, which rejects malformed items as Electron does. */
function menuOf(s: TrayState, actions: TrayActions = recordingActions(), platform = 'linux'): FakeMenu {
  return electron.Menu.buildFromTemplate(buildTrayMenu(s, actions, { now: NOW, platform, clock: () => NOW }));
}

beforeEach(() => resetElectronDouble());

describe('trayStatus and trayIconFor', () => {
  const rows: Array<[string, Partial<TrayState>, string, string]> = [
    ['nothing new', {}, 'linux', 'tray-ok.png'],
    ['unread events', { unread: 3 }, 'win32', 'tray-unread.png'],
    ['an unread critical event', { unread: 3, criticalUnread: 1 }, 'linux', 'tray-failing.png'],
    ['a failing channel, nothing unread', { failing: ['Slack #ops'] }, 'linux', 'tray-failing.png'],
    ['snoozed with unread events', { unread: 4, snoozedUntil: future(30) }, 'linux', 'tray-snoozed.png'],
    ['quiet hours', { quietHours: true }, 'win32', 'tray-snoozed.png'],
    ['failing beats snoozed', { failing: ['GitHub'], snoozedUntil: future(30) }, 'linux', 'tray-failing.png'],
    ['macOS: template image', { unread: 1 }, 'darwin', 'tray-unreadTemplate.png'],
    ['macOS: failing template', { criticalUnread: 2, unread: 2 }, 'darwin', 'tray-failingTemplate.png'],
  ];
  it.each(rows)('%s → %s', (_name, overrides, platform, expected) => {
    expect(trayIconFor(state(overrides), platform)).toBe(expected);
  });

  /** Minimal PNG reader for the icons make-icons.mjs writes (8-bit RGBA, filter 0). */
  function readPng(file: string) {
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    expect([bytes[24], bytes[25]]).toEqual([8, 6]);
    const idat: Buffer[] = [];
    for (let at = 8; at < bytes.length; ) {
      const length = bytes.readUInt32BE(at);
      if (bytes.toString('ascii', at + 4, at + 8) === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
      at += 12 + length;
    }
    const raw = inflateSync(Buffer.concat(idat));
    const pixels: number[][] = [];
    for (let y = 0; y < height; y++) {
      expect(raw[y * (width * 4 + 1)]).toBe(0);
      for (let x = 0; x < width; x++) {
        const i = y * (width * 4 + 1) + 1 + x * 4;
        pixels.push([raw[i]!, raw[i + 1]!, raw[i + 2]!, raw[i + 3]!]);
      }
    }
    return { width, height, pixels };
  }

  const variants = TRAY_STATUSES.flatMap((status) => ['linux', 'win32', 'darwin'].map((platform) => [status, platform] as const));
  it.each(variants)('the %s icon for %s exists at 1x and 2x; template images are black with alpha only', (status, platform) => {
    const overrides: Record<string, Partial<TrayState>> = {
      ok: {},
      unread: { unread: 1 },
      failing: { failing: ['x'] },
      snoozed: { snoozedUntil: future(5) },
    };
    const file = trayIconFor(state(overrides[status]), platform);
    expect(trayStatus(state(overrides[status]))).toBe(status);
    for (const [name, size] of [[file, 16], [file.replace(/\.png$/, '@2x.png'), 32]] as const) {
      const png = readPng(path.join(ICON_DIR, name));
      expect([png.width, png.height]).toEqual([size, size]);
      const visible = png.pixels.filter((p) => p[3]! > 0);
      expect(visible.length).toBeGreaterThan(size); // not blank
      if (platform === 'darwin') expect(visible.every(([r, g, b]) => r === 0 && g === 0 && b === 0)).toBe(true);
      else expect(visible.some(([r, g, b]) => r! + g! + b! > 0)).toBe(true);
    }
  });
});

describe('the board in the tray', () => {
  const base = { status: { counts: { events: 0, unread: 0, pendingDeliveries: 0, failedDeliveries: 0 }, channels: [], sources: [] }, latest: [], criticalUnread: 0, settings: {}, now: NOW };

  it.each<[string, BoardItem[], string, string[]]>([
    ['nothing on the board: no board lines, the usual icon', [], 'tray-ok.png', ['No events yet']],
    ['only green and running: "Nothing red now", the running counted', [boardItem('ci', { state: 'passing', running: true })], 'tray-ok.png', ['✔ Nothing red now', '1 running']],
    ['red: the red first, the icon red', [boardItem('ci')], 'tray-failing.png', ['✖ acme/api: ci · main — red 3 h 12 min']],
    ['red but muted: not red in the icon; said in a line', [boardItem('ci', { mutedUntil: 'passes' })], 'tray-ok.png', ['✔ Nothing red now', '1 red but muted']],
  ])('%s', (_name, items, icon, firstLines) => {
    const s = deriveTrayState({ ...base, board: page(items) });
    expect(trayIconFor(s, 'linux')).toBe(icon);
    const labels = menuOf(s).items.map((i) => i.label).filter((l) => l !== undefined);
    expect(labels.slice(0, firstLines.length)).toEqual(firstLines);
  });

  it('lists at most eight red things and sums up the rest', () => {
    const items = Array.from({ length: 11 }, (_, i) => boardItem(`p${i}`, { since: SINCE(100 - i) }));
    const s = deriveTrayState({ ...base, board: page(items) });
    const labels = menuOf(s).items.map((i) => i.label);
    expect(labels.filter((l) => l?.startsWith('✖'))).toHaveLength(8);
    expect(labels).toContain('3 more red');
  });

  it('counts what the page does not hold: red beyond it, and red when muted ones filled the page', () => {
    // The hub's counts are of the whole board; the tray fetched one page of it.
    const beyond = { items: [boardItem('p0'), boardItem('p1')], counts: { failing: 140, running: 3, unknown: 0, passing: 4000, mutedFailing: 10, rebuilding: 2 } };
    const s = deriveTrayState({ ...base, board: beyond });
    expect(s.board).toMatchObject({ worst: 'failing', red: 130, mutedFailing: 10, running: 5 });
    expect(menuOf(s).items.map((i) => i.label).slice(0, 3)).toEqual(['✖ acme/api: p0 · main — red 3 h 12 min', '✖ acme/api: p1 · main — red 3 h 12 min', '128 more red · 10 red but muted · 5 running']);
    expect(trayTooltip(s, NOW)).toMatch(/^Herald · 130 red: acme\/api: p0 · main, acme\/api: p1 · main/);
    const allMuted = { items: [boardItem('m0', { mutedUntil: 'passes' })], counts: { failing: 60, running: 0, unknown: 0, passing: 10, mutedFailing: 55, rebuilding: 0 } };
    const t = deriveTrayState({ ...base, board: allMuted });
    expect(trayIconFor(t, 'linux')).toBe('tray-failing.png');
    expect(menuOf(t).items.map((i) => i.label)[0]).toBe('5 red · 55 red but muted');
    expect(trayTooltip(t, NOW)).toMatch(/^Herald · 5 red · /);
  });

  it('a long name is cut, never how long it has been red', () => {
    const long = boardItem('x', { subject: { project: 'platform-engineering/infrastructure-monorepo', pipeline: 'integration & e2e', branch: 'release/2025.05' } });
    const label = menuOf(deriveTrayState({ ...base, board: page([long]) })).items[0]!.label;
    expect(label).toMatch(/^✖ platform-engineering\/infra[^ ]*… — red 3 h 12 min$/);
    expect([...label].length).toBeLessThanOrEqual(60);
  });

  it('a red pipeline can be muted until green from the tray, even when its last failure is older than the latest events', () => {
    // Ten newer events about something else fill the latest list; ci and deploy are red, lint red but muted.
    const latest = Array.from({ length: 10 }, (_, i) => makeEvent({ id: `n${i}`, type: 'security.finding', subject: { project: 'other' } }));
    const items = [boardItem('ci'), boardItem('lint', { mutedUntil: 'passes' }), boardItem('deploy', { kind: 'deployment', subject: { project: 'acme/api', environment: 'prod' } })];
    const s = deriveTrayState({ ...base, latest, board: page(items) });
    const actions = { ...recordingActions(), mute: vi.fn<NonNullable<TrayActions['mute']>>(), liftMute: vi.fn() };
    const menu = menuOf(s, actions);
    const submenu = menu.getMenuItemById('mute')!.submenu!;
    expect(submenu.items.map((i) => i.label)).toEqual(['acme/api · ci · main']);
    const key = '["gh","acme/api","ci","main"]';
    menu.getMenuItemById(`mute-pass:${key}`)!.click();
    expect(actions.mute).toHaveBeenCalledWith('last-ci', { untilPasses: true });
  });

  it('board text is untrusted: one line, no control characters', () => {
    const s = deriveTrayState({ ...base, board: page([boardItem('x', { subject: { project: 'evil\u202e\nproject', pipeline: 'a&b' } })]) });
    expect(menuOf(s).items[0]!.label).toBe('✖ evil project: a&&b — red 3 h 12 min');
  });
});

describe('deriveTrayState', () => {
  const health = (healthy: boolean) => ({ healthy, consecutiveFailures: healthy ? 0 : 3, lastError: null, lastSuccessAt: null, lastFailureAt: null });
  const status = {
    counts: { events: 40, unread: 7, pendingDeliveries: 0, failedDeliveries: 2 },
    channels: [
      { id: 'slack', name: 'Slack #ops', health: health(false) },
      { id: 'popup', name: 'Popups', health: health(true) },
    ],
    sources: [{ id: 'gh', name: 'GitHub', health: health(false) }],
  } satisfies Pick<ApiOutput<'hub.status'>, 'counts' | 'channels' | 'sources'>;
  const events = Array.from({ length: 12 }, (_, i) => makeEvent({ id: `e${i}`, title: `event ${i}` }));

  it('names unhealthy channels and sources, keeps counts, caps the events at 10', () => {
    const s = deriveTrayState({ status, latest: events, criticalUnread: 2, settings: SettingsSchema.parse({}), now: NOW });
    expect(s.failing).toEqual(['Slack #ops', 'GitHub']);
    expect(s.unread).toBe(7);
    expect(s.criticalUnread).toBe(2);
    expect(s.latest.map((e) => e.id)).toEqual(events.slice(0, 10).map((e) => e.id));
    expect(s.snoozedUntil).toBeUndefined();
  });

  it('leaves out a source the user paused: its last health is history', () => {
    const paused = { ...status, sources: [{ id: 'gh', name: 'GitHub', health: health(false), paused: true as const }] };
    const s = deriveTrayState({ status: paused, latest: [], criticalUnread: 0, settings: SettingsSchema.parse({}), now: NOW });
    expect(s.failing).toEqual(['Slack #ops']);
  });

  it("a store that takes no events is the tray's first news: the failing icon, the tooltip's first words, the menu's first line", () => {
    const problem = 'the database /home/me/.local/share/herald/herald.db is damaged (database disk image is malformed): nothing more is accepted into it; stop Herald, then `npm run db -- check`';
    const base = { latest: [], criticalUnread: 0, settings: {}, now: NOW };
    const s = deriveTrayState({ ...base, status: { ...status, channels: [], sources: [], counts: { ...status.counts, unread: 0 }, database: { ok: false, problem } } });
    expect(s.databaseProblem).toBe(problem);
    expect(trayStatus(s)).toBe('failing');
    expect(trayTooltip(s, NOW)).toBe('Herald · database takes no new events · no unread events');
    const actions = recordingActions();
    const menu = menuOf(s, actions);
    expect(menu.items[0]!.id).toBe('database-problem');
    expect(menu.items[0]!.label).toMatch(/^⚠ Database: the database \/home\/me\/.+…$/);
    menu.items[0]!.click();
    expect(actions.openWindow).toHaveBeenCalledTimes(1);
    // A sound store (or a hub that does not say) adds nothing.
    expect(deriveTrayState({ ...base, status: { ...status, database: { ok: true } } }).databaseProblem).toBeUndefined();
    expect(deriveTrayState({ ...base, status }).databaseProblem).toBeUndefined();
    expect(menuOf(deriveTrayState({ ...base, status }), recordingActions()).getMenuItemById('database-problem')).toBeNull();
  });

  it('a snooze counts only while in the future; quiet hours by the clock', () => {
    const past = new Date(NOW.getTime() - 60_000).toISOString();
    const base = { status, latest: [], criticalUnread: 0, now: NOW };
    expect(deriveTrayState({ ...base, settings: { snoozeUntil: past } }).snoozedUntil).toBeUndefined();
    expect(deriveTrayState({ ...base, settings: { snoozeUntil: future(30) } }).snoozedUntil).toBe(future(30));
    const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    const around = { start: hhmm(new Date(NOW.getTime() - 3_600_000)), end: hhmm(new Date(NOW.getTime() + 3_600_000)) };
    expect(deriveTrayState({ ...base, settings: { quietHours: around } }).quietHours).toBe(true);
    expect(deriveTrayState({ ...base, settings: { quietHours: { start: around.end, end: around.start } } }).quietHours).toBe(false);
  });
});

describe('trayTooltip', () => {
  it('says what is failing, how many are unread, and until when popups are paused', () => {
    const text = trayTooltip(state({ failing: ['Slack #ops'], unread: 5, criticalUnread: 2, snoozedUntil: future(50) }), NOW);
    expect(text).toBe('Herald · failing: Slack #ops · 5 unread events (2 critical) · paused until 15:00');
    expect(trayTooltip(state(), NOW)).toBe('Herald · no unread events');
    expect(trayTooltip(state({ unread: 1, quietHours: true }), NOW)).toBe('Herald · 1 unread event · quiet hours');
  });
  it('stays within the 127 characters Windows shows', () => {
    const text = trayTooltip(state({ failing: Array.from({ length: 30 }, (_, i) => `channel number ${i}`) }), NOW);
    expect([...text].length).toBeLessThanOrEqual(127);
    expect(text.endsWith('…')).toBe(true);
  });
});

describe('buildTrayMenu', () => {
  const trayEvent = (id: string, overrides: Partial<HeraldEvent> = {}) => {
    const { title, severity, url, read } = makeEvent({ id, ...overrides });
    return { id, title, severity, url, read };
  };

  it('lists at most the 10 latest events, newest first, unread marked', () => {
    const latest = Array.from({ length: 12 }, (_, i) => trayEvent(`e${i}`, { title: `build ${i}`, read: i % 2 === 1, severity: 'critical' }));
    const menu = menuOf(state({ latest }));
    const items = menu.items.filter((i) => i.id?.startsWith('event:'));
    expect(items.map((i) => i.id)).toEqual(latest.slice(0, 10).map((e) => `event:${e.id}`));
    expect(items[0]!.label).toBe('• ✖ build 0');
    expect(items[1]!.label).toBe('✖ build 1');
  });

  it('says so when there are no events', () => {
    const item = menuOf(state()).getMenuItemById('no-events');
    expect(item?.label).toBe('No events yet');
    expect(item?.enabled).toBe(false);
  });

  it("clicking an event opens its http(s) URL; any other URL opens it in Herald's window", () => {
    const actions = recordingActions();
    const latest = [
      trayEvent('web', { url: 'https://github.com/acme/api/actions/runs/7' }),
      trayEvent('js', { url: 'javascript:alert(1)' }),
      trayEvent('file', { url: 'file:///etc/passwd' }),
      trayEvent('none', { url: undefined }),
      trayEvent('creds', { url: 'https://user:pw@example.com/' }),
    ];
    const menu = menuOf(state({ latest }), actions);
    for (const e of latest) menu.getMenuItemById(`event:${e.id}`)!.click();
    expect(actions.openEvent.mock.calls).toEqual([
      ['web', { kind: 'url', url: 'https://github.com/acme/api/actions/runs/7' }],
      ['js', { kind: 'window', eventId: 'js' }],
      ['file', { kind: 'window', eventId: 'file' }],
      ['none', { kind: 'window', eventId: 'none' }],
      ['creds', { kind: 'window', eventId: 'creds' }],
    ]);
  });

  it('event titles are untrusted: one line, no bidi overrides, cut, & escaped where it is a mnemonic', () => {
    const title = 'Deploy & \u202Eroll\u202C back\nnow ' + 'x'.repeat(100);
    const linux = menuLabel(title, 'linux');
    expect(linux.startsWith('Deploy && roll back now x')).toBe(true);
    expect(linux).not.toMatch(/[\n\u202A-\u202E]/);
    expect([...linux.replace('&&', '&')].length).toBeLessThanOrEqual(60);
    expect(menuLabel(title, 'darwin').startsWith('Deploy & roll')).toBe(true);
    expect(menuLabel(' \n ', 'linux')).toBe('(untitled)');
  });

  it('Mark all read only when something is unread', () => {
    const actions = recordingActions();
    expect(menuOf(state(), actions).getMenuItemById('mark-all-read')!.enabled).toBe(false);
    menuOf(state({ unread: 2 }), actions).getMenuItemById('mark-all-read')!.click();
    expect(actions.markAllRead).toHaveBeenCalledTimes(1);
  });

  it('Pause: 30 minutes, 1 hour, until tomorrow 08:00; resume only while paused', () => {
    const actions = recordingActions();
    const menu = menuOf(state(), actions);
    expect(menu.getMenuItemById('pause')!.label).toBe('Pause notifications');
    for (const id of ['snooze-30m', 'snooze-1h', 'snooze-tomorrow']) menu.getMenuItemById(id)!.click();
    expect(actions.setSnooze.mock.calls.map(([until]) => until?.getTime())).toEqual([
      NOW.getTime() + 30 * 60_000,
      NOW.getTime() + 60 * 60_000,
      new Date(2025, 4, 7, 8, 0, 0).getTime(),
    ]);
    expect(menu.getMenuItemById('snooze-tomorrow')!.label).toBe('Until tomorrow (08:00)');
    expect(menu.getMenuItemById('resume')!.enabled).toBe(false);

    const paused = menuOf(state({ snoozedUntil: future(30) }), actions);
    expect(paused.getMenuItemById('pause')!.label).toBe('Notifications paused');
    expect(paused.getMenuItemById('paused-until')!.label).toBe('Paused until 14:40');
    paused.getMenuItemById('resume')!.click();
    expect(actions.setSnooze).toHaveBeenLastCalledWith(null);
  });

  it('"until tomorrow" late at night is still the next calendar day', () => {
    const lateNight = new Date(2025, 11, 31, 23, 50);
    const tomorrow = snoozeChoices(lateNight).find((c) => c.id === 'snooze-tomorrow')!;
    expect(tomorrow.until.getTime()).toBe(new Date(2026, 0, 1, 8, 0).getTime());
  });

  it('Open Herald, Quit, and a failing line that opens the window', () => {
    const actions = recordingActions();
    const menu = menuOf(state({ failing: ['Slack #ops', 'GitHub'] }), actions);
    expect(menu.items[0]!.label).toBe('⚠ Failing: Slack #ops, GitHub');
    menu.items[0]!.click();
    menu.getMenuItemById('open')!.click();
    expect(actions.openWindow).toHaveBeenCalledTimes(2);
    expect(actions.openWindow).toHaveBeenLastCalledWith(); // where it was
    menu.getMenuItemById('quit')!.click();
    expect(actions.quit).toHaveBeenCalledTimes(1);
    expect(menu.items.at(-1)!.id).toBe('quit');
  });
});

describe('warnings open the page that deals with them', () => {
  const health = (healthy: boolean) => ({ healthy, consecutiveFailures: healthy ? 0 : 3, lastError: null, lastSuccessAt: null, lastFailureAt: null });
  const counts = { events: 0, unread: 0, pendingDeliveries: 0, failedDeliveries: 0 };
  const base = { latest: [], criticalUnread: 0, settings: {}, now: NOW };

  it('a failing channel: Channels; only a failing source: Sources; a taken shortcut: Settings; the red beyond the list: Now', () => {
    const both = deriveTrayState({ ...base, status: { counts, channels: [{ id: 's', name: 'Slack', health: health(false) }], sources: [{ id: 'g', name: 'GitHub', health: health(false) }] } });
    const actions = recordingActions();
    menuOf(both, actions).getMenuItemById('failing')!.click();
    expect(actions.openWindow).toHaveBeenLastCalledWith('channels');
    const source = deriveTrayState({ ...base, status: { counts, channels: [{ id: 's', name: 'Slack', health: health(true) }], sources: [{ id: 'g', name: 'GitHub', health: health(false) }] } });
    menuOf(source, actions).getMenuItemById('failing')!.click();
    expect(actions.openWindow).toHaveBeenLastCalledWith('sources');
    menuOf(state({ shortcutProblem: 'the shortcut Alt+Space is taken by another app' }), actions).getMenuItemById('shortcut-problem')!.click();
    expect(actions.openWindow).toHaveBeenLastCalledWith('settings');
    const many = deriveTrayState({ ...base, status: { counts, channels: [], sources: [] }, board: page(Array.from({ length: 9 }, (_, i) => boardItem(`p${i}`))) });
    menuOf(many, actions).getMenuItemById('board-more')!.click();
    expect(actions.openWindow).toHaveBeenLastCalledWith('now');
  });
});

describe('createTrayController (wiring, with the electron double)', () => {
  afterEach(() => vi.useRealTimers());

  function fakeApi(overrides: { unread?: number; unhealthy?: boolean; snoozeUntil?: string; board?: BoardItem[] } = {}) {
    const events = [makeEvent({ id: 'e1', title: 'deploy failed', read: false })];
    const health = { healthy: !overrides.unhealthy, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null };
    return {
      'hub.status': vi.fn(async () => ({
        version: '1',
        startedAt: NOW.toISOString(),
        ingressUrl: 'http://127.0.0.1:8787',
        apiUrl: '',
        keychain: { available: true },
        database: { ok: true },
        counts: { events: 1, unread: overrides.unread ?? 1, pendingDeliveries: 0, failedDeliveries: 0 },
        channels: [{ id: 'slack', name: 'Slack', health }],
        sources: [],
      })),
      'events.list': vi.fn(async (q: { unread?: boolean }) => (q.unread ? { items: [], total: 0 } : { items: events, total: 1 })),
      'settings.get': vi.fn(async () => SettingsSchema.parse(overrides.snoozeUntil ? { snoozeUntil: overrides.snoozeUntil } : {})),
      'board.list': vi.fn(async () => page(overrides.board ?? [])),
      'mutes.list': vi.fn(async () => ({ items: [] })),
    };
  }

  it('sets the icon file, tooltip and menu from the hub state', async () => {
    const api = fakeApi({ unhealthy: true });
    const actions = recordingActions();
    const controller = createTrayController({ api, actions, iconDir: ICON_DIR, platform: 'linux', now: () => NOW });
    await controller.refresh();
    const tray = electron.created.trays[0]!;
    expect(tray.image.path).toBe(path.join(ICON_DIR, 'tray-failing.png'));
    expect(tray.image.isEmpty()).toBe(false);
    expect(tray.tooltip).toBe('Herald · failing: Slack · 1 unread event');
    expect(api['events.list']).toHaveBeenCalledWith({ limit: 10 });
    expect(api['events.list']).toHaveBeenCalledWith({ unread: true, severities: ['critical'], limit: 1 });
    tray.menu!.getMenuItemById('event:e1')!.click();
    expect(actions.openEvent).toHaveBeenCalledWith('e1', { kind: 'url', url: 'https://github.com/acme/api/actions/runs/1' });
    controller.destroy();
    expect(tray.destroyed).toBe(true);
  });

  it('draws the icon and the first menu lines from the board: what is red, the longest first; a click opens the run', async () => {
    const api = fakeApi({ unread: 0, board: [boardItem('ci'), boardItem('deploy', { kind: 'deployment', subject: { project: 'acme/api', environment: 'prod' }, url: undefined, since: SINCE(5) })] });
    const actions = recordingActions();
    const controller = createTrayController({ api, actions, iconDir: ICON_DIR, platform: 'linux', now: () => NOW });
    await controller.refresh();
    expect(api['board.list']).toHaveBeenCalledWith({ limit: TRAY_BOARD_PAGE });
    const tray = electron.created.trays[0]!;
    expect(tray.image.path).toBe(path.join(ICON_DIR, 'tray-failing.png'));
    expect(tray.tooltip).toBe('Herald · 2 red: acme/api: ci · main, acme/api: deploy to prod · no unread events');
    const labels = tray.menu!.items.map((i) => i.label);
    expect(labels.slice(0, 2)).toEqual(['✖ acme/api: ci · main — red 3 h 12 min', '✖ acme/api: deploy to prod — red 5 min']);
    tray.menu!.getMenuItemById('board:ci')!.click();
    expect(actions.openEvent).toHaveBeenCalledWith('last-ci', { kind: 'url', url: 'https://github.com/acme/api/actions/runs/ci' });
    tray.menu!.getMenuItemById('board:deploy')!.click();
    expect(actions.openEvent).toHaveBeenCalledWith('last-deploy', { kind: 'window', eventId: 'last-deploy' });
    controller.destroy();
  });

  it('reads one state at a time: a read that finishes late never puts an older state back', async () => {
    // The first read is slow (the hub busy with a storm) and sees a red board; the next one,
    // asked for meanwhile, sees it green. The tray must end green, after two reads, not three.
    const api = fakeApi({ unread: 0 });
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    let reads = 0;
    api['board.list'].mockImplementation(async () => {
      const read = ++reads;
      if (read === 1) {
        await firstHeld;
        return page([boardItem('ci')]);
      }
      return page([boardItem('ci', { state: 'passing' })]);
    });
    const controller = createTrayController({ api, actions: recordingActions(), iconDir: ICON_DIR, platform: 'linux', now: () => NOW });
    const first = controller.refresh();
    const second = controller.refresh();
    const third = controller.refresh(); // shares the one read after the first
    await vi.waitFor(() => expect(api['board.list']).toHaveBeenCalledTimes(1));
    releaseFirst();
    const [, s2, s3] = await Promise.all([first, second, third]);
    expect(s2).toBe(s3);
    expect(api['board.list']).toHaveBeenCalledTimes(2);
    const tray = electron.created.trays[0]!;
    expect(tray.image.path).toBe(path.join(ICON_DIR, 'tray-ok.png'));
    expect(tray.menu!.items[0]!.label).toBe('✔ Nothing red now');
    controller.destroy();
  });

  it('a part the hub cannot answer (a damaged store) still lets the tray say what it can, and that it may be out of date', async () => {
    const problem = 'the database …/herald.db is damaged (database disk image is malformed): stop Herald, then `npm run db -- check`';
    const api = fakeApi({ unread: 0, board: [boardItem('ci')] });
    const controller = createTrayController({ api, actions: recordingActions(), iconDir: ICON_DIR, platform: 'linux', now: () => NOW });
    await controller.refresh();
    const tray = electron.created.trays[0]!;
    const before = tray.menu!.items.map((i) => i.label);
    // Then the store breaks: the status says so, reading events fails.
    api['hub.status'].mockImplementation(async () => ({ ...(await fakeApi({ unread: 0 })['hub.status']()), database: { ok: false, problem } }));
    api['events.list'].mockRejectedValue(new Error('events.list failed: database disk image is malformed'));
    const s = await controller.refresh();
    expect(s.databaseProblem).toBe(problem);
    expect(tray.image.path).toBe(path.join(ICON_DIR, 'tray-failing.png'));
    expect(tray.tooltip).toMatch(/^Herald · database takes no new events · could not read the hub: may be out of date · 1 red: acme\/api: ci · main/);
    const labels = tray.menu!.items.map((i) => i.label);
    expect(labels[0]).toMatch(/^⚠ Database: the database/);
    expect(labels[2]).toMatch(/^⚠ Could not read the events: events\.list failed: database/);
    // The events last read are still listed (not "No events yet").
    expect(labels).toContain(before.find((l) => l.includes('deploy failed')));
    controller.destroy();
  });

  it('a hub that answers nothing: the tray turns red and says so, Open and Quit still work', async () => {
    const api = fakeApi();
    for (const method of Object.keys(api) as Array<keyof typeof api>) api[method].mockRejectedValue(new Error('the hub is stopping'));
    const actions = recordingActions();
    const controller = createTrayController({ api, actions, iconDir: ICON_DIR, platform: 'linux', now: () => NOW });
    await controller.refresh();
    const tray = electron.created.trays[0]!;
    expect(tray.image.path).toBe(path.join(ICON_DIR, 'tray-failing.png'));
    expect(tray.menu!.items[0]!.label).toBe('⚠ Could not read the status, events, settings, mutes, board: the hub is stopping'.slice(0, 59) + '…');
    tray.menu!.items[0]!.click();
    tray.menu!.getMenuItemById('quit')!.click();
    expect(actions.openWindow).toHaveBeenCalledTimes(1);
    expect(actions.quit).toHaveBeenCalledTimes(1);
    controller.destroy();
  });

  it('leaves the menu alone when nothing in it changed (on Linux setting it closes an open menu), and the pause counts from the click', async () => {
    let clock = NOW;
    const api = fakeApi({ unread: 1, board: [boardItem('ci')] });
    const actions = recordingActions();
    const controller = createTrayController({ api, actions, iconDir: ICON_DIR, platform: 'linux', now: () => clock });
    await controller.refresh();
    const tray = electron.created.trays[0]!;
    const setMenu = vi.spyOn(tray, 'setContextMenu');
    const setTip = vi.spyOn(tray, 'setToolTip');
    await controller.refresh();
    await controller.refresh();
    expect(setMenu).not.toHaveBeenCalled();
    expect(setTip).not.toHaveBeenCalled();
    // Ten minutes on: "red 3 h 22 min" now, so the menu is set again; and "For 30 minutes" counts from the click.
    clock = new Date(NOW.getTime() + 10 * 60_000);
    await controller.refresh();
    expect(setMenu).toHaveBeenCalledTimes(1);
    const menu = tray.menu!;
    clock = new Date(NOW.getTime() + 25 * 60_000);
    menu.getMenuItemById('snooze-30m')!.click();
    expect(actions.setSnooze).toHaveBeenCalledWith(new Date(NOW.getTime() + 55 * 60_000));
    // What a click acts on changed (a newer failure of the same pipeline), the words did not: set again.
    api['board.list'].mockImplementation(async () => page([boardItem('ci', { lastEventId: 'newer', url: 'https://github.com/acme/api/actions/runs/newer' })]));
    clock = new Date(NOW.getTime() + 10 * 60_000);
    await controller.refresh();
    expect(setMenu).toHaveBeenCalledTimes(2);
    tray.menu!.getMenuItemById('board:ci')!.click();
    expect(actions.openEvent).toHaveBeenLastCalledWith('newer', { kind: 'url', url: 'https://github.com/acme/api/actions/runs/newer' });
    controller.destroy();
  });

  it('coalesces a burst of updates into one refresh', async () => {
    vi.useFakeTimers();
    const api = fakeApi({ snoozeUntil: future(30) });
    const controller = createTrayController({ api, actions: recordingActions(), iconDir: ICON_DIR, platform: 'darwin', now: () => NOW });
    for (let i = 0; i < 20; i++) controller.scheduleRefresh();
    await vi.advanceTimersByTimeAsync(400);
    expect(api['hub.status']).toHaveBeenCalledTimes(1);
    expect(electron.created.trays[0]!.image.path).toBe(path.join(ICON_DIR, 'tray-snoozedTemplate.png'));
    controller.destroy();
  });
});

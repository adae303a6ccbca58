import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import { DesktopChannelSchema } from '../../../shared/config.js';
import { buildPopup } from '../../../electron/hub/channels/desktop.js';
import { createElectronDesktopChannel } from '../../../electron/shell/desktop-channel.js';
import { createElectronNotifier, popupText } from '../../../electron/shell/notify.js';
import { collapsePopups, COLLAPSE_MAX_WAIT_MS, COLLAPSE_QUIET_MS, popupsMuted, STORM_GAP_MS, type QueuedPopup } from '../../../electron/shell/popups.js';
import { electron, resetElectronDouble } from '../../helpers/electron-double.js';
import { makeEvent } from '../../helpers/fake-event.js';

const T0 = 1_746_000_000_000;
const popup = (i: number, at: number, extra: Partial<QueuedPopup> = {}): QueuedPopup => ({
  eventId: `e${i}`,
  title: `event ${i}`,
  body: `body ${i}`,
  queuedAt: at,
  ...extra,
});

describe('collapsePopups', () => {
  it('nothing queued: nothing to show, no wake-up', () => {
    expect(collapsePopups([], T0)).toEqual({ show: [], pending: [] });
  });

  it('a popup waits for the burst to go quiet, then shows alone', () => {
    const queue = [popup(1, T0, { url: 'https://x.test/1', sound: true })];
    expect(collapsePopups(queue, T0 + COLLAPSE_QUIET_MS - 1)).toEqual({ show: [], pending: queue, wakeAt: T0 + COLLAPSE_QUIET_MS });
    expect(collapsePopups(queue, T0 + COLLAPSE_QUIET_MS)).toEqual({
      show: [{ kind: 'single', eventId: 'e1', title: 'event 1', body: 'body 1', url: 'https://x.test/1', sound: true }],
      pending: [],
    });
  });

  it('up to three in one burst show one by one, oldest first', () => {
    const queue = [popup(2, T0 + 200), popup(1, T0), popup(3, T0 + 400)];
    const { show } = collapsePopups(queue, T0 + 400 + COLLAPSE_QUIET_MS);
    expect(show.map((p) => (p.kind === 'single' ? p.eventId : p.kind))).toEqual(['e1', 'e2', 'e3']);
  });

  it('12 events at the hub’s pace (5 at once, then 2 per second) become one "12 new events" popup', () => {
    const times = [0, 0, 0, 0, 0, 500, 1000, 1500, 2000, 2500, 3000, 3500].map((ms) => T0 + ms);
    const queue = times.map((at, i) => popup(i + 1, at, { sound: i === 4 }));
    // Mid-burst: each arrival pushed the deadline on.
    expect(collapsePopups(queue.slice(0, 8), T0 + 1600).wakeAt).toBe(T0 + 1500 + COLLAPSE_QUIET_MS);
    const result = collapsePopups(queue, T0 + 3500 + COLLAPSE_QUIET_MS);
    expect(result.pending).toEqual([]);
    expect(result.show).toEqual([
      {
        kind: 'summary',
        eventIds: queue.map((p) => p.eventId),
        count: 12,
        title: '12 new events',
        body: 'event 12\nevent 11\nevent 10\n…and 9 more',
        sound: true,
      },
    ]);
  });

  it('a steady trickle cannot hold popups back longer than the maximum wait', () => {
    // One every 400 ms: never a quiet second, so the first popup's maximum wait decides.
    const queue = Array.from({ length: 13 }, (_, i) => popup(i, T0 + i * 400));
    expect(collapsePopups(queue, T0 + 4800).wakeAt).toBe(T0 + COLLAPSE_MAX_WAIT_MS);
    const result = collapsePopups(queue, T0 + COLLAPSE_MAX_WAIT_MS);
    expect(result.pending).toEqual([]);
    expect(result.show.map((p) => p.title)).toEqual(['13 new events']);
  });

  it('four is already a summary; its body lists the three newest titles', () => {
    const queue = [1, 2, 3, 4].map((i) => popup(i, T0 + i));
    const [only] = collapsePopups(queue, T0 + 10_000).show;
    expect(only).toMatchObject({ kind: 'summary', title: '4 new events', body: 'event 4\nevent 3\nevent 2\n…and 1 more', sound: false });
  });
});

describe('popupsMuted', () => {
  const now = new Date(2025, 4, 6, 23, 30);
  const rows: Array<[string, Parameters<typeof popupsMuted>[0], boolean]> = [
    ['no settings yet', undefined, false],
    ['nothing set', {}, false],
    ['snoozed until later', { snoozeUntil: new Date(now.getTime() + 60_000).toISOString() }, true],
    ['a snooze that ended', { snoozeUntil: new Date(now.getTime() - 1).toISOString() }, false],
    ['inside quiet hours across midnight', { quietHours: { start: '22:00', end: '07:00' } }, true],
    ['outside quiet hours', { quietHours: { start: '08:00', end: '18:00' } }, false],
  ];
  it.each(rows)('%s → %s', (_name, settings, expected) => expect(popupsMuted(settings, now)).toBe(expected));
});

describe('popupText', () => {
  it('escapes the body for Linux notification servers (markup), not elsewhere; the title never', () => {
    const p = { title: 'a <b>bold</b> & title', body: 'x < y & <i>z</i>' };
    expect(popupText(p, 'linux')).toEqual({ title: 'a <b>bold</b> & title', body: 'x &lt; y &amp; &lt;i&gt;z&lt;/i&gt;' });
    expect(popupText(p, 'darwin')).toEqual({ title: 'a <b>bold</b> & title', body: 'x < y & <i>z</i>' });
  });
  it('drops control and bidi-override characters and cuts long text', () => {
    const { title, body } = popupText({ title: `evil\u202Etxt.exe\u0007 ${'t'.repeat(300)}`, body: 'b'.repeat(2000) }, 'win32');
    expect(title).not.toMatch(/[\u0007\u202E]/);
    expect([...title].length).toBeLessThanOrEqual(120);
    expect([...body].length).toBeLessThanOrEqual(500);
  });
});

describe('createElectronNotifier (Electron Notification double)', () => {
  beforeEach(() => {
    resetElectronDouble();
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => vi.useRealTimers());

  const request = (i: number) => ({ eventId: `e${i}`, title: `event ${i}`, body: `body ${i}`, url: `https://ci.test/${i}` });

  it('a single event: one popup after the quiet gap; clicking it opens that event', async () => {
    const openEvent = vi.fn();
    const notifier = createElectronNotifier({ openEvent, muted: () => false, platform: 'linux', icon: '/icons/icon.png' });
    await expect(notifier.notify({ ...request(1), sound: true })).resolves.toBeUndefined();
    expect(electron.created.notifications).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    const [shown] = electron.created.notifications;
    expect(shown!.options).toEqual({ title: 'event 1', body: 'body 1', silent: false, icon: '/icons/icon.png' });
    expect(shown!.shown).toBe(true);
    shown!.simulateClick();
    expect(openEvent).toHaveBeenCalledWith('e1');
  });

  it('a burst of 12 at the hub’s pace: exactly one "12 new events" popup, which opens the history', async () => {
    const openEvent = vi.fn();
    const notifier = createElectronNotifier({ openEvent, muted: () => false, platform: 'darwin' });
    for (let i = 1; i <= 12; i++) {
      await notifier.notify(request(i));
      if (i >= 5) await vi.advanceTimersByTimeAsync(500);
    }
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    expect(electron.created.notifications.map((n) => n.options.title)).toEqual(['12 new events']);
    expect(electron.created.notifications[0]!.options.silent).toBe(true);
    electron.created.notifications[0]!.simulateClick();
    expect(openEvent).toHaveBeenCalledWith(undefined);
  });

  it.each([
    [50, 2],
    [500, 10],
  ])('a storm of %i failures at the hub’s pace makes %i popups at most: the first rings, each next replaces the last, silently', async (count, most) => {
    const close = vi.spyOn(electron.Notification.prototype, 'close');
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => false, platform: 'linux' });
    // The delivery worker's pace for desktop channels (channels/limits.ts): 5 at once, then 2 a second.
    for (let i = 1; i <= count; i++) {
      await notifier.notify({ ...request(i), sound: true });
      if (i >= 5) await vi.advanceTimersByTimeAsync(500);
    }
    await vi.advanceTimersByTimeAsync(STORM_GAP_MS + COLLAPSE_MAX_WAIT_MS);
    const shown = electron.created.notifications;
    expect(shown.length).toBeLessThanOrEqual(most);
    expect(shown.length).toBeGreaterThan(1);
    // Each summary counts the storm so far (it takes the last one's place): the last counts every event.
    const counted = shown.map((n) => Number(/^(\d+) new events$/.exec(n.options.title)![1]));
    expect(counted).toEqual([...counted].sort((a, b) => a - b));
    expect(counted.at(-1)).toBe(count);
    expect(shown.at(-1)!.options.body).toMatch(new RegExp(`^event ${count}\nevent ${count - 1}\nevent ${count - 2}\n…and ${count - 3} more$`));
    // Only the first one made a sound.
    expect(shown.map((n) => n.options.silent)).toEqual([false, ...shown.slice(1).map(() => true)]);
    // Each summary took its predecessor's place: all but the last were closed.
    expect(new Set(close.mock.contexts)).toEqual(new Set(shown.slice(0, -1)));
    notifier.dispose();
    close.mockRestore();
  });

  it('a lone failure just after a storm’s summary is not held for the storm gap: it shows once quiet, ringing', async () => {
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => false, platform: 'linux' });
    for (let i = 1; i <= 6; i++) await notifier.notify({ ...request(i), sound: true });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    await vi.advanceTimersByTimeAsync(5_000);
    await notifier.notify({ ...request(7), sound: true });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    expect(electron.created.notifications.map((n) => [n.options.title, n.options.silent])).toEqual([
      ['6 new events', false],
      ['event 7', false],
    ]);
  });

  it('after a storm is over, the next popup rings again on its own', async () => {
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => false, platform: 'linux' });
    for (let i = 1; i <= 6; i++) await notifier.notify({ ...request(i), sound: true });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    expect(electron.created.notifications.map((n) => n.options.title)).toEqual(['6 new events']);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    await notifier.notify({ ...request(7), sound: true });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    expect(electron.created.notifications.map((n) => [n.options.title, n.options.silent])).toEqual([
      ['6 new events', false],
      ['event 7', false],
    ]);
  });

  it.each([
    ['a server with body-markup gets the body escaped', ['body', 'body-markup', 'actions'], 'deploy &lt;prod&gt; &amp; db'],
    ['a server without it shows the body as it is: not escaped (it would show &lt;)', ['body', 'actions'], 'deploy <prod> & db'],
    ['a server that cannot be asked: escaped, the safe side', [], 'deploy &lt;prod&gt; &amp; db'],
  ])('Linux: %s', async (_name, caps, body) => {
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => false, platform: 'linux', serverCapabilities: async () => caps });
    await notifier.notify({ ...request(1), body: 'deploy <prod> & db' });
    await vi.advanceTimersByTimeAsync(COLLAPSE_QUIET_MS);
    expect(electron.created.notifications[0]!.options.body).toBe(body);
  });

  it('popups queued before the user paused are dropped, not shown', async () => {
    let muted = false;
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => muted, platform: 'linux' });
    await notifier.notify(request(1));
    muted = true;
    await vi.advanceTimersByTimeAsync(COLLAPSE_MAX_WAIT_MS);
    expect(electron.created.notifications).toHaveLength(0);
  });

  it('where the OS has no notifications, notify rejects and the desktop channel fails (no retry)', async () => {
    electron.Notification.supported = false;
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => false });
    await expect(notifier.notify(request(1))).rejects.toThrow('desktop notifications are not supported on this system');
    const channel = createElectronDesktopChannel(notifier);
    const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });
    await expect(channel.send({ event: makeEvent() }, config, {}, new AbortController().signal)).resolves.toEqual({
      kind: 'fail',
      reason: 'desktop notifications are not supported on this system',
    });
  });

  it('quitting shows at once (silently) what the hub handed over and was waiting for company; what comes after stays queued for the next start', async () => {
    const notifier = createElectronNotifier({ openEvent: vi.fn(), muted: () => false, platform: 'linux' });
    await notifier.notify({ ...request(1), sound: true });
    await notifier.notify(request(2));
    notifier.dispose();
    expect(electron.created.notifications.map((n) => [n.options.title, n.options.silent, n.shown])).toEqual([
      ['event 1', true, true],
      ['event 2', true, true],
    ]);
    await vi.advanceTimersByTimeAsync(COLLAPSE_MAX_WAIT_MS);
    expect(electron.created.notifications).toHaveLength(2); // no timer left behind
    // A delivery finishing while the hub stops: not lost as "delivered", tried again at the next start.
    await expect(notifier.notify(request(3))).rejects.toThrow('Herald is quitting');
    const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });
    await expect(createElectronDesktopChannel(notifier).send({ event: makeEvent() }, config, {}, new AbortController().signal)).resolves.toEqual({
      kind: 'retry',
      reason: 'Herald is quitting: the popup waits for the next start',
    });
  });
});

describe('createElectronDesktopChannel', () => {
  it('hands the hub’s plain-text popup, URL, event id and sound setting to the notifier', async () => {
    const notify = vi.fn(async () => undefined);
    const channel = createElectronDesktopChannel({ notify });
    const event = makeEvent({ summary: 'x <b>y</b>' });
    const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups', sound: true });
    await expect(channel.send({ event }, config, {}, new AbortController().signal)).resolves.toMatchObject({ kind: 'ok' });
    const plain = buildPopup(event, 'plain');
    expect(notify).toHaveBeenCalledWith(
      expect.objectContaining({ title: plain.title, body: plain.body, url: event.url, eventId: event.id, sound: true, replaceKey: '["gh","acme/api","ci","main"]' }),
    );
    expect(plain.body).toContain('x <b>y</b>'); // not yet escaped: notify.ts does that per platform
  });

  it('a cancelled delivery is retried later, not shown', async () => {
    const notify = vi.fn(async () => undefined);
    const controller = new AbortController();
    controller.abort();
    const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });
    const result = await createElectronDesktopChannel({ notify }).send({ event: makeEvent() }, config, {}, controller.signal);
    expect(result.kind).toBe('retry');
    expect(notify).not.toHaveBeenCalled();
  });
});

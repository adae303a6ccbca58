import { describe, expect, it } from 'vitest';
import { DesktopChannelSchema, SettingsSchema } from '../../../../shared/config.js';
import { buildPopup, createDesktopChannel, truncate, type DesktopNotifier } from '../../../../electron/hub/channels/desktop.js';
import { makeEvent } from '../../../helpers/fake-event.js';

const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });
const signal = () => new AbortController().signal;

function recordingNotifier(answer: (cb: (err: unknown) => void) => void = (cb) => cb('')) {
  const calls: Record<string, unknown>[] = [];
  const notifier: DesktopNotifier = {
    notify(options, cb) {
      calls.push(options);
      answer(cb);
      return undefined;
    },
  };
  return { notifier, calls };
}

describe('buildPopup', () => {
  it('title from severity, title and project; body from summary, subject and actor', () => {
    expect(buildPopup(makeEvent(), 'pango')).toEqual({
      title: '✖ ci failed on main · acme/api',
      body: 'Job "test" failed.\nproduction · main · ci\nby ana via GitHub',
      urgency: 'critical',
    });
  });
  const rows: [string, Parameters<typeof makeEvent>[0], { title?: string; body?: string; urgency?: string }][] = [
    ['project already in the title', { title: 'acme/api deploy failed', severity: 'warning' }, { title: '⚠ acme/api deploy failed', urgency: 'normal' }],
    ['success', { severity: 'success', title: 'ok' }, { title: '✔ ok · acme/api' }],
    ['no summary, no subject, no actor', { summary: undefined, subject: {}, actor: undefined, severity: 'info', title: 'hi' }, { title: 'ℹ hi', body: 'via GitHub' }],
    ['markup and backslashes in the body are escaped', { summary: '<b>bold</b> & C:\\temp\\new' }, { body: '&lt;b&gt;bold&lt;/b&gt; &amp; C:\\\\temp\\\\new\nproduction · main · ci\nby ana via GitHub' }],
    ['a body starting with a dash is not an option', { summary: '--help me' }, { body: '&#45;-help me\nproduction · main · ci\nby ana via GitHub' }],
    ['line breaks in the title are folded, control characters dropped', { title: 'a\nb\u0007c' }, { title: '✖ a b c · acme/api' }],
  ];
  it.each(rows)('%s', (_name, overrides, expected) => {
    expect(buildPopup(makeEvent(overrides), 'pango')).toMatchObject(expected);
  });
  it('plain format leaves text unescaped (macOS, Windows)', () => {
    expect(buildPopup(makeEvent({ summary: '<b> & \\' }), 'plain').body).toBe('<b> & \\\nproduction · main · ci\nby ana via GitHub');
  });
  it('truncates 100 kB of text', () => {
    const popup = buildPopup(makeEvent({ title: 'T'.repeat(100_000), summary: 'word '.repeat(20_000) }), 'pango');
    expect([...popup.title].length).toBeLessThanOrEqual(120);
    expect(popup.title.endsWith('…')).toBe(true);
    expect(popup.body.length).toBeLessThanOrEqual(600);
    expect(popup.body).toContain('…');
  });
  it('truncate cuts at a word boundary and never splits a surrogate pair', () => {
    expect(truncate('alpha beta gamma delta', 15)).toBe('alpha beta…');
    expect([...truncate('🚀'.repeat(50), 10)]).toHaveLength(10);
  });
});

describe('desktop channel with an injected notifier', () => {
  it('passes title, escaped body, urgency and app name; empty stderr is ok', async () => {
    const { notifier, calls } = recordingNotifier();
    const channel = createDesktopChannel(notifier, 'pango');
    expect(await channel.send({ event: makeEvent({ summary: 'a < b' }) }, config, {}, signal())).toEqual({ kind: 'ok', detail: undefined });
    expect(calls[0]).toMatchObject({ title: '✖ ci failed on main · acme/api', message: expect.stringMatching(/^a &lt; b\n/), urgency: 'critical', 'app-name': 'Herald', wait: false });
  });
  it('sound: critical only by default; the settings per severity; the channel’s sound for all; never in quiet hours', async () => {
    const { notifier, calls } = recordingNotifier();
    const settings = SettingsSchema.parse({});
    let current = settings;
    const channel = createDesktopChannel(notifier, 'pango', { settings: () => current, platform: 'linux', now: () => new Date(2025, 4, 6, 12, 0) });
    const send = (severity: 'critical' | 'warning', sound = false) => channel.send({ event: makeEvent({ severity }) }, { ...config, sound }, {}, signal());
    await send('critical');
    await send('warning');
    await send('warning', true);
    current = { ...settings, sound: { ...settings.sound, warning: true } };
    await send('warning');
    current = { ...settings, quietHours: { start: '11:00', end: '13:00' } };
    await send('critical', true);
    expect(calls.map((c) => [c.sound, c.hint])).toEqual([
      [true, 'string:sound-name:message-new-instant'],
      [false, 'boolean:suppress-sound:true'],
      [true, 'string:sound-name:message-new-instant'],
      [true, 'string:sound-name:message-new-instant'],
      [false, 'boolean:suppress-sound:true'],
    ]);
  });
  const errors: [string, unknown, string, RegExp][] = [
    ['which cannot find notify-send', Object.assign(new Error('not found: notify-send'), { code: 'ENOENT' }), 'fail', /^desktop popups need notify-send: install libnotify-bin$/],
    ['node-notifier remembers it missing', new Error('notify-send must be installed on the system.'), 'fail', /install libnotify-bin/],
    ['notify-send complains on stderr', 'GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: no notification server', 'retry', /^the desktop notifier failed: GDBus\.Error.*ServiceUnknown/],
    ['exec fails: the command line (with the event text) is not repeated', new Error('Command failed: notify-send -u critical "✖ ci failed on main · acme/api" "Job \\"test\\" failed."\n'), 'retry', /^the desktop notifier failed: the notifier exited with an error$/],
    ['stderr quoting the title: the title is left out', 'Invalid markup in "✖ ci failed on main · acme/api"', 'retry', /^the desktop notifier failed: Invalid markup in "…"$/],
  ];
  it.each(errors)('%s', async (_name, err, kind, reason) => {
    const { notifier } = recordingNotifier((cb) => cb(err));
    const result = await createDesktopChannel(notifier).send({ event: makeEvent() }, config, {}, signal());
    expect(result.kind).toBe(kind);
    expect(result.kind !== 'ok' && result.reason).toMatch(reason);
  });
  it('a notifier that throws → retry', async () => {
    const notifier: DesktopNotifier = {
      notify() {
        throw new Error('spawn EAGAIN');
      },
    };
    expect(await createDesktopChannel(notifier).send({ event: makeEvent() }, config, {}, signal())).toEqual({ kind: 'retry', reason: 'the desktop notifier failed: spawn EAGAIN' });
  });
  it('abort while waiting → retry', async () => {
    const { notifier } = recordingNotifier(() => undefined);
    const controller = new AbortController();
    const pending = createDesktopChannel(notifier).send({ event: makeEvent() }, config, {}, controller.signal);
    controller.abort();
    expect(await pending).toMatchObject({ kind: 'retry', reason: expect.stringMatching(/cancelled/) });
  });
});

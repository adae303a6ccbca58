// The desktop popup decisions (channels/popup-decisions.ts) and the notify-send runner
// (channels/notify-send.ts) with a scripted stand-in for the notify-send process; the real
// one against the real notification daemon is in test/integration/hub/channels/desktop.test.ts.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { SettingsSchema } from '../../../../shared/config.js';
import { NotifySend, notifySendArgs, type NotifySendPopup } from '../../../../electron/hub/channels/notify-send.js';
import {
  desktopSessionProblem,
  NO_DESKTOP_SESSION,
  notifierErrorText,
  popupActions,
  popupCommand,
  popupReplaceKey,
  popupSound,
} from '../../../../electron/hub/channels/popup-decisions.js';
import { makeEvent } from '../../../helpers/fake-event.js';

const NOON = new Date(2025, 4, 6, 12, 0);
const settings = SettingsSchema.parse({});

describe('popupSound', () => {
  it.each([
    ['critical, defaults', 'critical', settings, false, true],
    ['warning, defaults', 'warning', settings, false, false],
    ['info with the channel sounding for all', 'info', settings, true, true],
    ['success chosen in Settings', 'success', { ...settings, sound: { ...settings.sound, success: true } }, false, true],
    ['critical switched off in Settings', 'critical', { ...settings, sound: { ...settings.sound, critical: false } }, false, false],
    ['critical in quiet hours', 'critical', { ...settings, quietHours: { start: '11:30', end: '12:30' } }, true, false],
    ['critical while snoozed', 'critical', { ...settings, snoozeUntil: new Date(NOON.getTime() + 60_000).toISOString() }, true, false],
    ['no settings known yet: critical', 'critical', undefined, false, true],
  ] as const)('%s → %s', (_name, severity, s, channelSound, expected) => {
    expect(popupSound(severity, s, channelSound, NOON)).toBe(expected);
  });
});

describe('popupReplaceKey, popupActions, popupCommand', () => {
  it('a pipeline’s failure, still-failing and recovery share one key; other pipelines and non-pipeline events do not', () => {
    const failed = popupReplaceKey(makeEvent());
    expect(failed).toBe('["gh","acme/api","ci","main"]');
    expect(popupReplaceKey(makeEvent({ type: 'pipeline.recovered', title: 'ci recovered after 2 failures' }))).toBe(failed);
    expect(popupReplaceKey(makeEvent({ subject: { project: 'acme/api', pipeline: 'ci', branch: 'dev' } }))).not.toBe(failed);
    expect(popupReplaceKey(makeEvent({ type: 'deployment.failed' }))).toBeUndefined();
  });
  it('a pipeline event with a run link offers open + mute; a deployment only open; a bad link no open', () => {
    expect(popupActions(makeEvent()).map((a) => a.id)).toEqual(['default', 'mute-1h', 'mute-pass']);
    expect(popupActions(makeEvent({ type: 'deployment.failed' })).map((a) => a.id)).toEqual(['default']);
    expect(popupActions(makeEvent({ url: 'javascript:alert(1)' })).map((a) => a.id)).toEqual(['mute-1h', 'mute-pass']);
  });
  it('what each action does; an action the popup did not offer does nothing', () => {
    const event = makeEvent();
    expect(popupCommand('default', event)).toEqual({ kind: 'open', url: event.url });
    expect(popupCommand('mute-1h', event)).toEqual({ kind: 'mute', eventId: event.id, minutes: 60 });
    expect(popupCommand('mute-pass', event)).toEqual({ kind: 'mute', eventId: event.id, untilPasses: true });
    expect(popupCommand('mute-pass', makeEvent({ type: 'deployment.failed' }))).toBeUndefined();
    expect(popupCommand('rm -rf', event)).toBeUndefined();
  });
});

describe('desktopSessionProblem', () => {
  it.each([
    ['X11 session', { DISPLAY: ':0', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' }, 'linux', undefined],
    ['Wayland session', { WAYLAND_DISPLAY: 'wayland-0', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' }, 'linux', undefined],
    ['a server: nothing', {}, 'linux', NO_DESKTOP_SESSION],
    ['SSH with a bus but no display', { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' }, 'linux', NO_DESKTOP_SESSION],
    ['a display but no session bus', { DISPLAY: ':0' }, 'freebsd', NO_DESKTOP_SESSION],
    ['macOS needs neither', {}, 'darwin', undefined],
  ] as const)('%s', (_name, env, platform, expected) => {
    expect(desktopSessionProblem(env, platform)).toBe(expected);
  });
  it('is one sentence', () => expect(NO_DESKTOP_SESSION).toBe('this hub has no desktop session: popups cannot be shown here'));
});

describe('notifierErrorText', () => {
  it('drops the command line and the event text, keeps the reason, bounds it', () => {
    expect(notifierErrorText('Command failed: notify-send -- "secret title" "body"\nGDBus.Error: no server', ['secret title', 'body'])).toBe('GDBus.Error: no server');
    expect(notifierErrorText('could not show "secret title"', ['secret title'])).toBe('could not show "…"');
    expect(notifierErrorText('', [])).toBe('the notifier exited with an error');
    expect(notifierErrorText('x'.repeat(1000), []).length).toBe(200);
  });
});

/** A notify-send stand-in: prints what `script` says, records its arguments. */
function scriptedSpawn(script: (args: string[], child: FakeChild) => void) {
  const runs: Array<{ args: string[]; child: FakeChild }> = [];
  const spawn = vi.fn((_command: string, args: string[]) => {
    const child = new FakeChild();
    runs.push({ args, child });
    queueMicrotask(() => script(args, child));
    return child as unknown as ChildProcess;
  });
  return { spawn, runs };
}
class FakeChild extends EventEmitter {
  stdout = new PassThrough();
  stderr = new PassThrough();
  killed = false;
  kill() {
    this.killed = true;
    this.exit(null);
    return true;
  }
  exit(code: number | null) {
    this.stdout.end();
    setImmediate(() => this.emit('close', code));
  }
}

const popup = (over: Partial<NotifySendPopup> = {}): NotifySendPopup => ({
  title: '✖ ci failed on main',
  body: 'Job failed',
  urgency: 'critical',
  sound: true,
  actions: [],
  replaceKey: 'k1',
  ...over,
});
const signal = () => new AbortController().signal;

describe('notifySendArgs', () => {
  it('options, then --, then title and body (a leading dash is text, not an option)', () => {
    expect(notifySendArgs(popup({ title: '-rf', actions: [{ id: 'mute-1h', label: 'Mute 1 h' }] }), 7)).toEqual([
      '--app-name=Herald',
      '--urgency=critical',
      '--print-id',
      '--replace-id=7',
      '--hint=string:sound-name:message-new-instant',
      '--action=mute-1h=Mute 1 h',
      '--',
      '-rf',
      'Job failed',
    ]);
    expect(notifySendArgs(popup({ sound: false }), undefined)).toContain('--hint=boolean:suppress-sound:true');
  });
});

describe('NotifySend', () => {
  it('remembers the id the server gave per key and replaces with it; another key starts afresh', async () => {
    let next = 40;
    const { spawn, runs } = scriptedSpawn((_args, child) => {
      child.stdout.write(`${next++}\n`);
      child.exit(0);
    });
    const runner = new NotifySend({ spawn, capabilities: async () => [] });
    expect(await runner.show(popup(), signal())).toMatchObject({ kind: 'ok' });
    expect(await runner.show(popup({ title: 'still failing (2)' }), signal())).toMatchObject({ kind: 'ok' });
    expect(await runner.show(popup({ replaceKey: 'k2' }), signal())).toMatchObject({ kind: 'ok' });
    expect(runs.map((r) => r.args.find((a) => a.startsWith('--replace-id')))).toEqual([undefined, '--replace-id=40', undefined]);
    expect(runner.idFor('k1')).toBe(41);
  });

  it('with actions: ok once the id is printed, the chosen action heard later; a replacing popup takes over the listening', async () => {
    const { spawn, runs } = scriptedSpawn((_args, child) => child.stdout.write('5\n'));
    const runner = new NotifySend({ spawn, capabilities: async () => ['actions'] });
    // Run line-buffered: notify-send's id would otherwise sit in a pipe buffer until it exits.
    expect(await runner.supportsActions()).toBe(true);
    const heard: string[] = [];
    const actions = [{ id: 'mute-1h' as const, label: 'Mute 1 h' }];
    expect(await runner.show(popup({ actions }), signal(), (a) => heard.push(`first:${a}`))).toMatchObject({ kind: 'ok' });
    expect(runs[0]!.child.killed).toBe(false);
    expect(spawn.mock.calls[0]!.slice(0, 1)).toEqual(['stdbuf']);
    expect(runs[0]!.args.slice(0, 2)).toEqual(['-oL', 'notify-send']);
    expect(await runner.show(popup({ actions }), signal(), (a) => heard.push(`second:${a}`))).toMatchObject({ kind: 'ok' });
    expect(runs[0]!.child.killed).toBe(true); // replaced: the old process must not answer for the new popup
    runs[1]!.child.stdout.write('mute-1h\n');
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual(['second:mute-1h']);
    runner.close();
    expect(runs[1]!.child.killed).toBe(true);
  });

  it('failures: not installed → fail; stderr → retry without the event text; no id in time → bounded', async () => {
    const missing = new NotifySend({
      spawn: scriptedSpawn((_a, child) => child.emit('error', Object.assign(new Error('spawn notify-send ENOENT'), { code: 'ENOENT' }))).spawn,
    });
    expect(await missing.show(popup(), signal())).toEqual({ kind: 'fail', reason: 'desktop popups need notify-send: install libnotify-bin' });
    const refusing = new NotifySend({
      spawn: scriptedSpawn((_a, child) => {
        child.stderr.write('GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.Notifications was not provided by any .service files\n');
        setImmediate(() => child.exit(1));
      }).spawn,
    });
    const result = await refusing.show(popup(), signal());
    expect(result).toEqual({
      kind: 'retry',
      reason: 'the desktop notifier failed: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.Notifications was not provided by any .service files (exit 1)',
    });
    const controller = new AbortController();
    const silent = new NotifySend({ spawn: scriptedSpawn(() => undefined).spawn });
    const pending = silent.show(popup(), controller.signal);
    controller.abort();
    expect(await pending).toEqual({ kind: 'retry', reason: 'cancelled while showing the popup' });
  });
});

// A real popup request reaches org.freedesktop.Notifications on the session bus.
// Run inside `xvfb-run -a dbus-run-session` with a notification daemon running, e.g.
//   xvfb-run -a dbus-run-session -- bash -c '/usr/lib/notification-daemon/notification-daemon & sleep 1; npx vitest run test/integration/hub/channels/desktop.test.ts'
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesktopChannelSchema } from '../../../../shared/config.js';
import { createDesktopChannel, desktopChannel } from '../../../../electron/hub/channels/desktop.js';
import { NotifySend } from '../../../../electron/hub/channels/notify-send.js';
import { NO_DESKTOP_SESSION, popupReplaceKey } from '../../../../electron/hub/channels/popup-decisions.js';
import { makeEvent } from '../../../helpers/fake-event.js';

let monitor: ChildProcess | undefined;
let dir = '';
let logFile = '';

async function waitFor(predicate: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; dbus-monitor wrote:\n${readFileSync(logFile, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** dbus-monitor's log as one block per message. */
const blocks = () => readFileSync(logFile, 'utf8').split(/^(?=method call |signal |method return |error )/m);

/** The Notify calls dbus-monitor saw: each one's argument lines, as written. */
function notifyCalls(): string[] {
  return blocks().filter((block) => block.includes('member=Notify'));
}

/** Notify's second argument, replaces_id (the first uint32 of the call). */
const replacesId = (call: string) => Number(/^\s+uint32 (\d+)$/m.exec(call)?.[1]);

/** The id the server answered a Notify call with (its method return, matched by serial). */
function answeredId(call: string): number | undefined {
  // Serials count per connection: the reply goes to the caller and names the call's serial.
  const sender = / sender=(\S+)/.exec(call)?.[1];
  const serial = / serial=(\d+)/.exec(call)?.[1];
  const reply = blocks().find((b) => b.startsWith('method return') && b.includes(` destination=${sender} `) && new RegExp(` reply_serial=${serial}\\b`).test(b));
  const id = reply && /uint32 (\d+)/.exec(reply)?.[1];
  return id === undefined ? undefined : Number(id);
}

beforeAll(async () => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error('no session bus: run this test inside `xvfb-run -a dbus-run-session` with a notification daemon running');
  }
  dir = mkdtempSync(path.join(tmpdir(), 'herald-desktop-'));
  logFile = path.join(dir, 'monitor.log');
  const out = openSync(logFile, 'w');
  monitor = spawn('dbus-monitor', ['--session', 'interface=org.freedesktop.Notifications', 'type=method_return'], { stdio: ['ignore', out, out] });
  // dbus-monitor announces itself (NameAcquired) once it is listening.
  await waitFor(() => readFileSync(logFile, 'utf8').includes('NameAcquired'), 'dbus-monitor to start');
});

afterAll(() => {
  monitor?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('desktop channel on a real session bus', () => {
  it('sends Notify with the title as text and the body escaped for markup', async () => {
    const event = makeEvent({
      title: 'Deploy <b>&"quote"',
      summary: 'Broke <i>prod</i> & "more" C:\\temp\nsecond line',
    });
    const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });
    const result = await desktopChannel.send({ event }, config, {}, new AbortController().signal);
    expect(result).toMatchObject({ kind: 'ok' });

    await waitFor(() => notifyCalls().length > 0, 'the Notify call');
    const call = notifyCalls()[0]!;
    expect(call).toContain('string "Herald"');
    expect(call).toContain('string "✖ Deploy <b>&"quote" · acme/api"');
    expect(call).toContain(
      'string "Broke &lt;i&gt;prod&lt;/i&gt; &amp; "more" C:\\temp\nsecond line\nproduction · main · ci\nby ana via GitHub"',
    );
    // urgency critical = byte 2
    expect(call).toMatch(/string "urgency"\s+variant\s+byte 2/);
  });
});

describe('popups that replace instead of stacking (notify-send --replace-id, real daemon)', () => {
  const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });
  const subject = { project: 'acme/replace', pipeline: 'ci', branch: 'main' };

  it('"still failing (2)" and "recovered" carry the first popup’s id as replaces_id; another pipeline does not', async () => {
    const runner = new NotifySend();
    const channel = createDesktopChannel(undefined, 'pango', { notifySend: runner });
    const before = notifyCalls().length;
    const send = async (over: Parameters<typeof makeEvent>[0]) =>
      expect(await channel.send({ event: makeEvent({ subject, ...over }) }, config, {}, new AbortController().signal)).toMatchObject({ kind: 'ok' });

    await send({ title: 'ci failed on main' });
    await waitFor(() => notifyCalls().length === before + 1, 'the first Notify');
    const first = notifyCalls()[before]!;
    expect(replacesId(first)).toBe(0);
    await waitFor(() => answeredId(first) !== undefined, 'the server’s answer to the first Notify');
    const id = answeredId(first)!;
    expect(id).toBeGreaterThan(0);
    expect(runner.idFor(popupReplaceKey(makeEvent({ subject }))!)).toBe(id);

    await send({ title: 'ci still failing (2) on main' });
    await send({ type: 'pipeline.recovered', severity: 'success', title: 'ci recovered after 2 failures on main' });
    await send({ title: 'other failed', subject: { ...subject, branch: 'dev' } });
    await waitFor(() => notifyCalls().length === before + 4, 'the next three Notify calls');
    const [, second, third, other] = notifyCalls().slice(before);
    expect(second).toContain('ci still failing (2) on main');
    expect(replacesId(second!)).toBe(id);
    expect(third).toContain('recovered after 2 failures');
    expect(replacesId(third!)).toBe(id);
    expect(replacesId(other!)).toBe(0);
    // The server kept the id: the replaced popup is updated in place, not stacked.
    await waitFor(() => answeredId(third!) !== undefined, 'the answer to the recovery');
    expect(answeredId(third!)).toBe(id);
    // Sound: the failure asks for one (critical, the default), the recovery does not.
    expect(first).toMatch(/string "sound-name"\s+variant\s+string "message-new-instant"/);
    expect(third).toMatch(/string "suppress-sound"\s+variant\s+boolean true/);
    channel.close();
  });

  it('the daemon offers actions: the popup carries Open and the two mutes; the hub hears the chosen one while it listens', async () => {
    const runner = new NotifySend();
    expect(await runner.supportsActions()).toBe(true); // notification-daemon's GetCapabilities
    const channel = createDesktopChannel(undefined, 'pango', { notifySend: runner, onCommand: () => undefined });
    const before = notifyCalls().length;
    const event = makeEvent({ subject: { ...subject, project: 'acme/actions' } });
    expect(await channel.send({ event }, config, {}, new AbortController().signal)).toMatchObject({ kind: 'ok' });
    await waitFor(() => notifyCalls().length === before + 1, 'the Notify with actions');
    const call = notifyCalls()[before]!;
    for (const action of ['default', 'Open the run', 'mute-1h', 'Mute 1 h', 'mute-pass', 'Mute until it passes']) expect(call).toContain(`string "${action}"`);
    channel.close();
  });

  it('without a desktop session: one sentence, no command run, no event text', async () => {
    const channel = createDesktopChannel(undefined, 'pango', { env: { PATH: process.env.PATH } });
    const before = notifyCalls().length;
    const result = await channel.send({ event: makeEvent({ title: 'secret build failed' }) }, config, {}, new AbortController().signal);
    expect(result).toEqual({ kind: 'fail', reason: NO_DESKTOP_SESSION });
    expect(notifyCalls()).toHaveLength(before);
  });
});

// A real popup request reaches org.freedesktop.Notifications on the session bus.
// Run inside `xvfb-run -a dbus-run-session` with a notification daemon running, e.g.
//   xvfb-run -a dbus-run-session -- bash -c '/usr/lib/notification-daemon/notification-daemon & sleep 1; npx vitest run test/integration/desktop.test.ts'
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesktopChannelSchema } from '../../shared/config.js';
import { desktopChannel } from '../../electron/hub/channels/desktop.js';
import { makeEvent } from '../helpers/fake-event.js';

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

/** The Notify calls dbus-monitor saw: each one's argument lines, as written. */
function notifyCalls(): string[] {
  return readFileSync(logFile, 'utf8')
    .split(/^(?=method call |signal |method return |error )/m)
    .filter((block) => block.includes('member=Notify'));
}

beforeAll(async () => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error('no session bus: run this test inside `xvfb-run -a dbus-run-session` with a notification daemon running');
  }
  dir = mkdtempSync(path.join(tmpdir(), 'herald-desktop-'));
  logFile = path.join(dir, 'monitor.log');
  const out = openSync(logFile, 'w');
  monitor = spawn('dbus-monitor', ['--session', 'interface=org.freedesktop.Notifications'], { stdio: ['ignore', out, out] });
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

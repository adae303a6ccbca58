// The desktop channel through the parts of the conformance suite that apply to a popup
// (test/helpers/channel-conformance.ts): the real notify-send to the session's real
// notification daemon. A desktop channel holds no secret, but event text can (a token in a
// CI log line), so no error repeats it; untrusted text is escaped for notify-send's body
// markup (Pango) and its own `\` unescaping; what can and cannot be retried is said.
// Runs inside `xvfb-run -a dbus-run-session` with a notification daemon (`npm test` does).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DesktopChannelSchema } from '../../../../shared/config.js';
import { createDesktopChannel, type DesktopNotifier } from '../../../../electron/hub/channels/desktop.js';
import { NotifySend } from '../../../../electron/hub/channels/notify-send.js';
import { NO_DESKTOP_SESSION } from '../../../../electron/hub/channels/popup-decisions.js';
import { HOSTILE } from '../../../helpers/channel-conformance.js';
import { makeEvent } from '../../../helpers/fake-event.js';

const config = DesktopChannelSchema.parse({ id: 'popup', kind: 'desktop', name: 'Popups' });
const signal = () => new AbortController().signal;
/** Event text that must not come back in an error: it may carry what a CI log leaked. */
const LEAKY_TITLE = 'deploy failed: token=ghp_SeCrEtInAlOgLiNe0000';
const hostile = () =>
  makeEvent({
    title: `${LEAKY_TITLE} ${HOSTILE.title}`,
    summary: `${HOSTILE.summary}\nC:\\new\\temp -x`,
    subject: { project: HOSTILE.project, branch: 'main' },
  });

/** notify-send as the channel runs it, with each call's arguments recorded; `env` changes what it finds. */
function recordingNotifySend(env: NodeJS.ProcessEnv = process.env) {
  const calls: string[][] = [];
  const notifySend = new NotifySend({
    capabilities: async () => [],
    spawn: (command, args): ChildProcess => {
      calls.push(args);
      return spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    },
  });
  return { notifySend, calls };
}

const sessionEnv = () => ({ DISPLAY: process.env.DISPLAY, WAYLAND_DISPLAY: process.env.WAYLAND_DISPLAY, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS });

beforeAll(() => {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS || !(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) {
    throw new Error('no desktop session: run this test inside `xvfb-run -a dbus-run-session` with a notification daemon running (npm test does)');
  }
});

describe('channel conformance: desktop (notify-send)', () => {
  it('shown → ok; untrusted text escaped for the body markup and notify-send\'s unescaping; the title one plain line', async () => {
    const { notifySend, calls } = recordingNotifySend();
    const channel = createDesktopChannel(undefined, 'pango', { platform: 'linux', env: sessionEnv(), notifySend });
    try {
      const result = await channel.send({ event: hostile() }, config, {}, signal());
      expect(result.kind, JSON.stringify(result)).toBe('ok');
    } finally {
      channel.close();
    }
    const args = calls[0]!;
    const [title, body] = args.slice(args.indexOf('--') + 1);
    expect(title).not.toMatch(/[\r\n\u0000-\u001f\u007f]/);
    for (const fragment of ['<b>', '<script>', '<!channel>', '<!here>', '<@U123ABC>', ' & ']) {
      expect(body, `"${fragment}" reaches the popup body unescaped`).not.toContain(fragment);
    }
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // notify-send turns `\n` into a line break: the backslash is doubled so the path shows as written.
    expect(body).toContain('C:\\\\new\\\\temp');
    expect(body).not.toMatch(/[\u0007\u001b]/);
  });

  it('the notification daemon unreachable → retry, no event text in the reason', async () => {
    const { notifySend } = recordingNotifySend({ ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(mkdtempSync(path.join(tmpdir(), 'herald-no-bus-')), 'bus')}` });
    const channel = createDesktopChannel(undefined, 'pango', { platform: 'linux', env: sessionEnv(), notifySend });
    try {
      const result = await channel.send({ event: hostile() }, config, {}, signal());
      expect(result.kind, JSON.stringify(result)).toBe('retry');
      expect(JSON.stringify(result)).not.toContain('ghp_SeCrEt');
      expect(result.kind !== 'ok' && result.reason).toMatch(/^the desktop notifier failed: /);
    } finally {
      channel.close();
    }
  });

  it('notify-send not installed → fail (a retry cannot help), naming the package', async () => {
    const { notifySend } = recordingNotifySend({ ...process.env, PATH: mkdtempSync(path.join(tmpdir(), 'herald-empty-path-')) });
    const channel = createDesktopChannel(undefined, 'pango', { platform: 'linux', env: sessionEnv(), notifySend });
    try {
      expect(await channel.send({ event: hostile() }, config, {}, signal())).toEqual({ kind: 'fail', reason: 'desktop popups need notify-send: install libnotify-bin' });
    } finally {
      channel.close();
    }
  });

  it('no desktop session (a server) → fail, saying so, without running notify-send', async () => {
    const { notifySend, calls } = recordingNotifySend();
    const channel = createDesktopChannel(undefined, 'pango', { platform: 'linux', env: { DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS }, notifySend });
    expect(await channel.send({ event: hostile() }, config, {}, signal())).toEqual({ kind: 'fail', reason: NO_DESKTOP_SESSION });
    expect(calls).toEqual([]);
  });

  it('node-notifier (macOS, Windows): its error quotes the command line with the event text → retry, the text not repeated', async () => {
    const failing: DesktopNotifier = {
      notify: (options, callback) => callback(new Error(`Command failed: terminal-notifier -title ${String(options.title)} -message ${String(options.message)}\n${String(options.title)}: not allowed`)),
    };
    const channel = createDesktopChannel(failing, 'plain', { platform: 'darwin' });
    const result = await channel.send({ event: hostile() }, config, {}, signal());
    expect(result.kind, JSON.stringify(result)).toBe('retry');
    expect(JSON.stringify(result)).not.toContain('ghp_SeCrEt');
  });
});

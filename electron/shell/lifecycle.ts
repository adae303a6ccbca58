// App lifecycle decisions: command-line flags, whether to open the window at start, and a
// quit that waits for the hub to stop (in-flight deliveries finish or stay queued).
import { parseArgs } from 'node:util';
import type { App } from 'electron';
import { ApiError, type ApiHandlers } from '../../shared/api.js';
import type { Autostart } from './autostart.js';
import type { ShortcutState } from './shortcut.js';
import { HIDDEN_FLAG } from './identity.js';

export interface ShellArgs {
  /** Start in the tray only (what the login item passes). */
  hidden: boolean;
  /** A JSON/YAML config applied at start, as headless `--config`. */
  configFile?: string;
  dataDir?: string;
}

/** Lenient: Electron and Chromium add flags of their own, which are not ours to reject. */
export function parseShellArgs(argv: readonly string[]): ShellArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      hidden: { type: 'boolean' },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: false,
    allowPositionals: true,
  });
  return {
    hidden: values.hidden === true || argv.includes(HIDDEN_FLAG),
    ...(typeof values.config === 'string' && { configFile: values.config }),
    ...(typeof values['data-dir'] === 'string' && { dataDir: values['data-dir'] }),
  };
}

/** The window opens at start unless started by the login item (flag on Windows/Linux, macOS says so itself). */
export function opensWindowAtStart(args: ShellArgs, openedAtLogin: boolean): boolean {
  return !args.hidden && !openedAtLogin;
}

/**
 * Herald started again while this one runs (the single-instance lock sent the new one away):
 * show the window — unless this one is quitting (stopping its hub, up to STOP_TIMEOUT_MS), when
 * the launch would otherwise be lost and Herald not run at all: start again once stopped.
 */
export function whenLaunchedAgain(quitting: boolean, relaunchAsked = false): 'show-window' | 'relaunch-after-quit' | 'nothing' {
  if (!quitting) return 'show-window';
  // Each app.relaunch() starts one more Herald after this one exits: one is enough.
  return relaunchAsked ? 'nothing' : 'relaunch-after-quit';
}

/** The hub's handlers with the shell's own answers: start at login and the global shortcut belong to the desktop app. */
export function withShellHandlers(hub: ApiHandlers, autostart: Autostart, shortcut?: () => ShortcutState): ApiHandlers {
  return {
    ...hub,
    ...(shortcut && {
      'shortcut.status': async () => {
        const state = shortcut();
        return { supported: true, accelerator: state.accelerator, registered: state.registered, ...(state.problem !== undefined && { problem: state.problem }) };
      },
    }),
    'autostart.get': async () => ({ supported: autostart.supported, enabled: autostart.supported ? await autostart.get() : false }),
    'autostart.set': async ({ enabled }) => {
      if (!autostart.supported) throw new ApiError('unavailable', 'start at login works in the installed app, not in a development build');
      return { supported: true, enabled: await autostart.set(enabled) };
    },
  };
}

export const STOP_TIMEOUT_MS = 10_000;

export interface QuitCoordinator {
  isQuitting(): boolean;
}

/**
 * Electron quits once `will-quit` passes; the first time, it is held until the hub has
 * stopped (or STOP_TIMEOUT_MS passed: what has not finished stays queued in the store).
 */
export function installQuitCoordinator(
  app: Pick<App, 'on' | 'quit'>,
  stopHub: () => Promise<void>,
  opts: { timeoutMs?: number; onError?(err: unknown): void } = {},
): QuitCoordinator {
  let quitting = false;
  let state: 'running' | 'stopping' | 'stopped' = 'running';
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    if (state === 'stopped') return;
    event.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    quitting = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        opts.onError?.(new Error(`the hub did not stop within ${(opts.timeoutMs ?? STOP_TIMEOUT_MS) / 1000} s; quitting anyway`));
        resolve();
      }, opts.timeoutMs ?? STOP_TIMEOUT_MS);
    });
    Promise.race([stopHub().catch((err: unknown) => opts.onError?.(err)), timeout]).finally(() => {
      clearTimeout(timer);
      state = 'stopped';
      app.quit();
    });
  });
  return { isQuitting: () => quitting };
}

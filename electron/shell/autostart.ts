// Start at login. macOS and Windows: Electron's login item; Linux: an XDG autostart entry
// (Electron's login items do not exist there). Only the installed app registers itself: a
// development build would register the bare Electron binary.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { App, Settings as LoginItemSettings } from 'electron';
import { APP_NAME, HIDDEN_FLAG } from './identity.js';

export interface AutostartEnv {
  platform: string;
  isPackaged: boolean;
  /** The app's executable. */
  execPath: string;
  /** Set by the AppImage runtime: the .AppImage file, which is what must start. */
  appImage?: string;
  /** $XDG_CONFIG_HOME or ~/.config. */
  configHome: string;
}

export type AutostartPlan =
  | { kind: 'login-item'; settings: LoginItemSettings }
  | { kind: 'xdg-autostart'; file: string; contents: string | null }
  | { kind: 'unsupported'; reason: string };

export const XDG_AUTOSTART_FILE = 'herald.desktop';

/** Desktop Entry spec quoting for Exec arguments. */
export function quoteExecArg(arg: string): string {
  if (!/[\s"'\\`$<>|&;*?#()~]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function xdgAutostartEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    `Name=${APP_NAME}`,
    'Comment=DevSecOps notifications in the tray',
    `Exec=${quoteExecArg(executable)} ${HIDDEN_FLAG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/**
 * Whether an autostart entry found on disk starts this Herald at login: it runs this
 * executable, and the desktop has not turned it off (GNOME's Startup Applications and Tweaks
 * write `X-GNOME-Autostart-enabled=false`, others `Hidden=true`, into the same file). An entry
 * for an AppImage since moved or renamed starts nothing: it is off until set again.
 */
export function xdgAutostartStarts(contents: string, executable: string): boolean {
  const keys = new Map<string, string>();
  let group = '';
  for (const raw of contents.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      group = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (group === 'Desktop Entry' && eq > 0 && !keys.has(line.slice(0, eq).trim())) keys.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  if (keys.get('Hidden') === 'true' || keys.get('X-GNOME-Autostart-enabled') === 'false') return false;
  return keys.get('Exec') === `${quoteExecArg(executable)} ${HIDDEN_FLAG}`;
}

/** What to do to turn start-at-login on or off here. */
export function autostartPlan(enabled: boolean, env: AutostartEnv): AutostartPlan {
  if (!env.isPackaged) return { kind: 'unsupported', reason: 'start at login works in the installed app, not in a development build' };
  switch (env.platform) {
    case 'darwin':
      return { kind: 'login-item', settings: { openAtLogin: enabled } };
    case 'win32':
      return { kind: 'login-item', settings: { openAtLogin: enabled, path: env.execPath, args: [HIDDEN_FLAG] } };
    case 'linux':
      return {
        kind: 'xdg-autostart',
        file: path.join(env.configHome, 'autostart', XDG_AUTOSTART_FILE),
        contents: enabled ? xdgAutostartEntry(env.appImage ?? env.execPath) : null,
      };
    default:
      return { kind: 'unsupported', reason: `start at login is not available on ${env.platform}` };
  }
}

export interface Autostart {
  supported: boolean;
  get(): Promise<boolean>;
  set(enabled: boolean): Promise<boolean>;
}

export function createAutostart(app: Pick<App, 'getLoginItemSettings' | 'setLoginItemSettings'>, env: AutostartEnv): Autostart {
  const probe = autostartPlan(true, env);
  const get = async (): Promise<boolean> => {
    if (probe.kind === 'login-item') {
      const { path: exe, args } = probe.settings;
      return app.getLoginItemSettings(exe === undefined ? undefined : { path: exe, args }).openAtLogin;
    }
    if (probe.kind === 'xdg-autostart') return readFile(probe.file, 'utf8').then((text) => xdgAutostartStarts(text, env.appImage ?? env.execPath), () => false);
    return false;
  };
  return {
    supported: probe.kind !== 'unsupported',
    get,
    async set(enabled) {
      const plan = autostartPlan(enabled, env);
      if (plan.kind === 'login-item') app.setLoginItemSettings(plan.settings);
      else if (plan.kind === 'xdg-autostart') {
        if (plan.contents === null) await rm(plan.file, { force: true });
        else {
          await mkdir(path.dirname(plan.file), { recursive: true });
          await writeFile(plan.file, plan.contents, { mode: 0o644 });
        }
      }
      return get();
    },
  };
}

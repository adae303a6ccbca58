// Starts the built headless hub (dist/electron/headless.js) as a child process on free
// ports with a temp data dir, and reads the URLs it prints. Tests kill it as they like.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const HEADLESS = resolve(import.meta.dirname, '../../dist/electron/headless.js');

export interface HubProcess {
  child: ChildProcess;
  dataDir: string;
  ingressUrl: string;
  apiUrl: string;
  token: string;
  output: () => string;
  /** POST a method of the api contract. */
  api<T = unknown>(method: string, input?: unknown): Promise<T>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function tempDir(prefix = 'herald-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, config: unknown, name = 'herald.json'): string {
  const file = join(dir, name);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

export async function startHubProcess(opts: {
  dataDir?: string;
  configFile?: string;
  env?: Record<string, string>;
  /** Variables of this process the hub must not inherit (no D-Bus session: no keychain). */
  unsetEnv?: string[];
  token?: string;
  ingressPort?: number;
  apiPort?: number;
  timeoutMs?: number;
}): Promise<HubProcess> {
  const dataDir = opts.dataDir ?? tempDir();
  const token = opts.token ?? 'test-token-0123456789';
  const args = [
    HEADLESS,
    '--data-dir', dataDir,
    '--ingress-port', String(opts.ingressPort ?? 0),
    '--api-port', String(opts.apiPort ?? 0),
    '--api-token', token,
    ...(opts.configFile ? ['--config', opts.configFile] : []),
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const name of opts.unsetEnv ?? []) delete env[name];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk) => (out += chunk));
  child.stderr!.on('data', (chunk) => (out += chunk));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const ingress = /ingress:\s+(http:\/\/\S+)/.exec(out)?.[1];
    const api = /ui\/api:\s+(http:\/\/[^/\s]+)/.exec(out)?.[1];
    if (ingress && api) {
      const hub: HubProcess = {
        child,
        dataDir,
        ingressUrl: ingress,
        apiUrl: api,
        token,
        output: () => out,
        async api<T>(method: string, input: unknown = {}) {
          const res = await fetch(`${api}/api/${method}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(input),
          });
          const body = (await res.json()) as T & { error?: { message: string } };
          if (!res.ok) throw new Error(`${method}: HTTP ${res.status}: ${body.error?.message}`);
          return body;
        },
        async kill(signal: NodeJS.Signals = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
      return hub;
    }
    if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hub did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Without these the hub finds no Secret Service: how a machine without a keychain starts it. */
export const NO_KEYCHAIN_ENV = ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'XDG_RUNTIME_DIR'];

/** Polls until fn returns a truthy value or the time is up. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The headless hub's flags, as a user mistypes them: every bad value stops the start with one
// line naming the flag, before anything is written (no database, no token), and a port that
// another program holds names the flag that picks another. What a config file sets up that
// cannot work here is said at start.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { HEADLESS, type HubProcess, startHubProcess, tempDir, waitFor, writeConfig } from '../../helpers/hub-process.js';

const run = promisify(execFile);
/** The headless hub with these flags, which must not start: its exit code and what it printed. */
const refused = async (...flags: string[]) => {
  const failed = await run(process.execPath, [HEADLESS, ...flags], { timeout: 20_000 }).then(
    () => undefined,
    (error: { code?: number; stdout: string; stderr: string }) => error,
  );
  expect(failed, 'the hub started').toBeDefined();
  return { code: failed!.code, stdout: failed!.stdout, stderr: failed!.stderr };
};

const servers: Server[] = [];
let hub: HubProcess | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  await hub?.kill('SIGKILL');
  hub = undefined;
});
/** A port another program listens on. */
const takenPort = async () => {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
};

describe('headless flags', { timeout: 60_000 }, () => {
  it('a bad port is refused before anything starts: no database or token is written', async () => {
    const dataDir = join(tempDir(), 'data');
    expect(await refused('--data-dir', dataDir, '--ingress-port', '0', '--api-port', '99999')).toEqual({ code: 1, stdout: '', stderr: 'herald: --api-port: not a port number: "99999"\n' });
    expect(await refused('--data-dir', dataDir, '--ingress-port', 'http', '--api-port', '0')).toMatchObject({ code: 1, stderr: 'herald: --ingress-port: not a port number: "http"\n' });
    expect(existsSync(dataDir)).toBe(false);
  });

  it('a port another program holds names the flag that picks another', async () => {
    const port = await takenPort();
    const ingress = await refused('--data-dir', join(tempDir(), 'data'), '--ingress-port', String(port), '--api-port', '0');
    expect(ingress).toMatchObject({ code: 1 });
    expect(ingress.stderr).toBe(
      `herald: could not listen for webhooks: listen EADDRINUSE: address already in use 127.0.0.1:${port} (another program listens there: choose another port with --ingress-port N, or 0 for any free one)\n`,
    );
    const api = await refused('--data-dir', join(tempDir(), 'data'), '--ingress-port', '0', '--api-port', String(port));
    expect(api.stderr).toBe(
      `herald: could not start the api: listen EADDRINUSE: address already in use 127.0.0.1:${port} (another program listens there: choose another port with --api-port N, or 0 for any free one)\n`,
    );
  });

  it('a --config desktop channel on a hub without a desktop session is warned about at start, as the UI says when it is saved', async () => {
    const dir = tempDir();
    const configFile = writeConfig(dir, { channels: [{ id: 'me', kind: 'desktop', name: 'Popups' }], rules: [{ id: 'all', name: 'All', channels: ['me'] }] });
    hub = await startHubProcess({ dataDir: join(dir, 'data'), configFile, unsetEnv: ['DISPLAY', 'WAYLAND_DISPLAY', 'DBUS_SESSION_BUS_ADDRESS'] });
    expect(hub.output()).toContain('  warning:  channel "me": this hub has no desktop session: popups cannot be shown here\n');
  });

  it('an api token on the command line (other users can read it with ps) or a short one is warned about at start; one from the environment is not', async () => {
    hub = await startHubProcess({ token: 'short' });
    expect(hub.output()).toContain('  warning:  --api-token is visible to every user of this machine (ps); give it as $HERALD_API_TOKEN, or let the hub keep one in the data dir\n');
    expect(hub.output()).toContain('  warning:  the api token has 5 characters: one that short can be guessed; use at least 16 (the generated one has 32)\n');
    await hub.kill();
    // A token from the environment is not in the process list: only its length is warned about
    // (that line comes after the one about the flag, so once it is there the other would be too).
    child = spawn(process.execPath, [HEADLESS, '--data-dir', tempDir(), '--ingress-port', '0', '--api-port', '0'], { env: { ...process.env, HERALD_API_TOKEN: 'shorty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    await waitFor(() => out.includes('the api token has 6 characters'), 20_000, 'the short-token warning');
    expect(out).not.toContain('--api-token');
  });

  it('--host 0.0.0.0: the printed UI address is a loopback one that works, and a browser on another host name is told how to get in', async () => {
    child = spawn(process.execPath, [HEADLESS, '--data-dir', join(tempDir(), 'data'), '--host', '0.0.0.0', '--ingress-port', '0', '--api-port', '0', '--api-token', 'host-token-0123456789'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    const ui = await waitFor(() => /ui\/api:\s+(http:\/\/\S+)\/\?token=/.exec(out)?.[1], 20_000, 'the hub to print its ui/api address');
    expect(ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = new URL(ui).port;
    const status = await fetch(`${ui}/api/hub.status`, { method: 'POST', headers: { authorization: 'Bearer host-token-0123456789', 'content-type': 'application/json' }, body: '{}' });
    expect(status.status).toBe(200);
    // What a browser on another machine sends: the server's own name as Host.
    const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // node:http, not fetch: fetch will not send a Host of our choosing.
      const req = httpGet({ host: '127.0.0.1', port, path: '/', headers: { host: `herald-a.internal:${port}` } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
    expect(refused.status).toBe(403);
    expect((JSON.parse(refused.body) as { error: { message: string } }).error.message).toBe(
      `Host "herald-a.internal:${port}" is not allowed: the UI and api answer only to 127.0.0.1, localhost and [::1] (keeping other web pages and DNS-rebinding tricks out); from another machine, use an SSH tunnel: ssh -L ${port}:127.0.0.1:${port} <this host>, then http://127.0.0.1:${port}/`,
    );
  });
});

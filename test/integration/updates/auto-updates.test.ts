// The update check against a loopback feed, with electron-updater's own code doing the
// work: its generic provider fetches and parses latest-linux.yml, its DebUpdater
// downloads the package and checks its sha512. Outside Electron the updater gets a plain-
// Node app adapter and electron-builder's NodeHttpExecutor, given the download method only
// Electron's executor has (electron-builder's own updater tests swap the executor likewise); in the app it is Electron's autoUpdater with Electron's net.
// latest-linux.yml is written in the shape electron-builder publishes it
// (app-builder-lib/out/publish/updateInfoBuilder.js: version, files[{url, sha512, size}],
// path, sha512, releaseDate; builder-util-runtime's UpdateInfo).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { NodeHttpExecutor } from 'builder-util/out/nodeHttpExecutor.js';
import { configureRequestOptions, configureRequestUrl, type DownloadOptions } from 'builder-util-runtime';
import { DebUpdater } from 'electron-updater';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpdateFeed } from '../../../shared/config.js';
import { startAutoUpdates, type AutoUpdates, type Updater } from '../../../electron/updates/auto-updates.js';
import type { UpdateState } from '../../../electron/updates/policy.js';

const CHANNEL_FILE = process.arch === 'x64' ? 'latest-linux.yml' : `latest-linux-${process.arch}.yml`;
const sha512 = (data: Buffer) => createHash('sha512').update(data).digest('base64');

/** electron-builder's Node executor plus the download that only Electron's executor has (the same doDownload underneath). */
class NodeDownloadExecutor extends NodeHttpExecutor {
  download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return options.cancellationToken.createPromise((resolve, reject, onCancel) => {
      const requestOptions = { headers: options.headers ?? undefined };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(requestOptions, { destination, options, onCancel, callback: (error) => (error == null ? resolve(destination) : reject(error)), responseHandler: null }, 0);
    });
  }
}

function updateInfo(version: string, file: string, data: Buffer): string {
  return stringify({ version, files: [{ url: file, sha512: sha512(data), size: data.length }], path: file, sha512: sha512(data), releaseDate: '2026-12-01T10:00:00.000Z' });
}

describe('auto-updates against a loopback feed (electron-updater’s own parsing and download)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'herald-updates-'));
  const files = new Map<string, Buffer>();
  const requests: string[] = [];
  let server: Server;
  let base: string;
  const deb = Buffer.from('a stand-in .deb: electron-updater checks its sha512, never its contents here');

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://feed');
      requests.push(url.pathname);
      const body = files.get(url.pathname);
      if (!body) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      res.writeHead(200, { 'content-length': body.length, 'content-type': url.pathname.endsWith('.yml') ? 'text/yaml' : 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    files.set(`/newer/${CHANNEL_FILE}`, Buffer.from(updateInfo('1.1.0', 'herald_1.1.0_amd64.deb', deb)));
    files.set('/newer/herald_1.1.0_amd64.deb', deb);
    files.set(`/same/${CHANNEL_FILE}`, Buffer.from(updateInfo('0.1.0', 'herald_0.1.0_amd64.deb', deb)));
    files.set(`/tampered/${CHANNEL_FILE}`, Buffer.from(updateInfo('1.2.0', 'herald_1.2.0_amd64.deb', deb)));
    files.set('/tampered/herald_1.2.0_amd64.deb', Buffer.concat([deb, Buffer.from('!')]));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  /** A packaged Herald 0.1.0 as electron-updater sees it: app-update.yml as electron-builder writes it. */
  function makeUpdater(name: string): Updater & { installs: unknown[][] } {
    const dir = path.join(root, name);
    const configPath = path.join(dir, 'app-update.yml');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(configPath, stringify({ provider: 'generic', url: 'https://updates.herald.invalid/', updaterCacheDirName: 'herald-updater' }));
    const updater = new DebUpdater(null, {
      version: '0.1.0',
      name: 'Herald',
      isPackaged: true,
      appUpdateConfigPath: configPath,
      userDataPath: path.join(dir, 'user-data'),
      baseCachePath: path.join(dir, 'cache'),
      whenReady: () => Promise.resolve(),
      relaunch: () => undefined,
      quit: () => undefined,
      onQuit: () => undefined,
    });
    (updater as unknown as { httpExecutor: NodeHttpExecutor }).httpExecutor = new NodeDownloadExecutor();
    const installs: unknown[][] = [];
    // Installing runs dpkg through sudo/pkexec: recorded, never run.
    updater.quitAndInstall = (...args: unknown[]) => void installs.push(args);
    return Object.assign(updater, { installs });
  }

  function start(name: string, feed: UpdateFeed | undefined) {
    const states: UpdateState[] = [];
    const log: string[] = [];
    const updater = makeUpdater(name);
    let current = feed;
    const waiters: Array<{ until: (s: UpdateState) => boolean; resolve: (s: UpdateState) => void }> = [];
    const updates: AutoUpdates = startAutoUpdates({
      updater: () => updater,
      isPackaged: true,
      feed: () => current,
      onChange: (state) => {
        states.push(state);
        for (const w of waiters.splice(0)) (w.until(state) ? w.resolve(state) : waiters.push(w));
      },
      log: (line) => log.push(line),
      now: () => Date.parse('2026-12-03T09:00:00Z'),
    });
    const reach = (until: (s: UpdateState) => boolean) =>
      until(updates.state) ? Promise.resolve(updates.state) : new Promise<UpdateState>((resolve) => waiters.push({ until, resolve }));
    return { updates, updater, states, log, reach, setFeed: (next: UpdateFeed | undefined) => (current = next) };
  }

  it('a newer version on a generic feed: checked, downloaded, verified, offered as "Restart to update"', async () => {
    const { updates, updater, states, log, reach } = start('newer', { provider: 'generic', url: `${base}/newer/` });
    await updates.checkNow();
    const ready = await reach((s) => s.status === 'ready' || s.status === 'failed');
    expect(ready).toEqual({ status: 'ready', version: '1.1.0' });
    expect(states.map((s) => s.status)).toEqual(expect.arrayContaining(['checking', 'downloading', 'ready']));
    expect(requests).toEqual(expect.arrayContaining([`/newer/${CHANNEL_FILE}`, '/newer/herald_1.1.0_amd64.deb']));
    expect(log).toEqual(['updates: 1.1.0 available, downloading', 'updates: 1.1.0 downloaded; "Restart to update" in the tray installs it']);
    expect(updates.restart()).toBe(true);
    expect(updater.installs).toEqual([[true, true]]);
    updates.stop();
  });

  it('the same version: up to date, nothing downloaded', async () => {
    requests.length = 0;
    const { updates } = start('same', { provider: 'generic', url: `${base}/same` });
    expect(await updates.checkNow()).toEqual({ status: 'up-to-date', checkedAt: Date.parse('2026-12-03T09:00:00Z') });
    expect(requests).toEqual([`/same/${CHANNEL_FILE}`]);
    expect(updates.restart()).toBe(false);
    updates.stop();
  });

  it('a feed without latest-linux.yml: failed, in one line', async () => {
    const { updates, log } = start('missing', { provider: 'generic', url: `${base}/nothing/` });
    const state = await updates.checkNow();
    expect(state.status).toBe('failed');
    const error = (state as { error: string }).error;
    expect(error).toContain(`${CHANNEL_FILE}`);
    expect(error).toContain('404');
    expect(error).not.toContain('\n');
    expect(log).toEqual([`updates: check failed: ${error}`]);
    updates.stop();
  });

  it('a download whose sha512 does not match the feed is not offered', async () => {
    const { updates, reach } = start('tampered', { provider: 'generic', url: `${base}/tampered/` });
    await updates.checkNow();
    const end = await reach((s) => s.status === 'ready' || s.status === 'failed');
    expect(end.status).toBe('failed');
    expect((end as { error: string }).error).toMatch(/sha512 checksum mismatch/);
    expect(updates.restart()).toBe(false);
    updates.stop();
  });

  it('no feed set: off, and the updater is never built; setting one turns checks on', async () => {
    let built = 0;
    const updater = makeUpdater('off');
    let feed: UpdateFeed | undefined;
    const updates = startAutoUpdates({ updater: () => (built++, updater), isPackaged: true, feed: () => feed });
    expect(await updates.checkNow()).toEqual({ status: 'off', reason: 'no update feed set (Settings → Updates)' });
    expect(built).toBe(0);
    feed = { provider: 'generic', url: `${base}/same/` };
    expect((await updates.feedChanged()).status).toBe('up-to-date');
    expect(built).toBe(1);
    updates.stop();
  });
});


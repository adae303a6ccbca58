import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { findElectronRuntime, installerNodeProblem, installerReason } from '../../../electron/launch/electron-runtime.js';
import { decideLaunch, displayProblem, headlessNotice } from '../../../electron/launch/plan.js';
import { prebuildReason } from '../../../electron/launch/sqlite-binding.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../../..');

describe('decideLaunch (before anything is fetched)', () => {
  const rows: Array<[string, string, NodeJS.ProcessEnv, ReturnType<typeof decideLaunch>]> = [
    ['Linux with X11', 'linux', { DISPLAY: ':0' }, { mode: 'desktop' }],
    ['Linux with Wayland', 'linux', { WAYLAND_DISPLAY: 'wayland-0' }, { mode: 'desktop' }],
    ['macOS always has a display', 'darwin', {}, { mode: 'desktop' }],
    ['Windows always has a display', 'win32', {}, { mode: 'desktop' }],
    ['no display: no runtime is fetched for nothing', 'linux', {}, { mode: 'headless', reason: 'no display: DISPLAY and WAYLAND_DISPLAY are unset' }],
    ['empty DISPLAY is no display', 'freebsd', { DISPLAY: '' }, { mode: 'headless', reason: 'no display: DISPLAY and WAYLAND_DISPLAY are unset' }],
    ['asked for headless', 'darwin', { HERALD_HEADLESS: '1' }, { mode: 'headless', reason: 'HERALD_HEADLESS=1' }],
  ];
  it.each(rows)('%s', (_name, platform, env, expected) => {
    expect(decideLaunch({ platform, env })).toEqual(expected);
  });

  it('the notice is one line naming the reason', () => {
    const line = headlessNotice('no display: DISPLAY and WAYLAND_DISPLAY are unset');
    expect(line).toBe('Herald: no display: DISPLAY and WAYLAND_DISPLAY are unset; running the headless hub instead (UI in the browser).');
    expect(line).not.toContain('\n');
    expect(displayProblem('linux', { DISPLAY: ':1' })).toBeNull();
  });
});

describe('Electron’s installer and prebuild-install, in one line', () => {
  it.each([
    ['20.18.3', "Node 20.18.3 cannot run Electron's installer (it needs Node 20.19+ or 22.12+): upgrade Node"],
    ['18.20.0', "Node 18.20.0 cannot run Electron's installer (it needs Node 20.19+ or 22.12+): upgrade Node"],
    ['22.11.0', "Node 22.11.0 cannot run Electron's installer (it needs Node 20.19+ or 22.12+): upgrade Node"],
    ['20.19.0', null],
    ['20.20.2', null],
    ['22.12.0', null],
    ['24.1.0', null],
  ])('Node %s', (version, expected) => {
    expect(installerNodeProblem(version)).toBe(expected);
  });

  it('the installer’s error line, not its stack', () => {
    const stack = [
      'HTTPError: Response code 404 (Not Found) for http://127.0.0.1:9/v45.4.1/electron-v45.4.1-linux-x64.zip',
      '    at FetchDownloader.download (file:///x/node_modules/@electron/get/dist/FetchDownloader.js:48:23)',
      '    at async downloadArtifact (file:///x/index.js:154:12)',
    ].join('\n');
    expect(installerReason(stack, 1)).toBe('HTTPError: Response code 404 (Not Found) for http://127.0.0.1:9/v45.4.1/electron-v45.4.1-linux-x64.zip');
    expect(installerReason('TypeError: fetch failed\n    at node:internal/deps/undici/undici:14976:13\n', 1)).toBe('fetch failed (no connection to the mirror)');
    expect(installerReason('(node:12) ExperimentalWarning: something\n(Use `node --trace-warnings ...`)\nError: EACCES: permission denied, mkdir \'/usr/lib/node_modules/electron/dist\'\n', 1)).toBe(
      "Error: EACCES: permission denied, mkdir '/usr/lib/node_modules/electron/dist'",
    );
    expect(installerReason('', null)).toBe("Electron's installer exited with a signal");
  });

  it('prebuild-install’s warning with the URL it asked', () => {
    const output = [
      'prebuild-install info begin Prebuild-install version 7.1.3',
      'prebuild-install http request GET http://127.0.0.1:9/sqlite/v12.11.1/better-sqlite3-v12.11.1-electron-v150-linux-x64.tar.gz',
      'prebuild-install http 404 http://127.0.0.1:9/sqlite/v12.11.1/better-sqlite3-v12.11.1-electron-v150-linux-x64.tar.gz',
      'prebuild-install warn install No prebuilt binaries found (target=45.4.1 runtime=electron arch=x64 libc= platform=linux)',
    ].join('\n');
    expect(prebuildReason(output, 1)).toBe(
      'No prebuilt binaries found (target=45.4.1 runtime=electron arch=x64 libc= platform=linux) at http://127.0.0.1:9/sqlite/v12.11.1/better-sqlite3-v12.11.1-electron-v150-linux-x64.tar.gz',
    );
    expect(prebuildReason('', 1)).toBe('prebuild-install exited with 1');
  });
});

describe('findElectronRuntime (real files, never the electron package’s download-on-require)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'herald-electron-pkg-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function fakePackage(name: string, opts: { pathTxt?: string; binary?: string }): string {
    const dir = path.join(root, name);
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"name":"electron"}');
    if (opts.pathTxt !== undefined) writeFileSync(path.join(dir, 'path.txt'), opts.pathTxt);
    if (opts.binary !== undefined) {
      writeFileSync(path.join(dir, 'dist', opts.binary), '#!/bin/sh\n');
      chmodSync(path.join(dir, 'dist', opts.binary), 0o755);
    }
    return dir;
  }

  it('not downloaded yet: path.txt missing', () => {
    expect(findElectronRuntime(fakePackage('no-path-txt', {}), {})).toEqual({
      found: false,
      reason: 'not downloaded yet (node_modules/electron/path.txt is missing)',
    });
  });

  it('path.txt written but the binary is gone', () => {
    expect(findElectronRuntime(fakePackage('no-binary', { pathTxt: 'electron' }), {})).toEqual({
      found: false,
      reason: 'node_modules/electron/dist/electron is missing',
    });
  });

  it('a complete install', () => {
    const dir = fakePackage('complete', { pathTxt: 'electron', binary: 'electron' });
    expect(findElectronRuntime(dir, {})).toEqual({ found: true, binary: path.join(root, 'complete', 'dist', 'electron') });
  });

  it('ELECTRON_OVERRIDE_DIST_PATH, as the electron package honours it', () => {
    const override = path.join(root, 'override');
    mkdirSync(override, { recursive: true });
    writeFileSync(path.join(override, 'electron'), '');
    const dir = fakePackage('with-override', {});
    expect(findElectronRuntime(dir, { ELECTRON_OVERRIDE_DIST_PATH: override })).toEqual({ found: true, binary: path.join(override, 'electron') });
    expect(findElectronRuntime(dir, { ELECTRON_OVERRIDE_DIST_PATH: path.join(root, 'nowhere') })).toMatchObject({ found: false });
  });
});

describe('npm start without Electron (a real process)', () => {
  it('prints the one-line reason, then runs the headless hub (here: its --help)', async () => {
    const env = { ...process.env, HERALD_HEADLESS: '1', DISPLAY: '', WAYLAND_DISPLAY: '' };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'electron/launch.ts', '--help'], { cwd: REPO, env, timeout: 60_000 });
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(headlessNotice('HERALD_HEADLESS=1'));
    expect(lines[1]).toBe('Herald hub (headless)');
  });

  it('without a display: one line, then headless, nothing fetched', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' };
    delete env.HERALD_HEADLESS;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'electron/launch.ts', '--help'], { cwd: REPO, env, timeout: 60_000 });
    const [first, second] = stdout.split('\n');
    expect(first).toBe(headlessNotice('no display: DISPLAY and WAYLAND_DISPLAY are unset'));
    expect(second).toBe('Herald hub (headless)');
  });
});

import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { decideLaunch, displayProblem, findElectronRuntime, headlessNotice, type ElectronRuntime } from '../../electron/launch.js';

const run = promisify(execFile);
const REPO = path.resolve(import.meta.dirname, '../..');

describe('decideLaunch', () => {
  const present: ElectronRuntime = { found: true, binary: '/repo/node_modules/electron/dist/electron' };
  const missing: ElectronRuntime = { found: false, reason: 'node_modules/electron/dist/electron is missing' };
  const rows: Array<[string, string, NodeJS.ProcessEnv, ElectronRuntime, ReturnType<typeof decideLaunch>]> = [
    ['Linux with X11 and a runtime', 'linux', { DISPLAY: ':0' }, present, { mode: 'electron', binary: present.binary as string }],
    ['Linux with Wayland and a runtime', 'linux', { WAYLAND_DISPLAY: 'wayland-0' }, present, { mode: 'electron', binary: present.binary as string }],
    ['macOS always has a display', 'darwin', {}, present, { mode: 'electron', binary: present.binary as string }],
    ['Windows always has a display', 'win32', {}, present, { mode: 'electron', binary: present.binary as string }],
    ['no runtime', 'linux', { DISPLAY: ':0' }, missing, { mode: 'headless', reason: 'no Electron runtime: node_modules/electron/dist/electron is missing' }],
    ['no display', 'linux', {}, present, { mode: 'headless', reason: 'no display: DISPLAY and WAYLAND_DISPLAY are unset' }],
    ['empty DISPLAY is no display', 'freebsd', { DISPLAY: '' }, present, { mode: 'headless', reason: 'no display: DISPLAY and WAYLAND_DISPLAY are unset' }],
    ['neither: the runtime is named first', 'linux', {}, missing, { mode: 'headless', reason: 'no Electron runtime: node_modules/electron/dist/electron is missing' }],
    ['asked for headless', 'darwin', { HERALD_HEADLESS: '1' }, present, { mode: 'headless', reason: 'HERALD_HEADLESS=1' }],
  ];
  it.each(rows)('%s', (_name, platform, env, runtime, expected) => {
    expect(decideLaunch({ platform, env, runtime })).toEqual(expected);
  });

  it('the notice is one line naming the reason', () => {
    const line = headlessNotice('no display: DISPLAY and WAYLAND_DISPLAY are unset');
    expect(line).toBe('Herald: no display: DISPLAY and WAYLAND_DISPLAY are unset; running the headless hub instead (UI in the browser).');
    expect(line).not.toContain('\n');
    expect(displayProblem('linux', { DISPLAY: ':1' })).toBeNull();
  });
});

describe('findElectronRuntime (real files, never the electron package’s download-on-require)', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'herald-electron-pkg-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function fakePackage(name: string, opts: { pathTxt?: string; binary?: string }): () => string {
    const dir = path.join(root, name);
    mkdirSync(path.join(dir, 'dist'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), '{"name":"electron"}');
    if (opts.pathTxt !== undefined) writeFileSync(path.join(dir, 'path.txt'), opts.pathTxt);
    if (opts.binary !== undefined) {
      writeFileSync(path.join(dir, 'dist', opts.binary), '#!/bin/sh\n');
      chmodSync(path.join(dir, 'dist', opts.binary), 0o755);
    }
    return () => path.join(dir, 'package.json');
  }

  it('the package is not installed', () => {
    const resolve = () => {
      throw Object.assign(new Error("Cannot find module 'electron/package.json'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(findElectronRuntime({}, resolve)).toEqual({ found: false, reason: 'the electron package is not installed' });
  });

  it('installed without its runtime (the download failed): path.txt missing', () => {
    expect(findElectronRuntime({}, fakePackage('no-path-txt', {}))).toEqual({
      found: false,
      reason: 'its download did not complete (node_modules/electron/path.txt is missing)',
    });
  });

  it('path.txt written but the binary is gone', () => {
    expect(findElectronRuntime({}, fakePackage('no-binary', { pathTxt: 'electron' }))).toEqual({
      found: false,
      reason: 'node_modules/electron/dist/electron is missing',
    });
  });

  it('a complete install', () => {
    const resolve = fakePackage('complete', { pathTxt: 'electron', binary: 'electron' });
    expect(findElectronRuntime({}, resolve)).toEqual({ found: true, binary: path.join(root, 'complete', 'dist', 'electron') });
  });

  it('ELECTRON_OVERRIDE_DIST_PATH, as the electron package honours it', () => {
    const override = path.join(root, 'override');
    mkdirSync(override, { recursive: true });
    writeFileSync(path.join(override, 'electron'), '');
    const resolve = fakePackage('with-override', {});
    expect(findElectronRuntime({ ELECTRON_OVERRIDE_DIST_PATH: override }, resolve)).toEqual({ found: true, binary: path.join(override, 'electron') });
    expect(findElectronRuntime({ ELECTRON_OVERRIDE_DIST_PATH: path.join(root, 'nowhere') }, resolve)).toMatchObject({ found: false });
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

  it('on this machine: whichever is missing, it says so in one line and falls back', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: '', WAYLAND_DISPLAY: '' };
    delete env.HERALD_HEADLESS;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'electron/launch.ts', '--help'], { cwd: REPO, env, timeout: 60_000 });
    const [first, second] = stdout.split('\n');
    expect(first).toMatch(/^Herald: no (Electron runtime|display): .+; running the headless hub instead \(UI in the browser\)\.$/);
    expect(second).toBe('Herald hub (headless)');
  });
});

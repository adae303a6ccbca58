import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import picomatch from 'picomatch';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { APP_ID, APP_NAME } from '../../../electron/shell/identity.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const config = parse(readFileSync(path.join(REPO, 'electron-builder.yml'), 'utf8')) as Record<string, any>;
const requireFromRepo = createRequire(path.join(REPO, 'package.json'));

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema validation (and that validation does reject a bad key)", async () => {
    const { validateConfiguration } = requireFromRepo('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
    };
    const logger = { isEnabled: false, add: () => undefined };
    await expect(validateConfiguration(structuredClone(config), logger)).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...structuredClone(config), linux: { ...config.linux, tagret: 'deb' } }, logger)).rejects.toThrow(
      /Invalid configuration object/,
    );
  });

  it('its appId is the AppUserModelID the shell sets on Windows', () => {
    expect(config.appId).toBe(APP_ID);
    expect(config.productName).toBe(APP_NAME);
  });

  it('names a publish provider, so packages carry app-update.yml for electron-updater (the feed itself is a setting)', () => {
    expect(config.publish).toEqual({ provider: 'generic', url: 'https://updates.herald.invalid/' });
  });

  it('targets AppImage + deb, dmg and nsis', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toBe('dmg');
    expect(config.win.target).toBe('nsis');
  });

  it('ships the tray icons and app icon as resources, and the icon files exist', () => {
    expect(config.extraResources).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'build/tray', to: 'tray' }), { from: 'build/icon.png', to: 'icon.png' }]));
    for (const platform of ['mac', 'win', 'linux']) expect(existsSync(path.join(REPO, config[platform].icon))).toBe(true);
  });

  it('rebuilds native modules for Electron and keeps every native production dependency outside the asar', () => {
    expect(config.npmRebuild).toBe(true);
    const isUnpacked = picomatch(config.asarUnpack as string[], { dot: true });
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const native = Object.keys(pkg.dependencies).filter((dep) => existsSync(path.join(REPO, 'node_modules', dep, 'binding.gyp')));
    expect(native.sort()).toEqual(['better-sqlite3', 'keytar']);
    for (const dep of native) {
      expect(isUnpacked(`node_modules/${dep}/build/Release/addon.node`)).toBe(true);
      expect(isUnpacked(`node_modules/${dep}/package.json`)).toBe(true);
    }
    // node-notifier runs its helper binaries from vendor/: they must be real files.
    expect(isUnpacked('node_modules/node-notifier/vendor/snoreToast/snoretoast-x64.exe')).toBe(true);
    expect(isUnpacked('node_modules/node-notifier/index.js')).toBe(false);
  });
});

describe('the sandboxed preload', () => {
  it('bundles to CommonJS whose only require is electron (a sandboxed preload can load nothing else)', async () => {
    const result = await build({
      entryPoints: [path.join(REPO, 'electron/preload.ts')],
      bundle: true,
      platform: 'browser',
      format: 'cjs',
      external: ['electron'],
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.text;
    expect([...code.matchAll(/require\((["'])(.*?)\1\)/g)].map((m) => m[2])).toEqual(['electron']);
    expect(code).not.toMatch(/\bimport\s*\(|\bimport\s+[\w{*]/);
    expect(code.length).toBeLessThan(10_000); // no zod or other library pulled in
  });
});

// A loopback stand-in for the two places `npm start` fetches from on a first desktop start:
// an Electron mirror (ELECTRON_MIRROR: <version>/electron-<version>-<platform>-<arch>.zip and
// its SHASUMS256.txt, laid out as @electron/get asks for them) and a better-sqlite3 release
// mirror (npm_config_better_sqlite3_binary_host: v<version>/better-sqlite3-v<version>-
// electron-v<abi>-<platform>-<arch>.tar.gz, as prebuild-install asks). What they serve is
// made here: a zip holding a shell script in place of the Electron binary, and a prebuild
// tarball whose .node is this Node's own better-sqlite3 build (so a test process can load it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export const REPO = path.resolve(import.meta.dirname, '../..');

/** A zip of stored (uncompressed) files, Unix modes kept, as Electron's release zips carry them. */
export function makeZip(files: Array<{ name: string; data: Buffer; mode?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name);
    const crc = zlib.crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0, 10); // time, date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(file.data.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: the external attributes hold the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(file.data.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | (file.mode ?? 0o644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, file.data);
    centrals.push(central, name);
    offset += local.length + name.length + file.data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** The stand-in Electron: records its arguments and the binding it was given, then exits 0. */
export function standInElectron(recordFile: string): Buffer {
  return Buffer.from(`#!/bin/sh\nprintf '%s\\n' "$@" > '${recordFile}'\nprintf 'HERALD_SQLITE_BINDING=%s\\n' "$HERALD_SQLITE_BINDING" >> '${recordFile}'\nexit 0\n`);
}

/** A prebuild tarball (build/Release/better_sqlite3.node), holding the given .node file. */
export function makePrebuildTarball(nodeFile: string): Buffer {
  const stage = mkdtempSync(path.join(os.tmpdir(), 'herald-prebuild-'));
  mkdirSync(path.join(stage, 'build', 'Release'), { recursive: true });
  cpSync(nodeFile, path.join(stage, 'build', 'Release', 'better_sqlite3.node'));
  execFileSync('tar', ['-czf', path.join(stage, 'prebuild.tar.gz'), '-C', stage, 'build']);
  const tarball = readFileSync(path.join(stage, 'prebuild.tar.gz'));
  rmSync(stage, { recursive: true, force: true });
  return tarball;
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export interface Mirror {
  url: string;
  requests: string[];
  /** Serve these bytes at this path (leading slash). */
  files: Map<string, Buffer>;
  /** Paths sent in two halves this far apart, so a download takes a while. */
  slow: Map<string, number>;
  close(): Promise<void>;
}

export async function startMirror(): Promise<Mirror> {
  const files = new Map<string, Buffer>();
  const slow = new Map<string, number>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://mirror');
    requests.push(url.pathname);
    const body = files.get(url.pathname);
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    const pause = slow.get(url.pathname);
    if (pause === undefined) {
      res.end(body);
      return;
    }
    const half = Math.floor(body.length / 2);
    res.write(body.subarray(0, half));
    setTimeout(() => res.end(body.subarray(half)), pause);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    files,
    slow,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A copy of node_modules/electron without its runtime (no path.txt, no dist/), in a
 * node_modules of its own whose @electron/get and extractor link to the real ones: the
 * installer runs for real, and the real package is never touched.
 */
export function electronPackageCopy(root: string): string {
  const modules = path.join(root, 'node_modules');
  const dir = path.join(modules, 'electron');
  cpSync(path.join(REPO, 'node_modules', 'electron'), dir, {
    recursive: true,
    filter: (src) => !/[/\\]electron[/\\](dist|path\.txt)$/.test(src),
  });
  for (const dep of ['@electron/get', '@electron-internal/extract-zip']) {
    mkdirSync(path.dirname(path.join(modules, dep)), { recursive: true });
    // A link: Node resolves the real path, so their own dependencies are found beside them.
    symlinkSync(path.join(REPO, 'node_modules', dep), path.join(modules, dep), 'dir');
  }
  return dir;
}

export function electronVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
}


#!/usr/bin/env node
// Draws Herald's tray and app icons as PNGs (no image tools needed): `node build/make-icons.mjs`.
// Each tray state has its own shape, so it reads without colour too, which is what macOS
// template images (black + alpha, tinted by the menu bar) need:
//   ok = ring, unread = dot, failing = triangle with "!", snoozed = crescent moon.
// Output: build/tray/tray-<state>.png (+ @2x), build/tray/tray-<state>Template.png (+ @2x),
// build/icon.png (1024 px app icon for electron-builder).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const SUPERSAMPLE = 4;

function png(width, height, rgba) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Layers in unit coordinates (0..1); `color: null` erases (a cut-out). Supersampled for smooth edges. */
function render(size, layers) {
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = (px + (sx + 0.5) / SUPERSAMPLE) / size;
          const y = (py + (sy + 0.5) / SUPERSAMPLE) / size;
          let color = null;
          for (const layer of layers) if (layer.inside(x, y)) color = layer.color;
          if (color) {
            r += color[0]; g += color[1]; b += color[2]; a += 255;
          }
        }
      }
      const n = SUPERSAMPLE * SUPERSAMPLE;
      const i = (py * size + px) * 4;
      // Colour averaged over covered samples (straight alpha), coverage as alpha.
      const covered = a / 255;
      out[i] = covered ? Math.round(r / covered) : 0;
      out[i + 1] = covered ? Math.round(g / covered) : 0;
      out[i + 2] = covered ? Math.round(b / covered) : 0;
      out[i + 3] = Math.round(a / n);
    }
  }
  return out;
}

const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2;
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const both = (f, g) => (x, y) => f(x, y) && g(x, y);
const not = (f) => (x, y) => !f(x, y);
const any = (...fs) => (x, y) => fs.some((f) => f(x, y));
function triangle(ax, ay, bx, by, cx, cy) {
  const side = (x1, y1, x2, y2, x, y) => (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
  return (x, y) => {
    const d1 = side(ax, ay, bx, by, x, y), d2 = side(bx, by, cx, cy, x, y), d3 = side(cx, cy, ax, ay, x, y);
    return (d1 >= 0 && d2 >= 0 && d3 >= 0) || (d1 <= 0 && d2 <= 0 && d3 <= 0);
  };
}
/** Rounded rectangle, radius in unit coordinates. */
function roundedRect(x0, y0, x1, y1, rad) {
  return (x, y) => {
    const qx = Math.max(x0 + rad - x, 0, x - (x1 - rad));
    const qy = Math.max(y0 + rad - y, 0, y - (y1 - rad));
    return x >= x0 && x <= x1 && y >= y0 && y <= y1 && qx * qx + qy * qy <= rad * rad;
  };
}

const BLACK = [0, 0, 0];
const WHITE = [255, 255, 255];
const COLORS = { ok: [45, 164, 78], unread: [9, 105, 218], failing: [207, 34, 46], snoozed: [110, 119, 129] };

/** One state's shape; `ink` is the shape colour, cut-outs are erased. */
function trayLayers(state, ink) {
  switch (state) {
    case 'ok':
      return [{ inside: ring(0.5, 0.5, 0.34, 0.16), color: ink }];
    case 'unread':
      return [{ inside: disc(0.5, 0.5, 0.4), color: ink }];
    case 'failing': {
      const mark = any(rect(0.44, 0.33, 0.56, 0.66), disc(0.5, 0.79, 0.07));
      return [
        { inside: triangle(0.5, 0.04, 0.98, 0.94, 0.02, 0.94), color: ink },
        // White "!" on colour; on a template image the mark is a hole the menu bar shows through.
        { inside: mark, color: ink === BLACK ? null : WHITE },
      ];
    }
    case 'snoozed':
      return [{ inside: both(disc(0.48, 0.52, 0.42), not(disc(0.68, 0.36, 0.34))), color: ink }];
    default:
      throw new Error(`unknown tray state ${state}`);
  }
}

const trayDir = join(here, 'tray');
mkdirSync(trayDir, { recursive: true });
const written = [];
for (const state of Object.keys(COLORS)) {
  for (const [suffix, ink] of [['', COLORS[state]], ['Template', BLACK]]) {
    for (const [scale, size] of [['', 16], ['@2x', 32]]) {
      const file = join(trayDir, `tray-${state}${suffix}${scale}.png`);
      writeFileSync(file, png(size, size, render(size, trayLayers(state, ink))));
      written.push(file);
    }
  }
}

const APP_ICON_SIZE = 1024;
const appIcon = render(APP_ICON_SIZE, [
  { inside: roundedRect(0.06, 0.06, 0.94, 0.94, 0.2), color: [31, 41, 55] },
  { inside: ring(0.5, 0.5, 0.3, 0.07), color: WHITE },
  { inside: disc(0.5, 0.5, 0.13), color: [45, 164, 78] },
]);
writeFileSync(join(here, 'icon.png'), png(APP_ICON_SIZE, APP_ICON_SIZE, appIcon));
written.push(join(here, 'icon.png'));
process.stdout.write(`wrote ${written.length} icons\n`);

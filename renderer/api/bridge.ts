// Which transport the renderer has: Electron's preload puts the bridge on `window.herald`;
// a browser builds it over HTTP. Nothing else in the renderer knows the difference.
import type { HeraldBridge } from '../../shared/api.js';
import { createHttpBridge } from './http-bridge.js';

declare global {
  interface Window {
    herald?: HeraldBridge;
  }
}

export function pickBridge(): HeraldBridge {
  return window.herald ?? createHttpBridge();
}

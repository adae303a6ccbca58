// Builds the renderer (renderer/ → dist/renderer). The same bundle runs inside Electron
// (loaded from disk) and in a browser served by the headless hub, so asset paths are relative.
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** The policy the renderer must live under; also sent as a header by the hub. */
export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'";

/**
 * Put the CSP in the built index.html so it holds in Electron (file://) too. Only for the
 * build: the dev server's react-refresh preamble is an inline script.
 */
function cspMetaTag(): Plugin {
  return {
    name: 'herald-csp-meta',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: RENDERER_CSP }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react(), cspMetaTag()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    // One small app: no module-preload polyfill (it would be an extra script for nothing).
    modulePreload: { polyfill: false },
  },
});

// Pure URL decisions shared by the navigation guards, the tray and popups: which URLs are
// the app, which may open in the OS browser, and the CSP the app's pages carry.

/**
 * For pages served from the app scheme. No inline scripts, no eval, nothing remote: the
 * renderer reaches the hub through the preload, not the network.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const MAX_EXTERNAL_URL_LENGTH = 2048;

/**
 * scheme://host[:port], also for the app's own scheme: Node's URL (main process) gives
 * non-special schemes the origin "null", while Chromium treats a registered standard
 * scheme like http. Null when the URL has no host (file:, javascript:, data:) or is not a URL.
 */
export function originOf(url: string | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.origin !== 'null') return parsed.origin;
  return parsed.host ? `${parsed.protocol}//${parsed.host}` : null;
}

/** Plain http(s) with a host and no credentials: never file:, javascript:, data:, custom schemes. */
export function isAllowedExternalUrl(url: unknown): url is string {
  if (typeof url !== 'string' || url.length > MAX_EXTERNAL_URL_LENGTH) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '' && !parsed.username && !parsed.password;
}

export type NavigationVerdict = 'app' | 'external' | 'deny';

/** Where a URL the page tries to reach belongs: the app itself, the OS browser, or nowhere. */
export function classifyNavigation(url: string, appOrigin: string): NavigationVerdict {
  const origin = originOf(url);
  if (origin !== null && origin === appOrigin) return 'app';
  return isAllowedExternalUrl(url) ? 'external' : 'deny';
}

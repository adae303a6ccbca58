// Hash routes (`#/history`, `#/rules`): they work the same from file:// in Electron and
// from the hub's HTTP server, and need no server-side routing.
import { useEffect, useState } from 'react';

export const PAGES = ['history', 'sources', 'channels', 'rules', 'settings'] as const;
export type Page = (typeof PAGES)[number];

export function parseRoute(hash: string): { page: Page; param?: string } {
  const [page, param] = hash.replace(/^#\/?/, '').split('/');
  const known = (PAGES as readonly string[]).includes(page ?? '') ? (page as Page) : 'history';
  return param ? { page: known, param: decodeURIComponent(param) } : { page: known };
}

export function useRoute() {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parseRoute(hash);
}

export const pageHref = (page: Page) => `#/${page}`;

// Hash routes (`#/history`, `#/rules`): they work the same from file:// in Electron and
// from the hub's HTTP server, and need no server-side routing.
import { useEffect, useState } from 'react';
import { APP_PAGES, eventHref } from '../../shared/app-routes.js';

/** The sidebar's pages, in order; Herald opens on the first (Now: what is red right now). */
export const PAGES = APP_PAGES;
/** Pages reached from another page, not the sidebar: a commit's thread (`#/thread/<sha>`). */
export const ROUTES = [...PAGES, 'thread'] as const;
export type Page = (typeof ROUTES)[number];

export function parseRoute(hash: string): { page: Page; param?: string } {
  const [page, param] = hash.replace(/^#\/?/, '').split('/');
  const known = (ROUTES as readonly string[]).includes(page ?? '') ? (page as Page) : PAGES[0];
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
/** A commit's thread. */
export const threadHref = (commit: string) => `#/thread/${encodeURIComponent(commit)}`;
/** One event, opened in History (the desktop shell opens the window on the same route). */
export { eventHref };

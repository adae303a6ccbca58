// The window's hash routes, in one place for both sides: the renderer reads them
// (renderer/app/route.ts) and the desktop shell opens the window on one (an event from the
// tray or a popup, Settings or Channels from a tray warning). Two spellings had drifted: the
// shell opened `#/events/<id>`, which the renderer read as Now.

/** The sidebar's pages, in order; Herald opens on the first (Now: what is red right now). */
export const APP_PAGES = ['now', 'history', 'sources', 'channels', 'rules', 'settings'] as const;
export type AppPage = (typeof APP_PAGES)[number];

export const appPageHref = (page: AppPage): string => `#/${page}`;
/** One event, opened in History. */
export const eventHref = (id: string): string => `#/history/${encodeURIComponent(id)}`;

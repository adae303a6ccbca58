// Who the app is to the OS. APP_ID must equal `appId` in electron-builder.yml: Windows ties
// notifications and the taskbar to it (AppUserModelID), macOS the bundle id.
export const APP_ID = 'dev.herald.desktop';
export const APP_NAME = 'Herald';

/** The renderer is served from this privileged scheme, never from file:// (any local file would share its origin). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'herald';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Passed by the login item / autostart entry: start in the tray without opening the window. */
export const HIDDEN_FLAG = '--hidden';

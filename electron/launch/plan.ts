// What `npm start` decides before it touches the network: desktop or headless, and the
// lines it prints about it. Pure functions of the platform and the environment.

/** Linux and the BSDs need an X11 or Wayland display; macOS and Windows always have one. */
export function displayProblem(platform: string, env: NodeJS.ProcessEnv): string | null {
  if (platform === 'darwin' || platform === 'win32') return null;
  return env.DISPLAY || env.WAYLAND_DISPLAY ? null : 'DISPLAY and WAYLAND_DISPLAY are unset';
}

export type LaunchPlan = { mode: 'desktop' } | { mode: 'headless'; reason: string };

/**
 * Headless when asked for, or when there is no display to show a tray on — decided before
 * any download, so a server never fetches a 100 MB runtime it cannot use.
 */
export function decideLaunch(input: { platform: string; env: NodeJS.ProcessEnv }): LaunchPlan {
  if (input.env.HERALD_HEADLESS === '1') return { mode: 'headless', reason: 'HERALD_HEADLESS=1' };
  const noDisplay = displayProblem(input.platform, input.env);
  if (noDisplay) return { mode: 'headless', reason: `no display: ${noDisplay}` };
  return { mode: 'desktop' };
}

/** The one line `npm start` prints before falling back. */
export function headlessNotice(reason: string): string {
  return `Herald: ${reason}; running the headless hub instead (UI in the browser).`;
}

/** Where Electron's installer will download from, for the line announcing the download. */
export function electronMirrorOf(env: NodeJS.ProcessEnv): string {
  return env.ELECTRON_MIRROR || env.npm_config_electron_mirror || 'github.com/electron/electron (ELECTRON_MIRROR unset)';
}

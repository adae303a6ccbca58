// A popup's "open the run" on a headless hub with a desktop session: the OS's URL opener,
// for http(s) links only, detached, never through a shell.
import { spawn } from 'node:child_process';

const OPENER: Record<string, string> = { darwin: 'open', win32: 'explorer.exe' };

export function openInBrowser(url: string, log: (line: string) => void, platform = process.platform): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return;
  try {
    const child = spawn(OPENER[platform] ?? 'xdg-open', [parsed.href], { detached: true, stdio: 'ignore' });
    child.on('error', (error: NodeJS.ErrnoException) => log(`popup: could not open the link: ${error.code ?? error.message}`));
    child.unref();
  } catch (error) {
    log(`popup: could not open the link: ${(error as Error).message}`);
  }
}

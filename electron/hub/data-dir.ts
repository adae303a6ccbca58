// The data dir holds the whole history (titles, payloads, actors), the config and the api
// token: owner-only (0700), on a fresh install and on one created before this rule. On
// Windows the mode bits mean little; the per-user profile folder is what protects it.
import { chmodSync, mkdirSync, statSync } from 'node:fs';

const OWNER_ONLY_DIR = 0o700;

/** Creates the data dir owner-only, or makes an existing one so; says what it changed. */
export function prepareDataDir(dir: string, log?: (line: string) => void): void {
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  chmodSync(dir, OWNER_ONLY_DIR);
  log?.(`data dir: others could read ${dir} (mode ${mode.toString(8)}); made it owner-only (700)`);
}

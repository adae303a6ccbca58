// A full garbage collection on demand, for tests of what must survive one (a request's
// deadline signal). `--expose-gc` set at run time, then `gc` taken from a fresh context.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export function forceGc(): void {
  gc();
}

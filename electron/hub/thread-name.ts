// Names the calling OS thread (Linux: /proc/thread-self/comm, 15 bytes at most), so `top -H`,
// `ps -L` and bench/vs-alertmanager.mjs can tell the hub's threads apart: Node names every
// thread "node". A name is only a label: where it cannot be set (not Linux), nothing happens.
import { writeFileSync } from 'node:fs';

export function nameThisThread(name: string): void {
  try {
    // A synchronous write runs on the calling thread, so thread-self is this thread.
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // Not Linux, or /proc not mounted: the thread keeps Node's name.
  }
}

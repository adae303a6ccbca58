// Starts the checkpoint thread (checkpoint-thread.ts) and, while it runs, leaves SQLite's
// automatic checkpoint only as a backstop for a WAL the thread cannot keep up with; where
// the thread cannot start (running from sources, or a packaging that cannot load it), the
// automatic checkpoint stays at SQLite's default.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Store } from './store.js';

const THREAD_SCRIPT = fileURLToPath(new URL('./checkpoint-thread.js', import.meta.url));
/** SQLite's default: pages in the WAL before the committing connection checkpoints. */
const AUTO_CHECKPOINT_PAGES = 1000;
/**
 * With the thread: the commit checkpoints only past this many pages (32 MB). The thread's
 * checkpoints run beside the writer, so under a sustained burst they may never catch up
 * with the WAL's end, and only a checkpoint that does lets SQLite start the WAL over; the
 * writer's own checkpoint at this size bounds it (most frames are copied already by then).
 */
const BACKSTOP_CHECKPOINT_PAGES = 8000;

export interface Checkpointer {
  readonly runsOn: 'thread' | 'commits';
  stop(): Promise<void>;
}

export async function startCheckpointer(
  store: Store,
  options: { intervalMs?: number; threadScript?: string; log?: (line: string) => void } = {},
): Promise<Checkpointer> {
  const script = options.threadScript ?? THREAD_SCRIPT;
  const inline: Checkpointer = { runsOn: 'commits', stop: async () => undefined };
  if (!existsSync(script)) return inline;
  const worker = new Worker(script, { workerData: { file: store.file, nativeBinding: store.nativeBinding, intervalMs: options.intervalMs ?? 200 }, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
  const restoreAuto = () => {
    if (store.db.open) store.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`exited (${code})`)));
    });
  } catch (error) {
    options.log?.(`store: no checkpoint thread (${(error as Error).message}); checkpointing on commit`);
    return inline;
  }
  store.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  let stopped = false;
  worker.on('message', (message: { t: string; message?: string }) => {
    if (message.t === 'error') options.log?.(`store: checkpoints keep failing: ${message.message}`);
  });
  worker.on('exit', () => {
    // Not stopped by us: back to checkpointing on commit, so the WAL cannot grow without bound.
    if (!stopped) {
      options.log?.('store: the checkpoint thread stopped; checkpointing on commit');
      restoreAuto();
    }
  });
  return {
    runsOn: 'thread',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const done = new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
        setTimeout(resolve, 5_000).unref();
      });
      worker.postMessage({ t: 'stop' });
      await done;
      await worker.terminate();
      restoreAuto();
    },
  };
}

// Copies the WAL back into the database file on its own thread and connection, so the
// hub's main thread never stalls on it: with SQLite's automatic checkpoint, the commit
// that crosses 1,000 WAL pages does the copy and two fsyncs itself, holding up every
// request behind it. PASSIVE: never waits for, nor blocks, the writer or readers.
import { parentPort, workerData } from 'node:worker_threads';
import { newDatabase } from './open.js';
import { nameThisThread } from '../thread-name.js';

if (!parentPort) throw new Error('checkpoint-thread runs as a worker thread');
const port = parentPort;
const { file, nativeBinding, intervalMs } = workerData as { file: string; nativeBinding?: string; intervalMs: number };
nameThisThread('herald-checkpt');

const db = newDatabase(file, { fileMustExist: true, ...(nativeBinding !== undefined && { nativeBinding }) });
// It only streams WAL frames into the file: a small page cache is enough.
db.pragma('cache_size = -512');
db.pragma('busy_timeout = 0');

let failures = 0;
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (error) {
    // A lock held elsewhere (a TRUNCATE at close): the next round tries again.
    if (++failures === 10) port.postMessage({ t: 'error', message: (error as Error).message });
  }
};
const timer = setInterval(checkpoint, intervalMs);

port.on('message', (message: { t: 'stop' }) => {
  if (message.t !== 'stop') return;
  clearInterval(timer);
  db.close();
  port.postMessage({ t: 'stopped' });
});
port.postMessage({ t: 'ready' });

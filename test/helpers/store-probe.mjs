// Opens the store as the desktop app's main process does — the built hub (dist/) started
// with better-sqlite3's binary named by argv[3], or node_modules' own without one — then
// prints, as JSON, which better_sqlite3.node files this process has mapped (Linux
// /proc/self/maps: the main thread's connection and the checkpoint thread's alike) and what
// the hub logged. A load failure is printed as the entries print it: one line, exit 1.
import { readFileSync } from 'node:fs';

const { startHub } = await import(new URL('../../dist/electron/hub/hub.js', import.meta.url).href);
const [dataDir, binding] = process.argv.slice(2);
const log = [];
try {
  const hub = await startHub({ dataDir, ingressPort: 0, log: (line) => log.push(line), ...(binding && { sqliteBinding: binding }) });
  const mapped = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith('better_sqlite3.node')).map((l) => l.slice(l.indexOf('/'))))];
  const events = (await hub.store.events.list({ limit: 1 })).total;
  await hub.stop();
  process.stdout.write(`${JSON.stringify({ mapped, log, events })}\n`);
} catch (error) {
  process.stderr.write(`herald: ${error.message}\n`);
  process.exit(1);
}

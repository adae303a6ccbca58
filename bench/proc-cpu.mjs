// CPU time of a process and of its threads, read from /proc (Linux): what the benches print
// per event, a figure that survives the shared machine's load far better than events/s.
import { readFileSync } from 'node:fs';

const USER_HZ = 100; // /proc reports clock ticks of 1/USER_HZ s; USER_HZ is 100 on Linux

/** A /proc file's text, or undefined when the thread or process has gone. */
export function readProcText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The name in a /proc/…/stat text (the `(comm)` field). */
export const statName = (stat) => stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));

/** utime and stime (µs) in a /proc/…/stat text: of a process, all its threads living and exited; or of one thread. */
export function statCpu(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return { user: (Number(fields[11]) * 1e6) / USER_HZ, sys: (Number(fields[12]) * 1e6) / USER_HZ };
}

/** utime and stime (µs) of a process (zero once it has gone). */
export function processCpu(pid) {
  const stat = readProcText(`/proc/${pid}/stat`);
  return stat ? statCpu(stat) : { user: 0, sys: 0 };
}

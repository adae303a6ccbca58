// A full disk under the SQLite file, as the store's problem while it lasts. SQLite answers
// SQLITE_FULL when the file or its WAL cannot grow; ingest then refuses each request with a
// 503 (the sender retries), and without this the hub's status still said "database ok" —
// the operator saw it only in one source's last refusal.
//
// Set by a write that failed for want of space; cleared by the next ingest that commits
// (events are taken again), or once the data dir's file system has room again (checked
// every few seconds while the problem holds: a hub nobody sends to would otherwise say
// "full" after the space was freed). Not cleared by any other write: a small one can fit
// in space the WAL already holds while the next batch of events still cannot.
import { statfs } from 'node:fs/promises';

/** Free space at which the disk counts as having room again (a batch of events, its index and WAL frames fit many times). */
export const ROOM_AGAIN_BYTES = 16 * 1024 * 1024;
const CHECK_EVERY_MS = 5_000;

/** Whether an error from SQLite or the file system means there was no space to write. */
export function isOutOfSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

export interface OutOfSpaceOptions {
  /** The SQLite file: named in the problem; its directory's file system is the one checked. */
  file: string;
  dir: string;
  /** Told when the problem is set or cleared. */
  changed: () => void;
  log?: (line: string) => void;
  /** Free bytes on the file system holding `dir` (tests: a stand-in). */
  freeBytes?: (dir: string) => Promise<number>;
  checkEveryMs?: number;
}

const statfsFree = async (dir: string) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

export class OutOfSpace {
  private problem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(private readonly options: OutOfSpaceOptions) {}

  /** The problem while the disk is full, or undefined. */
  get current(): string | undefined {
    return this.problem;
  }

  /** A write failed: if for want of space, the problem holds (from now until room comes back). */
  noteWriteError(error: unknown): void {
    if (!isOutOfSpace(error) || this.problem !== undefined) return;
    this.problem = `the disk holding ${this.options.file} is full (${(error as Error).message}): events are refused (503, senders retry) until space is freed`;
    this.options.log?.(`store: ${this.problem}`);
    this.options.changed();
    this.timer = setInterval(() => void this.checkRoom(), this.options.checkEveryMs ?? CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** An ingest committed: there is room for events again. */
  noteIngested(): void {
    if (this.problem !== undefined) this.clear('events are stored again');
  }

  /** Checks the file system now (the timer's work; tests call it). */
  async checkRoom(): Promise<void> {
    if (this.problem === undefined || this.checking) return;
    this.checking = true;
    try {
      const free = await (this.options.freeBytes ?? statfsFree)(this.options.dir);
      if (free >= ROOM_AGAIN_BYTES && this.problem !== undefined) this.clear(`${Math.floor(free / 1024 / 1024)} MB free again`);
    } catch {
      // The directory unreadable: the problem stays until an ingest commits.
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private clear(why: string): void {
    this.problem = undefined;
    this.stop();
    this.options.log?.(`store: the disk has room again (${why})`);
    this.options.changed();
  }
}

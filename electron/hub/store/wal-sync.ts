// Group fsync of the WAL off the event loop. An ingest commits with synchronous=NORMAL
// (SQLite writes the WAL frames but does not fsync), then waits for `sync()`: an
// fdatasync of the WAL file on libuv's thread pool. Only then does ingress answer 2xx,
// so an accepted event is on disk exactly as with synchronous=FULL, but the hub's thread
// keeps working while the disk does. Commits made while a sync is in flight share the
// next one. (fsync flushes the file, whichever descriptor wrote it: SQLite's or ours.)
import { closeSync, fdatasync, openSync } from 'node:fs';

export class WalSync {
  private fd: number | undefined;
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly walFile: string) {}

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.fdatasync().finally(() => (this.inFlight = undefined));
      return this.inFlight;
    }
    // The sync in flight may have started before this caller's commit: it needs the next one.
    this.queued ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  close(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    // Not under a sync still running on the thread pool: the number could be reused meanwhile.
    if (this.inFlight) void this.inFlight.catch(() => undefined).then(() => closeSync(fd));
    else closeSync(fd);
  }

  private fdatasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        // SQLite keeps the WAL file (same inode) for as long as its connection is open.
        this.fd ??= openSync(this.walFile, 'r+');
      } catch (error) {
        return reject(error as Error);
      }
      fdatasync(this.fd, (error) => (error ? reject(error) : resolve()));
    });
  }
}

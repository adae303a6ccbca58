// One timer for work that falls due at stored times (storm groups, digest windows):
// on a wake, and whenever the earliest due time comes, it does the due work,
// then sleeps until the next due time the store names — at most maxSleepMs, so a clock jump
// or work added elsewhere is found all the same. The store holds the times, so a restart
// loses none. The store answers asynchronously (store/engine.ts): a wake during a look makes
// that look read the store again, and `busy()` says so, for hub.idle().
export interface DueTimerDeps {
  /** Does what is due now. Throwing is logged and tried again a little later. */
  runDue: () => Promise<unknown>;
  /** The earliest time (epoch ms) something is due, if any. */
  nextDue: () => Promise<number | undefined>;
  now: () => number;
  /** Longest sleep between looks at the store; default 60 s. */
  maxSleepMs?: number;
  /** What the timer serves, for the log and busy() (`storm group`). */
  name: string;
  log?: (line: string) => void;
}

export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** A look is scheduled or asked for again while one runs. */
  private looking = false;
  private running: Promise<void> | undefined;
  /** When the next work is due, as of the last look. */
  private nextDueAt: number | undefined;
  private readonly maxSleepMs: number;

  constructor(private readonly deps: DueTimerDeps) {
    this.maxSleepMs = deps.maxSleepMs ?? 60_000;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stops the timer; resolves once a look still running has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Something may have become due (or the clock moved): look now. */
  wake(): void {
    if (this.stopped) return;
    this.looking = true;
    if (this.running) return; // the running look reads the store again when done
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), 0);
    this.timer.unref?.();
  }

  /** What it is busy with, or undefined: a look pending or running, or work due by the clock. */
  busy(): string | undefined {
    if (this.looking || this.running) return `a look for due ${this.deps.name}s pending`;
    if (!this.stopped && (this.nextDueAt ?? Infinity) <= this.deps.now()) return `a ${this.deps.name} due`;
    return undefined;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.stopped) {
      this.looking = false;
      return;
    }
    let done!: () => void;
    this.running = new Promise((resolve) => (done = resolve));
    let sleep = this.maxSleepMs;
    try {
      // Woken while looking: look again (work may have been added after the read).
      while (this.looking && !this.stopped) {
        this.looking = false;
        await this.deps.runDue();
        this.nextDueAt = await this.deps.nextDue();
      }
      if (this.nextDueAt !== undefined) sleep = Math.min(this.maxSleepMs, Math.max(0, this.nextDueAt - this.deps.now()));
      // Work that could not be done is due at once: do not spin on it.
      if (sleep === 0) sleep = Math.min(this.maxSleepMs, 1_000);
    } catch (error) {
      this.deps.log?.(`${this.deps.name}: could not read what is due: ${(error as Error).message}`);
      sleep = Math.min(this.maxSleepMs, 5_000);
    } finally {
      this.looking = false;
      this.running = undefined;
      done();
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.looking = true;
      void this.run();
    }, sleep);
    this.timer.unref?.();
  }
}

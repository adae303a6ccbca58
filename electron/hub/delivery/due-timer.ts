// One timer for work that falls due at stored times (digest windows ending, storm groups
// due): on a wake, and whenever the earliest due time comes, it runs the work, then sleeps
// until the next due time the store names — at most maxSleepMs, so a clock jump or work
// added elsewhere is found all the same. The store holds the times, so a restart loses none.
export interface DueTimerDeps {
  /** Does what is due now. Throwing is logged and tried again a little later. */
  runDue: () => void;
  /** The earliest time (epoch ms) something is due, if any. */
  nextDue: () => number | undefined;
  now: () => number;
  /** Longest sleep between looks at the store; default 60 s. */
  maxSleepMs?: number;
  /** What the timer serves, for the log (`digest`, `group`). */
  name: string;
  log?: (line: string) => void;
}

export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private readonly maxSleepMs: number;

  constructor(private readonly deps: DueTimerDeps) {
    this.maxSleepMs = deps.maxSleepMs ?? 60_000;
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Something may have become due (or the clock moved): look now. */
  wake(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), 0);
    this.timer.unref?.();
  }

  private run(): void {
    this.timer = undefined;
    if (this.stopped) return;
    let sleep = this.maxSleepMs;
    try {
      this.deps.runDue();
      const next = this.deps.nextDue();
      if (next !== undefined) sleep = Math.min(this.maxSleepMs, Math.max(0, next - this.deps.now()));
      // Work that could not be done is due at once: do not spin on it.
      if (sleep === 0) sleep = Math.min(this.maxSleepMs, 1_000);
    } catch (error) {
      this.deps.log?.(`${this.deps.name}: could not read what is due: ${(error as Error).message}`);
      sleep = Math.min(this.maxSleepMs, 5_000);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), sleep);
    this.timer.unref?.();
  }
}

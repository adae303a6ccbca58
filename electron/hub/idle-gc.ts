// After a burst, once the hub has been quiet for a few seconds, one full garbage
// collection in each isolate (the main thread's and the ingress thread's) hands the
// burst's memory back: V8 on its own keeps a grown heap for a long while. Needs
// --expose-gc, which `npm start`/`npm run serve` and Electron's js-flags pass; without
// it this does nothing.

/** V8's collector when --expose-gc is on. */
export const exposedGc = (): (() => void) | undefined => (globalThis as { gc?: () => void }).gc;

export class IdleCollector {
  private activity = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly collect: () => void,
    /** Quiet time before collecting. */
    private readonly idleMs = 5_000,
    /** Events since the last collection that make one worth it. */
    private readonly minActivity = 1_000,
  ) {}

  /** Events were just committed: collect once things have been quiet for idleMs. */
  note(events: number): void {
    this.activity += events;
    if (this.activity < this.minActivity) return;
    if (this.timer) this.timer.refresh();
    else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.activity = 0;
        this.collect();
      }, this.idleMs);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

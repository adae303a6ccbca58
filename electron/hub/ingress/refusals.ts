// Requests ingress refused, per source, so a wrong secret or a sender that cannot be read is
// seen instead of silently answered: the last refusal, how many in the last hour (per-minute
// counts: a flood of bad requests costs 61 numbers, not one entry each), and at most one log
// line a minute per refusing source, saying how many it did not log. In memory, since the
// hub started, like the last ignored request. Refusals reach it from the ingress thread in
// batches (ingress-thread.ts), so the accepted path never pays for it.
import type { RejectedRequest } from '../../../shared/api.js';

const WINDOW_MS = 3_600_000;
const BUCKET_MS = 60_000;
const LOG_INTERVAL_MS = 60_000;
/** The UI hears of refusals at most this often (a flood must not become a flood of updates). */
const CHANGE_INTERVAL_MS = 1_000;

interface SourceRefusals {
  last: RejectedRequest;
  /** Minute index → refusals in that minute, oldest first. */
  buckets: Map<number, number>;
  lastLoggedAt: number;
  notLogged: number;
}

export interface RefusalTrackerOptions {
  now?: () => number;
  log?: (line: string) => void;
  /** Something changed that a view shows (throttled to once a second, the last change always told). */
  onChange?: () => void;
}

export class RefusalTracker {
  readonly #bySource = new Map<string, SourceRefusals>();
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #onChange: () => void;
  #lastChangeAt = -Infinity;
  #changeTimer: NodeJS.Timeout | undefined;

  constructor(options: RefusalTrackerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => undefined);
    this.#onChange = options.onChange ?? (() => undefined);
  }

  /** `count` refusals of this source, the last of them `last` (a batch from the ingress thread). */
  record(sourceId: string, last: RejectedRequest, count = 1): void {
    const now = this.#now();
    let entry = this.#bySource.get(sourceId);
    if (!entry) {
      entry = { last, buckets: new Map(), lastLoggedAt: -Infinity, notLogged: 0 };
      this.#bySource.set(sourceId, entry);
    }
    entry.last = last;
    const minute = Math.floor(now / BUCKET_MS);
    entry.buckets.set(minute, (entry.buckets.get(minute) ?? 0) + count);
    this.#prune(entry, now);
    if (now - entry.lastLoggedAt >= LOG_INTERVAL_MS) {
      const more = entry.notLogged + count - 1;
      this.#log(`ingress: source "${sourceId}" refused a request: ${last.status} ${last.reason}${more > 0 ? ` (and ${more} more not logged)` : ''}`);
      entry.lastLoggedAt = now;
      entry.notLogged = 0;
    } else {
      entry.notLogged += count;
    }
    this.#changed(now);
  }

  view(sourceId: string): { lastRejected?: RejectedRequest; rejectedLastHour?: number } {
    const entry = this.#bySource.get(sourceId);
    if (!entry) return {};
    this.#prune(entry, this.#now());
    let count = 0;
    for (const n of entry.buckets.values()) count += n;
    return { lastRejected: entry.last, rejectedLastHour: count };
  }

  /** Forget sources no longer configured (a new source with the same id starts clean). */
  retain(sourceIds: ReadonlySet<string>): void {
    for (const id of this.#bySource.keys()) if (!sourceIds.has(id)) this.#bySource.delete(id);
  }

  /** For tests: how many per-minute counts a source holds. */
  bucketCount(sourceId: string): number {
    return this.#bySource.get(sourceId)?.buckets.size ?? 0;
  }

  stop(): void {
    clearTimeout(this.#changeTimer);
    this.#changeTimer = undefined;
  }

  #prune(entry: SourceRefusals, now: number): void {
    const oldest = Math.floor((now - WINDOW_MS) / BUCKET_MS);
    for (const minute of entry.buckets.keys()) {
      if (minute > oldest) break; // inserted in time order
      entry.buckets.delete(minute);
    }
  }

  #changed(now: number): void {
    if (this.#changeTimer) return;
    const wait = this.#lastChangeAt + CHANGE_INTERVAL_MS - now;
    if (wait <= 0) {
      this.#lastChangeAt = now;
      this.#onChange();
      return;
    }
    this.#changeTimer = setTimeout(() => {
      this.#changeTimer = undefined;
      this.#lastChangeAt = this.#now();
      this.#onChange();
    }, wait);
    this.#changeTimer.unref();
  }
}

// One at a time: the work that must run on exactly one replica of a team hub (each poller,
// the digest and grouping schedulers, mute expiry, retention) asks for a named lease and
// runs only while it holds it. Engine-neutral: on SQLite the single hub holds every lease
// (singleLeadership); on PostgreSQL a lease table decides (lease-table.ts).
import { hostname } from 'node:os';

/** The lease names the hub uses; a poller's is `poll:<sourceId>`. */
export const LEASES = {
  digests: 'digests',
  grouping: 'grouping',
  muteExpiry: 'mute-expiry',
  retention: 'retention',
  poll: (sourceId: string) => `poll:${sourceId}`,
} as const;

export interface Lease {
  readonly name: string;
  /** Whether this replica may run the work now. */
  held(): boolean;
  /** Told on every gain and loss; returns the unsubscribe function. */
  onChange(listener: (held: boolean) => void): () => void;
  /**
   * How long ago any replica last noted a run of this lease's work (noteRun), when known: a
   * poller that takes over waits out the interval its predecessor started.
   */
  ranAgoMs(): number | undefined;
  /** This replica starts a run now (a poll): recorded with the lease, for whoever holds it next. */
  noteRun(): void;
  /** Stops contending; a held lease is given up at once so another replica takes it. */
  release(): void;
}

export interface LeaseView {
  name: string;
  /** The replica holding it, or null when it expired unclaimed. */
  holder: string | null;
  /** When the holder's lease ends unless renewed (ISO), absent on a single hub. */
  expiresAt?: string;
  mine: boolean;
}

export interface Leadership {
  /** This replica: hostname:pid unless configured. */
  readonly replicaId: string;
  /** Which engine decides: one hub holds every lease, or a lease table shared by replicas. */
  readonly kind: 'single' | 'lease-table';
  /** The lease of that name (the same object on every call); contends for it from now on. */
  lease(name: string): Lease;
  /** Told when this replica gains or loses any lease; returns the unsubscribe function. */
  onChange(listener: (name: string, held: boolean) => void): () => void;
  /** Every lease as last seen, for the health view. */
  view(): Promise<LeaseView[]>;
  /** Gives up every held lease. */
  stop(): Promise<void>;
}

export function defaultReplicaId(env: Record<string, string | undefined> = process.env): string {
  return env.HERALD_REPLICA_ID?.trim() || `${hostname()}:${process.pid}`;
}

/** SQLite: one process owns the database, so it holds every lease, always. */
export function singleLeadership(replicaId: string = defaultReplicaId()): Leadership {
  const leases = new Map<string, Lease>();
  let lastRun = new Map<string, number>();
  return {
    replicaId,
    kind: 'single',
    lease(name) {
      let lease = leases.get(name);
      if (!lease) {
        lease = {
          name,
          held: () => true,
          onChange: () => () => undefined,
          ranAgoMs: () => {
            const at = lastRun.get(name);
            return at === undefined ? undefined : Date.now() - at;
          },
          noteRun: () => void lastRun.set(name, Date.now()),
          release: () => void leases.delete(name),
        };
        leases.set(name, lease);
      }
      return lease;
    },
    onChange: () => () => undefined,
    view: async () => [...leases.keys()].sort().map((name) => ({ name, holder: replicaId, mine: true })),
    stop: async () => {
      leases.clear();
      lastRun = new Map();
    },
  };
}

/**
 * Runs `start()` while the lease is held and stops what it returned when the lease is lost
 * (or at stop()). The digest scheduler, retention and mute expiry are wired this way.
 */
export function whileHeld(lease: Lease, start: () => { stop(): void }): { stop(): void } {
  let running: { stop(): void } | undefined;
  const follow = (held: boolean) => {
    if (held && !running) running = start();
    else if (!held && running) {
      running.stop();
      running = undefined;
    }
  };
  const unsubscribe = lease.onChange(follow);
  follow(lease.held());
  return {
    stop() {
      unsubscribe();
      running?.stop();
      running = undefined;
    },
  };
}

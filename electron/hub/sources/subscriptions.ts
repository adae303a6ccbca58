// Runs one subscription per enabled source whose kind subscribes (a message queue: the
// Chainloop audit stream), and keeps the set in step with the config as the relay manager
// does: added or resumed starts, edited restarts, paused or removed stops. A subscription
// that fails (cannot connect, stream missing) is retried with exponential backoff; each
// failure and each successful connection is reported as source health, so a broken one
// turns unhealthy (a health.integration_unhealthy event) and recovers like a poller.
import type { SubscriptionView } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import { describeZodError, type EventInput, EventInputSchema } from '../../../shared/event.js';
import type { SubscribingSource, SubscriptionStatus } from './source.js';

export interface SubscriptionManagerDeps {
  sources: () => SourceConfig[];
  subscriberFor: (kind: SourceConfig['kind']) => SubscribingSource | undefined;
  resolveSecrets: (source: SourceConfig) => Promise<Record<string, string>>;
  /** Stores one message's events with its delivery id, in one transaction (a stored id is not stored again). */
  commit: (source: SourceConfig, events: EventInput[], deliveryId: string) => Promise<void>;
  recordHealth: (source: SourceConfig, result: { ok: true } | { ok: false; error: string }) => void;
  /** The state or last error changed (not called for every message). */
  onChange?: (sourceId: string) => void;
  log?: (line: string) => void;
  /** Backoff between failed runs; tests shorten it. */
  timing?: { initialDelayMs?: number; maxDelayMs?: number };
  now?: () => number;
}

export interface SubscriptionManager {
  refresh(): void;
  state(sourceId: string): SubscriptionView | undefined;
  /** Stops every subscription; the message being committed finishes (and is acknowledged) first. */
  stop(): Promise<void>;
}

interface Entry {
  fingerprint: string;
  abort: AbortController;
  done: Promise<void>;
  view: SubscriptionView;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function startSubscriptionManager(deps: SubscriptionManagerDeps): SubscriptionManager {
  const log = deps.log ?? (() => undefined);
  const now = deps.now ?? Date.now;
  const initialDelay = deps.timing?.initialDelayMs ?? 1_000;
  const maxDelay = deps.timing?.maxDelayMs ?? 5 * 60_000;
  const entries = new Map<string, Entry>();
  const stopping = new Set<Promise<void>>();
  let stopped = false;

  const launch = (source: SourceConfig, subscriber: SubscribingSource) => {
    const abort = new AbortController();
    const entry: Entry = {
      fingerprint: JSON.stringify(source),
      abort,
      done: Promise.resolve(),
      view: { state: 'connecting', lastError: null, lastEventAt: null, received: 0, dropped: 0 },
    };
    const changed = (patch: Partial<SubscriptionView>) => {
      const before = entry.view;
      entry.view = { ...before, ...patch };
      if (entries.get(source.id) === entry && (before.state !== entry.view.state || before.lastError !== entry.view.lastError)) deps.onChange?.(source.id);
    };
    const onStatus = (status: SubscriptionStatus) => {
      if (abort.signal.aborted) return;
      if (status.state === 'connected') {
        changed({ state: 'connected', ...(status.detail && { detail: status.detail }) });
        deps.recordHealth(source, { ok: true });
      } else if (status.state === 'reconnecting') {
        changed({ state: 'reconnecting', lastError: status.error });
      } else {
        changed({ state: 'connecting' });
      }
    };
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        abort.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });

    entry.done = (async () => {
      let failures = 0;
      while (!abort.signal.aborted) {
        let error: string;
        try {
          const secrets = await deps.resolveSecrets(source).catch((e: Error) => {
            throw new Error(`secret unavailable: ${e.message}`);
          });
          await subscriber.run({
            config: source as never,
            secrets,
            signal: abort.signal,
            log,
            onStatus,
            onDropped: (reason) => {
              changed({ dropped: entry.view.dropped + 1, lastError: reason });
              log(`subscription: ${source.id} ${reason}`);
            },
            commit: async (events, deliveryId) => {
              events.forEach((event, i) => {
                const check = EventInputSchema.safeParse(event);
                if (!check.success) throw new Error(`the source produced an invalid event ${i} (${String(event.type)}): ${describeZodError(check.error)}`);
              });
              await deps.commit(source, events, deliveryId);
              failures = 0;
              changed({ received: entry.view.received + 1, lastEventAt: iso(now()) });
            },
          });
          if (abort.signal.aborted) break;
          error = 'the subscription ended';
        } catch (e) {
          if (abort.signal.aborted) break;
          error = (e as Error).message;
        }
        failures++;
        const delay = Math.min(maxDelay, initialDelay * 2 ** Math.min(failures - 1, 20));
        changed({ state: 'reconnecting', lastError: error, retryInMs: delay });
        log(`subscription: ${source.id} (${source.kind}) failed (${failures} in a row, next try in ${Math.round(delay / 1000)} s): ${error}`);
        deps.recordHealth(source, { ok: false, error });
        await sleep(delay);
        if (!abort.signal.aborted) changed({ state: 'connecting', retryInMs: undefined });
      }
      changed({ state: 'stopped', retryInMs: undefined });
    })();
    entries.set(source.id, entry);
  };

  const retire = (id: string, entry: Entry, why: string) => {
    entries.delete(id);
    log(`subscription: ${id} ${why}; it stops`);
    entry.abort.abort();
    const done = entry.done.finally(() => stopping.delete(done));
    stopping.add(done);
  };

  const refresh = () => {
    if (stopped) return;
    const wanted = new Map<string, { source: SourceConfig; subscriber: SubscribingSource }>();
    for (const source of deps.sources()) {
      if (!source.enabled) continue;
      const subscriber = deps.subscriberFor(source.kind);
      if (subscriber) wanted.set(source.id, { source, subscriber });
    }
    for (const [id, entry] of entries) {
      const next = wanted.get(id);
      if (!next) retire(id, entry, 'was paused or removed');
      else if (JSON.stringify(next.source) !== entry.fingerprint) retire(id, entry, 'changed');
    }
    for (const [id, { source, subscriber }] of wanted) if (!entries.has(id)) launch(source, subscriber);
  };

  refresh();
  return {
    refresh,
    state: (sourceId) => {
      const entry = entries.get(sourceId);
      return entry && { ...entry.view };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const entry of entries.values()) entry.abort.abort();
      const running = [...entries.values()].map((e) => e.done);
      entries.clear();
      await Promise.all([...running, ...stopping]);
    },
  };
}

export interface TestSubscriptionDeps {
  subscriberFor: (kind: SourceConfig['kind']) => SubscribingSource | undefined;
  resolveSecrets: (source: SourceConfig) => Promise<Record<string, string>>;
  timeoutMs?: number;
}

/** "Test connection" for a subscribed source: never throws, every failure is an answer. */
export async function testSubscribingSource(source: SourceConfig, deps: TestSubscriptionDeps): Promise<{ ok: boolean; detail: string }> {
  const subscriber = deps.subscriberFor(source.kind);
  if (!subscriber) return { ok: false, detail: `${source.kind} sources do not subscribe` };
  let secrets: Record<string, string>;
  try {
    secrets = await deps.resolveSecrets(source);
  } catch (error) {
    return { ok: false, detail: `secret unavailable: ${(error as Error).message}` };
  }
  try {
    return await subscriber.test(source as never, secrets, AbortSignal.timeout(deps.timeoutMs ?? 20_000));
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

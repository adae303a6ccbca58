// Runs one relay client per enabled source that has a `relayUrl`, and keeps the set in
// step with the config: a source added, resumed or given a new relay URL starts (or
// restarts) its client; one removed, paused or without a relay URL any more stops it.
// Each relayed request goes through the same receiver as a direct one (signature checks
// included); the current source config is looked up at delivery time.
import type { RelayView } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import type { IncomingRequest } from '../sources/source.js';
import { type RelayHandle, type RelayOptions, type RelayState, startRelay } from './relay-client.js';

export interface RelayManagerDeps {
  /** The current config; read again on every refresh(). */
  sources: () => SourceConfig[];
  /** The receiver: what a direct request to `/hooks/<sourceId>` would get. */
  deliver: (sourceId: string, request: IncomingRequest) => Promise<{ status: number }>;
  /** The status or last error changed (not called for each delivered request). */
  onChange?: (sourceId: string, state: RelayState) => void;
  log?: (line: string) => void;
  /** Reconnect timing; tests shorten it. */
  timing?: Pick<RelayOptions, 'initialDelayMs' | 'maxDelayMs' | 'idleTimeoutMs' | 'random'>;
}

export interface RelayManager {
  /** Re-read the config: start, stop or restart relay clients. */
  refresh(): void;
  /** The relay client's state, if this source has one. */
  state(sourceId: string): RelayState | undefined;
  /** Stops every client and waits until their in-flight deliveries are done. */
  stop(): Promise<void>;
}

interface Entry {
  url: string;
  handle: RelayHandle | null;
  state: RelayState;
}

export function relayUrlOf(source: SourceConfig): string | undefined {
  const url = (source as { relayUrl?: unknown }).relayUrl;
  return source.enabled && typeof url === 'string' && url !== '' ? url : undefined;
}

/** The api's view of a relay client. */
export function relayView(state: RelayState): RelayView {
  return {
    state: state.status,
    lastError: state.lastError ?? null,
    lastEventAt: state.lastEventAt ?? null,
    delivered: state.delivered,
    ...(state.retryInMs !== undefined && { retryInMs: state.retryInMs }),
  };
}

export function startRelayManager(deps: RelayManagerDeps): RelayManager {
  const log = deps.log ?? (() => undefined);
  const entries = new Map<string, Entry>();
  /** Clients being stopped after a config change; stop() waits for them too. */
  const stopping = new Set<Promise<void>>();
  let stopped = false;

  const retire = (sourceId: string, entry: Entry, why: string) => {
    entries.delete(sourceId);
    if (!entry.handle) return;
    log(`relay: ${sourceId} ${why}; its relay client stops`);
    const done = entry.handle.stop().finally(() => stopping.delete(done));
    stopping.add(done);
  };

  const launch = (sourceId: string, url: string) => {
    const entry: Entry = { url, handle: null, state: { status: 'connecting', url: '', delivered: 0 } };
    entries.set(sourceId, entry);
    const changed = (next: RelayState) => {
      const before = entry.state;
      entry.state = next;
      if (entries.get(sourceId) !== entry) return;
      if (before.status === next.status && before.lastError === next.lastError) return;
      if (next.status !== before.status && next.status !== 'connecting') {
        const wait = next.retryInMs !== undefined ? ` (next try in ${Math.round(next.retryInMs / 100) / 10} s)` : '';
        log(`relay: ${sourceId} ${next.status}${wait}${next.status === 'reconnecting' && next.lastError ? `: ${next.lastError}` : ''}`);
      }
      deps.onChange?.(sourceId, { ...next });
    };
    try {
      entry.handle = startRelay({
        url,
        ...deps.timing,
        deliver: (relayed) => deps.deliver(sourceId, { headers: relayed.headers, body: relayed.body, pathRest: '' }),
        onState: changed,
      });
      entry.state = entry.handle.state();
    } catch (error) {
      // The config schema checks the URL; this only guards against a relay client refusing it.
      changed({ status: 'stopped', url: '', delivered: 0, lastError: `relay not started: ${(error as Error).message}` });
    }
  };

  const refresh = () => {
    if (stopped) return;
    const wanted = new Map<string, string>();
    for (const source of deps.sources()) {
      const url = relayUrlOf(source);
      if (url) wanted.set(source.id, url);
    }
    for (const [id, entry] of entries) {
      const url = wanted.get(id);
      if (url === undefined) retire(id, entry, 'has no relay URL any more or is paused or removed');
      else if (url !== entry.url) retire(id, entry, 'has a new relay URL');
    }
    for (const [id, url] of wanted) if (!entries.has(id)) launch(id, url);
  };

  refresh();
  return {
    refresh,
    state: (sourceId) => {
      const entry = entries.get(sourceId);
      return entry && { ...entry.state };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const handles = [...entries.values()].flatMap((e) => (e.handle ? [e.handle] : []));
      entries.clear();
      await Promise.all([...handles.map((h) => h.stop()), ...stopping]);
    },
  };
}

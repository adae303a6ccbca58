// Composition root: builds the store, config, secrets, ingest, delivery and ingress, and
// wires them. It decides nothing itself; the modules it wires do.
import { mkdirSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type { ApiHandlers, ApiUpdate } from '../../shared/api.js';
import type { ChannelConfig, ChannelKind, HeraldConfig, SourceConfig } from '../../shared/config.js';
import type { EventInput } from '../../shared/event.js';
import { DESKTOP_KIND, desktopHold } from '../../shared/rules.js';
import { createApiHandlers } from './api/handlers.js';
import type { Channel } from './channels/channel.js';
import { CHANNEL_LIMITS } from './channels/limits.js';
import { channelForConfig } from './channels/registry.js';
import { closeEmailTransports, withEmailDefaults } from './channels/email.js';
import { applyConfigFile } from './config/config-file.js';
import { type KeyValueBackend, openConfigStore } from './config/config-store.js';
import { openSecretStore, type SecretStore, secretRefsOf } from './config/secrets.js';
import { DigestScheduler } from './delivery/digests.js';
import { DeliveryWorker } from './delivery/worker.js';
import { exposedGc, IdleCollector } from './idle-gc.js';
import { ackOf, Ingestor } from './ingest.js';
import { type IngressListener, startIngress } from './ingress/listener.js';
import { type ReceiverAnswer, receiveWebhook } from './ingress/receiver.js';
import { type RelayManager, relayView, startRelayManager } from './ingress/relays.js';
import type { RelayOptions } from './ingress/relay-client.js';
import { type PollOutcome, type PollScheduler, startPollScheduler, testPollingSource } from './sources/poller.js';
import { pollingSourceFor } from './sources/registry.js';
import type { IncomingRequest } from './sources/source.js';
import { enrichWithStreaks } from './sources/streak-enricher.js';
import { buildRouter } from './rules/router.js';
import type { IngestItem } from './store/ingest-transaction.js';
import { startCheckpointer } from './store/checkpointer.js';
import { openStore, type Store } from './store/store.js';

export interface HubOptions {
  dataDir: string;
  /** A declarative config (JSON or YAML) that replaces the stored one at start. */
  configFile?: string;
  ingressHost?: string;
  /** 0 picks a free port. Default: settings.ingress.port. */
  ingressPort?: number;
  /** Parse and verify webhooks on a worker thread (default: where its compiled script exists). */
  ingressThread?: boolean;
  secrets?: SecretStore;
  /** electron-store inside Electron; conf otherwise. */
  configBackend?: KeyValueBackend;
  /** Replace a kind's channel (the Electron shell's native popups for `desktop`). */
  channelOverrides?: Partial<Record<ChannelKind, Channel>>;
  version?: string;
  log?: (line: string) => void;
  /** Start at login (the Electron shell provides it). */
  autostart?: { get(): Promise<boolean>; set(enabled: boolean): Promise<boolean> };
  /** How often retention runs; default 10 min. */
  retentionIntervalMs?: number;
  /** The hub's clock in epoch ms (ingest time, digest windows, delivery times); tests move it. Default Date.now. */
  now?: () => number;
  /** Longest the digest scheduler sleeps before looking for ended windows; default 60 s (tests shorten it). */
  digestMaxSleepMs?: number;
  /** Relay clients' reconnect timing (tests shorten it). */
  relayTiming?: Pick<RelayOptions, 'initialDelayMs' | 'maxDelayMs' | 'idleTimeoutMs' | 'random'>;
}

export interface Hub {
  readonly api: ApiHandlers;
  onUpdate(listener: (update: ApiUpdate) => void): () => void;
  readonly ingressUrl: string;
  readonly store: Store;
  readonly config: HeraldConfig;
  /** Feed a request in as if it had reached ingress (the relay client uses this). */
  receive(sourceId: string, request: IncomingRequest): Promise<ReceiverAnswer>;
  /** Poll a polled source now, whatever its schedule (a "poll now" button, tests). */
  pollNow(sourceId: string): Promise<PollOutcome>;
  setApiUrl(url: string): void;
  /** Stops taking webhooks, lets in-flight deliveries finish (or stay queued), closes the store. */
  stop(): Promise<void>;
}

export const HERALD_SOURCE = { kind: 'herald', id: 'herald', name: 'Herald' } as const;

export async function startHub(options: HubOptions): Promise<Hub> {
  const log = options.log ?? (() => undefined);
  mkdirSync(options.dataDir, { recursive: true });
  const config = openConfigStore({ dataDir: options.dataDir, ...(options.configBackend && { backend: options.configBackend }) });
  if (options.configFile) {
    const counts = applyConfigFile(config, options.configFile);
    log(`config: loaded ${counts.sources} sources, ${counts.channels} channels, ${counts.rules} rules from ${options.configFile}`);
  }
  const secrets = options.secrets ?? (await openSecretStore());
  const store = openStore(options.dataDir);
  const checkpointer = await startCheckpointer(store, { log });
  const updates = new EventEmitter();
  updates.setMaxListeners(0);
  // A listener's exception (a UI transport) must not stall ingest or the worker that emitted.
  const emit = (update: ApiUpdate) => {
    try {
      updates.emit('update', update);
    } catch (error) {
      log(`updates: a listener failed: ${(error as Error).message}`);
    }
  };

  let current = config.get();
  const now = options.now ?? Date.now;
  let router = buildRouter(current, now);
  let channelsById = new Map(current.channels.map((c) => [c.id, c]));
  let sourcesById = new Map(current.sources.map((s) => [s.id, s]));
  let rulesById = new Map(current.rules.map((r) => [r.id, { id: r.id, name: r.name }]));
  let polls: PollScheduler | undefined;
  let relays: RelayManager | undefined;
  /** Set once listening; config changes before that have nothing to tell it. */
  let ingress: IngressListener | undefined;
  config.onChange((cfg, section) => {
    current = cfg;
    router = buildRouter(cfg, now);
    const editedChannels: string[] = [];
    if (section === 'channels') {
      for (const [id, before] of channelsById) {
        const after = cfg.channels.find((c) => c.id === id);
        if (JSON.stringify(before) === JSON.stringify(after)) continue;
        // A changed or deleted email channel's pooled SMTP connections are closed, not leaked.
        if (before.kind === 'email') closeEmailTransports(id);
        if (after) editedChannels.push(id);
      }
    }
    channelsById = new Map(cfg.channels.map((c) => [c.id, c]));
    sourcesById = new Map(cfg.sources.map((s) => [s.id, s]));
    rulesById = new Map(cfg.rules.map((r) => [r.id, { id: r.id, name: r.name }]));
    emit({ type: 'config.changed', what: section });
    if (section === 'channels') {
      store.outbox.cancelOrphans([...channelsById.keys()], now());
      // Edited (a URL fixed, a token replaced): what waits for it is tried now, not after a
      // backoff or a Retry-After (up to 24 h) the old settings earned.
      for (const id of editedChannels) {
        store.outbox.dueNow(id, now());
        worker.channelChanged(id);
      }
      worker.wake();
    }
    if (section === 'sources') {
      ingress?.sourcesChanged();
      polls?.refresh();
      relays?.refresh();
    }
  });

  const resolveAll = async (item: SourceConfig | ChannelConfig) => {
    const resolved: Record<string, string> = {};
    for (const { field, ref } of secretRefsOf(item)) resolved[field] = await secrets.resolve(ref);
    return resolved;
  };
  const channelFor = (config: ChannelConfig) => options.channelOverrides?.[config.kind] ?? channelForConfig(config);

  const worker: DeliveryWorker = new DeliveryWorker({
    store,
    channel: (id) => channelsById.get(id),
    channels: () => channelsById.values(),
    settings: () => current.settings,
    channelFor: (kind) => channelFor({ kind } as ChannelConfig),
    resolveSecrets: resolveAll,
    rateLimit: (kind) => CHANNEL_LIMITS[kind],
    rule: (id) => rulesById.get(id),
    adjustConfig: (config, ruleId) => withChannelDefaults(config, current, ruleId),
    now,
    onDeliveryUpdated: (get) => {
      if (updates.listenerCount('update') === 0) return;
      const delivery = get();
      if (delivery) emit({ type: 'delivery.updated', delivery });
    },
    onHealthTransition: (channel, transition, lastError) => {
      emit({ type: 'health.changed' });
      void ingestor
        .submit({ source: HERALD_SOURCE, inputs: [healthEvent('channel', channel, transition, lastError)] })
        .catch((error: Error) => log(`health: could not record: ${error.message}`));
    },
    log,
  });

  const idleCollector = new IdleCollector(() => {
    exposedGc()?.();
    ingress?.collectGarbage();
  });
  const ingestor = new Ingestor({
    store,
    router: () => router,
    enrich: enrichWithStreaks,
    onCommitted: (outcomes) => {
      idleCollector.note(outcomes.length);
      let deliveries = 0;
      for (const outcome of outcomes) {
        if (outcome.status !== 'accepted') continue;
        deliveries += outcome.deliveries;
        for (const event of outcome.events) emit({ type: 'event.created', event });
        if (outcome.digested) digests.wake();
      }
      if (deliveries > 0) worker.wake();
    },
    onUnconfirmed: () => {
      worker.wake();
      digests.wake();
    },
    ...(options.now && { now: () => new Date(now()) }),
  });

  // Digest rules: each ended window becomes one herald.digest event with its deliveries.
  const digests = new DigestScheduler({
    store,
    ruleName: (id) => rulesById.get(id)?.name,
    sendsDigest: (channelId, ruleId, at) => {
      const channel = channelsById.get(channelId);
      if (!channel) return false;
      // The popup goes out now, not when the events came: quiet hours and snooze apply now.
      return channel.kind !== DESKTOP_KIND || desktopHold(new Date(at), current.settings, current.rules.find((r) => r.id === ruleId)) === null;
    },
    onClosed: (digest) => {
      emit({ type: 'event.created', event: digest.event });
      worker.wake();
    },
    now,
    ...(options.digestMaxSleepMs !== undefined && { maxSleepMs: options.digestMaxSleepMs }),
    log,
  });

  /** Per source, the last verified request answered 2xx but not stored (a GitHub ping…): shown in the UI. */
  const lastIgnored = new Map<string, { at: string; reason: string }>();
  const receiverDeps = {
    source: (id: string) => sourcesById.get(id),
    resolveSecret: async (source: SourceConfig) => {
      const refs = secretRefsOf(source);
      if (refs.length === 0) throw new Error('the source has no secret configured');
      return secrets.resolve(refs[0]!.ref);
    },
    sources: () => current.sources,
    ingest: (item: IngestItem) => ingestor.submit(item).then(ackOf),
    maxBodyBytes: () => current.settings.ingress.maxBodyBytes,
    onIgnored: (source: SourceConfig, reason: string) => {
      lastIgnored.set(source.id, { at: new Date().toISOString(), reason });
      emit({ type: 'health.changed' });
      log(`ingress: ${source.id} (${source.kind}) ignored a request: ${reason}`);
    },
  };

  const settings = current.settings;
  const listener = await startIngress(receiverDeps, {
    host: options.ingressHost ?? settings.ingress.host,
    port: options.ingressPort ?? settings.ingress.port,
    maxBodyBytes: settings.ingress.maxBodyBytes,
    ...(options.ingressThread !== undefined && { thread: options.ingressThread }),
    log,
  }).catch(async (error: Error) => {
    await checkpointer.stop();
    store.close();
    throw new Error(`could not listen for webhooks: ${error.message}`);
  });
  ingress = listener;
  store.outbox.cancelOrphans([...channelsById.keys()], now());
  worker.start();
  digests.start();

  // Polled sources (Kosli, SecObserve, DefectDojo, cctray): each poll's events and state in one transaction.
  const recordSourceHealth = (source: SourceConfig, result: { ok: true } | { ok: false; error: string }) => {
    const at = Date.now();
    const transition = result.ok
      ? store.health.recordSuccess('source', source.id, at)
      : store.health.recordFailure('source', source.id, result.error, at, current.settings.delivery.unhealthyAfter);
    if (!transition) return;
    emit({ type: 'health.changed' });
    void ingestor
      .submit({ source: HERALD_SOURCE, inputs: [healthEvent('source', source, transition, result.ok ? null : result.error)] })
      .catch((error: Error) => log(`health: could not record: ${error.message}`));
  };
  polls = startPollScheduler({
    sources: () => current.sources,
    pollerFor: pollingSourceFor,
    resolveSecrets: resolveAll,
    loadState: (sourceId) => store.sourceState.get(sourceId, 'poll'),
    commit: async (source, events, state) => {
      await ingestor.submit({ source: { kind: source.kind, id: source.id, name: source.name }, inputs: events, state: { key: 'poll', value: state } });
    },
    recordHealth: recordSourceHealth,
    log,
  });

  // Relayed sources: a smee-compatible channel feeds the same receiver, signature checks included.
  relays = startRelayManager({
    sources: () => current.sources,
    deliver: (sourceId, request) => receiveWebhook(receiverDeps, sourceId, request),
    onChange: () => emit({ type: 'health.changed' }),
    log,
    ...(options.relayTiming && { timing: options.relayTiming }),
  });
  const sourceRuntime = (sourceId: string) => {
    const relay = relays?.state(sourceId);
    const poll = polls?.states()[sourceId];
    const ignored = lastIgnored.get(sourceId);
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      ...(relay && { relay: relayView(relay) }),
      ...(poll && {
        poll: {
          lastPollAt: iso(poll.lastPollAt),
          nextPollAt: iso(poll.nextPollAt),
          lastError: poll.lastError,
          backoffMs: poll.backoffMs,
          consecutiveFailures: poll.consecutiveFailures,
        },
      }),
      ...(ignored && { lastIgnored: ignored }),
    };
  };

  const runRetention = () => {
    try {
      const { maxAgeDays, maxEvents } = current.settings.retention;
      const deleted = store.enforceRetention(maxAgeDays, maxEvents);
      if (deleted > 0) {
        log(`retention: deleted ${deleted} events`);
        emit({ type: 'events.changed' });
      }
    } catch (error) {
      log(`retention failed: ${(error as Error).message}`);
    }
  };
  setImmediate(runRetention);
  const retentionTimer = setInterval(runRetention, options.retentionIntervalMs ?? 10 * 60_000);
  retentionTimer.unref();

  let apiUrl = '';
  // The ingress thread caches the secrets it verified with: a write through the api ends that.
  const apiSecrets: SecretStore = {
    get status() {
      return secrets.status;
    },
    resolve: (ref) => secrets.resolve(ref),
    has: (ref) => secrets.has(ref),
    set: (name, value) => secrets.set(name, value).finally(() => ingress?.secretsChanged()),
    delete: (ref) => secrets.delete(ref).finally(() => ingress?.secretsChanged()),
  };
  const api = createApiHandlers({
    store,
    config,
    secrets: apiSecrets,
    worker,
    version: options.version ?? '0.0.0',
    startedAt: new Date(),
    ingressUrl: () => listener.url,
    apiUrl: () => apiUrl,
    resolveChannelSecrets: resolveAll,
    channelFor,
    resolveSourceSecrets: resolveAll,
    testPollingSource: (source) =>
      testPollingSource(source, { pollerFor: pollingSourceFor, resolveSecrets: resolveAll, loadState: (id) => store.sourceState.get(id, 'poll') }),
    ...(options.autostart && { autostart: options.autostart }),
    onEventsChanged: () => emit({ type: 'events.changed' }),
    onDeliveryUpdated: (delivery) => emit({ type: 'delivery.updated', delivery }),
    sourceRuntime,
  });

  let stopped = false;
  return {
    api,
    onUpdate(listener) {
      updates.on('update', listener);
      return () => updates.off('update', listener);
    },
    ingressUrl: listener.url,
    store,
    get config() {
      return current;
    },
    receive: (sourceId, request) => receiveWebhook(receiverDeps, sourceId, request),
    pollNow: (sourceId) => polls!.pollNow(sourceId),
    setApiUrl: (url) => {
      apiUrl = url;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(retentionTimer);
      // Relays first: their in-flight deliveries still need the receiver and the store.
      await relays?.stop();
      await listener.close();
      await polls?.stop();
      digests.stop();
      await worker.stop();
      idleCollector.stop();
      // Whatever was accepted or raised while stopping (a health event from the last tick) is committed first.
      await ingestor.drain();
      closeEmailTransports();
      await checkpointer.stop();
      store.close();
    },
  };
}

/** An email channel as sent for a rule: the rule's recipients, the default sender (SecObserve's EMAIL_FROM). */
export function withChannelDefaults(config: ChannelConfig, cfg: HeraldConfig, ruleId?: string): ChannelConfig {
  if (config.kind !== 'email') return config;
  const rule = ruleId === undefined ? undefined : cfg.rules.find((r) => r.id === ruleId);
  return withEmailDefaults(config, { to: rule?.emailTo, from: cfg.settings.email?.defaultFrom });
}

/** Herald's own event when a channel or source turns unhealthy or recovers (as the seeds do). */
export function healthEvent(
  what: 'channel' | 'source',
  item: { id: string; name: string; kind: string },
  transition: 'became_unhealthy' | 'recovered',
  lastError: string | null,
): EventInput {
  const unhealthy = transition === 'became_unhealthy';
  return {
    type: unhealthy ? 'health.integration_unhealthy' : 'health.integration_recovered',
    title: unhealthy ? `${item.name} (${item.kind} ${what}) is failing` : `${item.name} (${item.kind} ${what}) works again`,
    ...(unhealthy && lastError && { summary: `Last error: ${lastError.slice(0, 2000)}` }),
    subject: { project: item.name },
    dedupKey: `herald:${what}:${item.id}:${unhealthy ? 'unhealthy' : 'recovered'}`,
    data: { [`${what}Id`]: item.id, kind: item.kind },
  };
}

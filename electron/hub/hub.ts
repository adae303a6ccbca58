// Composition root: builds the store, config, secrets, ingest, delivery and ingress, and
// wires them. It decides nothing itself; the modules it wires do.
import type { ApiHandlers, ApiUpdate } from '../../shared/api.js';
import type { ChannelKind, HeraldConfig } from '../../shared/config.js';
import { createApiHandlers } from './api/handlers.js';
import type { Channel } from './channels/channel.js';
import { createDesktopChannel } from './channels/desktop.js';
import { ChannelInstances, sharedChannel } from './channels/instances.js';
import { openInBrowser } from './channels/open-url.js';
import { desktopSessionProblem, type PopupCommand } from './channels/popup-decisions.js';
import { CHANNEL_LIMITS } from './channels/limits.js';
import { channelFor } from './channels/registry.js';
import { configForRule } from './channels/send-config.js';
import { applyConfigFile } from './config/config-file.js';
import type { KeyValueBackend } from './config/config-store.js';
import { startLiveConfig } from './config/live-config.js';
import { notifyingSecretStore, secretResolver } from './config/secret-access.js';
import { openSecretStore, type SecretStore } from './config/secrets.js';
import { lockDataDir, prepareDataDir } from './data-dir.js';
import { followOtherReplicas } from './replica-updates.js';
import { startChannelChangeHandling } from './delivery/channel-changes.js';
import { digestGoesTo } from './delivery/digest-hold.js';
import { DigestScheduler } from './delivery/digests.js';
import { DeliveryWorker } from './delivery/worker.js';
import { HERALD_SOURCE, startHealthReporter } from './health/integration-health.js';
import { exposedGc, IdleCollector } from './idle-gc.js';
import { defaultReplicaId, LEASES, whileHeld } from './leadership/leadership.js';
import { openReplicaParts } from './leadership/replica-parts.js';
import { waitForIdle } from './idle-signal.js';
import { Ingestor } from './ingest.js';
import { startIngress } from './ingress/listener.js';
import { type ReceiverAnswer, receiveWebhook } from './ingress/receiver.js';
import { startRelayManager } from './ingress/relays.js';
import type { RelayOptions } from './ingress/relay-client.js';
import { startWebhookIntake } from './ingress/webhook-intake.js';
import type { PollOutcome } from './sources/poller.js';
import { pollTester, startPolling } from './sources/polling.js';
import { subscribingSourceFor } from './sources/registry.js';
import { startSubscriptionManager, testSubscribingSource } from './sources/subscriptions.js';
import type { IncomingRequest } from './sources/source.js';
import { startBoardFeed } from './board/board-feed.js';
import { startMutePolicy } from './rules/mutes.js';
import { startStormGroupSender } from './rules/storm-group-sender.js';
import { sourceRuntimeView } from './sources/source-runtime.js';
import { enrichWithStreaks } from './sources/streak-enricher.js';
import { startRetention } from './store/retention.js';
import type { StoreEngine } from './store/engine.js';
import { type DatabaseChoice, openStoreEngine } from './store/open-engine.js';
import { createUpdateBus } from './updates.js';

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
  /** PostgreSQL shared by several replicas (its URL, the password resolved from its secret reference); default SQLite in the data dir. */
  database?: DatabaseChoice;
  /** better-sqlite3's binary to load instead of node_modules' (the desktop app's build for Electron's ABI). */
  sqliteBinding?: string;
  /** Start at login (the Electron shell provides it). */
  autostart?: { get(): Promise<boolean>; set(enabled: boolean): Promise<boolean> };
  /** How often retention runs; default 10 min. */
  retentionIntervalMs?: number;
  /** The hub's clock in epoch ms (ingest time, digest windows, delivery times); tests move it. Default Date.now. */
  now?: () => number;
  /** Longest the digest scheduler (and the storm group sender) sleeps before looking for due work; default 60 s (tests shorten it). */
  digestMaxSleepMs?: number;
  /** The environment the headless desktop channel checks for a desktop session (tests give their own). Default process.env. */
  desktopEnv?: Record<string, string | undefined>;
  /** Relay clients' reconnect timing (tests shorten it). */
  relayTiming?: Pick<RelayOptions, 'initialDelayMs' | 'maxDelayMs' | 'idleTimeoutMs' | 'random'>;
  /** Subscriptions' retry timing (tests shorten it). */
  subscriptionTiming?: { initialDelayMs?: number; maxDelayMs?: number };
  /** This replica's name in the leases (default $HERALD_REPLICA_ID, else hostname:pid). */
  replicaId?: string;
  /**
   * Keep the board current at ingest (default). `false` only for the benchmark that measures
   * what the board costs the webhook intake (bench/board-hub.mjs; headless $HERALD_BENCH_NO_BOARD):
   * board.list then shows nothing new. SQLite only.
   */
  board?: boolean;
}

export interface Hub {
  readonly api: ApiHandlers;
  onUpdate(listener: (update: ApiUpdate) => void): () => void;
  readonly ingressUrl: string;
  /** The store's engine (store/engine.ts): SQLite in the data dir, or PostgreSQL. */
  readonly store: StoreEngine;
  readonly config: HeraldConfig;
  /** Feed a request in as if it had reached ingress (the relay client uses this). */
  receive(sourceId: string, request: IncomingRequest): Promise<ReceiverAnswer>;
  /** Poll a polled source now, whatever its schedule (a "poll now" button, tests). */
  pollNow(sourceId: string): Promise<PollOutcome>;
  setApiUrl(url: string): void;
  /**
   * Resolves when nothing is left to do now: ingest committed, no send in flight or due,
   * no digest window or storm group due (bounded: rejects after timeoutMs naming what stayed busy).
   */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops taking webhooks, lets in-flight deliveries finish (or stay queued), closes the store. */
  stop(): Promise<void>;
}

export { HERALD_SOURCE, healthEvent } from './health/integration-health.js';

export async function startHub(options: HubOptions): Promise<Hub> {
  prepareDataDir(options.dataDir, options.log);
  // One hub per data dir (data-dir.ts), held until it stops; a start that fails lets go.
  const lock = lockDataDir(options.dataDir, { nativeBinding: options.sqliteBinding });
  let hub: Hub;
  try {
    hub = await startHubInDataDir(options);
  } catch (error) {
    lock.release();
    throw error;
  }
  const stop = hub.stop.bind(hub);
  hub.stop = async () => {
    try {
      await stop();
    } finally {
      lock.release();
    }
  };
  return hub;
}

async function startHubInDataDir(options: HubOptions): Promise<Hub> {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const secrets = options.secrets ?? (await openSecretStore());
  const resolveSecrets = secretResolver(secrets);
  const replicaId = options.replicaId ?? defaultReplicaId();
  // SQLite in the data dir, or PostgreSQL shared by the replicas (options.database).
  const store = await openStoreEngine({ dataDir: options.dataDir, database: options.database, replicaId, sqliteBinding: options.sqliteBinding, board: options.board, log });
  // Which replica runs the one-at-a-time work (pollers, schedulers, retention), and where the
  // config lives: this hub and its config.json on SQLite; on PostgreSQL, the shared database.
  const { leadership, config } = await (async () => {
    try {
      const parts = await openReplicaParts({
        database: store.kind === 'postgres' ? store : undefined,
        replicaId,
        dataDir: options.dataDir,
        ...(options.configBackend && { configBackend: options.configBackend }),
        log,
      });
      if (options.configFile) {
        const counts = await applyConfigFile(parts.config, options.configFile).catch(async (error: unknown) => {
          await Promise.all([parts.config.close(), parts.leadership.stop()]);
          throw error;
        });
        log(`config: loaded ${counts.sources} sources, ${counts.channels} channels, ${counts.rules} rules from ${options.configFile}`);
      }
      return parts;
    } catch (error) {
      // A bad config (file, document) leaves nothing open behind it.
      await store.close();
      throw error;
    }
  })();
  // No other process runs under this replica id (the lease table checked): what it was
  // sending when it died is due again now, not after its lease (PostgreSQL; SQLite did it at open).
  const released = await store.outbox.releaseOwnClaims(now()).catch((error: Error) => {
    log(`store: could not release this replica's earlier claims (they go out once their lease passes): ${error.message}`);
    return 0;
  });
  if (released > 0) log(`store: ${released} deliveries replica ${replicaId} was sending when it stopped are due again`);
  const updates = createUpdateBus(log);
  // The health view shows who holds what: a gain or loss here changes it.
  leadership.onChange(() => updates.emit({ type: 'health.changed' }));
  const mutes = startMutePolicy({
    store,
    now,
    sourceName: (id) => live.source(id)?.name,
    emit: (update) => updates.emit(update),
    expiryLease: leadership.lease(LEASES.muteExpiry),
    log,
  });
  const live = startLiveConfig(config, now, mutes);
  const board = startBoardFeed({ store, now, emit: (update) => updates.emit(update), listening: () => updates.listening(), ownSourceId: HERALD_SOURCE.id, log });
  live.onChange(({ section }) => updates.emit({ type: 'config.changed', what: section }));

  // Headless popups: sound from the settings, actions (open the run, mute) back into this hub.
  const onPopupCommand = (command: PopupCommand) => {
    if (command.kind === 'open') return openInBrowser(command.url, log);
    const how = 'minutes' in command ? { minutes: command.minutes } : { untilPasses: true as const };
    api['mutes.add']({ eventId: command.eventId, ...how }).then(
      (mute) => log(`popup: muted ${mute.key} ${'minutes' in command ? `for ${command.minutes} min` : 'until it passes'}`),
      (error: Error) => log(`popup: could not mute: ${error.message}`),
    );
  };
  const headlessDesktop = options.channelOverrides?.desktop
    ? undefined
    : createDesktopChannel(undefined, undefined, {
        settings: () => live.current.settings,
        onCommand: onPopupCommand,
        now: () => new Date(now()),
        ...(options.desktopEnv && { env: options.desktopEnv }),
      });
  // One instance per configured channel; the shell's override and the headless popups are hub-wide (closed at stop only).
  const shared: Partial<Record<ChannelKind, Channel>> = { ...(headlessDesktop && { desktop: headlessDesktop }), ...options.channelOverrides };
  const instances = new ChannelInstances((channel) => {
    const hubWide = shared[channel.kind];
    return hubWide ? sharedChannel(hubWide) : channelFor(channel.kind);
  });
  const health = startHealthReporter({
    store,
    ingest: (item) => ingestor.submit(item),
    unhealthyAfter: () => live.current.settings.delivery.unhealthyAfter,
    onChanged: () => updates.emit({ type: 'health.changed' }),
    log,
  });
  const worker: DeliveryWorker = new DeliveryWorker({
    store,
    channel: (id) => live.channel(id),
    channels: () => live.channels(),
    settings: () => live.current.settings,
    channelFor: (channel) => instances.for(channel),
    resolveSecrets,
    limits: (kind) => CHANNEL_LIMITS[kind],
    rule: (id) => {
      const rule = live.rule(id);
      return rule && { id: rule.id, name: rule.name };
    },
    adjustConfig: (channel, ruleId) => configForRule(instances.for(channel), channel, live.current, ruleId),
    now,
    onDeliveryUpdated: (get) => {
      if (!updates.listening()) return;
      get().then(
        (delivery) => {
          if (delivery) updates.emit({ type: 'delivery.updated', delivery });
        },
        (error: Error) => log(`delivery: could not read a delivery for the UI: ${error.message}`),
      );
    },
    onHealthTransition: (channel, transition, lastError) => health.channelTransition(channel, transition, lastError),
    log,
  });
  // Digest rules: each ended window becomes one herald.digest event with its deliveries.
  const digests = new DigestScheduler({
    store,
    ruleName: (id) => live.rule(id)?.name,
    sendsDigest: digestGoesTo(live),
    onClosed: (digest) => {
      updates.emit({ type: 'event.created', event: digest.event });
      worker.wake();
    },
    now,
    ...(options.digestMaxSleepMs !== undefined && { maxSleepMs: options.digestMaxSleepMs }),
    log,
  });
  // Grouping rules: each due storm group becomes one herald.group event with its deliveries;
  // a desktop popup is held back at sending time as a digest's is.
  const groups = startStormGroupSender({
    store,
    ruleName: (id) => live.rule(id)?.name,
    sendsGroup: digestGoesTo(live),
    onSent: (group) => {
      updates.emit({ type: 'event.created', event: group.event });
      worker.wake();
    },
    now,
    ...(options.digestMaxSleepMs !== undefined && { maxSleepMs: options.digestMaxSleepMs }),
    log,
  });
  const idleCollector = new IdleCollector(() => {
    exposedGc()?.();
    listener.collectGarbage();
  });
  const ingestor = new Ingestor({
    store,
    router: () => live.router,
    enrich: enrichWithStreaks,
    onCommitted: (outcomes) => {
      idleCollector.note(outcomes.length);
      mutes.afterCommit();
      board.afterCommit(outcomes);
      let deliveries = 0;
      for (const outcome of outcomes) {
        if (outcome.status !== 'accepted') continue;
        deliveries += outcome.deliveries;
        for (const event of outcome.events) updates.emit({ type: 'event.created', event });
        if (outcome.digested) digests.wake();
        if (outcome.grouped) groups.wake();
      }
      if (deliveries > 0) worker.wake();
    },
    onUnconfirmed: () => {
      worker.wake();
      digests.wake();
      groups.wake();
    },
    ...(options.now && { now: () => new Date(now()) }),
  });

  const intake = startWebhookIntake({ live, secrets, ingestor, onChanged: () => updates.emit({ type: 'health.changed' }), log });
  const settings = live.current.settings;
  const listener = await startIngress({ ...intake.receiver, storeProblem: () => store.problem }, {
    host: options.ingressHost ?? settings.ingress.host,
    port: options.ingressPort ?? settings.ingress.port,
    maxBodyBytes: settings.ingress.maxBodyBytes,
    ...(options.ingressThread !== undefined && { thread: options.ingressThread }),
    log,
  }).catch(async (error: Error) => {
    await groups.stop();
    await store.close();
    throw new Error(`could not listen for webhooks: ${error.message}`, { cause: error });
  });
  await startChannelChangeHandling({ live, store, worker, instances, now, log });
  // Deliveries committed by ingest, a closed digest, a manual retry (or, on PostgreSQL, another replica).
  const stopWaking = store.onDeliveriesDue(() => worker.wake());
  // GET /healthz on the webhook port answers 503 while the store cannot take events; the UI says so too.
  const stopHealthz = store.onProblem(() => {
    listener.storeProblemChanged();
    // Views reload the hub's status, which names the problem (or no longer does).
    updates.emit({ type: 'health.changed' });
  });
  listener.storeProblemChanged();
  // On PostgreSQL: what other replicas store or change, this replica's open UIs show too.
  const stopFollowing = followOtherReplicas(store, (update) => updates.emit(update));
  worker.start();
  const digesting = whileHeld(leadership.lease(LEASES.digests), () => {
    digests.start();
    return digests;
  });
  const grouping = whileHeld(leadership.lease(LEASES.grouping), () => {
    groups.start();
    return { stop: () => void groups.stop() };
  });
  // Polled sources: each poll's events and state in one transaction, each result as source health; each source by its lease's holder.
  const polls = startPolling({
    sources: () => live.current.sources,
    store,
    ingest: (item) => ingestor.submit(item),
    resolveSecrets,
    health,
    lease: (sourceId) => leadership.lease(LEASES.poll(sourceId)),
    log,
  });
  // Relayed sources: a smee-compatible channel feeds the same receiver, signature checks included.
  const relays = startRelayManager({
    sources: () => live.current.sources,
    deliver: (sourceId, request) => receiveWebhook(intake.receiver, sourceId, request),
    onChange: () => updates.emit({ type: 'health.changed' }),
    log,
    ...(options.relayTiming && { timing: options.relayTiming }),
  });
  // What left the config leaves the board: a deleted source's things, a deleted channel's or source's health.
  live.onChange(({ config: cfg, section }) => {
    if (section !== 'sources' && section !== 'channels') return;
    void board.configChanged({ sourceIds: new Set(cfg.sources.map((s) => s.id)), channelIds: new Set(cfg.channels.map((c) => c.id)) });
  });
  // Subscribed sources (the Chainloop audit stream): each message's events committed with its
  // delivery id before the message is acknowledged, so a redelivery is stored once.
  const subscriptions = startSubscriptionManager({
    sources: () => live.current.sources,
    subscriberFor: subscribingSourceFor,
    resolveSecrets,
    commit: async (source, events, deliveryId) => {
      await ingestor.submit({ source: { kind: source.kind, id: source.id, name: source.name }, inputs: events, deliveryId });
    },
    recordHealth: (source, result) => health.sourceResult(source, result),
    onChange: () => updates.emit({ type: 'health.changed' }),
    log,
    ...(options.subscriptionTiming && { timing: options.subscriptionTiming }),
  });
  live.onChange(({ section }) => {
    if (section !== 'sources') return;
    listener.sourcesChanged();
    polls.refresh();
    relays.refresh();
    subscriptions.refresh();
  });
  const retention = whileHeld(leadership.lease(LEASES.retention), () =>
    startRetention({
      store,
      settings: () => live.current.settings,
      onDeleted: () => updates.emit({ type: 'events.changed' }),
      ...(options.retentionIntervalMs !== undefined && { intervalMs: options.retentionIntervalMs }),
      log,
    }),
  );

  let apiUrl = '';
  const handlers = createApiHandlers({
    store,
    config,
    // The ingress thread caches the secrets it verified with: a write through the api ends that.
    secrets: notifyingSecretStore(secrets, () => listener.secretsChanged()),
    worker,
    version: options.version ?? '0.0.0',
    startedAt: new Date(),
    dataDir: options.dataDir,
    ingressUrl: () => listener.url,
    apiUrl: () => apiUrl,
    resolveChannelSecrets: resolveSecrets,
    channelFor: (channel) => instances.for(channel),
    resolveSourceSecrets: resolveSecrets,
    testPollingSource: pollTester({ store, resolveSecrets }),
    testSubscribingSource: (source) => testSubscribingSource(source, { subscriberFor: subscribingSourceFor, resolveSecrets }),
    ...(options.autostart && { autostart: options.autostart }),
    onEventsChanged: () => updates.emit({ type: 'events.changed' }),
    onDeliveryUpdated: (delivery) => updates.emit({ type: 'delivery.updated', delivery }),
    // Said when a desktop channel is saved or listed on a hub that cannot show popups.
    channelWarning: (channel) => (channel.kind === 'desktop' && headlessDesktop ? desktopSessionProblem(options.desktopEnv ?? process.env, process.platform) : undefined),
    leadership,
    sourceRuntime: sourceRuntimeView({ relays, polls, subscriptions, lastIgnored: intake.lastIgnored, refusals: intake.refusals }),
  });
  const api: ApiHandlers = { ...mutes.handlers, ...board.handlers, ...handlers };

  let stopped = false;
  return {
    api,
    onUpdate: (listener) => updates.subscribe(listener),
    ingressUrl: listener.url,
    store,
    get config() {
      return live.current;
    },
    receive: (sourceId, request) => receiveWebhook(intake.receiver, sourceId, request),
    pollNow: (sourceId) => polls.pollNow(sourceId),
    idle: (timeoutMs) =>
      waitForIdle(
        [
          () => (ingestor.idle ? undefined : 'ingest in progress'),
          () => worker.busy(),
          () => digests.busy(),
          () => groups.busy(),
        ],
        timeoutMs,
      ),
    setApiUrl: (url) => {
      apiUrl = url;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await retention.stop();
      // Relays first: their in-flight deliveries still need the receiver and the store.
      await relays.stop();
      // Subscriptions before the store closes: the message being committed is committed and acknowledged.
      await subscriptions.stop();
      await listener.close();
      await polls.stop();
      digesting.stop();
      grouping.stop();
      await groups.stop();
      await digests.stop();
      mutes.stop();
      board.stop();
      await worker.stop();
      idleCollector.stop();
      intake.stop();
      // Whatever was accepted or raised while stopping (a health event from the last tick) is committed first.
      await ingestor.drain();
      await instances.closeAll();
      headlessDesktop?.close();
      await leadership.stop();
      await config.close();
      stopWaking();
      stopHealthz();
      stopFollowing();
      await store.close();
    },
  };
}

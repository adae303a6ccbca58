// The api's handlers: every method of shared/api.ts, over the hub's parts — an adapter:
// it maps the contract onto the modules that decide (config/items-with-secrets.ts saves
// and removes with secrets, sources/test-connection.ts and channels/ answer the tests)
// and their errors onto ApiError. Transports (HTTP here, Electron IPC in the shell)
// validate input with the contract first.
import { ApiError, type ApiHandlers, type ApiOutput, type Delivery, type HealthState, SUMMARY_MEMBERS_SHOWN } from '../../../shared/api.js';
import { type ChannelConfig, type HeraldConfig, RuleSchema, SettingsSchema, type SourceConfig } from '../../../shared/config.js';
import { describeZodError } from '../../../shared/event.js';
import { previewRule } from '../../../shared/rules.js';
import { sourceAttention } from '../../../shared/source-attention.js';
import type { Channel } from '../channels/channel.js';
import { channelFor, closeChannel } from '../channels/registry.js';
import { configForTest } from '../channels/send-config.js';
import { emailSetupProblem } from '../channels/email.js';
import { listsEvents } from '../channels/format.js';
import { testChannel } from '../channels/test-message.js';
import { checkSecretRefs, unresolvedSecrets } from '../config/config-file.js';
import { ConfigError, type ConfigStore, upsertItem } from '../config/config-store.js';
import { itemsWithSecrets } from '../config/items-with-secrets.js';
import type { SecretStore } from '../config/secrets.js';
import type { ChannelDeliveryState, DeliveryWorker } from '../delivery/worker.js';
import type { Leadership } from '../leadership/leadership.js';
import { discoverCi } from '../sources/ci-discovery.js';
import { describePollError } from '../sources/poll-http.js';
import { redactSecrets } from '../secret-redaction.js';
import { pollsElsewhere } from '../sources/polling.js';
import { ingressHintOf, ingressUrlOf } from '../sources/setup-hints.js';
import type { SourceRuntime } from '../sources/source-runtime.js';
import { testSourceConnection } from '../sources/test-connection.js';
import { type StoreEngine, StoreUnavailable } from '../store/engine.js';

export interface HandlerDeps {
  store: StoreEngine;
  config: ConfigStore;
  secrets: SecretStore;
  worker: DeliveryWorker;
  version: string;
  startedAt: Date;
  /** Where the hub keeps its data (shown so the UI can suggest secret files under it). */
  dataDir: string;
  ingressUrl: () => string;
  apiUrl: () => string;
  resolveChannelSecrets: (config: ChannelConfig) => Promise<Record<string, string>>;
  resolveSourceSecrets: (config: SourceConfig) => Promise<Record<string, string>>;
  /** "Test connection" of a polled source: one poll, nothing committed, the exact failure. */
  testPollingSource?: (source: SourceConfig) => Promise<{ ok: boolean; detail: string }>;
  /** "Test connection" of a subscribed source (connects, commits nothing). */
  testSubscribingSource?: (source: SourceConfig) => Promise<{ ok: boolean; detail: string }>;
  onEventsChanged: () => void;
  /** A delivery changed outside the worker (manual retry): every open view hears of it like any other change. */
  onDeliveryUpdated?: (delivery: Delivery) => void;
  /** The channel that sends a kind here (the Electron shell's own popups for desktop); default the registry's. */
  channelFor?: (config: ChannelConfig) => Channel;
  /** What only the running hub knows about a source: its relay client, its poll schedule, the last ignored and refused requests. */
  sourceRuntime?: (sourceId: string) => SourceRuntime;
  /** A problem with a channel that saving it does not fix (a desktop channel on a hub without a desktop session). */
  channelWarning?: (channel: ChannelConfig) => string | undefined;
  /** This replica and the leases of the one-at-a-time work, for the health view. */
  leadership?: Pick<Leadership, 'replicaId' | 'kind' | 'view'>;
  /** Start at login: only the Electron shell can; headless answers unsupported. */
  autostart?: { get(): Promise<boolean>; set(enabled: boolean): Promise<boolean> };
}

const NOTHING_KNOWN: HealthState = { healthy: true, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null };

/** The later of two ISO times (either may be missing). */
function later(a: string | null | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function toApiError(error: unknown): never {
  if (error instanceof ApiError) throw error;
  if (error instanceof ConfigError) {
    const code =
      error.code === 'not_found'
        ? 'not_found'
        : error.code === 'duplicate' || error.code === 'in_use' || error.code === 'contended'
          ? 'conflict'
          : error.code === 'unavailable'
            ? 'unavailable'
            : 'invalid_input';
    throw new ApiError(code, error.message);
  }
  if (error instanceof RangeError) throw new ApiError('invalid_input', error.message);
  throw error;
}

async function replicaStatus(leadership: Pick<Leadership, 'replicaId' | 'kind' | 'view'>) {
  const base = { id: leadership.replicaId, engine: leadership.kind };
  try {
    return { ...base, leases: await leadership.view() };
  } catch (error) {
    return { ...base, leases: [], problem: `could not read the leases: ${(error as Error).message}` };
  }
}

/** Methods other modules answer: pipeline mutes (rules/mutes.ts), the board and threads (board/board-feed.ts). */
export type HandledElsewhere = 'mutes.list' | 'mutes.add' | 'mutes.remove' | 'board.list' | 'threads.get';

export function createApiHandlers(deps: HandlerDeps): Omit<ApiHandlers, HandledElsewhere> {
  const { store, config, secrets } = deps;

  const items = itemsWithSecrets({
    config,
    secrets,
    // Cleared before the save restarts the poller (sources/polling.ts pollsElsewhere).
    beforeSave: async (section, existing, next) => {
      if (section === 'sources' && existing && pollsElsewhere(existing as SourceConfig, next as SourceConfig)) await store.sourceState.clear(existing.id);
    },
  });
  const save = <S extends 'sources' | 'channels'>(section: S, input: Parameters<typeof items.save>[1], mode: 'create' | 'update') =>
    items.save(section, input, mode).catch(toApiError);
  async function remove(section: 'sources' | 'channels' | 'rules', id: string) {
    await items.remove(section, id).catch(toApiError);
    if (section === 'channels') await store.outbox.cancelForChannel(id, `channel "${id}" was deleted`, Date.now());
    // A new source with the same id starts afresh: no inherited poll cursor or pipeline streaks.
    if (section === 'sources') await store.sourceState.clear(id);
    return { ok: true as const };
  }

  const sourceView = async (source: SourceConfig) => {
    const base = deps.config.get().settings.publicUrl ?? deps.ingressUrl();
    const hint = ingressHintOf(source);
    const [stats, secretsOf, health] = await Promise.all([store.events.sourceStats(source.id), items.view(source), store.health.get('source', source.id)]);
    const runtime = deps.sourceRuntime?.(source.id) ?? {};
    const attention = sourceAttention({
      enabled: source.enabled,
      needsSecret: secretsOf.needsSecret,
      lastRejected: runtime.lastRejected,
      lastAcceptedAt: later(stats.lastEventAt, runtime.lastIgnored?.at),
    });
    return {
      ...secretsOf,
      ingressUrl: ingressUrlOf(source, base),
      ...(hint && { ingressHint: hint }),
      lastEventAt: stats.lastEventAt,
      eventCount: stats.count,
      health,
      ...runtime,
      ...(attention && { attention }),
    };
  };
  /** The sidebar's line for a source: the same words as its view, without counting its events unless it must. */
  const sourceStatus = async (source: SourceConfig) => {
    const needsSecret = (await unresolvedSecrets(source, secrets)).join('; ');
    const runtime = deps.sourceRuntime?.(source.id) ?? {};
    const attention = sourceAttention({
      enabled: source.enabled,
      needsSecret,
      lastRejected: runtime.lastRejected,
      lastAcceptedAt: runtime.lastRejected ? later((await store.events.sourceStats(source.id)).lastEventAt, runtime.lastIgnored?.at) : undefined,
    });
    return {
      id: source.id,
      name: source.name,
      health: (await store.health.get('source', source.id)) as HealthState,
      ...(attention && { attention }),
      ...(!source.enabled && { paused: true as const }),
    };
  };
  const deliveryView = (state: ChannelDeliveryState) => ({
    concurrency: state.limit,
    maxConcurrency: state.max,
    inFlight: state.inFlight,
    ...(state.baselineMs !== undefined && { baselineMs: Math.round(state.baselineMs * 10) / 10 }),
    ...(state.lastDecrease && { lastDecrease: { reason: state.lastDecrease.reason, at: new Date(state.lastDecrease.at).toISOString() } }),
    ...(state.pausedUntil !== undefined && { pausedUntil: new Date(state.pausedUntil).toISOString(), pausedBy: state.pausedBy }),
  });
  const channelView = async (channel: ChannelConfig) => {
    const warning = deps.channelWarning?.(channel) ?? (channel.kind === 'email' ? emailSetupProblem(channel, config.get().settings) : undefined);
    const [view, health, counts, due] = await Promise.all([
      items.view(channel),
      store.health.get('channel', channel.id),
      store.outbox.channelCounts(channel.id),
      store.outbox.nextDue(channel.id),
    ]);
    const state = deps.worker.channelState(channel);
    // A backlog waiting out its backoff (nothing in flight, not paused): when the channel tries again.
    const waits = counts.pending > 0 && state.inFlight === 0 && state.pausedUntil === undefined && channel.enabled && due !== undefined && due > Date.now() + 1_000;
    return {
      ...view,
      health,
      ...counts,
      delivery: { ...deliveryView(state), ...(waits && { nextAttemptAt: new Date(due).toISOString() }) },
      ...(warning && { warning }),
    };
  };

  type StoreParts = Pick<ApiOutput<'hub.status'>, 'counts' | 'channels' | 'sources'>;
  let lastStoreParts: StoreParts | undefined;
  const readStoreParts = async (cfg: HeraldConfig): Promise<StoreParts> => {
    const health = (kind: 'channel' | 'source', items: Array<{ id: string; name: string }>) =>
      Promise.all(items.map(async (item) => ({ id: item.id, name: item.name, health: (await store.health.get(kind, item.id)) as HealthState })));
    const [outbox, events, channels, sources] = await Promise.all([
      store.outbox.counts(),
      store.events.counts(),
      health('channel', cfg.channels),
      Promise.all(cfg.sources.map(sourceStatus)),
    ]);
    return { counts: { ...events, pendingDeliveries: outbox.pending, failedDeliveries: outbox.failed }, channels, sources };
  };
  /** Before the first read: no counts, every item as a new one is (healthy, nothing known). */
  const unreadStoreParts = (cfg: HeraldConfig): StoreParts => {
    const fresh = (item: { id: string; name: string }) => ({ id: item.id, name: item.name, health: { ...NOTHING_KNOWN } });
    return {
      counts: { events: 0, unread: 0, pendingDeliveries: 0, failedDeliveries: 0 },
      channels: cfg.channels.map(fresh),
      sources: cfg.sources.map((s) => ({ ...fresh(s), ...(!s.enabled && { paused: true as const }) })),
    };
  };

  const findChannel = (id: string) => {
    const channel = config.get().channels.find((c) => c.id === id);
    if (!channel) throw new ApiError('not_found', `no channel with id "${id}"`);
    return channel;
  };

  return {
    'hub.status': async () => {
      const cfg = config.get();
      let parts: StoreParts;
      let problem = store.problem;
      try {
        parts = await readStoreParts(cfg);
        lastStoreParts = parts;
      } catch (error) {
        // The database unreachable (PostgreSQL down): the status is where the UI says so, so it
        // still answers — with the problem, and the counts and health last read.
        if (!(error instanceof StoreUnavailable)) throw error;
        problem = store.problem ?? error.message;
        parts = lastStoreParts ?? unreadStoreParts(cfg);
      }
      return {
        version: deps.version,
        startedAt: deps.startedAt.toISOString(),
        ingressUrl: deps.ingressUrl(),
        apiUrl: deps.apiUrl(),
        keychain: secrets.status,
        database: problem ? { ok: false, problem } : { ok: true },
        dataDir: deps.dataDir,
        ...parts,
        ...(deps.leadership && { replica: await replicaStatus(deps.leadership) }),
      };
    },

    'events.list': async (query) => {
      try {
        return await store.events.list(query);
      } catch (error) {
        return toApiError(error);
      }
    },
    'events.get': async ({ id }) => {
      const found = await store.events.get(id);
      if (!found) throw new ApiError('not_found', `no event with id "${id}"`);
      // A summary (a group's message, a digest) carries events; its own outcome names the group or
      // digest too, but it never waits in one nor is carried: its detail asks only what it carries.
      const summary = listsEvents(found.event);
      // A grouped event has no delivery of its own: where it waits says whether its group's message went…
      const groupWaits = !summary && found.matches.some((m) => m.group) ? await store.groups.waitingFor(id) : [];
      // …and once sent (or digested), which message carried it.
      const summarizedIn = !summary && found.matches.some((m) => m.group || m.digest) ? await store.events.summariesOf(id) : [];
      const carries = summary ? await store.events.membersOf(id, SUMMARY_MEMBERS_SHOWN) : undefined;
      return {
        event: found.event,
        ...(found.raw !== undefined && { raw: found.raw }),
        matches: found.matches,
        deliveries: await store.outbox.list({ eventId: id, limit: 500 }),
        ...(groupWaits.length > 0 && { groupWaits: groupWaits.map((w) => ({ ruleId: w.ruleId, channelId: w.channelId, dueAt: new Date(w.dueAt).toISOString() })) }),
        ...(summarizedIn.length > 0 && { summarizedIn }),
        ...(carries && carries.total > 0 && { carries }),
      };
    },
    'events.markRead': async ({ ids, all, read }) => {
      if (!all && !ids?.length) throw new ApiError('invalid_input', 'ids: give the events to mark, or all: true');
      const updated = await store.events.markRead({ ...(ids && { ids }), ...(all !== undefined && { all }) }, read);
      if (updated) deps.onEventsChanged();
      return { updated };
    },
    'events.delete': async ({ ids }) => {
      const deleted = await store.events.delete(ids);
      if (deleted) deps.onEventsChanged();
      return { deleted };
    },

    'deliveries.list': async (filter) => store.outbox.list(filter),
    'deliveries.retry': async ({ id }) => {
      const numeric = Number.parseInt(id, 10);
      const before = Number.isSafeInteger(numeric) ? await store.outbox.get(numeric) : undefined;
      if (!before) throw new ApiError('not_found', `no delivery with id "${id}"`);
      if (before.status !== 'failed' && before.status !== 'cancelled') {
        throw new ApiError('conflict', `delivery ${id} is ${before.status}; only failed or cancelled deliveries can be retried`);
      }
      // The worker only sends to configured channels: retried, it would wait as pending for good.
      if (!config.get().channels.some((c) => c.id === before.channelId)) {
        throw new ApiError('conflict', `delivery ${id} went to channel "${before.channelId}", which no longer exists`);
      }
      const after = (await store.outbox.retryNow(numeric, Date.now()))!;
      deps.onDeliveryUpdated?.(after);
      deps.worker.wake();
      return after;
    },

    'sources.list': async () => Promise.all(config.get().sources.map(sourceView)),
    'sources.create': async (input) => sourceView(await save('sources', input, 'create')),
    'sources.update': async (input) => sourceView(await save('sources', input, 'update')),
    'sources.delete': async ({ id }) => remove('sources', id),

    'channels.list': async () => Promise.all(config.get().channels.map(channelView)),
    'channels.create': async (input) => channelView(await save('channels', input, 'create')),
    'channels.update': async (input) => channelView(await save('channels', input, 'update')),
    'channels.delete': async ({ id }) => remove('channels', id),
    'channels.retryFailed': async ({ id }) => {
      findChannel(id);
      const retried = await store.outbox.retryFailed(id, Date.now());
      deps.worker.wake();
      return { retried };
    },
    'channels.test': async ({ id }) => {
      const channel = findChannel(id);
      let resolved: Record<string, string>;
      try {
        resolved = await deps.resolveChannelSecrets(channel);
      } catch (error) {
        return { ok: false, detail: `secret unavailable: ${(error as Error).message}` };
      }
      // As the worker sends: the kind applies a rule's options and the settings' defaults.
      const instance = deps.channelFor?.(channel) ?? channelFor(channel.kind);
      const { config: sendConfig, rule } = configForTest(instance, channel, config.get());
      const answer = await testChannel(sendConfig, resolved, { channel: instance });
      if (!deps.channelFor) await closeChannel(instance);
      return answer.ok && rule ? { ...answer, detail: `${answer.detail} to the recipients of rule "${rule.name}"` } : answer;
    },

    'rules.list': async () => config.get().rules,
    'rules.held': async () => {
      const [digests, groups] = await Promise.all([store.digests.held(), store.groups.held()]);
      const at = (ms: number) => new Date(ms).toISOString();
      return {
        items: [
          ...digests.map((d) => ({ ruleId: d.ruleId, kind: 'digest' as const, waiting: d.waiting, nextAt: at(d.nextAt) })),
          ...groups.map((g) => ({ ruleId: g.ruleId, kind: 'group' as const, waiting: g.waiting, groups: g.groups, nextAt: at(g.nextAt) })),
        ],
      };
    },
    'rules.create': async ({ config: rule }) => {
      try {
        return await upsertItem(config, 'rules', rule, 'create');
      } catch (error) {
        return toApiError(error);
      }
    },
    'rules.update': async ({ config: rule }) => {
      try {
        return await upsertItem(config, 'rules', rule, 'update');
      } catch (error) {
        return toApiError(error);
      }
    },
    'rules.delete': async ({ id }) => remove('rules', id),
    'rules.preview': async ({ config: rule, limit }) => {
      const parsed = RuleSchema.safeParse(rule);
      if (!parsed.success) throw new ApiError('invalid_input', describeZodError(parsed.error));
      const recent = await store.events.recent(limit);
      return { scanned: recent.length, matched: previewRule(parsed.data, recent) };
    },

    'rules.reorder': async ({ ids }) => {
      try {
        // Checked against the rules the write applies to: another replica may have added one meanwhile.
        const saved = await config.update('rules', (cfg) => {
          const byId = new Map(cfg.rules.map((r) => [r.id, r]));
          if (new Set(ids).size !== ids.length || ids.length !== cfg.rules.length || ids.some((id) => !byId.has(id))) {
            throw new ApiError('invalid_input', `ids: must name every rule exactly once (${cfg.rules.map((r) => r.id).join(', ')})`);
          }
          return { ...cfg, rules: ids.map((id) => byId.get(id)!) };
        });
        return saved.rules;
      } catch (error) {
        return toApiError(error);
      }
    },

    'sources.discover': async (input) => {
      let token = input.token;
      if (token === undefined) {
        try {
          token = await deps.secrets.resolve(input.tokenRef!);
        } catch (error) {
          throw new ApiError('invalid_input', `the token reference does not resolve: ${(error as Error).message}`);
        }
      }
      try {
        return await discoverCi({ kind: input.kind, token, ...(input.url && { url: input.url }), ...(input.tls && { tls: input.tls }) });
      } catch (error) {
        // What the server said (401, TLS, DNS…) is the answer the user needs, not a hub fault — without the token, should it quote it.
        throw new ApiError('invalid_input', redactSecrets(describePollError(error), [token]));
      }
    },
    'sources.test': async ({ id }) => {
      const source = config.get().sources.find((s) => s.id === id);
      if (!source) throw new ApiError('not_found', `no source with id "${id}"`);
      return testSourceConnection(source, {
        resolveSecrets: deps.resolveSourceSecrets,
        ...(deps.testPollingSource && { testPoll: deps.testPollingSource }),
        ...(deps.testSubscribingSource && { testSubscription: deps.testSubscribingSource }),
        relay: (sourceId) => deps.sourceRuntime?.(sourceId).relay,
        ingressUrl: deps.ingressUrl,
      });
    },

    'config.export': async () => ({ config: config.get() }),
    'config.import': async ({ config: incoming }) => {
      try {
        const saved = await config.replace(incoming);
        return {
          sources: saved.sources.length,
          channels: saved.channels.length,
          rules: saved.rules.length,
          unresolvedSecrets: await checkSecretRefs(saved, secrets),
        };
      } catch (error) {
        return toApiError(error);
      }
    },

    'autostart.get': async () =>
      deps.autostart ? { supported: true, enabled: await deps.autostart.get() } : { supported: false, enabled: false },
    'autostart.set': async ({ enabled }) => {
      if (!deps.autostart) throw new ApiError('unavailable', 'start at login is a desktop-app setting; this hub runs headless');
      return { supported: true, enabled: await deps.autostart.set(enabled) };
    },

    // A global shortcut belongs to the desktop app (the shell answers there).
    'shortcut.status': async () => ({ supported: false, accelerator: config.get().settings.shortcut, registered: false }),

    'settings.get': async () => config.get().settings,
    'settings.update': async ({ settings }) => {
      try {
        const saved = await config.update('settings', (cfg) => {
          // Per top-level setting: given replaces it whole, null removes it, absent keeps it.
          const merged: Record<string, unknown> = { ...cfg.settings };
          for (const [key, value] of Object.entries(settings)) {
            if (value === null) delete merged[key];
            else merged[key] = value;
          }
          const parsed = SettingsSchema.safeParse(merged);
          if (!parsed.success) throw new ApiError('invalid_input', describeZodError(parsed.error));
          return { ...cfg, settings: parsed.data };
        });
        return saved.settings;
      } catch (error) {
        return toApiError(error);
      }
    },
  };
}

// The api's handlers: every method of shared/api.ts, over the hub's parts. Transports
// (HTTP here, Electron IPC in the shell) validate input with the contract first.
import { ApiError, type ApiHandlers, type Delivery, type HealthState, type PollView, type RelayView } from '../../../shared/api.js';
import {
  type ChannelConfig,
  ChannelSchema,
  RuleSchema,
  SECRET_FIELDS,
  SettingsSchema,
  type SourceConfig,
  SourceSchema,
} from '../../../shared/config.js';
import { describeZodError } from '../../../shared/event.js';
import { previewRule } from '../../../shared/rules.js';
import type { Channel } from '../channels/channel.js';
import { channelFor, closeChannel } from '../channels/registry.js';
import { configForTest } from '../channels/send-config.js';
import { testChannel } from '../channels/test-message.js';
import { checkSecretRefs } from '../config/config-file.js';
import { ConfigError, type ConfigStore, removeItem, upsertItem } from '../config/config-store.js';
import { type SecretStore, secretRefsOf } from '../config/secrets.js';
import type { DeliveryWorker } from '../delivery/worker.js';
import { pollingSourceFor } from '../sources/registry.js';
import { ingressHintOf, ingressUrlOf } from '../sources/setup-hints.js';
import type { Store } from '../store/store.js';

export interface HandlerDeps {
  store: Store;
  config: ConfigStore;
  secrets: SecretStore;
  worker: DeliveryWorker;
  version: string;
  startedAt: Date;
  ingressUrl: () => string;
  apiUrl: () => string;
  resolveChannelSecrets: (config: ChannelConfig) => Promise<Record<string, string>>;
  resolveSourceSecrets: (config: SourceConfig) => Promise<Record<string, string>>;
  /** "Test connection" of a polled source: one poll, nothing committed, the exact failure. */
  testPollingSource?: (source: SourceConfig) => Promise<{ ok: boolean; detail: string }>;
  onEventsChanged: () => void;
  /** A delivery changed outside the worker (manual retry): every open view hears of it like any other change. */
  onDeliveryUpdated?: (delivery: Delivery) => void;
  /** The channel that sends a kind here (the Electron shell's own popups for desktop); default the registry's. */
  channelFor?: (config: ChannelConfig) => Channel;
  /** What only the running hub knows about a source: its relay client, its poll schedule, the last ignored request. */
  sourceRuntime?: (sourceId: string) => { relay?: RelayView; poll?: PollView; lastIgnored?: { at: string; reason: string } };
  /** Start at login: only the Electron shell can; headless answers unsupported. */
  autostart?: { get(): Promise<boolean>; set(enabled: boolean): Promise<boolean> };
}

type Section = 'sources' | 'channels' | 'rules';

function toApiError(error: unknown): never {
  if (error instanceof ApiError) throw error;
  if (error instanceof ConfigError) {
    const code = error.code === 'not_found' ? 'not_found' : error.code === 'duplicate' || error.code === 'in_use' ? 'conflict' : 'invalid_input';
    throw new ApiError(code, error.message);
  }
  if (error instanceof RangeError) throw new ApiError('invalid_input', error.message);
  throw error;
}

/** Config without its secret fields, plus whether each secret is set (never its value). */
async function secretView(item: SourceConfig | ChannelConfig, secrets: SecretStore) {
  const config: Record<string, unknown> = { ...item };
  for (const field of SECRET_FIELDS[item.kind] ?? []) delete config[field];
  const status: Record<string, { set: boolean; ref?: string }> = {};
  for (const { field, ref } of secretRefsOf(item)) {
    let set = false;
    try {
      set = await secrets.has(ref);
    } catch {
      set = false;
    }
    // The ref too: it is not a secret, and a client needs it to keep one map entry while removing another.
    status[field] = { set, ref };
  }
  return { config, secrets: status };
}

/** `field` or `field.key` (a map such as secretHeaders: one level, and keys may hold dots). */
function splitPath(path: string): [string, string | undefined] {
  const dot = path.indexOf('.');
  return dot === -1 ? [path, undefined] : [path.slice(0, dot), path.slice(dot + 1)];
}

function setPath(target: Record<string, unknown>, path: string, value: string): void {
  const [head, key] = splitPath(path);
  if (key === undefined) {
    target[head] = value;
    return;
  }
  const inner = target[head] && typeof target[head] === 'object' ? { ...(target[head] as Record<string, unknown>) } : {};
  target[head] = { ...inner, [key]: value };
}

function deletePath(target: Record<string, unknown>, path: string): void {
  const [head, key] = splitPath(path);
  if (key === undefined) {
    delete target[head];
    return;
  }
  if (!target[head] || typeof target[head] !== 'object') return;
  const { [key]: _removed, ...rest } = target[head] as Record<string, unknown>;
  target[head] = rest;
}

/** Why a path given in `secrets` or `clearSecrets` is not one of the kind's secret fields. */
function secretPathProblem(kind: string, path: string): string | undefined {
  const fields = SECRET_FIELDS[kind] ?? [];
  const [head, key] = splitPath(path);
  if (fields.includes(head) && key !== '') return undefined;
  return `"${path}" is not a secret field of a ${kind || 'kind-less'} item (${fields.length ? `its secret fields: ${fields.join(', ')}` : 'it has none'})`;
}

/** Where a polled source reads from (cctray, SecObserve, DefectDojo: url; Kosli: host and org). */
function pollEndpoint(source: object): string {
  const { url, host, org } = source as { url?: unknown; host?: unknown; org?: unknown };
  return JSON.stringify([url, host, org]);
}

/** Methods other modules answer: pipeline mutes (rules/mutes.ts). */
export type HandledElsewhere = 'mutes.list' | 'mutes.add' | 'mutes.remove';

export function createApiHandlers(deps: HandlerDeps): Omit<ApiHandlers, HandledElsewhere> {
  const { store, config, secrets } = deps;

  const sourceView = async (source: SourceConfig) => {
    const base = deps.config.get().settings.publicUrl ?? deps.ingressUrl();
    const hint = ingressHintOf(source);
    const stats = store.events.sourceStats(source.id);
    return {
      ...(await secretView(source, secrets)),
      ingressUrl: ingressUrlOf(source, base),
      ...(hint && { ingressHint: hint }),
      lastEventAt: stats.lastEventAt,
      eventCount: stats.count,
      health: store.health.get('source', source.id),
      ...deps.sourceRuntime?.(source.id),
    };
  };
  const channelView = async (channel: ChannelConfig) => ({
    ...(await secretView(channel, secrets)),
    health: store.health.get('channel', channel.id),
    ...store.outbox.channelCounts(channel.id),
  });

  /** Every secret ref the config holds, in any source or channel. */
  const refsInUse = () => {
    const cfg = config.get();
    return new Set([...cfg.sources, ...cfg.channels].flatMap((item) => secretRefsOf(item).map((r) => r.ref)));
  };
  /** Deletes the keychain entries of refs nothing refers to any more (a removed header, a cleared password, a deleted item). */
  async function deleteUnusedSecrets(refs: string[]) {
    const inUse = refsInUse();
    for (const ref of new Set(refs)) {
      if (ref.startsWith('keychain:') && !inUse.has(ref)) await secrets.delete(ref).catch(() => undefined);
    }
  }

  /**
   * Create or update an item with secrets: plaintext secrets go to the keychain first
   * (after the item validates), refs into the config; an update keeps refs not resent,
   * removes the paths in clearSecrets, and deletes keychain entries left unused.
   */
  async function saveWithSecrets<S extends 'sources' | 'channels'>(
    section: S,
    input: { config: Record<string, unknown>; secrets: Record<string, string>; clearSecrets?: string[] | undefined },
    mode: 'create' | 'update',
  ) {
    const schema = section === 'sources' ? SourceSchema : ChannelSchema;
    const id = typeof input.config.id === 'string' ? input.config.id : '';
    const existing = (config.get()[section] as Array<SourceConfig | ChannelConfig>).find((item) => item.id === id);
    // Before any secret is written: a create must not overwrite the keychain entry of an
    // existing item with the same id, an update must name one that exists.
    const singular = section === 'sources' ? 'source' : 'channel';
    if (mode === 'create' && existing) throw new ApiError('conflict', `a ${singular} with id "${id}" already exists`);
    if (mode === 'update' && !existing) throw new ApiError('not_found', `no ${singular} with id "${id}"`);
    const merged: Record<string, unknown> = { ...input.config };
    if (mode === 'update' && existing) {
      for (const field of SECRET_FIELDS[existing.kind] ?? []) {
        if (merged[field] === undefined) merged[field] = (existing as unknown as Record<string, unknown>)[field];
      }
    }
    const kind = typeof merged.kind === 'string' ? merged.kind : '';
    const clearSecrets = input.clearSecrets ?? [];
    for (const [what, paths] of [
      ['secrets', Object.keys(input.secrets)],
      ['clearSecrets', clearSecrets],
    ] as const) {
      for (const path of paths) {
        const problem = secretPathProblem(kind, path);
        if (problem) throw new ApiError('invalid_input', `${what}: ${problem}`);
      }
    }
    for (const path of clearSecrets) {
      if (path in input.secrets) throw new ApiError('invalid_input', `clearSecrets: "${path}" is also given a new value in secrets`);
      deletePath(merged, path);
    }
    const keychainNames = new Map<string, string>();
    for (const path of Object.keys(input.secrets)) {
      const name = `${section}/${id}/${path}`;
      keychainNames.set(path, name);
      setPath(merged, path, `keychain:${name}`);
    }
    const check = schema.safeParse(merged);
    if (!check.success) throw new ApiError('invalid_input', describeZodError(check.error));
    for (const [path, value] of Object.entries(input.secrets)) {
      if (!secrets.status.available) {
        throw new ApiError('unavailable', `cannot store the secret ${path}: ${secrets.status.reason ?? 'no keychain'}`);
      }
      await secrets.set(keychainNames.get(path)!, value);
    }
    // A poller pointed at another server or org starts afresh: its cursors and snapshots
    // belong to the old one (a DefectDojo finding cursor from another instance would hide
    // every finding below it). Cleared before the save restarts the poller.
    if (section === 'sources' && mode === 'update' && existing && pollEndpoint(existing) !== pollEndpoint(check.data)) store.sourceState.clear(id);
    let saved: SourceConfig | ChannelConfig;
    try {
      saved = upsertItem(config, section, merged, mode) as SourceConfig | ChannelConfig;
    } catch (error) {
      return toApiError(error);
    }
    if (mode === 'update' && existing) await deleteUnusedSecrets(secretRefsOf(existing).map((r) => r.ref));
    return saved as S extends 'sources' ? SourceConfig : ChannelConfig;
  }

  async function removeWithSecrets(section: Section, id: string) {
    const item = (config.get()[section] as Array<{ id: string }>).find((i) => i.id === id);
    try {
      removeItem(config, section, id);
    } catch (error) {
      toApiError(error);
    }
    // Entries another item still refers to (one token for two pollers) stay.
    if (item && section !== 'rules') await deleteUnusedSecrets(secretRefsOf(item as SourceConfig | ChannelConfig).map((r) => r.ref));
    if (section === 'channels') store.outbox.cancelForChannel(id, `channel "${id}" was deleted`, Date.now());
    // A new source with the same id starts afresh: no inherited poll cursor or pipeline streaks.
    if (section === 'sources') store.sourceState.clear(id);
    return { ok: true as const };
  }

  const findChannel = (id: string) => {
    const channel = config.get().channels.find((c) => c.id === id);
    if (!channel) throw new ApiError('not_found', `no channel with id "${id}"`);
    return channel;
  };

  return {
    'hub.status': async () => {
      const cfg = config.get();
      const health = (kind: 'channel' | 'source', items: Array<{ id: string; name: string }>) =>
        items.map((item) => ({ id: item.id, name: item.name, health: store.health.get(kind, item.id) as HealthState }));
      const outbox = store.outbox.counts();
      return {
        version: deps.version,
        startedAt: deps.startedAt.toISOString(),
        ingressUrl: deps.ingressUrl(),
        apiUrl: deps.apiUrl(),
        keychain: secrets.status,
        counts: { ...store.events.counts(), pendingDeliveries: outbox.pending, failedDeliveries: outbox.failed },
        channels: health('channel', cfg.channels),
        sources: health('source', cfg.sources),
      };
    },

    'events.list': async (query) => {
      try {
        return store.events.list(query);
      } catch (error) {
        return toApiError(error);
      }
    },
    'events.get': async ({ id }) => {
      const found = store.events.get(id);
      if (!found) throw new ApiError('not_found', `no event with id "${id}"`);
      return {
        event: found.event,
        ...(found.raw !== undefined && { raw: found.raw }),
        matches: found.matches,
        deliveries: store.outbox.list({ eventId: id, limit: 500 }),
      };
    },
    'events.markRead': async ({ ids, all, read }) => {
      if (!all && !ids?.length) throw new ApiError('invalid_input', 'ids: give the events to mark, or all: true');
      const updated = store.events.markRead({ ...(ids && { ids }), ...(all !== undefined && { all }) }, read);
      if (updated) deps.onEventsChanged();
      return { updated };
    },
    'events.delete': async ({ ids }) => {
      const deleted = store.events.delete(ids);
      if (deleted) deps.onEventsChanged();
      return { deleted };
    },

    'deliveries.list': async (filter) => store.outbox.list(filter),
    'deliveries.retry': async ({ id }) => {
      const numeric = Number.parseInt(id, 10);
      const before = Number.isSafeInteger(numeric) ? store.outbox.get(numeric) : undefined;
      if (!before) throw new ApiError('not_found', `no delivery with id "${id}"`);
      if (before.status !== 'failed' && before.status !== 'cancelled') {
        throw new ApiError('conflict', `delivery ${id} is ${before.status}; only failed or cancelled deliveries can be retried`);
      }
      // The worker only sends to configured channels: retried, it would wait as pending for good.
      if (!config.get().channels.some((c) => c.id === before.channelId)) {
        throw new ApiError('conflict', `delivery ${id} went to channel "${before.channelId}", which no longer exists`);
      }
      const after = store.outbox.retryNow(numeric, Date.now())!;
      deps.onDeliveryUpdated?.(after);
      deps.worker.wake();
      return after;
    },

    'sources.list': async () => Promise.all(config.get().sources.map(sourceView)),
    'sources.create': async (input) => sourceView(await saveWithSecrets('sources', input, 'create')),
    'sources.update': async (input) => sourceView(await saveWithSecrets('sources', input, 'update')),
    'sources.delete': async ({ id }) => removeWithSecrets('sources', id),

    'channels.list': async () => Promise.all(config.get().channels.map(channelView)),
    'channels.create': async (input) => channelView(await saveWithSecrets('channels', input, 'create')),
    'channels.update': async (input) => channelView(await saveWithSecrets('channels', input, 'update')),
    'channels.delete': async ({ id }) => removeWithSecrets('channels', id),
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
    'rules.create': async ({ config: rule }) => {
      try {
        return upsertItem(config, 'rules', rule, 'create');
      } catch (error) {
        return toApiError(error);
      }
    },
    'rules.update': async ({ config: rule }) => {
      try {
        return upsertItem(config, 'rules', rule, 'update');
      } catch (error) {
        return toApiError(error);
      }
    },
    'rules.delete': async ({ id }) => removeWithSecrets('rules', id),
    'rules.preview': async ({ config: rule, limit }) => {
      const parsed = RuleSchema.safeParse(rule);
      if (!parsed.success) throw new ApiError('invalid_input', describeZodError(parsed.error));
      const recent = store.events.recent(limit);
      return { scanned: recent.length, matched: previewRule(parsed.data, recent) };
    },

    'rules.reorder': async ({ ids }) => {
      const rules = config.get().rules;
      const byId = new Map(rules.map((r) => [r.id, r]));
      const unique = new Set(ids);
      if (unique.size !== ids.length || ids.length !== rules.length || ids.some((id) => !byId.has(id))) {
        throw new ApiError('invalid_input', `ids: must name every rule exactly once (${rules.map((r) => r.id).join(', ')})`);
      }
      try {
        return config.update('rules', (cfg) => ({ ...cfg, rules: ids.map((id) => byId.get(id)!) })).rules;
      } catch (error) {
        return toApiError(error);
      }
    },

    'sources.test': async ({ id }) => {
      const source = config.get().sources.find((s) => s.id === id);
      if (!source) throw new ApiError('not_found', `no source with id "${id}"`);
      if (deps.testPollingSource && pollingSourceFor(source.kind)) return deps.testPollingSource(source);
      let resolved: Record<string, string>;
      try {
        resolved = await deps.resolveSourceSecrets(source);
      } catch (error) {
        return { ok: false, detail: `secret unavailable: ${(error as Error).message}` };
      }
      const relay = deps.sourceRuntime?.(source.id).relay;
      if (relay && relay.state !== 'connected') {
        return { ok: false, detail: `secret resolves, but the relay is ${relay.state}${relay.lastError ? `: ${relay.lastError}` : ''}` };
      }
      if (source.kind !== 'generic') {
        const via = relay ? 'the relay is connected; ' : '';
        const ping = source.kind === 'github' ? " (GitHub's ping shows as the last ignored request)" : '';
        return { ok: true, detail: `secret resolves; ${via}send a test delivery from the sending tool${ping}` };
      }
      // A real request through the real listener, authenticated as a sender would be.
      const url = `${deps.ingressUrl()}/hooks/${encodeURIComponent(source.id)}`;
      const body = { type: 'herald.test', title: `Test event for source ${source.name}`, summary: 'Sent by "test connection".' };
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${resolved.secret ?? ''}` },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const answer = (await response.json().catch(() => ({}))) as { error?: string };
        if (response.ok) return { ok: true, detail: `ingress accepted a herald.test event at ${url}` };
        return { ok: false, detail: `ingress answered HTTP ${response.status}: ${answer.error ?? response.statusText}` };
      } catch (error) {
        return { ok: false, detail: `could not reach ingress at ${url}: ${(error as Error).message}` };
      }
    },

    'config.export': async () => ({ config: config.get() }),
    'config.import': async ({ config: incoming }) => {
      try {
        const saved = config.replace(incoming);
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
      // Per top-level setting: given replaces it whole, null removes it, absent keeps it.
      const merged: Record<string, unknown> = { ...config.get().settings };
      for (const [key, value] of Object.entries(settings)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      const parsed = SettingsSchema.safeParse(merged);
      if (!parsed.success) throw new ApiError('invalid_input', describeZodError(parsed.error));
      try {
        return config.update('settings', (cfg) => ({ ...cfg, settings: parsed.data })).settings;
      } catch (error) {
        return toApiError(error);
      }
    },
  };
}

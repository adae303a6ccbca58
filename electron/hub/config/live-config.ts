// The config as the running hub sees it: the current config and the lookups derived from
// it (channels, sources and rules by id, the router), replaced together on every change.
// Policies subscribe to a section's changes; a channels change says which channels were
// edited or removed, compared with the config before it.
import type { ChannelConfig, HeraldConfig, RuleConfig, SourceConfig } from '../../../shared/config.js';
import type { MutePolicy } from '../rules/mutes.js';
import { buildRouter, type Router } from '../rules/router.js';
import type { ConfigSection, ConfigStore } from './config-store.js';

export type { ConfigSection };

export interface ConfigChange {
  config: HeraldConfig;
  section: ConfigSection;
  /** Channels whose config differs from before: edited (still there) or removed. */
  editedChannels: string[];
  removedChannels: string[];
}

export interface LiveConfig {
  readonly current: HeraldConfig;
  readonly router: Router;
  channel(id: string): ChannelConfig | undefined;
  channels(): Iterable<ChannelConfig>;
  source(id: string): SourceConfig | undefined;
  rule(id: string): RuleConfig | undefined;
  /** Called after the views are replaced, in subscription order. */
  onChange(listener: (change: ConfigChange) => void): void;
}

export function startLiveConfig(config: ConfigStore, now: () => number, mutes: Pick<MutePolicy, 'beforeRouting' | 'muteFor'>): LiveConfig {
  let current = config.get();
  let router = buildRouter(current, now, mutes);
  let channelsById = new Map(current.channels.map((c) => [c.id, c]));
  let sourcesById = new Map(current.sources.map((s) => [s.id, s]));
  let rulesById = new Map(current.rules.map((r) => [r.id, r]));
  const listeners: Array<(change: ConfigChange) => void> = [];

  config.onChange((cfg, section) => {
    const editedChannels: string[] = [];
    const removedChannels: string[] = [];
    if (section === 'channels') {
      for (const [id, before] of channelsById) {
        const after = cfg.channels.find((c) => c.id === id);
        if (!after) removedChannels.push(id);
        else if (JSON.stringify(before) !== JSON.stringify(after)) editedChannels.push(id);
      }
    }
    current = cfg;
    router = buildRouter(cfg, now, mutes);
    channelsById = new Map(cfg.channels.map((c) => [c.id, c]));
    sourcesById = new Map(cfg.sources.map((s) => [s.id, s]));
    rulesById = new Map(cfg.rules.map((r) => [r.id, r]));
    for (const listener of listeners) listener({ config: cfg, section, editedChannels, removedChannels });
  });

  return {
    get current() {
      return current;
    },
    get router() {
      return router;
    },
    channel: (id) => channelsById.get(id),
    channels: () => channelsById.values(),
    source: (id) => sourcesById.get(id),
    rule: (id) => rulesById.get(id),
    onChange: (listener) => void listeners.push(listener),
  };
}

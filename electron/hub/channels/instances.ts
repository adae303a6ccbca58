// One channel instance per configured channel, built from its kind on first use and
// closed when the channel is edited or removed, or the hub stops (as Alertmanager builds
// each integration from its config): no module-level pools closed from elsewhere.
import type { ChannelConfig } from '../../../shared/config.js';
import type { Channel } from './channel.js';

export class ChannelInstances {
  private readonly byId = new Map<string, Channel>();

  constructor(private readonly build: (config: ChannelConfig) => Channel) {}

  /** The instance that sends for this channel (by id). */
  for(config: ChannelConfig): Channel {
    let channel = this.byId.get(config.id);
    if (!channel || channel.kind !== config.kind) {
      if (channel) void this.close(config.id);
      channel = this.build(config);
      this.byId.set(config.id, channel);
    }
    return channel;
  }

  /** The channel was edited or removed: what its instance holds open ends; the next send builds anew. */
  async close(id: string): Promise<void> {
    const channel = this.byId.get(id);
    this.byId.delete(id);
    await channel?.close?.();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.byId.keys()].map((id) => this.close(id)));
  }
}

/** A hub-wide channel (the shell's popups) seen as one configured channel's instance: closing that instance leaves it open. */
export function sharedChannel(channel: Channel): Channel {
  return {
    kind: channel.kind,
    send: (message, config, secrets, signal) => channel.send(message, config, secrets, signal),
    ...(channel.configFor && { configFor: (config: ChannelConfig, context: Parameters<NonNullable<Channel['configFor']>>[1]) => channel.configFor!(config, context) }),
    ...(channel.testRule && { testRule: (config: ChannelConfig, rules: Parameters<NonNullable<Channel['testRule']>>[1]) => channel.testRule!(config, rules) }),
  };
}

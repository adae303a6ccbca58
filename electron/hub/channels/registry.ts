// Which Channel sends each kind. The mapped type makes the list exhaustive: a kind
// added to ChannelSchema without an entry here fails to compile.
import type { ChannelConfig, ChannelKind } from '../../../shared/config.js';
import type { Channel } from './channel.js';
import { desktopChannel } from './desktop.js';
import { discordChannel } from './discord.js';
import { emailChannel } from './email.js';
import { ntfyChannel } from './ntfy.js';
import { slackChannel } from './slack.js';
import { teamsChannel } from './teams.js';
import { webhookChannel } from './webhook.js';

type ChannelsByKind = { readonly [K in ChannelKind]: Channel<Extract<ChannelConfig, { kind: K }>> };

const CHANNELS: ChannelsByKind = {
  webhook: webhookChannel,
  desktop: desktopChannel,
  slack: slackChannel,
  teams: teamsChannel,
  discord: discordChannel,
  email: emailChannel,
  ntfy: ntfyChannel,
};

/** The channel for a kind; config and channel agree on the kind, so callers pass the config as is. */
export function channelFor<K extends ChannelKind>(kind: K): Channel<Extract<ChannelConfig, { kind: K }>> {
  const channel = CHANNELS[kind];
  if (!channel) throw new Error(`no channel for kind "${String(kind)}"`);
  return channel;
}

/** Send through the right channel for a config, without the caller narrowing the kind. */
export function channelForConfig(config: ChannelConfig): Channel {
  return channelFor(config.kind);
}

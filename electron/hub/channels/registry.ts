// Which Channel sends each kind. The mapped type makes the list exhaustive: a kind
// added to ChannelSchema without an entry here fails to compile. Stateless channels are
// one shared object; a channel that holds connections (email's SMTP pool) is made per
// configured channel and closed with it (channels/instances.ts).
import type { ChannelConfig, ChannelKind } from '../../../shared/config.js';
import type { Channel } from './channel.js';
import { desktopChannel } from './desktop.js';
import { discordChannel } from './discord.js';
import { createEmailChannel } from './email.js';
import { ntfyChannel } from './ntfy.js';
import { slackChannel } from './slack.js';
import { teamsChannel } from './teams.js';
import { webhookChannel } from './webhook.js';

type ChannelOf<K extends ChannelKind> = Channel<Extract<ChannelConfig, { kind: K }>>;
type ChannelMakers = { readonly [K in ChannelKind]: () => ChannelOf<K> };

const CHANNELS: ChannelMakers = {
  webhook: () => webhookChannel,
  desktop: () => desktopChannel,
  slack: () => slackChannel,
  teams: () => teamsChannel,
  discord: () => discordChannel,
  email: createEmailChannel,
  ntfy: () => ntfyChannel,
};

/** A channel of a kind; config and channel agree on the kind, so callers pass the config as is. Close it when done (`closeChannel`). */
export function channelFor<K extends ChannelKind>(kind: K): ChannelOf<K> {
  const make = CHANNELS[kind];
  if (!make) throw new Error(`no channel for kind "${String(kind)}"`);
  return make();
}

/** Ends what a channel holds open (pooled connections); a stateless channel has nothing to end. */
export async function closeChannel(channel: Channel): Promise<void> {
  await channel.close?.();
}

// Each channel kind's limits, declared as data (as Apprise does): the delivery worker
// enforces them for every channel alike, and the channels build messages within them.
import type { ChannelKind } from '../../../shared/config.js';

export interface ChannelLimits {
  /** Sustained sends per second to one configured channel (one webhook, one bot channel). */
  ratePerSecond?: number;
  /** Sends allowed back to back before `ratePerSecond` applies (token bucket size); default 1. */
  burst?: number;
  /** Largest request body the service accepts; channels keep their messages under it. */
  maxBodyBytes?: number;
}

/** Every kind must be listed: a new kind without an entry fails to compile. */
export const CHANNEL_LIMITS: { readonly [K in ChannelKind]: ChannelLimits } = {
  // Whatever the user points it at: no documented rate; cap the body at 1 MiB.
  webhook: { maxBodyBytes: 1024 * 1024 },
  // A popup storm helps nobody: a few at once, then one every half second.
  desktop: { ratePerSecond: 2, burst: 5 },
};

// Each channel kind's limits, declared as data (as Apprise does): the delivery worker
// enforces them for every channel alike, and the channels build messages within them.
import type { ChannelKind } from '../../../shared/config.js';

export interface ChannelLimits {
  /** The most sends in flight to one configured channel; the channel's own `concurrency` may only lower it. */
  maxConcurrency: number;
  /** Sustained sends per second to one configured channel (one webhook, one bot channel). */
  ratePerSecond?: number;
  /** Sends allowed back to back before `ratePerSecond` applies (token bucket size); default 1. */
  burst?: number;
  /** Largest request body the service accepts; channels keep their messages under it. */
  maxBodyBytes?: number;
}

/** Every kind must be listed: a new kind without an entry fails to compile. */
export const CHANNEL_LIMITS: { readonly [K in ChannelKind]: ChannelLimits } = {
  // Whatever the user points it at: no documented rate; cap the body at 1 MiB. The adaptive
  // limit finds what the endpoint sustains below 64 at once.
  webhook: { maxConcurrency: 64, maxBodyBytes: 1024 * 1024 },
  // A popup storm helps nobody: a few at once, then one every half second.
  desktop: { maxConcurrency: 8, ratePerSecond: 2, burst: 5 },
  // Slack: about one message per second per webhook/channel, short bursts tolerated; 429 beyond.
  slack: { maxConcurrency: 4, ratePerSecond: 1, burst: 3, maxBodyBytes: 256 * 1024 },
  // Teams Workflows: throttled above about 4 requests per second; 28 KB per message (413 seen near 21 KB).
  teams: { maxConcurrency: 4, ratePerSecond: 4, burst: 4, maxBodyBytes: 28 * 1024 },
  // Discord webhooks: 5 requests per 2 s, and about 30 messages per minute per channel.
  discord: { maxConcurrency: 5, ratePerSecond: 0.5, burst: 5, maxBodyBytes: 256 * 1024 },
  // SMTP servers and SES (sandbox: 1 message/s) differ; the channel's own ratePerSecond paces the pool.
  email: { maxConcurrency: 8, ratePerSecond: 1, burst: 10 },
  // ntfy (server/config.go): 60 requests in a burst, then one per 5 s per visitor (429 beyond);
  // a JSON publish of at most twice the 4,096-byte message limit (413 beyond).
  ntfy: { maxConcurrency: 8, ratePerSecond: 0.2, burst: 60, maxBodyBytes: 8192 },
};

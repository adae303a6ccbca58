// The Channel contract (as Alertmanager's notifiers): a channel only says whether a
// retry can help; the delivery worker owns retries, backoff, rate limits and health.
import type { ChannelConfig } from '../../../shared/config.js';
import type { HeraldEvent } from '../../../shared/event.js';

/** What a channel is asked to send: the event, and why it is being sent. */
export interface Message {
  event: HeraldEvent;
  /** The rule that routed it (absent for "send test message"). */
  rule?: { id: string; name: string };
  /** Set when this message is a "send test" from the UI. */
  test?: boolean;
}

export type SendResult =
  | { kind: 'ok'; detail?: string }
  /** A retry may help: 5xx, 429, timeouts, connection refused. `afterMs` from Retry-After when given. */
  | { kind: 'retry'; reason: string; afterMs?: number }
  /** A retry cannot help: 4xx other than 408/429, a gone webhook, a bad config. */
  | { kind: 'fail'; reason: string };

/** Secret values resolved for this send, keyed by field path (`secretHeaders.Authorization`). */
export type ResolvedSecrets = Record<string, string>;

export interface Channel<C extends ChannelConfig = ChannelConfig> {
  readonly kind: C['kind'];
  send(message: Message, config: C, secrets: ResolvedSecrets, signal: AbortSignal): Promise<SendResult>;
}

export const ok = (detail?: string): SendResult => ({ kind: 'ok', detail });
export const retry = (reason: string, afterMs?: number): SendResult => ({ kind: 'retry', reason, afterMs });
export const fail = (reason: string): SendResult => ({ kind: 'fail', reason });

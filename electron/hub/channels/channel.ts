// The Channel contract (as Alertmanager's notifiers): a channel only says whether a
// retry can help; the delivery worker owns retries, backoff, rate limits and health.
import type { ChannelConfig, RuleConfig, Settings } from '../../../shared/config.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { redactSecrets } from '../secret-redaction.js';

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
  /**
   * The config as sent for a rule: the rule's options for this kind (email: its
   * recipients) and the settings' defaults (email: the default sender). Absent: as is.
   */
  configFor?(config: C, context: { rule?: RuleConfig | undefined; settings: Settings }): C;
  /** "Send test": the rule whose options a test uses when the channel lacks its own (email without recipients). */
  testRule?(config: C, rules: readonly RuleConfig[]): RuleConfig | undefined;
  /** Ends what the instance holds open between sends (email's SMTP pool): the channel was edited or removed, or the hub stops. */
  close?(): void | Promise<void>;
}

export const ok = (detail?: string): SendResult => ({ kind: 'ok', detail });
export const retry = (reason: string, afterMs?: number): SendResult => ({ kind: 'retry', reason, afterMs });
export const fail = (reason: string): SendResult => ({ kind: 'fail', reason });

/** The result with the send's secret values cut out of its reason (secret-redaction.ts); an ok costs nothing. */
export function withoutSecrets(result: SendResult, secrets: ResolvedSecrets): SendResult {
  if (result.kind === 'ok') return result;
  const reason = redactSecrets(result.reason, secrets);
  return reason === result.reason ? result : { ...result, reason };
}

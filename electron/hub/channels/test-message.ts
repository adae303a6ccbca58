// "Send test message": one `herald.test` event through the real channel, and an answer
// that says exactly what went wrong, in words a user can act on.
import type { ChannelConfig } from '../../../shared/config.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { type Channel, type Message, type ResolvedSecrets, type SendResult, withoutSecrets } from './channel.js';
import { redactSecrets } from '../secret-redaction.js';
import { channelFor, closeChannel } from './registry.js';
import { deadlineSignal } from '../timeout-signal.js';

export function testMessage(config: ChannelConfig, now = new Date()): Message {
  const event: HeraldEvent = {
    id: `test-${now.getTime()}`,
    source: { kind: 'herald', id: 'herald', name: 'Herald' },
    type: 'herald.test',
    severity: 'info',
    subject: {},
    title: 'Test message from Herald',
    summary: `If you can read this, the channel "${config.name}" works.`,
    occurredAt: now.toISOString(),
    receivedAt: now.toISOString(),
    dedupKey: `herald.test:${config.id}:${now.getTime()}`,
    read: false,
  };
  return { event, test: true };
}

const HINTS: [RegExp, string][] = [
  [/^HTTP 401\b/, 'the service did not accept the credentials: check the token or webhook URL'],
  [/^HTTP 403\b/, 'the service refused: the token lacks a permission, or the webhook was disabled'],
  [/^HTTP 404\b/, 'the webhook does not exist (deleted or mistyped): create a new one and paste its URL'],
  [/^HTTP 410\b/, 'the webhook or its channel is gone (archived or deleted)'],
  [/^HTTP 413\b/, 'the message was too large for the service'],
];

/** A SendResult as a sentence for the "send test message" button. */
export function explainResult(result: SendResult): { ok: boolean; detail: string } {
  if (result.kind === 'ok') return { ok: true, detail: `sent${result.detail ? ` (${result.detail})` : ''}` };
  const hint = HINTS.find(([pattern]) => pattern.test(result.reason))?.[1];
  const wait = result.kind === 'retry' && result.afterMs !== undefined ? ` — the service asks to wait ${Math.ceil(result.afterMs / 1000)} s` : '';
  const transient = result.kind === 'retry' ? ' (temporary: deliveries would be retried)' : '';
  return { ok: false, detail: `${result.reason}${hint ? ` — ${hint}` : ''}${wait}${transient}` };
}

/**
 * Send a test message through `config` (as sent: channels/send-config.ts applied the
 * rule's options and the settings' defaults). Never throws: every failure is an answer.
 */
export async function testChannel(
  config: ChannelConfig,
  secrets: ResolvedSecrets,
  /** `channel`: the one that sends this kind here (the Electron shell's popups); default the registry's. */
  options: { signal?: AbortSignal; now?: Date; channel?: Channel } = {},
): Promise<{ ok: boolean; detail: string }> {
  const timeoutMs = 'timeoutMs' in config ? config.timeoutMs + 5_000 : 20_000;
  const signal = deadlineSignal(timeoutMs, options.signal);
  const channel = options.channel ?? channelFor(config.kind);
  try {
    return explainResult(withoutSecrets(await channel.send(testMessage(config, options.now), config as never, secrets, signal), secrets));
  } catch (err) {
    return { ok: false, detail: redactSecrets(`the ${config.kind} channel failed unexpectedly: ${(err as Error).message ?? String(err)}`, secrets) };
  } finally {
    // One made for this test only (not the hub's instance): nothing of it stays open.
    if (!options.channel) await closeChannel(channel);
  }
}

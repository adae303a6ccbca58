// "Test connection" of a source, answered by its kind: a polled kind polls once, a
// subscribed kind connects (nothing committed either way); a webhook kind checks that its secret resolves and its relay is connected,
// then either sends itself a request through the real listener (when the kind can:
// `testRequest`) or says to send a test delivery from the tool (and where it shows).
import type { RelayView } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import { pollingSourceFor, subscribingSourceFor, webhookSourceFor } from './registry.js';

export interface SourceTestDeps {
  resolveSecrets: (source: SourceConfig) => Promise<Record<string, string>>;
  /** One poll of a polled source (sources/polling.ts pollTester). */
  testPoll?: (source: SourceConfig) => Promise<{ ok: boolean; detail: string }>;
  /** Connects a subscribed source (sources/subscriptions.ts testSubscribingSource). */
  testSubscription?: (source: SourceConfig) => Promise<{ ok: boolean; detail: string }>;
  relay?: (sourceId: string) => RelayView | undefined;
  ingressUrl: () => string;
}

export async function testSourceConnection(source: SourceConfig, deps: SourceTestDeps): Promise<{ ok: boolean; detail: string }> {
  if (deps.testPoll && pollingSourceFor(source.kind)) return deps.testPoll(source);
  if (deps.testSubscription && subscribingSourceFor(source.kind)) return deps.testSubscription(source);
  let resolved: Record<string, string>;
  try {
    resolved = await deps.resolveSecrets(source);
  } catch (error) {
    return { ok: false, detail: `secret unavailable: ${(error as Error).message}` };
  }
  const relay = deps.relay?.(source.id);
  if (relay && relay.state !== 'connected') {
    return { ok: false, detail: `secret resolves, but the relay is ${relay.state}${relay.lastError ? `: ${relay.lastError}` : ''}` };
  }
  const kind = webhookSourceFor(source.kind);
  if (!kind?.testRequest) {
    const via = relay ? 'the relay is connected; ' : '';
    const note = kind?.testNote ? ` (${kind.testNote})` : '';
    return { ok: true, detail: `secret resolves; ${via}send a test delivery from the sending tool${note}` };
  }
  // A real request through the real listener, authenticated as a sender would be.
  const url = `${deps.ingressUrl()}/hooks/${encodeURIComponent(source.id)}`;
  const body = { type: 'herald.test', title: `Test event for source ${source.name}`, summary: 'Sent by "test connection".' };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...kind.testRequest(resolved.secret ?? '').headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await response.json().catch(() => ({}))) as { error?: string };
    if (response.ok) return { ok: true, detail: `ingress accepted a herald.test event at ${url}` };
    return { ok: false, detail: `ingress answered HTTP ${response.status}: ${answer.error ?? response.statusText}` };
  } catch (error) {
    return { ok: false, detail: `could not reach ingress at ${url}: ${(error as Error).message}` };
  }
}

// Which kinds can receive webhooks, and which are polled. One entry per kind.
import type { SourceConfig } from '../../../shared/config.js';
import { genericSource } from './generic.js';
import type { PollingSource, WebhookSource } from './source.js';

type Kind = SourceConfig['kind'];

type OfKind<K extends Kind> = Extract<SourceConfig, { kind: K }>;

const WEBHOOK_SOURCES: { [K in Kind]?: WebhookSource<OfKind<K>> } = {
  generic: genericSource,
};

const POLLING_SOURCES: { [K in Kind]?: PollingSource<OfKind<K>, any> } = {};

export function webhookSourceFor(kind: Kind): WebhookSource | undefined {
  return WEBHOOK_SOURCES[kind] as unknown as WebhookSource | undefined;
}

export function pollingSourceFor(kind: Kind): PollingSource | undefined {
  return POLLING_SOURCES[kind] as unknown as PollingSource | undefined;
}

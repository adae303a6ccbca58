// Which kinds can receive webhooks, and which are polled. One entry per kind.
import type { SourceConfig } from '../../../shared/config.js';
import { cctraySource } from './cctray.js';
import { defectdojoSource } from './defectdojo.js';
import { defectdojoWebhookSource } from './defectdojo-webhook.js';
import { genericSource } from './generic.js';
import { githubSource } from './github.js';
import { gitlabSource } from './gitlab.js';
import { jenkinsSource } from './jenkins.js';
import { kosliSource } from './kosli.js';
import { kosliWebhookSource } from './kosli-webhook.js';
import { secobserveSource } from './secobserve.js';
import type { PollingSource, WebhookSource } from './source.js';

type Kind = SourceConfig['kind'];

type OfKind<K extends Kind> = Extract<SourceConfig, { kind: K }>;

const WEBHOOK_SOURCES: { [K in Kind]?: WebhookSource<OfKind<K>> } = {
  generic: genericSource,
  github: githubSource,
  gitlab: gitlabSource,
  jenkins: jenkinsSource,
  'kosli-webhook': kosliWebhookSource,
  'defectdojo-webhook': defectdojoWebhookSource,
};

const POLLING_SOURCES: { [K in Kind]?: PollingSource<OfKind<K>, any> } = {
  kosli: kosliSource,
  secobserve: secobserveSource,
  defectdojo: defectdojoSource,
  cctray: cctraySource,
};

export function webhookSourceFor(kind: Kind): WebhookSource | undefined {
  return WEBHOOK_SOURCES[kind] as unknown as WebhookSource | undefined;
}

export function pollingSourceFor(kind: Kind): PollingSource | undefined {
  return POLLING_SOURCES[kind] as unknown as PollingSource | undefined;
}

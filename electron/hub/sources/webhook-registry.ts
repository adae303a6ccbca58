// Which kinds receive webhooks: one entry per kind. Apart from the polled kinds
// (registry.ts), so the ingress thread loads only what it parses.
import type { SourceConfig } from '../../../shared/config.js';
import { chainloopWebhookSource } from './chainloop-webhook.js';
import { defectdojoWebhookSource } from './defectdojo-webhook.js';
import { devtronSource } from './devtron-webhook.js';
import { genericSource } from './generic.js';
import { githubSource } from './github.js';
import { gitlabSource } from './gitlab.js';
import { jenkinsSource } from './jenkins.js';
import { kosliWebhookSource } from './kosli-webhook.js';
import type { WebhookSource } from './source.js';

type Kind = SourceConfig['kind'];
type OfKind<K extends Kind> = Extract<SourceConfig, { kind: K }>;

const WEBHOOK_SOURCES: { [K in Kind]?: WebhookSource<OfKind<K>> } = {
  generic: genericSource,
  github: githubSource,
  gitlab: gitlabSource,
  jenkins: jenkinsSource,
  'kosli-webhook': kosliWebhookSource,
  'defectdojo-webhook': defectdojoWebhookSource,
  'chainloop-webhook': chainloopWebhookSource,
  devtron: devtronSource,
};

export function webhookSourceFor(kind: Kind): WebhookSource | undefined {
  return WEBHOOK_SOURCES[kind] as unknown as WebhookSource | undefined;
}

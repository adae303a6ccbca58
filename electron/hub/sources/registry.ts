// Which kinds are polled (one entry per kind); webhook kinds are in webhook-registry.ts.
import type { SourceConfig } from '../../../shared/config.js';
import { cctraySource } from './cctray.js';
import { defectdojoSource } from './defectdojo.js';
import { devtronPollSource } from './devtron-poll.js';
import { githubActionsSource } from './github-actions.js';
import { gitlabCiSource } from './gitlab-ci.js';
import { kosliSource } from './kosli.js';
import { secobserveSource } from './secobserve.js';
import { chainloopAuditSource } from './chainloop-audit.js';
import type { PollingSource, SubscribingSource } from './source.js';

export { webhookSourceFor } from './webhook-registry.js';

type Kind = SourceConfig['kind'];

type OfKind<K extends Kind> = Extract<SourceConfig, { kind: K }>;

const POLLING_SOURCES: { [K in Kind]?: PollingSource<OfKind<K>, any> } = {
  kosli: kosliSource,
  secobserve: secobserveSource,
  defectdojo: defectdojoSource,
  cctray: cctraySource,
  'devtron-poll': devtronPollSource,
  'github-actions': githubActionsSource,
  'gitlab-ci': gitlabCiSource,
};

export function pollingSourceFor(kind: Kind): PollingSource | undefined {
  return POLLING_SOURCES[kind] as unknown as PollingSource | undefined;
}

/** Kinds that hold a connection open and are pushed messages (neither webhooks nor polls). */
const SUBSCRIBING_SOURCES: { [K in Kind]?: SubscribingSource<OfKind<K>> } = {
  'chainloop-audit': chainloopAuditSource,
};

export function subscribingSourceFor(kind: Kind): SubscribingSource | undefined {
  return SUBSCRIBING_SOURCES[kind] as unknown as SubscribingSource | undefined;
}

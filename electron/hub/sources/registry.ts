// Which kinds are polled (one entry per kind); webhook kinds are in webhook-registry.ts.
import type { SourceConfig } from '../../../shared/config.js';
import { cctraySource } from './cctray.js';
import { defectdojoSource } from './defectdojo.js';
import { githubActionsSource } from './github-actions.js';
import { gitlabCiSource } from './gitlab-ci.js';
import { kosliSource } from './kosli.js';
import { secobserveSource } from './secobserve.js';
import type { PollingSource } from './source.js';

export { webhookSourceFor } from './webhook-registry.js';

type Kind = SourceConfig['kind'];

type OfKind<K extends Kind> = Extract<SourceConfig, { kind: K }>;

const POLLING_SOURCES: { [K in Kind]?: PollingSource<OfKind<K>, any> } = {
  kosli: kosliSource,
  secobserve: secobserveSource,
  defectdojo: defectdojoSource,
  cctray: cctraySource,
  'github-actions': githubActionsSource,
  'gitlab-ci': gitlabCiSource,
};

export function pollingSourceFor(kind: Kind): PollingSource | undefined {
  return POLLING_SOURCES[kind] as unknown as PollingSource | undefined;
}

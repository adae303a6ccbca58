// What a user pastes into the sending tool, per source kind: the URL (with a placeholder
// where a secret must go — the api never returns the secret itself) and a one-paragraph
// hint on where the secret goes and which events to tick.
import type { SourceConfig } from '../../../shared/config.js';
import { DEVTRON_SECRET_HEADER } from '../../../shared/devtron-payload.js';
import { relayUrlOf } from '../ingress/relays.js';

/** Stands for the source's secret in a URL; the hint says to replace it. */
export const TOKEN_PLACEHOLDER = '<token>';

/** Kinds whose sender can set no header of its own, so the URL shown carries the token. */
const TOKEN_IN_PATH: ReadonlySet<SourceConfig['kind']> = new Set(['jenkins', 'kosli-webhook', 'chainloop-webhook']);

export function ingressUrlOf(source: SourceConfig, base: string): string {
  const url = `${base.replace(/\/$/, '')}/hooks/${source.id}`;
  // The Jenkins Notification plugin, Kosli's custom webhook and Chainloop's webhook integration take only a URL: the token travels in the path.
  return TOKEN_IN_PATH.has(source.kind) ? `${url}/${TOKEN_PLACEHOLDER}` : url;
}

export function ingressHintOf(source: SourceConfig): string | undefined {
  const relay = relayUrlOf(source);
  const target = relay
    ? `Payload URL: the relay URL (${relay}), not the ingress URL — Herald subscribes to the relay, so this hub needs no public address.`
    : 'Payload URL: the ingress URL above.';
  switch (source.kind) {
    case 'github':
      return `In GitHub: Settings → Webhooks → Add webhook. ${target} Content type: application/json. Secret: this source's secret. Events: Workflow runs and Workflow jobs, Deployment statuses; or Check suites for CI apps other than Actions (not both, or Actions reports twice).`;
    case 'gitlab':
      return `In GitLab: Settings → Webhooks → Add new webhook. ${relay ? target : 'URL: the ingress URL above.'} Secret token: this source's secret. Triggers: Pipeline events, Job events, Deployment events.`;
    case 'jenkins':
      return `In Jenkins (Notification plugin): Job → Job Notifications → Add Endpoint, Format JSON, Protocol HTTP, Event "All Events", URL: the ingress URL with ${TOKEN_PLACEHOLDER} replaced by this source's secret (URL-encoded). Or put the secret in the URL as a password (http://jenkins:<token>@host/hooks/<id>): the plugin sends it as Basic auth. Senders that can set headers may post to the URL without /${TOKEN_PLACEHOLDER} and send the secret as X-Herald-Token instead.`;
    case 'chainloop-webhook':
      return `In Chainloop (control plane v0.148.0 or later): register a webhook integration with the ingress URL, ${TOKEN_PLACEHOLDER} replaced by this source's secret (URL-encoded) — chainloop integration registered add webhook --name herald --opt url=<that URL> — and attach it to your workflows (send_attestation on; send_sbom only if the SBOMs fit the ingress body limit). Chainloop checks the URL with a TEST_WEBHOOK when registering: Herald answers 202 and shows it as the last ignored request.`;
    case 'kosli-webhook':
      return `In Kosli: Settings → Notifications → create a notification setting (a name, the environments, the events you want) with a custom webhook. Webhook URL: the ingress URL with ${TOKEN_PLACEHOLDER} replaced by this source's secret (URL-encoded): Kosli takes only a URL, no header.`;
    case 'defectdojo-webhook':
      return `In DefectDojo (as an admin): add a notification webhook. URL: the ingress URL above. Its one custom header: name Authorization, value Bearer and this source's secret (or name X-Herald-Token, value the secret alone). Then pick Webhook for the events you want in DefectDojo's notification settings.`;
    case 'devtron':
      return `In Devtron: Global Configurations → Notifications → Configurations → Add Webhook. Webhook URL: the ingress URL above. Headers: ${DEVTRON_SECRET_HEADER}: this source's secret. Data to be shared through webhook: the payload below (every Devtron variable). Then, on the Notifications tab, add a notification for your pipelines and their events (Trigger, Success, Failure) with this webhook as the recipient.`;
    default:
      return undefined;
  }
}

// What a user pastes into the sending tool, per source kind: the URL (with a placeholder
// where a secret must go — the api never returns the secret itself) and a one-paragraph
// hint on where the secret goes and which events to tick.
import type { SourceConfig } from '../../../shared/config.js';
import { relayUrlOf } from '../ingress/relays.js';

/** Stands for the source's secret in a URL; the hint says to replace it. */
export const TOKEN_PLACEHOLDER = '<token>';

export function ingressUrlOf(source: SourceConfig, base: string): string {
  const url = `${base.replace(/\/$/, '')}/hooks/${source.id}`;
  // The Jenkins Notification plugin sends no custom headers: the token travels in the path.
  return source.kind === 'jenkins' ? `${url}/${TOKEN_PLACEHOLDER}` : url;
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
    default:
      return undefined;
  }
}

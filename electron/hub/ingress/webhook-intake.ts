// What the webhook receiver needs from the running hub (ingress/receiver.ts's deps): the
// live sources and their secret, the ingestor, the body cap, and a note of the last
// verified request each source ignored (a GitHub ping…) — answered 2xx, stored nowhere,
// shown in the UI.
import type { LiveConfig } from '../config/live-config.js';
import { type SecretStore, secretRefsOf } from '../config/secrets.js';
import { ackOf, type Ingestor } from '../ingest.js';
import type { IngestItem } from '../store/ingest-transaction.js';
import type { IngressDeps } from './listener.js';

export interface WebhookIntake {
  receiver: IngressDeps & { maxBodyBytes: () => number };
  /** The last verified request a source ignored, with why. */
  lastIgnored(sourceId: string): { at: string; reason: string } | undefined;
}

export function startWebhookIntake(deps: {
  live: LiveConfig;
  secrets: SecretStore;
  ingestor: Ingestor;
  onIgnored: () => void;
  log: (line: string) => void;
}): WebhookIntake {
  const ignored = new Map<string, { at: string; reason: string }>();
  return {
    receiver: {
      source: (id) => deps.live.source(id),
      resolveSecret: async (source) => {
        const refs = secretRefsOf(source);
        if (refs.length === 0) throw new Error('the source has no secret configured');
        return deps.secrets.resolve(refs[0]!.ref);
      },
      sources: () => deps.live.current.sources,
      ingest: (item: IngestItem) => deps.ingestor.submit(item).then(ackOf),
      maxBodyBytes: () => deps.live.current.settings.ingress.maxBodyBytes,
      onIgnored: (source, reason) => {
        ignored.set(source.id, { at: new Date().toISOString(), reason });
        deps.onIgnored();
        deps.log(`ingress: ${source.id} (${source.kind}) ignored a request: ${reason}`);
      },
    },
    lastIgnored: (sourceId) => ignored.get(sourceId),
  };
}

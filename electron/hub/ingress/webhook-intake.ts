// What the webhook receiver needs from the running hub (ingress/receiver.ts's deps): the
// live sources and their secret, the ingestor, the body cap, a note of the last verified
// request each source ignored (a GitHub ping…) — answered 2xx, stored nowhere — and the
// requests it refused (wrong or unset secret, bad payload), both shown in the UI.
import type { LiveConfig } from '../config/live-config.js';
import { type SecretStore, secretRefsOf } from '../config/secrets.js';
import type { RejectedRequest } from '../../../shared/api.js';
import { ackOf, type Ingestor } from '../ingest.js';
import type { IngestItem } from '../store/ingest-transaction.js';
import type { IngressDeps } from './listener.js';
import { RefusalTracker } from './refusals.js';

export interface WebhookIntake {
  receiver: IngressDeps & { maxBodyBytes: () => number };
  /** The last verified request a source ignored, with why. */
  lastIgnored(sourceId: string): { at: string; reason: string } | undefined;
  /** The requests a source refused: the last one and how many in the last hour. */
  refusals(sourceId: string): { lastRejected?: RejectedRequest; rejectedLastHour?: number };
  stop(): void;
}

export function startWebhookIntake(deps: {
  live: LiveConfig;
  secrets: SecretStore;
  ingestor: Ingestor;
  /** A request was ignored or refused: the views change. */
  onChanged: () => void;
  log: (line: string) => void;
}): WebhookIntake {
  const ignored = new Map<string, { at: string; reason: string }>();
  // Logged sparingly (refusals.ts); only for sources that exist.
  const refusals = new RefusalTracker({ log: deps.log, onChange: deps.onChanged });
  const recordRefusal = (sourceId: string, last: RejectedRequest, count = 1) => {
    if (deps.live.source(sourceId)) refusals.record(sourceId, last, count);
  };
  deps.live.onChange(({ config, section }) => {
    if (section === 'sources') refusals.retain(new Set(config.sources.map((s) => s.id)));
  });
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
        deps.onChanged();
        deps.log(`ingress: ${source.id} (${source.kind}) ignored a request: ${reason}`);
      },
      onRefused: recordRefusal,
      onRefusedBatch: recordRefusal,
    },
    lastIgnored: (sourceId) => ignored.get(sourceId),
    refusals: (sourceId) => refusals.view(sourceId),
    stop: () => refusals.stop(),
  };
}

// Why a source needs the user, beyond its poll or relay health: a secret that does not
// resolve (it cannot verify or poll anything), or a last request that ingress refused (a
// sender with the wrong secret, a payload it cannot read). The hub puts this on each
// source's view and in its status, so the Sources page and the sidebar say the same.
import type { RejectedRequest } from './api.js';

export interface SourceAttentionInput {
  enabled: boolean;
  needsSecret?: string | undefined;
  lastRejected?: RejectedRequest | undefined;
  /** When the source's last event was stored, or a verified request was answered without one (ISO). */
  lastAcceptedAt?: string | null | undefined;
}

export function sourceAttention(source: SourceAttentionInput): string | undefined {
  if (!source.enabled) return undefined;
  if (source.needsSecret) return `needs its secret (${source.needsSecret})`;
  const rejected = source.lastRejected;
  if (rejected && (!source.lastAcceptedAt || Date.parse(rejected.at) >= Date.parse(source.lastAcceptedAt))) {
    return `refused its last request: ${rejected.status} ${rejected.reason}`;
  }
  return undefined;
}

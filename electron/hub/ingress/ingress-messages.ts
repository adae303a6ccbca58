// Messages between the hub's main thread and the ingress thread (ingress-thread.ts).
import type { RejectedRequest } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import type { IngestItem } from '../store/ingest-transaction.js';

export interface ThreadStart {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Longest a question to the main thread (a secret, a commit) waits before its request is answered 503. */
  requestTimeoutMs: number;
  sources: SourceConfig[];
  /** What is wrong with the store now (`GET /healthz` answers 503 naming it), or undefined. */
  storeProblem?: string;
}

export type ThreadToMain =
  | { t: 'listening'; port: number }
  | { t: 'failed'; message: string; code?: string }
  /** The resolved secret of a source, answered with `answer` (value or error). */
  | { t: 'secret'; id: number; sourceId: string }
  /** Store durably, answered with `answer` (an IngestAck or error) after the commit. */
  | { t: 'ingest'; id: number; item: IngestItem }
  /** Several `ingest`s that were ready at once: one message instead of one each. */
  | { t: 'ingests'; items: Array<{ id: number; item: IngestItem }> }
  | { t: 'ignored'; sourceId: string; reason: string }
  /** Refused requests since the last batch, per source id: how many, and the last one. */
  | { t: 'refused'; items: Array<{ sourceId: string; count: number; last: RejectedRequest }> }
  | { t: 'closed' };

export type Answer = { id: number; value?: unknown; error?: string };

export type MainToThread =
  | ({ t: 'answer' } & Answer)
  /** The answers ready at once (a group commit acknowledges many requests): one message instead of one each. */
  | { t: 'answers'; items: Answer[] }
  | { t: 'sources'; sources: SourceConfig[] }
  | { t: 'secrets-changed' }
  /** The store's problem changed (set, or cleared: undefined): `GET /healthz` follows it. */
  | { t: 'store-problem'; problem?: string }
  /** The hub went quiet after a burst: collect garbage (when --expose-gc is on). */
  | { t: 'gc' }
  | { t: 'close' };

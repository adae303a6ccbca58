// What happens to one received webhook, whatever carried it (the ingress listener or the
// relay client): find the source, verify, parse, validate, store durably, answer.
import type { RejectedRequest } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import { describeZodError, EventInputSchema } from '../../../shared/event.js';
import type { IngestAck } from '../ingest.js';
import { storedRaw } from '../store/raw-payload.js';
import type { IngestItem } from '../store/ingest-transaction.js';
import { webhookSourceFor } from '../sources/webhook-registry.js';
import { formPayloadJson, isFormEncoded, jsonBodyProblem } from './json-body.js';
import type { IncomingRequest } from '../sources/source.js';

export interface ReceiverDeps {
  source: (id: string) => SourceConfig | undefined;
  /** Resolves the source's secret ref (keychain or env). */
  resolveSecret: (source: SourceConfig) => Promise<string>;
  /** Stores durably (resolves after the commit); pipeline streaks are applied there, inside the ingest transaction. */
  ingest: (item: IngestItem) => Promise<IngestAck>;
  /** A verified request Herald does not map (a ping, an unhandled action): answered 2xx, nothing stored. */
  onIgnored?: (source: SourceConfig, reason: string) => void;
  /** The body size cap, for carriers other than the listener (which enforces it itself): the relay. */
  maxBodyBytes?: () => number;
  /**
   * A request to this source id was refused (4xx/5xx), as its sender was answered: the
   * Sources page shows it. Not called for unknown source ids at the receiver.
   */
  onRefused?: (sourceId: string, refusal: RejectedRequest) => void;
}

/**
 * Tells deps.onRefused (if any) and returns the refusal. `recorded`, when given, is what the
 * Sources page shows instead: where the hub keeps a source's secret (a file path, a
 * variable or keychain name) is for its owner, not for whoever sent the request.
 */
export function reportRefusal(deps: Pick<ReceiverDeps, 'onRefused'>, sourceId: string, status: number, error: string, recorded = error): ReceiverAnswer {
  deps.onRefused?.(sourceId, { at: new Date().toISOString(), status, reason: recorded });
  return refuse(status, error);
}

export interface ReceiverAnswer {
  status: number;
  body: Record<string, unknown>;
}

const answer = (status: number, body: Record<string, unknown>): ReceiverAnswer => ({ status, body });
const refuse = (status: number, error: string): ReceiverAnswer => answer(status, { error });

export async function receiveWebhook(deps: ReceiverDeps, sourceId: string, request: IncomingRequest): Promise<ReceiverAnswer> {
  const source = deps.source(sourceId);
  if (!source) return refuse(404, `unknown source "${sourceId}"`);
  // From here on the request was meant for a configured source: a refusal is reported.
  const refused = (status: number, error: string, recorded?: string) => reportRefusal(deps, sourceId, status, error, recorded);
  const limit = deps.maxBodyBytes?.();
  if (limit !== undefined && request.body.length > limit) return refused(413, `body larger than the limit of ${limit} bytes`);
  if (!source.enabled) return refused(403, `source "${sourceId}" is paused`);
  const handler = webhookSourceFor(source.kind);
  if (!handler) return refused(405, `source "${sourceId}" (${source.kind}) is polled, it does not take webhooks`);
  const form = isFormEncoded(request.headers['content-type']);
  if (form && !handler.formEncoded) {
    return refused(415, `content type must be application/json, got "${request.headers['content-type']}" (only GitHub sends form-encoded webhooks)`);
  }

  let secret: string;
  try {
    secret = await deps.resolveSecret(source);
  } catch (error) {
    // The sender (any host that can reach ingress) learns that, not the file, variable or keychain entry.
    return refused(503, `the secret of source "${sourceId}" is unavailable on this hub; send again later`, `the secret of source "${sourceId}" is unavailable: ${(error as Error).message}`);
  }
  if (!handler.verify(request, secret, source)) return refused(401, 'signature or token missing or wrong');

  // Before any source parses it: UTF-8, no lone surrogates, bounded nesting (json-body.ts).
  const problem = bodyProblem(request.body, form);
  if (problem) return refused(400, problem);

  const parsed = handler.parse(request, source);
  if (parsed.kind === 'invalid') return refused(400, parsed.reason);
  if (parsed.kind === 'ignored') {
    deps.onIgnored?.(source, parsed.reason);
    return answer(202, { ignored: parsed.reason });
  }
  // Sources are code we trust less than the schema: validate what they produced too
  // (the generic source's parse is that same schema: no need to run it twice).
  for (const [i, event] of (source.kind === 'generic' ? [] : parsed.events).entries()) {
    const check = EventInputSchema.safeParse(event);
    if (!check.success) return refused(400, `event ${i}: ${describeZodError(check.error)}`);
  }
  try {
    const outcome = await deps.ingest({
      source: { kind: source.kind, id: source.id, name: source.name },
      inputs: parsed.events,
      ...(parsed.deliveryId !== undefined && { deliveryId: parsed.deliveryId }),
      // The payload as the source sent it, for the event detail: a JSON body is kept as the
      // text that arrived (parse succeeded, so it is valid JSON; no re-serialization). Put in
      // its stored form here, where the request is handled (the ingress thread), not in the commit.
      ...(rawFor(request.body, parsed.raw, parsed.rawIsDecoded === true) ?? {}),
    });
    if (outcome.status === 'duplicate') return answer(200, { duplicate: true });
    return answer(202, { accepted: outcome.ids.length, ids: outcome.ids });
  } catch (error) {
    return refused(503, (error as Error).message);
  }
}

function bodyProblem(body: Buffer, form: boolean): string | undefined {
  if (!form) return jsonBodyProblem(body);
  const payload = formPayloadJson(body);
  return 'problem' in payload ? payload.problem : jsonBodyProblem(payload.json);
}

function rawFor(body: Buffer, parsedRaw: unknown, decoded: boolean): Pick<IngestItem, 'rawStored'> | undefined {
  const stored = storedRaw(parsedRaw, !decoded && isJsonText(body) ? body.toString('utf8') : undefined);
  return stored === null ? undefined : { rawStored: stored };
}

/** A body whose first non-blank byte opens a JSON object or array (GitHub may also send form-encoded). */
function isJsonText(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

// The generic source: Herald's own event JSON (one event or an array), authenticated by
// `Authorization: Bearer <secret>` or `X-Herald-Signature-256: sha256=<hex HMAC of the body>`.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { SourceConfig } from '../../../shared/config.js';
import { describeZodError, EventInputSchema } from '../../../shared/event.js';
import { bearerToken, secretsEqual } from '../secret-compare.js';
import type { IncomingRequest, ParseResult, WebhookSource } from './source.js';

const MAX_EVENTS_PER_REQUEST = 1000;
const BodySchema = z.union([EventInputSchema, z.array(EventInputSchema).min(1).max(MAX_EVENTS_PER_REQUEST)]);

export function hmacSha256Hex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export const genericSource: WebhookSource<Extract<SourceConfig, { kind: 'generic' }>> = {
  kind: 'generic',
  testRequest: (secret) => ({ headers: { authorization: `Bearer ${secret}` } }),

  verify(request: IncomingRequest, secret: string): boolean {
    const signature = request.headers['x-herald-signature-256'];
    if (signature !== undefined) return secretsEqual(signature, `sha256=${hmacSha256Hex(secret, request.body)}`);
    const token = bearerToken(request.headers.authorization);
    return token !== undefined && secretsEqual(token, secret);
  },

  parse(request: IncomingRequest): ParseResult {
    let json: unknown;
    try {
      json = JSON.parse(request.body.toString('utf8'));
    } catch (error) {
      return { kind: 'invalid', reason: `body is not valid JSON: ${(error as Error).message}` };
    }
    const parsed = BodySchema.safeParse(json);
    if (!parsed.success) {
      // Explain against the shape the sender meant (one event or an array), not the union.
      const meant = Array.isArray(json) ? z.array(EventInputSchema).min(1).max(MAX_EVENTS_PER_REQUEST) : EventInputSchema;
      const detail = meant.safeParse(json);
      return { kind: 'invalid', reason: `not a Herald event: ${describeZodError(detail.error ?? parsed.error)}` };
    }
    const events = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
    const deliveryId = request.headers['x-herald-delivery'];
    return { kind: 'events', events, raw: json, ...(deliveryId && { deliveryId }) };
  },
};

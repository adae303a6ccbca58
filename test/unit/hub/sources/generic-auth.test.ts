// The generic source's two ways in: a Bearer token or an HMAC of the body. Both compared
// in constant time over hashes, so neither the secret nor its length shows in the timing.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { IncomingRequest } from '../../../../electron/hub/sources/source.js';
import { webhookSourceFor } from '../../../../electron/hub/sources/webhook-registry.js';

const generic = webhookSourceFor('generic')!;
const secret = 'gen-s3cret';
const body = Buffer.from(JSON.stringify({ type: 'pipeline.failed', title: 'x' }));
const request = (headers: Record<string, string>): IncomingRequest => ({ headers, body, pathRest: '' });
const signature = (key: string, bytes = body) => `sha256=${createHmac('sha256', key).update(bytes).digest('hex')}`;

describe('generic source: authentication', () => {
  it.each([
    ['Authorization: Bearer <secret>', { authorization: `Bearer ${secret}` }, true],
    ['the scheme in lower case', { authorization: `bearer ${secret}` }, true],
    ['X-Herald-Signature-256 over the body', { 'x-herald-signature-256': signature(secret) }, true],
    ['a wrong token', { authorization: 'Bearer nope' }, false],
    ['the secret as a prefix only', { authorization: `Bearer ${secret.slice(0, -1)}` }, false],
    ['an empty bearer', { authorization: 'Bearer ' }, false],
    ['another scheme', { authorization: `Basic ${secret}` }, false],
    ['a signature with another key', { 'x-herald-signature-256': signature('other') }, false],
    ['a signature of another body', { 'x-herald-signature-256': signature(secret, Buffer.from('{}')) }, false],
    ['a signature without its sha256= prefix', { 'x-herald-signature-256': signature(secret).slice(7) }, false],
    ['a wrong signature next to a right token (the signature decides)', { 'x-herald-signature-256': 'sha256=00', authorization: `Bearer ${secret}` }, false],
    ['nothing', {}, false],
  ])('%s → %s', (_name, headers, ok) => {
    expect(generic.verify(request(headers), secret, {} as never)).toBe(ok);
  });
});

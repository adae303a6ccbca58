import { describe, expect, it } from 'vitest';
import {
  CHANNEL_LIMITS,
  classifyHttpResponse,
  describeFetchError,
  parseRetryAfter,
  redactUrl,
  serviceErrorText,
} from '../../../../electron/hub/channels/http.js';

const NOW = Date.parse('2025-05-01T12:00:00Z');

describe('classifyHttpResponse', () => {
  const rows: [number, Record<string, string>, string, { kind: string; reason?: string; afterMs?: number }][] = [
    [200, {}, 'ok', { kind: 'ok' }],
    [204, {}, '', { kind: 'ok' }],
    [408, {}, '', { kind: 'retry', reason: 'HTTP 408: Request Timeout' }],
    [425, {}, '', { kind: 'retry', reason: 'HTTP 425: Too Early' }],
    [429, { 'retry-after': '7' }, 'rate_limited', { kind: 'retry', reason: 'HTTP 429: rate_limited', afterMs: 7000 }],
    [429, { 'retry-after': 'Thu, 01 May 2025 12:00:30 GMT' }, '', { kind: 'retry', reason: 'HTTP 429: Too Many Requests', afterMs: 30_000 }],
    [429, {}, '{"message":"You are being rate limited.","retry_after":1.25,"global":false}', { kind: 'retry', reason: 'HTTP 429: You are being rate limited.', afterMs: 1250 }],
    [500, {}, 'rollup_error', { kind: 'retry', reason: 'HTTP 500: rollup_error' }],
    [502, { 'content-type': 'text/html' }, '<html><head><title>502</title><style>p{}</style></head><body><h1>Bad   Gateway</h1></body></html>', { kind: 'retry', reason: 'HTTP 502: 502 Bad Gateway' }],
    [400, {}, 'invalid_payload', { kind: 'fail', reason: 'HTTP 400: invalid_payload' }],
    [400, {}, '{"error":{"code":"BadRequest","message":"Card is malformed"}}', { kind: 'fail', reason: 'HTTP 400: Card is malformed' }],
    [403, {}, 'action_prohibited', { kind: 'fail', reason: 'HTTP 403: action_prohibited' }],
    [404, {}, '{"message": "Unknown Webhook", "code": 10015}', { kind: 'fail', reason: 'HTTP 404: Unknown Webhook' }],
    [410, {}, 'channel_is_archived', { kind: 'fail', reason: 'HTTP 410: channel_is_archived' }],
    [413, {}, '', { kind: 'fail', reason: 'HTTP 413: Payload Too Large' }],
  ];
  it.each(rows)('%i %j %j', (status, headers, body, expected) => {
    const result = classifyHttpResponse(status, headers, body, NOW);
    expect(result.kind).toBe(expected.kind);
    if (expected.reason) expect(result).toMatchObject({ reason: expected.reason });
    expect((result as { afterMs?: number }).afterMs).toBe(expected.afterMs);
  });

  it('trims a long error text to about 300 characters', () => {
    const result = classifyHttpResponse(400, {}, 'x'.repeat(5000), NOW);
    expect(result.kind === 'fail' && result.reason.length).toBeLessThanOrEqual(310);
    expect(result.kind === 'fail' && result.reason.endsWith('…')).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  const rows: [string | null, number | undefined][] = [
    ['7', 7000],
    [' 0 ', 0],
    ['1.5', 1500],
    ['Thu, 01 May 2025 12:01:00 GMT', 60_000],
    ['Thu, 01 May 2025 11:00:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ];
  it.each(rows)('%j → %j', (value, expected) => expect(parseRetryAfter(value, NOW)).toBe(expected));
});

describe('serviceErrorText', () => {
  it('collapses whitespace and strips HTML', () => {
    expect(serviceErrorText('<!DOCTYPE html><p>Not\n\n found</p>')).toBe('Not found');
  });
  it('keeps plain text as is', () => expect(serviceErrorText('  no_service ')).toBe('no_service'));
});

const withCause = (code: string, message = `${code} happened`) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });
const URL_WITH_TOKEN = 'https://hooks.slack.com:443/services/T000/B000/XXXXSECRET';

describe('describeFetchError says exactly what went wrong', () => {
  const rows: [string, unknown, string, RegExp][] = [
    ['DNS not found', withCause('ENOTFOUND', 'getaddrinfo ENOTFOUND hooks.slack.com'), 'retry', /^DNS: hooks\.slack\.com not found \(ENOTFOUND\)/],
    ['DNS temporary', withCause('EAI_AGAIN'), 'retry', /^DNS: lookup of hooks\.slack\.com failed temporarily \(EAI_AGAIN\)/],
    ['refused', withCause('ECONNREFUSED'), 'retry', /^connection refused by hooks\.slack\.com/],
    ['refused (happy eyeballs)', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), {}) }), 'retry', /^connection refused/],
    ['reset', withCause('ECONNRESET'), 'retry', /^connection reset by hooks\.slack\.com/],
    ['closed', withCause('UND_ERR_SOCKET', 'other side closed'), 'retry', /^connection closed by hooks\.slack\.com before it answered \(other side closed\)/],
    ['connect timeout', withCause('UND_ERR_CONNECT_TIMEOUT'), 'retry', /^timeout: could not connect/],
    ['unreachable', withCause('ENETUNREACH'), 'retry', /unreachable \(ENETUNREACH\)/],
    ['our timeout', Object.assign(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), 'retry', /^timeout: no answer from hooks\.slack\.com within 5000 ms$/],
    ['cancelled', new DOMException('This operation was aborted', 'AbortError'), 'retry', /^cancelled/],
    ['expired certificate', withCause('CERT_HAS_EXPIRED'), 'fail', /^TLS: the certificate has expired for hooks\.slack\.com \(CERT_HAS_EXPIRED\)$/],
    ['self-signed', withCause('DEPTH_ZERO_SELF_SIGNED_CERT'), 'fail', /^TLS: the certificate is self-signed/],
    ['unknown CA', withCause('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'fail', /^TLS: the certificate is signed by an unknown authority/],
    ['wrong host', withCause('ERR_TLS_CERT_ALTNAME_INVALID'), 'fail', /^TLS: the certificate is for a different host name/],
    ['http port', withCause('ERR_SSL_WRONG_VERSION_NUMBER'), 'fail', /^TLS: the server does not speak TLS/],
    ['other TLS', withCause('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'handshake failure'), 'fail', /^TLS: handshake failure/],
    ['bad header', new TypeError('Headers.append: invalid header value'), 'fail', /^invalid request:/],
    // undici's dispatcher throws its own errors and the socket's, without a cause.
    ['refused (undici)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'retry', /^connection refused by hooks\.slack\.com/],
    ['bad header (undici)', Object.assign(new Error('invalid x-team header'), { name: 'InvalidArgumentError', code: 'UND_ERR_INVALID_ARG' }), 'fail', /^invalid request: invalid x-team header$/],
    ['aborted (undici)', Object.assign(new Error('Request aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }), 'retry', /^cancelled/],
    ['aborted without a name (undici)', Object.assign(new Error('Request aborted'), { code: 'UND_ERR_ABORTED' }), 'retry', /^cancelled/],
  ];
  it.each(rows)('%s', (_name, err, kind, reason) => {
    const result = describeFetchError(err, { url: URL_WITH_TOKEN, timeoutMs: 5000 });
    expect(result.kind).toBe(kind);
    expect(result.kind !== 'ok' && result.reason).toMatch(reason);
    expect(JSON.stringify(result)).not.toContain('SECRET');
  });
  it('redacts the URL wherever an error message quotes it', () => {
    const result = describeFetchError(withCause('EWEIRD', `failed to reach ${URL_WITH_TOKEN}`), { url: URL_WITH_TOKEN });
    expect(result).toEqual({ kind: 'retry', reason: 'network error talking to hooks.slack.com: failed to reach https://hooks.slack.com/services/*** (EWEIRD)' });
  });
});

describe('redactUrl', () => {
  const rows: [string, string][] = [
    ['https://hooks.slack.com/services/T000/B000/XXXX', 'https://hooks.slack.com/services/***'],
    ['https://discord.com/api/webhooks/1234567890/abcDEF-token', 'https://discord.com/api/webhooks/***'],
    [
      'https://prod-12.westus.logic.azure.com:443/workflows/4f1a/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sig=SECRETSIG',
      'https://prod-12.westus.logic.azure.com/workflows/***?api-version=***&sp=***&sig=***',
    ],
    ['https://outlook.office.com/webhook/a-b@c-d/IncomingWebhook/e/f', 'https://outlook.office.com/webhook/***'],
    ['http://user:pass@127.0.0.1:8080/hook', 'http://***@127.0.0.1:8080/hook'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://example.com/SecretToken', 'https://example.com/***'],
    ['not a url', '<invalid URL>'],
  ];
  it.each(rows)('%s', (url, expected) => expect(redactUrl(url)).toBe(expected));
});

describe('CHANNEL_LIMITS', () => {
  it('declares numbers the worker can use', () => {
    for (const [kind, limits] of Object.entries(CHANNEL_LIMITS)) {
      for (const v of Object.values(limits)) expect(v, kind).toBeGreaterThan(0);
    }
  });
});

// The renderer's HTTP transport against a real loopback server speaking the transport:
// POST /api/<method> → JSON, errors as { error: { code, message } }, 401/403 for auth.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/api.js';
import { AuthRequiredError, createHttpBridge, errorFromResponse } from '../../../../renderer/api/http-bridge.js';

describe('errorFromResponse', () => {
  const cases: Array<[number, string, string, string]> = [
    [400, '{"error":{"code":"invalid_input","message":"config.url: Invalid URL"}}', 'ApiError:invalid_input', 'config.url: Invalid URL'],
    [404, '{"error":{"code":"not_found","message":"no event with id \\"x\\""}}', 'ApiError:not_found', 'no event with id "x"'],
    [409, '{"error":{"code":"conflict","message":"delivery 3 is pending"}}', 'ApiError:conflict', 'delivery 3 is pending'],
    [503, '{"error":{"code":"unavailable","message":"no keychain"}}', 'ApiError:unavailable', 'no keychain'],
    [401, '{"error":{"code":"unauthorized","message":"missing or wrong api token"}}', 'AuthRequiredError:401', 'missing or wrong api token'],
    [403, '{"error":{"code":"forbidden","message":"Origin \\"x\\" is not allowed"}}', 'AuthRequiredError:403', 'Origin "x" is not allowed'],
    [502, '<html>Bad gateway</html>', 'ApiError:internal', 'HTTP 502'],
    [400, '{"error":{"code":"made_up"}}', 'ApiError:invalid_input', 'HTTP 400'],
  ];
  it.each(cases)('%d %s', (status, body, kind, message) => {
    const error = errorFromResponse(status, body);
    const described = error instanceof ApiError ? `ApiError:${error.code}` : error instanceof AuthRequiredError ? `AuthRequiredError:${error.status}` : 'other';
    expect(described).toBe(kind);
    expect(error.message).toBe(message);
  });
});

describe('createHttpBridge().invoke', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ url: string; body: unknown; contentType: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', body: JSON.parse(body), contentType: req.headers['content-type'] });
        if (req.url === '/api/events.get') {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'not_found', message: 'no event with id "nope"' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ updated: 3 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('POSTs the input as JSON to /api/<method> and returns the answer', async () => {
    const bridge = createHttpBridge(base);
    await expect(bridge.invoke('events.markRead', { all: true })).resolves.toEqual({ updated: 3 });
    expect(seen.at(-1)).toEqual({ url: '/api/events.markRead', body: { all: true }, contentType: 'application/json' });
  });

  it('turns an error answer into the contract’s ApiError', async () => {
    const bridge = createHttpBridge(base);
    const error = await bridge.invoke('events.get', { id: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'not_found', message: 'no event with id "nope"' });
  });
});

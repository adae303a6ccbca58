// The pollers' HTTP GET against real loopback servers: HTTPS with certificates made by
// openssl (self-signed, unknown CA, expired, wrong host; custom CA and skip-verify),
// refused, timeout, 401/403/404/5xx, bad JSON, ETag and Last-Modified, DRF paging.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classifyNetworkError,
  getAllPages,
  getJson,
  type GetJsonOptions,
  PollError,
} from '../../../../electron/hub/sources/poll-http.js';
import { deadPort, type FakeServer, type Reply, startFakeServer } from '../../../helpers/fake-http.js';
import { type KeyPair, makeTestCerts, type TestCerts } from '../../../helpers/tls-certs.js';

const opts = (extra: Partial<GetJsonOptions> = {}): GetJsonOptions => ({ signal: new AbortController().signal, timeoutMs: 5_000, ...extra });

async function failure(promise: Promise<unknown>): Promise<PollError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PollError);
    return error as PollError;
  }
  throw new Error('expected the request to fail');
}

async function startHttps(pair: KeyPair): Promise<{ url: string; close: () => Promise<void> }> {
  const server = https.createServer({ key: pair.key, cert: pair.cert }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/api/thing`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('TLS against real loopback HTTPS servers', () => {
  let certs: TestCerts;
  const servers: Array<{ close: () => Promise<void> }> = [];
  const serve = async (pair: KeyPair) => {
    const s = await startHttps(pair);
    servers.push(s);
    return s.url;
  };
  beforeAll(() => {
    certs = makeTestCerts();
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('names a self-signed certificate, and accepts it as the custom CA or with skip-verify', async () => {
    const url = await serve(certs.selfSigned);
    const error = await failure(getJson(url, opts()));
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(/self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\): add its CA certificate under tls.caPem/);
    expect(await getJson(url, opts({ tls: { caPem: certs.selfSigned.cert } }))).toMatchObject({ kind: 'json', json: { ok: true } });
    expect(await getJson(url, opts({ tls: { insecureSkipVerify: true } }))).toMatchObject({ kind: 'json', json: { ok: true } });
  });

  it('names an unknown CA, and trusts it once given as tls.caPem', async () => {
    const url = await serve(certs.server);
    const error = await failure(getJson(url, opts()));
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(/issued by an unknown CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/);
    expect(await getJson(url, opts({ tls: { caPem: certs.caPem } }))).toMatchObject({ kind: 'json', json: { ok: true } });
  });

  it('names an expired certificate even from a trusted CA', async () => {
    const url = await serve(certs.expired);
    const error = await failure(getJson(url, opts({ tls: { caPem: certs.caPem } })));
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(/the certificate has expired \(CERT_HAS_EXPIRED\)$/);
    expect(await getJson(url, opts({ tls: { insecureSkipVerify: true } }))).toMatchObject({ kind: 'json' });
  });

  it('names a certificate for another host', async () => {
    const url = await serve(certs.otherHost);
    const error = await failure(getJson(url, opts({ tls: { caPem: certs.caPem } })));
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(/for another host name \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
  });

  it('says when an https URL reaches a plain http server', async () => {
    const plain = await startFakeServer(() => ({ status: 200, body: {} }));
    try {
      const error = await failure(getJson(plain.url.replace('http:', 'https:'), opts()));
      expect(error.kind).toBe('tls');
      expect(error.message).toMatch(/did not answer with TLS|handshake failed/);
    } finally {
      await plain.close();
    }
  });
});

describe('network failures', () => {
  it('connection refused', async () => {
    const port = await deadPort();
    const error = await failure(getJson(`http://127.0.0.1:${port}/api`, opts()));
    expect(error.kind).toBe('refused');
    expect(error.message).toBe(`connection refused by 127.0.0.1:${port} (ECONNREFUSED): is the server running on that port?`);
  });

  it('timeout', async () => {
    const server = await startFakeServer(() => ({ status: 200, hang: true }));
    try {
      const error = await failure(getJson(`${server.url}/slow`, opts({ timeoutMs: 200 })));
      expect(error.kind).toBe('timeout');
      expect(error.message).toBe(`no answer from ${server.url}/slow within 200 ms (timeout)`);
    } finally {
      await server.close();
    }
  });

  it('cancellation', async () => {
    const server = await startFakeServer(() => ({ status: 200, hang: true }));
    try {
      const controller = new AbortController();
      const pending = getJson(`${server.url}/slow`, opts({ signal: controller.signal }));
      setTimeout(() => controller.abort(), 50);
      expect((await failure(pending)).kind).toBe('aborted');
    } finally {
      await server.close();
    }
  });

  // Name resolution would leave this machine, so the classifier gets Node's own error shapes.
  it.each([
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND kosli.invalid' }, 'dns', 'DNS lookup failed for kosli.invalid (ENOTFOUND): check the host name in the URL'],
    [{ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN kosli.invalid' }, 'dns', 'DNS lookup failed for kosli.invalid (EAI_AGAIN): check the host name in the URL'],
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'network', 'connection to kosli.invalid was reset (ECONNRESET)'],
    [{ code: 'EHOSTUNREACH', message: 'no route' }, 'network', 'cannot reach kosli.invalid (EHOSTUNREACH)'],
    [{ code: 'CERT_REVOKED', message: 'revoked' }, 'tls', 'TLS error from https://kosli.invalid/api/v2: the certificate was revoked (CERT_REVOKED): add its CA certificate under tls.caPem, or allow self-signed for a lab server'],
  ])('classifies %o', (error, kind, message) => {
    const classified = classifyNetworkError(Object.assign(new Error(error.message), { code: error.code }), new URL('https://user:pw@kosli.invalid/api/v2?token=secret'));
    expect(classified.kind).toBe(kind);
    expect(classified.message).toBe(message);
    expect(classified.message).not.toMatch(/pw|secret/);
  });
});

describe('HTTP answers', () => {
  let server: FakeServer;
  let etag = '"v1"';
  beforeAll(async () => {
    server = await startFakeServer((req): Reply => {
      const path = req.path.split('?')[0];
      if (path === '/401') return { status: 401, body: { detail: 'Invalid token.' } };
      if (path === '/403') return { status: 403, body: { message: 'no access to org' } };
      if (path === '/404') return { status: 404, body: 'Not Found' };
      if (path === '/500') return { status: 500, body: 'boom' };
      if (path === '/html') return { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>login</html>' };
      if (path === '/etag') {
        if (req.headers['if-none-match'] === etag) return { status: 304 };
        return { status: 200, headers: { etag }, body: { version: etag } };
      }
      if (path === '/modified') {
        if (req.headers['if-modified-since'] === 'Tue, 01 Oct 2024 10:00:00 GMT') return { status: 304 };
        return { status: 200, headers: { 'last-modified': 'Tue, 01 Oct 2024 10:00:00 GMT' }, body: [1] };
      }
      if (path === '/redirect-away') return { status: 302, headers: { location: `${other.url}/landing` } };
      if (path === '/list') {
        const page = Number(new URL(req.path, server.url).searchParams.get('page') ?? '1');
        const results = [{ id: 10 - page * 2 + 2 }, { id: 10 - page * 2 + 1 }];
        // DRF builds `next` with the host it believes it has: here a wrong internal one.
        return { status: 200, body: { count: 10, next: page < 5 ? `http://internal:8000/list?page=${page + 1}` : null, previous: null, results } };
      }
      if (path === '/bad-list') return { status: 200, body: { count: 1, items: [] } };
      return { status: 200, body: { path } };
    });
  });
  let other: FakeServer;
  beforeAll(async () => {
    other = await startFakeServer(() => ({ status: 200, body: { landed: true } }));
  });
  afterAll(async () => {
    await server.close();
    await other.close();
  });

  it.each([
    ['/401', 'auth', /^HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/401: token rejected — check the API token and its permissions \(server says: Invalid token\.\)$/],
    ['/403', 'auth', /^HTTP 403 .*token rejected.*\(server says: no access to org\)$/],
    ['/404', 'not_found', /^HTTP 404 from .*\/404: wrong URL or org\/product\/environment name$/],
    ['/500', 'http', /^HTTP 500 Internal Server Error from .*\/500$/],
    ['/html', 'bad_json', /^response from .*\/html is not valid JSON \(text\/html\): .*; it starts with "<html>login<\/html>"$/],
  ])('%s → %s', async (path, kind, message) => {
    const error = await failure(getJson(`${server.url}${path}`, opts()));
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(message);
  });

  it('sends the tool auth header and remembers ETag: a 304 answers unchanged', async () => {
    const first = await getJson(`${server.url}/etag`, opts({ headers: { authorization: 'Token abc' } }));
    expect(first).toMatchObject({ kind: 'json', json: { version: '"v1"' }, validators: { etag: '"v1"' } });
    expect(server.requests.at(-1)!.headers.authorization).toBe('Token abc');
    const second = await getJson(`${server.url}/etag`, opts({ validators: (first as { validators: object }).validators }));
    expect(second).toMatchObject({ kind: 'unchanged' });
    expect(server.requests.at(-1)!.headers['if-none-match']).toBe('"v1"');
    etag = '"v2"';
    expect(await getJson(`${server.url}/etag`, opts({ validators: { etag: '"v1"' } }))).toMatchObject({ kind: 'json', json: { version: '"v2"' } });
  });

  it('remembers Last-Modified', async () => {
    const first = await getJson(`${server.url}/modified`, opts());
    expect(first).toMatchObject({ kind: 'json', validators: { lastModified: 'Tue, 01 Oct 2024 10:00:00 GMT' } });
    expect(await getJson(`${server.url}/modified`, opts({ validators: { lastModified: 'Tue, 01 Oct 2024 10:00:00 GMT' } }))).toMatchObject({ kind: 'unchanged' });
  });

  it('drops the Authorization header on a redirect to another origin', async () => {
    const answer = await getJson(`${server.url}/redirect-away`, opts({ headers: { authorization: 'Bearer secret' } }));
    expect(answer).toMatchObject({ kind: 'json', json: { landed: true } });
    expect(other.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it("drops every header the tool adds on a redirect to another origin: GitLab's PRIVATE-TOKEN and Devtron's token are credentials too", async () => {
    const headers = { 'private-token': 'glpat-secret', token: 'devtron-secret', 'x-custom': 'kept-home' };
    const answer = await getJson(`${server.url}/redirect-away`, opts({ headers }));
    expect(answer).toMatchObject({ kind: 'json', json: { landed: true } });
    const landed = other.requests.at(-1)!.headers;
    expect(landed['private-token']).toBeUndefined();
    expect(landed.token).toBeUndefined();
    expect(landed['x-custom']).toBeUndefined();
    // At home they are all sent.
    expect(server.requests.at(-1)!.headers).toMatchObject(headers);
  });

  it('walks DRF pages by their query on our own base URL, and stops when told', async () => {
    const all = await getAllPages(new URL(`${server.url}/list?page=1`), { ...opts(), what: 'things', maxPages: 10 });
    expect(all.items.map((i) => (i as { id: number }).id)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(all.truncated).toBe(false);
    const some = await getAllPages(new URL(`${server.url}/list?page=1`), {
      ...opts(),
      what: 'things',
      maxPages: 10,
      enough: (page) => page.some((i) => (i as { id: number }).id <= 7),
    });
    expect(some.items).toHaveLength(4);
    const capped = await getAllPages(new URL(`${server.url}/list?page=1`), { ...opts(), what: 'things', maxPages: 2 });
    expect(capped).toMatchObject({ truncated: true });
    expect(capped.items).toHaveLength(4);
  });

  it('names a missing results list', async () => {
    const error = await failure(getAllPages(new URL(`${server.url}/bad-list`), { ...opts(), what: 'findings', maxPages: 2 }));
    expect(error.kind).toBe('shape');
    expect(error.message).toBe('unexpected response shape: findings.results: expected an array, got nothing (the field is missing)');
  });
});

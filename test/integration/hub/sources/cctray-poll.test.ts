// The cctray poller against a real HTTP server on loopback that serves a scripted sequence
// of feeds with ETag / Last-Modified, as Jenkins, GoCD and TeamCity do.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EventInputSchema } from '../../../../shared/event.js';
import { createCctraySource, parseCctrayFeed, type CctraySourceConfig, type CctrayState } from '../../../../electron/hub/sources/cctray.js';

interface FeedServer {
  url: string;
  requests: IncomingHttpHeaders[];
  serve(xml: string, modified: Date): void;
  close(): Promise<void>;
}

type Handler = (headers: IncomingHttpHeaders, res: ServerResponse) => boolean;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/cc.xml`;
}

/** Serves the current feed with a content ETag; answers 304 when the client's validator matches. */
async function feedServer(guard?: Handler): Promise<FeedServer> {
  let body = '<Projects/>';
  let lastModified = new Date(0);
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    if (guard && !guard(req.headers, res)) return;
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml', etag, 'last-modified': lastModified.toUTCString() }).end(body);
  });
  const url = await listen(server);
  return {
    url,
    requests,
    serve(xml, modified) {
      body = xml;
      lastModified = modified;
    },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const project = (name: string, activity: string, status: string, label: string) =>
  `<Project name="${name}" activity="${activity}" lastBuildStatus="${status}" lastBuildLabel="${label}" lastBuildTime="2025-03-01T1${label.slice(-1)}:00:00Z" webUrl="http://ci.local/${encodeURIComponent(name)}/${label}"/>`;
const feed = (...projects: string[]) => `<?xml version="1.0"?>\n<Projects>\n${projects.join('\n')}\n</Projects>`;

function configFor(url: string, extra: Partial<CctraySourceConfig> = {}): CctraySourceConfig {
  return { id: 'cc', name: 'CI feed', enabled: true, kind: 'cctray', url, pollIntervalSeconds: 60, ...extra };
}

function counting() {
  const counter = { parses: 0 };
  const parse = (xml: string) => {
    counter.parses++;
    return parseCctrayFeed(xml);
  };
  return { counter, source: createCctraySource({ parse }) };
}

const ctx = (config: CctraySourceConfig, secrets: Record<string, string> = {}) => ({ config, secrets, signal: new AbortController().signal, now: new Date('2025-03-01T12:00:00Z') });

describe('cctray poller on loopback', () => {
  it('emits only on transitions, honours ETag (a 304 costs no parse) and survives a state round trip', async () => {
    const server = await feedServer();
    const { counter, source } = counting();
    const config = configFor(server.url);
    const A = 'app :: build';
    const B = 'app :: deploy';

    // 1. Baseline: no events, however many projects.
    server.serve(feed(project(A, 'Sleeping', 'Success', '1'), project(B, 'Sleeping', 'Failure', '5')), new Date('2025-03-01T10:00:00Z'));
    let r = await source.poll(ctx(config), undefined);
    expect(r.events).toEqual([]);
    expect(Object.keys(r.state.projects)).toEqual([A, B]);
    expect(r.state.etag).toMatch(/^"[0-9a-f]{40}"$/);
    expect(server.requests[0]!['if-none-match']).toBeUndefined();
    expect(counter.parses).toBe(1);

    // 2. Unchanged feed: validators go out, the server answers 304, nothing is parsed.
    const before = r.state;
    r = await source.poll(ctx(config), r.state);
    expect(server.requests[1]!['if-none-match']).toBe(before.etag);
    expect(server.requests[1]!['if-modified-since']).toBe(new Date('2025-03-01T10:00:00Z').toUTCString());
    expect(r.events).toEqual([]);
    expect(r.state).toEqual(before);
    expect(counter.parses).toBe(1);

    // 3. A starts building.
    server.serve(feed(project(A, 'Building', 'Success', '1'), project(B, 'Sleeping', 'Failure', '5')), new Date('2025-03-01T11:00:00Z'));
    r = await source.poll(ctx(config), r.state);
    expect(r.events.map((e) => [e.type, e.subject?.pipeline])).toEqual([['pipeline.triggered', A]]);
    expect(counter.parses).toBe(2);

    // 4. A failed (new label); B started.
    server.serve(feed(project(A, 'Sleeping', 'Failure', '2'), project(B, 'Building', 'Failure', '5')), new Date('2025-03-01T11:10:00Z'));
    r = await source.poll(ctx(config), r.state);
    expect(r.events.map((e) => [e.type, e.subject?.pipeline])).toEqual([
      ['pipeline.failed', A],
      ['pipeline.triggered', B],
    ]);
    expect(r.events[0]).toMatchObject({ subject: { project: 'app' }, url: 'http://ci.local/app%20%3A%3A%20build/2', summary: 'Build 2 ended Failure (was Success).' });

    // 5. B succeeded; C appears (silently: its first sighting is its baseline).
    server.serve(
      feed(project(A, 'Sleeping', 'Failure', '2'), project(B, 'Sleeping', 'Success', '6'), project('other', 'Sleeping', 'Failure', '9')),
      new Date('2025-03-01T11:20:00Z'),
    );
    r = await source.poll(ctx(config), r.state);
    expect(r.events.map((e) => [e.type, e.subject?.pipeline])).toEqual([['pipeline.succeeded', B]]);
    for (const e of r.events) EventInputSchema.parse(e);

    // 6. The hub persists state as JSON: after a "restart" the same feed is still a 304, no repeat.
    const restored = JSON.parse(JSON.stringify(r.state)) as CctrayState;
    const parsesBefore = counter.parses;
    r = await source.poll(ctx(config), restored);
    expect(r.events).toEqual([]);
    expect(counter.parses).toBe(parsesBefore);
    expect(server.requests.at(-1)!['if-none-match']).toBe(restored.etag);
  });

  it('sends basic auth from the password secret and bearer auth from the token secret', async () => {
    const server = await feedServer((headers, res) => {
      const ok = headers.authorization === `Basic ${Buffer.from('ci-bot:pa:ss').toString('base64')}` || headers.authorization === 'Bearer t0ken';
      if (!ok) res.writeHead(401, { 'www-authenticate': 'Basic realm="ci"' }).end();
      return ok;
    });
    server.serve(feed(project('x', 'Sleeping', 'Success', '1')), new Date());
    const source = createCctraySource();

    const basic = configFor(server.url, { username: 'ci-bot', password: 'keychain:cc-pass' });
    await expect(source.poll(ctx(basic, { password: 'pa:ss' }), undefined)).resolves.toMatchObject({ events: [] });
    expect(server.requests.at(-1)!.authorization).toBe(`Basic ${Buffer.from('ci-bot:pa:ss').toString('base64')}`);

    const bearer = configFor(server.url, { token: 'env:CC_TOKEN' });
    await source.poll(ctx(bearer, { token: 't0ken' }), undefined);
    expect(server.requests.at(-1)!.authorization).toBe('Bearer t0ken');

    await expect(source.poll(ctx(basic, { password: 'wrong' }), undefined)).rejects.toThrow(/answered HTTP 401: check the username\/password or token/);
    await expect(source.poll(ctx(configFor(server.url)), undefined)).rejects.toThrow(/HTTP 401: check the credentials \(none are set\)/);
    await expect(source.poll(ctx(bearer, {}), undefined)).rejects.toThrow(/bearer token configured but its secret is not set/);
  });

  it('server down → a clear error naming the feed (without credentials) and the cause', async () => {
    const server = await feedServer();
    const url = server.url.replace('http://', 'http://user:secretpw@') + '?token=abc';
    await server.close();
    const error = await createCctraySource()
      .poll(ctx(configFor(url)), undefined)
      .then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/^cctray feed http:\/\/127\.0\.0\.1:\d+\/cc\.xml is unreachable: ECONNREFUSED/);
    expect(error?.message).not.toContain('secretpw');
    expect(error?.message).not.toContain('abc');
  });

  it.each([
    ['a login page instead of the feed', 200, '<html><body>Sign in</body></html>', /not a cctray feed/],
    ['a server error', 503, 'busy', /answered HTTP 503/],
    ['a missing feed', 404, 'nope', /answered HTTP 404/],
  ])('%s → a clear error', async (_name, status, body, message) => {
    const server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/html' }).end(body));
    const url = await listen(server);
    await expect(createCctraySource().poll(ctx(configFor(url)), undefined)).rejects.toThrow(message);
  });

  it('a feed streamed without Content-Length is cut off at the size limit, not read whole into memory', async () => {
    // A hostile or broken server: chunked, ~40 MB of a valid feed (a comment pads it).
    let written = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<Projects><!--');
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const more = () => {
        while (written < 40 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end('--></Projects>');
      };
      res.on('error', () => undefined);
      more();
    });
    const url = await listen(server);
    await expect(createCctraySource().poll(ctx(configFor(url)), undefined)).rejects.toThrow(/is larger than the 20971520-byte limit$/);
    expect(written).toBeLessThan(40 * 1024 * 1024);
  });

  it('a server that never answers → a timeout error', async () => {
    const server = createServer(() => {
      /* hold the request open */
    });
    const url = await listen(server);
    await expect(createCctraySource({ timeoutMs: 300 }).poll(ctx(configFor(url)), undefined)).rejects.toThrow(/is unreachable: no answer within 300 ms$/);
  });

  it('the hub aborting the poll (ctx.signal) ends it', async () => {
    const server = createServer(() => {});
    const url = await listen(server);
    const ac = new AbortController();
    const poll = createCctraySource().poll({ ...ctx(configFor(url)), signal: ac.signal }, undefined);
    setTimeout(() => ac.abort(), 50);
    await expect(poll).rejects.toThrow(/cancelled/);
  });
});

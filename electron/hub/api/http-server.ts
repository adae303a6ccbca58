// The headless transport of shared/api.ts: `POST /api/<method>` (JSON in, JSON out),
// `GET /api/updates` (server-sent events), and the built renderer. Its own port, never
// the webhook port; a token on every api request; Host and Origin checked so neither a
// foreign page (CSRF) nor a rebound DNS name can reach it.
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { answerJson, ApiError, type ApiErrorCode, apiContract, type ApiHandlers, type ApiMethod, type ApiUpdate, HTTP_TRANSPORT } from '../../../shared/api.js';
import { describeZodError } from '../../../shared/event.js';
import { bearerToken, secretsEqual } from '../secret-compare.js';
import { StoreUnavailable } from '../store/engine.js';

export interface ApiServerOptions {
  host: string;
  port: number;
  token: string;
  handlers: ApiHandlers;
  subscribe: (listener: (update: ApiUpdate) => void) => () => void;
  /** The built renderer (index.html and assets); absent = api only. */
  rendererDir?: string;
  /** Extra Host names allowed besides 127.0.0.1, localhost and [::1] (a reverse proxy's, as it forwards them). */
  allowedHosts?: string[];
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The Host and Origin values a browser sends for this server: `name:port`, and the bare name
 * only on port 80 (the one port browsers leave out of both). A proxy's names as configured.
 */
export function allowedHostsAndOrigins(port: number, extraHosts: readonly string[] = []): { hosts: Set<string>; origins: Set<string> } {
  const loopback = LOOPBACK_NAMES.flatMap((name) => (port === 80 ? [name, `${name}:80`] : [`${name}:${port}`]));
  const extra = extraHosts.map((h) => h.toLowerCase()).flatMap((h) => [h, `${h}:${port}`]);
  const hosts = new Set([...loopback, ...extra]);
  return { hosts, origins: new Set([...hosts].map((h) => `http://${h}`)) };
}

/** Unread live updates a slow client may hold before it is disconnected (it reconnects and refetches). */
const MAX_SSE_BACKLOG_BYTES = 4 * 1024 * 1024;
const STATUS: Record<ApiErrorCode, number> = { invalid_input: 400, not_found: 404, conflict: 409, unavailable: 503, internal: 500 };
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const sameToken = (given: string | undefined, token: string) => given !== undefined && secretsEqual(given, token);

/** How long a signed-in browser stays signed in without using the hub; every use renews it. */
export const SESSION_MAX_AGE_S = 30 * 24 * 3600;
/** The sign-in cookie: HttpOnly (no script reads it), SameSite=Strict (no other site sends it), kept across browser restarts. */
const sessionCookie = (token: string) =>
  `${HTTP_TRANSPORT.tokenCookie}=${encodeURIComponent(token)}; Max-Age=${SESSION_MAX_AGE_S}; HttpOnly; SameSite=Strict; Path=/`;

/**
 * Every value a Cookie header carries under `name`. Several can come (cookies ignore
 * ports: a page on another localhost port may set its own `herald_token` with a longer
 * path, which browsers send first), and a value that is not valid percent-encoding is
 * skipped rather than failing the request.
 */
function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of header?.split(';') ?? []) {
    const [key, ...rest] = part.trim().split('=');
    if (key !== name) continue;
    try {
      values.push(decodeURIComponent(rest.join('=')));
    } catch {
      // not one of ours
    }
  }
  return values;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024, forceCloseConnections: true });
  // Known once listening (port 0 picks one); nothing is served before.
  let allowed = { hosts: new Set<string>(), origins: new Set<string>() };

  const byBearer = (request: FastifyRequest) => sameToken(bearerToken(request.headers.authorization), options.token);
  const byCookie = (request: FastifyRequest) => cookieValues(request.headers.cookie, HTTP_TRANSPORT.tokenCookie).some((value) => sameToken(value, options.token));

  const needsToken = (request: FastifyRequest) => {
    if (request.routeOptions.url?.startsWith('/api')) return true;
    let path = (request.url.split('?')[0] ?? '').toLowerCase();
    try {
      path = decodeURIComponent(path);
    } catch {
      return true; // undecodable: refuse rather than guess
    }
    return path.replace(/\/{2,}/g, '/').startsWith('/api');
  };

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    if (!allowed.hosts.has(host.toLowerCase())) {
      // A browser on another machine lands here: say how it gets in instead.
      const port = request.socket.localPort;
      return reply.code(403).send({
        error: {
          code: 'forbidden',
          message: `Host "${host}" is not allowed: the UI and api answer only to 127.0.0.1, localhost and [::1] (keeping other web pages and DNS-rebinding tricks out); from another machine, use an SSH tunnel: ssh -L ${port}:127.0.0.1:${port} <this host>, then http://127.0.0.1:${port}/`,
        },
      });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !allowed.origins.has(origin.toLowerCase())) {
      return reply.code(403).send({ error: { code: 'forbidden', message: `Origin "${origin}" is not allowed` } });
    }
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    // Judge by the route that matched (the router decodes `%61pi`), and by the decoded path for
    // anything under /api that matched no route: no spelling of the path skips the token.
    const signedIn = byCookie(request);
    if (needsToken(request) && !signedIn && !byBearer(request)) {
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'missing or wrong api token' } });
    }
    // A browser that uses the hub stays signed in: each use renews the cookie's 30 days.
    if (signedIn) reply.header('Set-Cookie', sessionCookie(options.token));
  });

  // Opening the printed URL (`/?token=…`) trades the token for a cookie, then drops it from the address bar.
  app.get('/', async (request: FastifyRequest<{ Querystring: Record<string, string> }>, reply) => {
    const given = request.query[HTTP_TRANSPORT.tokenQuery];
    const hasApp = options.rendererDir !== undefined && existsSync(`${options.rendererDir}/index.html`);
    if (given !== undefined) {
      if (!sameToken(given, options.token)) {
        // Signed in already (an old link, a bookmark): the cookie still counts; drop the link's token.
        if (byCookie(request)) return reply.redirect('/');
        // The app's own signed-out page says what went wrong (it sees the token in the address), with the status scripts expect.
        if (hasApp) return reply.code(401).sendFile('index.html');
        return reply.code(401).type('text/plain').send('wrong token: open the URL Herald printed at start');
      }
      reply.header('Set-Cookie', sessionCookie(options.token));
      return reply.redirect('/');
    }
    if (hasApp) return reply.sendFile('index.html');
    return reply.type('text/plain').send('Herald hub: the UI is not built (npm run build:renderer); the api is at /api/<method>.');
  });

  for (const method of Object.keys(apiContract) as ApiMethod[]) {
    const contract = apiContract[method];
    app.post(HTTP_TRANSPORT.methodPath(method), async (request, reply) => {
      const parsed = contract.input.safeParse(request.body ?? {});
      if (!parsed.success) return sendError(reply, new ApiError('invalid_input', describeZodError(parsed.error)));
      try {
        const handler = options.handlers[method] as (input: unknown) => Promise<unknown>;
        const answer = await handler(parsed.data);
        const json = answerJson(answer);
        return json === undefined ? reply.send(answer) : reply.type('application/json; charset=utf-8').send(json);
      } catch (error) {
        return sendError(reply, error);
      }
    });
  }

  app.get(HTTP_TRANSPORT.updatesPath, (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    raw.write(': connected\n\n');
    // A client that stays connected but stops reading is dropped, not buffered for forever.
    const unsubscribe = options.subscribe((update) => {
      if (raw.writableLength > MAX_SSE_BACKLOG_BYTES) {
        raw.end();
        return;
      }
      raw.write(`data: ${JSON.stringify(update)}\n\n`);
    });
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 25_000);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  if (options.rendererDir && existsSync(options.rendererDir)) {
    await app.register(fastifyStatic, { root: options.rendererDir, index: false, wildcard: true });
  }
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) {
      return reply.code(404).send({ error: { code: 'not_found', message: `no api method ${request.url.slice(5).split('?')[0]}` } });
    }
    // Client-side routes of the single-page app.
    if (request.method === 'GET' && options.rendererDir && existsSync(`${options.rendererDir}/index.html`)) return reply.sendFile('index.html');
    return reply.code(404).send({ error: { code: 'not_found', message: 'not found' } });
  });
  app.setErrorHandler((error, _request, reply) => sendError(reply, error));

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  allowed = allowedHostsAndOrigins(port, options.allowedHosts);
  // Bound to every address (--host 0.0.0.0): the address to open is a loopback one — the only
  // host names the UI answers to; http://0.0.0.0:… would be refused.
  const reachable = options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' || options.host === '[::]' ? '::1' : options.host;
  const host = reachable.includes(':') ? `[${reachable}]` : reachable;
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}

function sendError(reply: FastifyReply, error: unknown) {
  if (error instanceof ApiError) return reply.code(STATUS[error.code]).send({ error: { code: error.code, message: error.message } });
  // The database unreachable: a state the UI names (and that passes), not a fault of the hub.
  if (error instanceof StoreUnavailable) return reply.code(503).send({ error: { code: 'unavailable', message: error.message } });
  const status = (error as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500) {
    return reply.code(status).send({ error: { code: 'invalid_input', message: (error as Error).message } });
  }
  if (error && typeof error === 'object' && 'issues' in error) {
    return reply.code(400).send({ error: { code: 'invalid_input', message: describeZodError(error as never) } });
  }
  return reply.code(500).send({ error: { code: 'internal', message: (error as Error).message ?? 'internal error' } });
}

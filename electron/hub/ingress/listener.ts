// The webhook listener: its own port (a tunnel or relay exposes only this, never the UI
// api), 127.0.0.1 by default, `POST /hooks/<sourceId>[/<rest>]`, raw bytes kept for
// signatures, a body size cap, and a one-line JSON reason for every refusal.
import Fastify, { type FastifyInstance } from 'fastify';
import { type ReceiverDeps, receiveWebhook } from './receiver.js';

export interface IngressOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
}

export interface IngressListener {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;.*)?$/i;
/** GitHub's default webhook content type; its source parses the `payload=` field. */
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;.*)?$/i;

export function buildIngressApp(deps: ReceiverDeps, options: Pick<IngressOptions, 'maxBodyBytes'>): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: options.maxBodyBytes, return503OnClosing: true, forceCloseConnections: 'idle' });
  app.removeAllContentTypeParsers();
  // Keep every body as raw bytes: signatures are computed over exactly what was sent.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const handle = async (sourceId: string, rest: string, headers: Record<string, string | string[] | undefined>, body: unknown) => {
    const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : '';
    if (!JSON_TYPE.test(contentType) && !FORM_TYPE.test(contentType)) {
      return { status: 415, body: { error: `content type must be application/json, got "${contentType || 'none'}"` } };
    }
    const flat: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value;
    return receiveWebhook(deps, sourceId, { headers: flat, body: Buffer.isBuffer(body) ? body : Buffer.alloc(0), pathRest: rest });
  };

  app.post<{ Params: { sourceId: string } }>('/hooks/:sourceId', async (request, reply) => {
    const result = await handle(request.params.sourceId, '', request.headers, request.body);
    return reply.code(result.status).send(result.body);
  });
  app.post<{ Params: { sourceId: string; '*': string } }>('/hooks/:sourceId/*', async (request, reply) => {
    // The rest of the path exactly as sent (still URL-encoded): a token in it may hold `/` or `%`.
    const path = request.raw.url?.split('?')[0] ?? '';
    const prefix = `/hooks/${encodeURIComponent(request.params.sourceId)}/`;
    const rest = path.startsWith(prefix) ? path.slice(prefix.length) : encodeURIComponent(request.params['*']);
    const result = await handle(request.params.sourceId, rest, request.headers, request.body);
    return reply.code(result.status).send(result.body);
  });
  app.get('/healthz', async () => ({ ok: true }));

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: `no such endpoint: ${request.method} ${request.url.split('?')[0]}; webhooks go to POST /hooks/<sourceId>` });
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    const message =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `body larger than the limit of ${options.maxBodyBytes} bytes`
        : status === 500
          ? 'internal error'
          : error.message;
    reply.code(status).send({ error: message });
  });
  return app;
}

export async function startIngress(deps: ReceiverDeps, options: IngressOptions): Promise<IngressListener> {
  const app = buildIngressApp(deps, options);
  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${port}`, port, close: () => app.close() };
}

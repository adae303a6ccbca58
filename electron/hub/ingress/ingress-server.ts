// The webhook listener's HTTP server: `POST /hooks/<sourceId>[/<rest>]`, raw bytes kept
// for signatures, a body size cap, and a one-line JSON reason for every refusal. Plain
// node:http: two routes need no framework, and the ingress thread loads ~12 MB less.
import http from 'node:http';
import type { Socket } from 'node:net';
import { isFormEncoded } from './json-body.js';
import { type ReceiverDeps, receiveWebhook } from './receiver.js';

export interface IngressServer {
  /** Resolves with the port listened on (0 picks a free one). */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting, lets requests in progress finish, then resolves. */
  close(): Promise<void>;
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;.*)?$/i;
const HOOK_PATH = /^\/hooks\/([^/]+)(?:\/(.*))?$/;

class BodyTooLarge extends Error {}

function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    request.on('error', reject);
  });
}

/** After a 413, how long and how much of the rest of the body is read and thrown away before the connection is cut. */
export interface LingerBounds {
  ms: number;
  maxBytes: number;
}
const LINGER: LingerBounds = { ms: 10_000, maxBytes: 64 * 1024 * 1024 };

/**
 * Lingering close, as web servers do (nginx's lingering_close): a sender that is still
 * writing its oversize body when the 413 goes out reads that answer only if the connection
 * stays open until it has finished writing — closing a socket with unread data on it sends
 * a reset, which the sender sees instead of the 413. So the rest is read and discarded,
 * within bounds, and then the connection is closed. (Not `Connection: close` on the answer:
 * Node would close the socket as soon as the answer is out, unread data and all.)
 */
function lingerThenClose(request: http.IncomingMessage, lingering: Set<Socket>, bounds: LingerBounds): void {
  const socket = request.socket;
  lingering.add(socket);
  let discarded = 0;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, bounds.ms);
  timer.unref();
  request.removeAllListeners('data');
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > bounds.maxBytes) cut();
  });
  request.once('end', () => {
    clearTimeout(timer);
    // All read: closing now sends no reset. Not before the answer is out.
    socket.end();
  });
  socket.once('close', () => {
    clearTimeout(timer);
    lingering.delete(socket);
  });
  request.resume();
}

export interface IngressServerOptions {
  maxBodyBytes: number;
  linger?: LingerBounds;
  /**
   * What is wrong with the store now, or undefined. `GET /healthz` answers 503 naming it, so a
   * load balancer or monitor stops sending to a hub that cannot store what it is sent.
   */
  storeProblem?: () => string | undefined;
}

export function createIngressServer(deps: ReceiverDeps, options: IngressServerOptions): IngressServer {
  let closing = false;
  /** Connections reading the rest of an oversize body: a stop does not wait for them (they have their answer). */
  const lingering = new Set<Socket>();

  const send = (response: http.ServerResponse, status: number, body: Record<string, unknown>, close = false) => {
    if (response.headersSent) return;
    const text = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) };
    if (close || closing) headers.connection = 'close';
    response.writeHead(status, headers);
    response.end(text);
  };
  /** A refusal before the receiver runs (content type, size): reported for the source the path names. */
  const refuseFor = (sourceId: string, response: http.ServerResponse, status: number, error: string) => {
    deps.onRefused?.(sourceId, { at: new Date().toISOString(), status, reason: error });
    send(response, status, { error });
  };
  const tooLarge = (sourceId: string, request: http.IncomingMessage, response: http.ServerResponse) => {
    lingerThenClose(request, lingering, options.linger ?? LINGER);
    refuseFor(sourceId, response, 413, `body larger than the limit of ${options.maxBodyBytes} bytes`);
  };

  async function route(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0]!;
    if (closing) return send(response, 503, { error: 'Herald is shutting down; send again shortly' });
    if (request.method === 'GET' && path === '/healthz') {
      const problem = options.storeProblem?.();
      return problem === undefined ? send(response, 200, { ok: true }) : send(response, 503, { ok: false, problem });
    }
    const match = request.method === 'POST' ? HOOK_PATH.exec(path) : null;
    if (!match) {
      request.resume();
      return send(response, 404, { error: `no such endpoint: ${request.method} ${path}; webhooks go to POST /hooks/<sourceId>` });
    }
    let sourceId: string;
    try {
      sourceId = decodeURIComponent(match[1]!);
    } catch {
      request.resume();
      return send(response, 400, { error: 'the source id in the path is not valid URL encoding' });
    }
    const contentType = request.headers['content-type'] ?? '';
    if (!JSON_TYPE.test(contentType) && !isFormEncoded(contentType)) {
      request.resume();
      return refuseFor(sourceId, response, 415, `content type must be application/json, got "${contentType || 'none'}"`);
    }
    if (Number(request.headers['content-length']) > options.maxBodyBytes) return tooLarge(sourceId, request, response);
    let body: Buffer;
    try {
      body = await readBody(request, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) return tooLarge(sourceId, request, response);
      throw error;
    }
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    // The rest of the path exactly as sent (still URL-encoded): a token in it may hold `/` or `%`.
    const answer = await receiveWebhook(deps, sourceId, { headers, body, pathRest: match[2] ?? '' });
    send(response, answer.status, answer.body);
  }

  const server = http.createServer((request, response) => {
    route(request, response).catch(() => send(response, 500, { error: 'internal error' }));
  });

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        closing = true;
        server.close(() => resolve());
        // Keep-alive connections with nothing in progress would hold close() open.
        server.closeIdleConnections();
        for (const socket of lingering) socket.destroy();
      }),
  };
}

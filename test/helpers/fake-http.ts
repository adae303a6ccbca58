// A real HTTP server on 127.0.0.1:0 that records every request: the base of the
// strict service fakes (Slack, Teams, Discord, SES) and a plain webhook sink.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | object;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export interface FakeServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  connections(): number;
  close(): Promise<void>;
}

export async function startFakeServer(handle: (req: RecordedRequest) => Reply | Promise<Reply>): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      let reply: Reply;
      try {
        reply = await handle(recorded);
      } catch (e) {
        reply = { status: 500, body: `fake server error: ${(e as Error).message}` };
      }
      if (reply.hang) return;
      const body = typeof reply.body === 'object' ? JSON.stringify(reply.body) : (reply.body ?? '');
      const headers = { ...(typeof reply.body === 'object' ? { 'content-type': 'application/json' } : {}), ...reply.headers };
      res.writeHead(reply.status, headers).end(body);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

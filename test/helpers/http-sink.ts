// A loopback HTTP sink that records what it receives and answers as told (200, 503, stall).
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  json?: unknown;
}

export interface Sink {
  url: string;
  port: number;
  received: Received[];
  /** How to answer from now on; status 0 stalls (never answers). */
  respond(status: number, body?: string, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export async function startSink(port = 0): Promise<Sink> {
  const received: Received[] = [];
  let answer = { status: 200, body: 'ok', headers: {} as Record<string, string> };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      // Status 0: stall, never answer (the sender times out or dies waiting).
      if (answer.status === 0) return;
      // Record only what the sink accepted: a 503 means "not delivered".
      if (answer.status < 300) received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, json });
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    respond(status, body = '', headers = {}) {
      answer = { status, body, headers };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// A tiny smee-compatible relay on 127.0.0.1 for tests, behaving like probot/smee.io:
// POST /<channel> (JSON body) is broadcast to every GET /<channel> subscriber (Accept:
// text/event-stream) as an unnamed SSE event whose data is the request headers flattened
// into one object plus `body` (the parsed JSON), `query` and `timestamp`. A subscriber first
// gets `event: ready`. Like smee.io, a body that is not a JSON object is refused.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SseRelay {
  readonly port: number;
  readonly origin: string;
  channelUrl(channel: string): string;
  subscriberCount(channel: string): number;
  /** Resolves once the channel has at least `count` subscribers. */
  waitForSubscribers(channel: string, count?: number, timeoutMs?: number): Promise<void>;
  /** Drops every subscriber and stops listening (the port is free again). */
  close(): Promise<void>;
}

const CHANNEL_RE = /^\/([a-zA-Z0-9_-]{1,128})$/;

export async function startSseRelay(port = 0): Promise<SseRelay> {
  const subscribers = new Map<string, Set<ServerResponse>>();
  let messageId = 0;

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    const match = CHANNEL_RE.exec(url.pathname);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const channel = match[1]!;
    if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/event-stream')) {
      subscribe(channel, res);
    } else if (req.method === 'POST') {
      void publish(channel, req, url, res);
    } else {
      res.writeHead(405).end();
    }
  });

  function subscribe(channel: string, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let set = subscribers.get(channel);
    if (!set) subscribers.set(channel, (set = new Set()));
    set.add(res);
    res.on('close', () => set.delete(res));
    res.write(`id: ${messageId++}\nevent: ready\ndata: {}\n\n`);
  }

  async function publish(channel: string, req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end('body must be JSON');
      return;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      res.writeHead(400).end('body must be a JSON object');
      return;
    }
    const payload = { ...req.headers, body, query: Object.fromEntries(url.searchParams), timestamp: Date.now() };
    const line = `id: ${messageId++}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const sub of subscribers.get(channel) ?? []) sub.write(line);
    res.writeHead(200).end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${actualPort}`;

  return {
    port: actualPort,
    origin,
    channelUrl: (channel) => `${origin}/${channel}`,
    subscriberCount: (channel) => subscribers.get(channel)?.size ?? 0,
    async waitForSubscribers(channel, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while ((subscribers.get(channel)?.size ?? 0) < count) {
        if (Date.now() > deadline) throw new Error(`no ${count} subscriber(s) on ${channel} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const set of subscribers.values()) for (const res of set) res.destroy();
      subscribers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

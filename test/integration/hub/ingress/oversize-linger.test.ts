// An oversize body's 413 reaches a sender that is still writing: ingress keeps reading
// (and discarding) for a while after answering, as web servers do, instead of closing a
// connection with unread data on it (which the sender sees as a reset, not the 413).
// Node's http client, 8 MB bodies, 20 of 20 tries, with and without a Content-Length.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngressServer } from '../../../../electron/hub/ingress/ingress-server.js';
import { type HubProcess, startHubProcess, tempDir, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'linger-secret';
const BODY_BYTES = 8 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** POSTs 8 MB with Node's http client; resolves with the status and body it read, or the error it got. */
function sendOversize(url: string, withLength: boolean): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const request = http.request(`${url}/hooks/ci`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${SECRET}`,
        ...(withLength && { 'content-length': String(BODY_BYTES) }),
      },
      // Node's default agent (keep-alive since Node 19), one per try: a new connection each time.
      agent: new http.Agent({ keepAlive: true }),
    });
    request.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => resolve({ status: response.statusCode!, body }));
      response.on('error', (error) => resolve({ error: error.message }));
    });
    request.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    request.setTimeout(20_000, () => request.destroy(new Error('timed out')));
    let written = 0;
    const write = () => {
      while (written < BODY_BYTES) {
        written += CHUNK.length;
        if (!request.write(CHUNK)) return void request.once('drain', write);
      }
      request.end();
    };
    write();
  });
}

describe('an oversize body gets its 413 read', () => {
  let hub: HubProcess;
  beforeAll(async () => {
    const configFile = writeConfig(tempDir(), { sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:HERALD_LINGER_SECRET' }] });
    hub = await startHubProcess({ configFile, env: { HERALD_LINGER_SECRET: SECRET } });
  });
  afterAll(async () => {
    await hub?.kill();
  });

  for (const withLength of [true, false]) {
    it(`8 MB ${withLength ? 'with a Content-Length (refused before reading)' : 'chunked (refused once 1 MiB is read)'}: 20 of 20 read the 413`, async () => {
      const results = [];
      for (let i = 0; i < 20; i++) results.push(await sendOversize(hub.ingressUrl, withLength));
      const outcomes = results.map((r) => (r.status ? `${r.status}` : `error ${r.error}`));
      expect(outcomes).toEqual(Array(20).fill('413'));
      expect(JSON.parse(results[0]!.body!)).toEqual({ error: 'body larger than the limit of 1048576 bytes' });
    });
  }

  it('still answers normal requests afterwards', async () => {
    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'after the big ones' }),
    });
    expect(res.status).toBe(202);
  });
});

describe('the lingering is bounded', () => {
  const deps = { source: () => undefined, resolveSecret: async () => '', ingest: async () => ({ status: 'duplicate' as const }) };

  /** Sends headers announcing `announced` bytes, then `sent` bytes, and keeps the connection open; resolves when the server closes it. */
  const closedAfter = (port: number, announced: number, sent: number) =>
    new Promise<{ ms: number; answer: string }>((resolve) => {
      const started = Date.now();
      let answer = '';
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`POST /hooks/ci HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${announced}\r\n\r\n`);
        for (let n = 0; n < sent; n += CHUNK.length) socket.write(CHUNK);
      });
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ ms: Date.now() - started, answer }));
    });

  it('in time: a sender that stops writing is cut off once the linger time has passed', async () => {
    const server = createIngressServer(deps, { maxBodyBytes: 1024, linger: { ms: 300, maxBytes: 1024 * 1024 * 1024 } });
    const port = await server.listen('127.0.0.1', 0);
    const { ms, answer } = await closedAfter(port, BODY_BYTES, 256 * 1024);
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(5_000);
    await server.close();
  });

  it('in size: a sender that keeps writing past the linger size is cut off', async () => {
    const server = createIngressServer(deps, { maxBodyBytes: 1024, linger: { ms: 60_000, maxBytes: 512 * 1024 } });
    const port = await server.listen('127.0.0.1', 0);
    const { ms, answer } = await closedAfter(port, BODY_BYTES, BODY_BYTES);
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(ms).toBeLessThan(5_000);
    await server.close();
  });
});

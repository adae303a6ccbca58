// The relay client end to end through a local smee-compatible SSE relay on loopback:
// a signed GitHub webhook posted to the relay reaches `deliver` such that the GitHub
// signature still verifies; the relay dying and coming back on the same port is survived.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { relayedRequestFromMessage, startRelay, type RelayHandle, type RelayState, type RelayedRequest } from '../../../../electron/hub/ingress/relay-client.js';
import { githubSignature, githubSource } from '../../../../electron/hub/sources/github.js';
import { startSseRelay, type SseRelay } from '../../../helpers/sse-relay.js';

const SECRET = 'relay-test-secret';
const ghConfig = { id: 'gh', name: 'GitHub', enabled: true, kind: 'github' as const, secret: 'env:GH' };
const examplesDir = dirname(createRequire(import.meta.url).resolve('@octokit/webhooks-examples/package.json'));
const workflowRun = (
  JSON.parse(readFileSync(join(examplesDir, 'api.github.com', 'index.json'), 'utf8')) as Array<{ name: string; examples: unknown[] }>
).find((d) => d.name === 'workflow_run')!.examples[1] as Record<string, unknown>;

const relays: SseRelay[] = [];
const clients: RelayHandle[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await Promise.all(relays.splice(0).map((r) => r.close().catch(() => {})));
});

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** What GitHub does: POST the compact JSON with its signature and delivery headers. */
async function postSigned(url: string, payload: unknown, delivery: string, body = JSON.stringify(payload)): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': 'workflow_run',
      'x-github-delivery': delivery,
      'x-github-hook-id': '292430182',
      'x-hub-signature-256': githubSignature(body, SECRET),
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** A stand-in for ingress: verifies and parses like the hub will. */
function fakeIngress() {
  const received: Array<{ req: RelayedRequest; verified: boolean; parsed: ReturnType<typeof githubSource.parse> }> = [];
  const deliver = async (req: RelayedRequest) => {
    const incoming = { headers: req.headers, body: req.body, pathRest: '' };
    const verified = githubSource.verify(incoming, SECRET, ghConfig);
    received.push({ req, verified, parsed: githubSource.parse(incoming, ghConfig) });
    return { status: verified ? 202 : 401 };
  };
  return { received, deliver };
}

describe('relay client through a local smee-compatible relay', () => {
  it('delivers a signed GitHub webhook so that its signature verifies; reconnects with backoff after the relay dies', async () => {
    const relay = await startSseRelay();
    relays.push(relay);
    const channelUrl = relay.channelUrl('herald-test');
    const ingress = fakeIngress();
    const states: RelayState[] = [];
    const client = startRelay({
      url: channelUrl,
      deliver: ingress.deliver,
      onState: (s) => states.push(s),
      initialDelayMs: 40,
      maxDelayMs: 320,
      random: () => 1,
    });
    clients.push(client);

    await until('connected', () => client.state().status === 'connected');
    await relay.waitForSubscribers('herald-test');
    expect(states.map((s) => s.status).slice(0, 2)).toEqual(['connecting', 'connected']);
    expect(client.state().url).toBe(channelUrl);

    // 1. A signed delivery arrives as if GitHub had posted to ingress directly.
    expect(await postSigned(channelUrl, workflowRun, 'delivery-1')).toBe(200);
    await until('first delivery', () => ingress.received.length === 1);
    const first = ingress.received[0]!;
    expect(first.verified).toBe(true);
    expect(first.req.body.toString()).toBe(JSON.stringify(workflowRun));
    expect(first.req.headers).toMatchObject({
      'x-github-event': 'workflow_run',
      'x-github-delivery': 'delivery-1',
      'x-github-hook-id': '292430182',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'content-type': 'application/json',
    });
    // Relay-hop headers and smee's envelope fields are not passed on as request headers.
    for (const hop of ['host', 'connection', 'content-length', 'body', 'query', 'timestamp']) expect(first.req.headers).not.toHaveProperty(hop);
    expect(first.parsed).toMatchObject({ kind: 'events', deliveryId: 'delivery-1', events: [{ type: 'pipeline.succeeded' }] });
    await until('delivered count', () => client.state().delivered === 1);
    expect(client.state().lastEventAt).toMatch(/^\d{4}-\d\d-\d\dT/);

    // 2. The relay dies: the client reports reconnecting, with growing waits.
    const port = relay.port;
    await relay.close();
    relays.splice(relays.indexOf(relay), 1);
    await until('three failed reconnects', () => states.filter((s) => s.status === 'reconnecting').length >= 4);
    const waits = states.filter((s) => s.status === 'reconnecting').map((s) => s.retryInMs);
    expect(waits.slice(0, 4)).toEqual([40, 80, 160, 320]);
    const reconnecting = states.find((s) => s.status === 'reconnecting')!;
    expect(reconnecting.lastError).toMatch(/relay (connection dropped|closed the stream)/);
    expect(states.filter((s) => s.status === 'reconnecting')[1]!.lastError).toMatch(/relay unreachable: ECONNREFUSED/);

    // 3. It comes back on the same port: the client reconnects and receives the next one.
    const revived = await startSseRelay(port);
    relays.push(revived);
    await revived.waitForSubscribers('herald-test');
    await until('connected again', () => client.state().status === 'connected');
    expect(await postSigned(channelUrl, { ...workflowRun, action: 'completed' }, 'delivery-2')).toBe(200);
    await until('second delivery', () => ingress.received.length === 2);
    expect(ingress.received[1]!.verified).toBe(true);
    expect(ingress.received[1]!.parsed).toMatchObject({ kind: 'events', deliveryId: 'delivery-2' });

    // 4. Stop: the state says so and the channel loses its subscriber.
    await client.stop();
    expect(client.state().status).toBe('stopped');
    expect(states.at(-1)!.status).toBe('stopped');
    await until('unsubscribed', () => revived.subscriberCount('herald-test') === 0);
  });

  it('documents the raw-body limit: a pretty-printed body is re-serialized by the relay and its signature fails (rejected, not trusted)', async () => {
    const relay = await startSseRelay();
    relays.push(relay);
    const ingress = fakeIngress();
    const client = startRelay({ url: relay.channelUrl('pretty'), deliver: ingress.deliver });
    clients.push(client);
    await relay.waitForSubscribers('pretty');
    await until('connected', () => client.state().status === 'connected');

    await postSigned(relay.channelUrl('pretty'), workflowRun, 'pretty-1', JSON.stringify(workflowRun, null, 2));
    await until('delivery', () => ingress.received.length === 1);
    expect(ingress.received[0]!.verified).toBe(false);
    await until('error shown', () => client.state().lastError?.includes('ingress answered 401'));
  });

  it('an aborted signal stops the client; a relay answering something else is an error with a reason', async () => {
    const ac = new AbortController();
    const states: RelayState[] = [];
    const client = startRelay({
      url: 'http://127.0.0.1:9/not-listening',
      deliver: async () => ({ status: 202 }),
      signal: ac.signal,
      onState: (s) => states.push(s),
      initialDelayMs: 20,
      random: () => 0,
    });
    await until('a reconnect', () => states.some((s) => s.status === 'reconnecting'));
    expect(states.find((s) => s.status === 'reconnecting')).toMatchObject({ retryInMs: 10, attempt: 1 });
    ac.abort();
    await client.done;
    expect(client.state().status).toBe('stopped');
    expect(() => startRelay({ url: 'ftp://relay.example/x', deliver: async () => ({ status: 200 }) })).toThrow(/http/);
  });
});

describe('relayedRequestFromMessage', () => {
  it('flattens smee headers, drops hop headers and envelope fields, forwards JSON.stringify(body)', () => {
    const req = relayedRequestFromMessage(
      JSON.stringify({
        host: 'smee.io',
        'content-length': '999',
        'x-forwarded-for': '140.82.115.1',
        'X-GitHub-Event': 'ping',
        'x-hub-signature-256': 'sha256=abc',
        'content-type': 'application/json; charset=utf-8',
        body: { zen: 'Keep it logically awesome.', hook_id: 1 },
        query: { token: 'q', n: 1 },
        timestamp: 1714300000000,
      }),
    );
    expect(req.headers).toEqual({ 'x-github-event': 'ping', 'x-hub-signature-256': 'sha256=abc', 'content-type': 'application/json' });
    expect(req.body.toString()).toBe('{"zen":"Keep it logically awesome.","hook_id":1}');
    expect(req.query).toEqual({ token: 'q' });
  });

  it('uses a raw body string when the relay provides one', () => {
    const raw = '{ "spaced" : true }';
    const req = relayedRequestFromMessage(JSON.stringify({ 'content-type': 'application/json', body: { spaced: true }, rawdata: raw }));
    expect(req.body.toString()).toBe(raw);
    expect(req.headers).not.toHaveProperty('rawdata');
  });

  it.each([
    ['not JSON', '{oops', /not JSON/],
    ['an array', '[1]', /not a JSON object/],
  ])('%s → an error', (_name, data, message) => {
    expect(() => relayedRequestFromMessage(data)).toThrow(message);
  });
});

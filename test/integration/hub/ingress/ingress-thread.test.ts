// The webhook listener on its own worker thread (the compiled thread script from dist/,
// driven from here through the real message protocol): secrets asked of the main thread
// and cached until a change, sources refreshed, commits answered by the main thread,
// payloads prepared for storage off the main thread, refusals named, and a clean close.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RejectedRequest } from '../../../../shared/api.js';
import { type SourceConfig, SourceSchema } from '../../../../shared/config.js';
import type { IngestAck } from '../../../../electron/hub/ingest.js';
import { type IngressListener, startIngress } from '../../../../electron/hub/ingress/listener.js';
import type { IngestItem } from '../../../../electron/hub/store/ingest-transaction.js';
import { bindableRaw } from '../../../../electron/hub/store/raw-payload.js';
import { waitFor } from '../../../helpers/hub-process.js';

const THREAD_SCRIPT = resolve(import.meta.dirname, '../../../../dist/electron/hub/ingress/ingress-thread.js');

const listeners: IngressListener[] = [];
afterEach(async () => {
  for (const l of listeners.splice(0)) await l.close();
});

const generic = (id: string, env: string) => SourceSchema.parse({ id, kind: 'generic', name: id.toUpperCase(), secret: `env:${env}` });

function harness() {
  let sources: SourceConfig[] = [generic('a', 'A_SECRET')];
  const secretValues: Record<string, string | undefined> = { A_SECRET: 'alpha', B_SECRET: 'bravo' };
  const secretLookups: string[] = [];
  const items: IngestItem[] = [];
  const ignored: string[] = [];
  const refusals: RejectedRequest[] = [];
  let failIngest: string | undefined;
  let hang: 'secret' | 'ingest' | undefined;
  const never = new Promise<never>(() => undefined);
  const deps = {
    source: (id: string) => sources.find((s) => s.id === id),
    sources: () => sources,
    resolveSecret: async (source: SourceConfig) => {
      if (hang === 'secret') return never;
      secretLookups.push(source.id);
      const name = (source as { secret: string }).secret.slice('env:'.length);
      const value = secretValues[name];
      if (!value) throw new Error(`environment variable ${name} is not set`);
      return value;
    },
    ingest: async (item: IngestItem): Promise<IngestAck> => {
      if (failIngest) throw new Error(failIngest);
      if (hang === 'ingest') return never;
      items.push(item);
      return { status: 'accepted', ids: item.inputs.map((_, i) => `id-${items.length}-${i}`) };
    },
    onIgnored: (source: SourceConfig, reason: string) => ignored.push(`${source.id}: ${reason}`),
    onRefusedBatch: (_sourceId: string, last: RejectedRequest) => refusals.push(last),
  };
  return {
    deps,
    items,
    ignored,
    refusals,
    secretLookups,
    secretValues,
    setSources: (next: SourceConfig[]) => (sources = next),
    failIngest: (message: string | undefined) => (failIngest = message),
    hang: (what: typeof hang) => (hang = what),
  };
}

async function start(h: ReturnType<typeof harness>, port = 0, requestTimeoutMs?: number) {
  const listener = await startIngress(h.deps, { host: '127.0.0.1', port, maxBodyBytes: 1024 * 1024, thread: true, threadScript: THREAD_SCRIPT, ...(requestTimeoutMs && { requestTimeoutMs }) });
  listeners.push(listener);
  return listener;
}

const post = (url: string, body: unknown, token: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then(
    async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }),
  );

describe('ingress on its own thread', () => {
  it('verifies with the secret the main thread resolves, asks once, and answers with what the main thread committed', async () => {
    const h = harness();
    const ingress = await start(h);
    expect(ingress.runsOn).toBe('thread');
    for (let i = 0; i < 3; i++) {
      const res = await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: `run ${i}` }, 'alpha');
      expect(res).toEqual({ status: 202, body: { accepted: 1, ids: [`id-${i + 1}-0`] } });
    }
    expect(h.secretLookups).toEqual(['a']);
    expect(h.items.map((i) => i.inputs[0]!.title)).toEqual(['run 0', 'run 1', 'run 2']);
    expect(h.items[0]!.source).toEqual({ kind: 'generic', id: 'a', name: 'A' });
    // Small payloads are kept as the JSON text that arrived.
    expect(JSON.parse(h.items[0]!.rawStored as string)).toEqual({ type: 'pipeline.failed', title: 'run 0' });

    expect((await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'x' }, 'wrong')).status).toBe(401);
    expect(h.items).toHaveLength(3);
  });

  it('compresses a large payload on the thread; what arrives binds as the stored BLOB', async () => {
    const h = harness();
    const ingress = await start(h);
    const summary = 'log line\n'.repeat(1000);
    expect((await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'big', summary: summary.slice(0, 4000) }, 'alpha')).status).toBe(202);
    const stored = h.items[0]!.rawStored;
    expect(stored).toBeInstanceOf(Uint8Array);
    const blob = bindableRaw(stored!);
    expect(Buffer.isBuffer(blob)).toBe(true);
    expect(JSON.parse(inflateRawSync(blob as Buffer).toString('utf8'))).toMatchObject({ title: 'big' });
  });

  it('forgets cached secrets when told a secret or the sources changed', async () => {
    const h = harness();
    const ingress = await start(h);
    expect((await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'one' }, 'alpha')).status).toBe(202);
    h.secretValues.A_SECRET = 'alpha-2';
    ingress.secretsChanged();
    expect((await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'old' }, 'alpha')).status).toBe(401);
    expect((await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'new' }, 'alpha-2')).status).toBe(202);

    // A source added and one removed: the thread takes the new list.
    h.setSources([generic('b', 'B_SECRET')]);
    ingress.sourcesChanged();
    expect((await post(`${ingress.url}/hooks/b`, { type: 'pipeline.failed', title: 'b' }, 'bravo')).status).toBe(202);
    const gone = await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'a' }, 'alpha-2');
    expect(gone).toEqual({ status: 404, body: { error: 'unknown source "a"' } });
    expect(h.items.map((i) => i.inputs[0]!.title)).toEqual(['one', 'new', 'b']);
  });

  it('answers a group commit\'s requests together; an answer that cannot be sent fails its own request alone', async () => {
    const h = harness();
    // A group commit: every request of the batch is answered at once, one answer not cloneable.
    const waiting: Array<{ item: IngestItem; resolve: (ack: IngestAck) => void }> = [];
    let all!: () => void;
    const gathered = new Promise<void>((resolve) => (all = resolve));
    h.deps.ingest = (item: IngestItem) =>
      new Promise<IngestAck>((resolve) => {
        waiting.push({ item, resolve });
        if (waiting.length === 6) all();
      });
    const ingress = await start(h);
    const titles = ['a0', 'a1', 'poison', 'a3', 'a4', 'a5'];
    const answers = Promise.all(titles.map((title) => post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title }, 'alpha')));
    await gathered;
    for (const { item, resolve } of waiting) {
      const title = item.inputs[0]!.title;
      resolve(title === 'poison' ? ({ status: 'accepted', ids: [() => 'not cloneable'] } as unknown as IngestAck) : { status: 'accepted', ids: [`id-${title}`] });
    }
    const byTitle = Object.fromEntries((await answers).map((res, i) => [titles[i], res]));
    for (const title of titles.filter((t) => t !== 'poison')) expect(byTitle[title]).toEqual({ status: 202, body: { accepted: 1, ids: [`id-${title}`] } });
    expect(byTitle.poison!.status).toBe(503);
    expect(byTitle.poison!.body.error).toMatch(/^the hub could not answer: /);
  });

  it('sends the answers in the turn their commit completes, before work that turn scheduled (the delivery tick the commit woke)', async () => {
    const h = harness();
    const order: string[] = [];
    const postMessage = Worker.prototype.postMessage;
    const spy = vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, message: unknown, ...rest: unknown[]) {
      const t = (message as { t?: string }).t;
      if (t === 'answers' || t === 'answer') order.push('answers');
      return (postMessage as (...args: unknown[]) => void).apply(this, [message, ...rest]);
    });
    try {
      let commit!: (ack: IngestAck) => void;
      let arrived!: () => void;
      const waiting = new Promise<void>((resolve) => (arrived = resolve));
      h.deps.ingest = () =>
        new Promise<IngestAck>((resolve) => {
          commit = resolve;
          arrived();
        });
      const ingress = await start(h);
      const answer = post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'x' }, 'alpha');
      await waiting;
      order.length = 0; // the secret's answer went before
      // As the hub's Ingestor does: resolve the batch, then wake the delivery worker (a setImmediate).
      commit({ status: 'accepted', ids: ['id-x'] });
      setImmediate(() => order.push('delivery tick'));
      expect(await answer).toEqual({ status: 202, body: { accepted: 1, ids: ['id-x'] } });
      expect(order).toEqual(['answers', 'delivery tick']);
    } finally {
      spy.mockRestore();
    }
  });

  it("names the main thread's failures: a secret it cannot resolve (503: why, to the hub's owner only), a commit that failed (503)", async () => {
    const h = harness();
    h.secretValues.A_SECRET = undefined;
    const ingress = await start(h);
    const noSecret = await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'x' }, 'alpha');
    // The sender is not told where the hub keeps its secret (a file path, a variable name); the Sources page is.
    expect(noSecret).toEqual({ status: 503, body: { error: 'the secret of source "a" is unavailable on this hub; send again later' } });
    await waitFor(() => h.refusals.some((r) => r.reason === 'the secret of source "a" is unavailable: environment variable A_SECRET is not set'));
    // Not cached: the next request asks again and succeeds once the secret is there.
    h.secretValues.A_SECRET = 'alpha';
    expect((await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'y' }, 'alpha')).status).toBe(202);

    h.failIngest('could not store the event: disk I/O error');
    expect(await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'z' }, 'alpha')).toEqual({
      status: 503,
      body: { error: 'could not store the event: disk I/O error' },
    });
  });

  it('a question the main thread never answers is answered 503 by its timeout (a secret, a commit), never left hanging', async () => {
    const h = harness();
    const ingress = await start(h, 0, 300);
    h.hang('secret');
    const started = Date.now();
    expect(await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'x' }, 'alpha')).toEqual({
      status: 503,
      body: { error: 'the secret of source "a" is unavailable on this hub; send again later' },
    });
    h.hang('ingest');
    expect(await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'y' }, 'alpha')).toEqual({
      status: 503,
      body: { error: 'the hub did not answer within 0.3 s' },
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    // The listener still serves once the main thread answers again.
    h.hang(undefined);
    expect((await post(`${ingress.url}/hooks/a`, { type: 'pipeline.failed', title: 'z' }, 'alpha')).status).toBe(202);
  });

  it.runIf(existsSync('/proc/thread-self/comm'))('names its OS thread herald-ingress, so top -H and the bench can tell it from the main thread', async () => {
    const threadNames = () => readdirSync('/proc/self/task').map((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());
    expect(threadNames()).not.toContain('herald-ingress');
    const ingress = await start(harness());
    expect(threadNames()).toContain('herald-ingress');
    await ingress.close();
    listeners.splice(listeners.indexOf(ingress), 1);
    expect(threadNames()).not.toContain('herald-ingress');
  });

  it.each([
    ['on its own thread', true],
    ['on the main thread', false],
  ])('GET /healthz answers 503 naming the store\'s problem while it lasts, 200 before and after (%s)', async (_where, thread) => {
    const h = harness();
    let problem: string | undefined = 'the database file is damaged (SQLITE_CORRUPT); nothing more is accepted into it';
    const ingress = await startIngress(
      { ...h.deps, storeProblem: () => problem },
      { host: '127.0.0.1', port: 0, maxBodyBytes: 1024 * 1024, thread, threadScript: THREAD_SCRIPT },
    );
    listeners.push(ingress);
    expect(ingress.runsOn).toBe(thread ? 'thread' : 'main');
    const health = async () => {
      const res = await fetch(`${ingress.url}/healthz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // The thread learns the problem it starts with from its start data: no message to wait for.
    expect(await health()).toEqual({ status: 503, body: { ok: false, problem } });
    problem = undefined;
    ingress.storeProblemChanged();
    // The change reaches the thread as a message, racing the request's socket: wait for it, within a bound.
    const until = async (status: number) => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const answer = await health();
        if (answer.status === status || Date.now() > deadline) return answer;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    expect(await until(200)).toEqual({ status: 200, body: { ok: true } });
    problem = 'PostgreSQL at 127.0.0.1:5432 does not answer';
    ingress.storeProblemChanged();
    expect(await until(503)).toEqual({ status: 503, body: { ok: false, problem: 'PostgreSQL at 127.0.0.1:5432 does not answer' } });
  });

  it('reports a port in use as the listen error (no silent fallback), and stops listening on close', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    await expect(start(harness(), taken)).rejects.toThrow(/EADDRINUSE/);
    blocker.close();

    const h = harness();
    const ingress = await start(h);
    await listeners.pop()!.close();
    await expect(fetch(`${ingress.url}/healthz`)).rejects.toThrow();
  });
});

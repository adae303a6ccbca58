// The webhook listener's own thread: HTTP parsing, signature checks (an HMAC over a
// 19 KB GitHub payload), payload parsing and validation, and compressing the payload for
// the detail view all run here, so the hub's main thread only commits and delivers.
// Everything that needs the hub (secrets, the store) is a message to the main thread;
// the protocol is in ingress-messages.ts.
import { parentPort, workerData } from 'node:worker_threads';
import type { RejectedRequest } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import type { IngestAck } from '../ingest.js';
import type { IngestItem } from '../store/ingest-transaction.js';
import type { Answer, MainToThread, ThreadStart, ThreadToMain } from './ingress-messages.js';
import { secretRefsOf } from '../config/secrets.js';
import { exposedGc } from '../idle-gc.js';
import { createIngressServer } from './ingress-server.js';
import { nameThisThread } from '../thread-name.js';

if (!parentPort) throw new Error('ingress-thread runs as a worker thread');
const port = parentPort;
const start = workerData as ThreadStart;
nameThisThread('herald-ingress');

let sourcesById = new Map(start.sources.map((s) => [s.id, s]));
/** The store's problem as the main thread last told it (`GET /healthz`). */
let storeProblem = start.storeProblem;
/** Resolved secrets per source id, until the sources or any secret change. */
let secretCache = new Map<string, string>();
const pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
/** Refusals wait here and go to the main thread in one message at most every REFUSAL_BATCH_MS. */
const refused = new Map<string, { count: number; last: RejectedRequest }>();
const REFUSAL_BATCH_MS = 100;
let refusalTimer: NodeJS.Timeout | undefined;
function flushRefusals() {
  refusalTimer = undefined;
  if (refused.size === 0) return;
  send({ t: 'refused', items: [...refused].map(([sourceId, r]) => ({ sourceId, ...r })) });
  refused.clear();
}
let nextId = 1;

const send = (message: ThreadToMain) => port.postMessage(message);
const readWhenUsed = (source: SourceConfig) => secretRefsOf(source).some((r) => r.ref.startsWith('file:'));

/**
 * A question to the main thread. Every one has a bound: an answer that never comes (the main
 * thread could not read the message, or is stuck) frees it after requestTimeoutMs and its
 * request is answered 503, instead of a sender left waiting and a promise kept forever.
 */
function ask<T>(message: (id: number) => ThreadToMain, queue?: (id: number, reject: (error: Error) => void) => void): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`the hub did not answer within ${start.requestTimeoutMs / 1000} s`));
    }, start.requestTimeoutMs);
    pending.set(id, { resolve: resolve as (value: never) => void, reject, timer });
    // Not cloneable (structured clone refuses it or runs out of stack): refused at once.
    const refuse = (error: Error) => {
      clearTimeout(timer);
      pending.delete(id);
      reject(error);
    };
    if (queue) return queue(id, refuse);
    try {
      send(message(id));
    } catch (error) {
      refuse(error as Error);
    }
  });
}

/**
 * `ask` for commits, gathered: the requests parsed in one turn of the event loop go to the
 * main thread in one message (its cost per message was the main thread's to pay). A batch
 * that cannot be sent (one item not cloneable) is sent item by item, so only that one fails.
 */
let ingests: Array<{ id: number; item: IngestItem; reject: (error: Error) => void }> = [];
function flushIngests(): void {
  const batch = ingests;
  ingests = [];
  try {
    send({ t: 'ingests', items: batch.map(({ id, item }) => ({ id, item })) });
  } catch {
    for (const { id, item, reject } of batch) {
      try {
        send({ t: 'ingest', id, item });
      } catch (error) {
        reject(error as Error);
      }
    }
  }
}
function askToIngest(item: IngestItem): Promise<IngestAck> {
  return ask<IngestAck>((id) => ({ t: 'ingest', id, item }), (id, reject) => {
    ingests.push({ id, item, reject });
    if (ingests.length === 1) setImmediate(flushIngests);
  });
}

const server = createIngressServer(
  {
    source: (id) => sourcesById.get(id),
    resolveSecret: async (source: SourceConfig) => {
      const cached = secretCache.get(source.id);
      if (cached !== undefined) return cached;
      const cache = secretCache;
      const value = await ask<string>((id) => ({ t: 'secret', id, sourceId: source.id }));
      // Not if the sources changed meanwhile: the answer may be for the old secret. Not a
      // `file:` secret either: it is read when used, so a rotated file counts at once.
      if (cache === secretCache && !readWhenUsed(source)) cache.set(source.id, value);
      return value;
    },
    ingest: (item: IngestItem) => askToIngest(item),
    onIgnored: (source, reason) => send({ t: 'ignored', sourceId: source.id, reason }),
    onRefused: (sourceId, last) => {
      const entry = refused.get(sourceId);
      if (entry) {
        entry.count++;
        entry.last = last;
      } else refused.set(sourceId, { count: 1, last });
      refusalTimer ??= setTimeout(flushRefusals, REFUSAL_BATCH_MS);
    },
  },
  { maxBodyBytes: start.maxBodyBytes, storeProblem: () => storeProblem },
);

function settle(answer: Answer): void {
  const waiting = pending.get(answer.id);
  if (!waiting) return; // answered after its timeout: its request has had its 503
  pending.delete(answer.id);
  clearTimeout(waiting.timer);
  if (answer.error !== undefined) waiting.reject(new Error(answer.error));
  else waiting.resolve(answer.value as never);
}

port.on('message', (message: MainToThread) => {
  switch (message.t) {
    case 'answer':
      settle(message);
      return;
    case 'answers':
      for (const answer of message.items) settle(answer);
      return;
    case 'sources':
      sourcesById = new Map(message.sources.map((s) => [s.id, s]));
      secretCache = new Map();
      return;
    case 'secrets-changed':
      secretCache = new Map();
      return;
    case 'store-problem':
      storeProblem = message.problem;
      return;
    case 'gc':
      exposedGc()?.();
      return;
    case 'close':
      void server.close().then(() => {
        clearTimeout(refusalTimer);
        flushRefusals();
        send({ t: 'closed' });
      });
      return;
  }
});

// A message from the main thread that cannot be deserialized names no request: the
// question it answered is freed by its timeout.
port.on('messageerror', () => undefined);

server.listen(start.host, start.port).then(
  (listening) => send({ t: 'listening', port: listening }),
  (error: NodeJS.ErrnoException) => send({ t: 'failed', message: error.message, ...(error.code !== undefined && { code: error.code }) }),
);

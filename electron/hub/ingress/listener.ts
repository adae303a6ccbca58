// The webhook listener on its own port (a tunnel or relay exposes only this, never the UI
// api), 127.0.0.1 by default: the HTTP server (ingress-server.ts) runs on the ingress
// thread where it can, answering the thread's questions (secrets, commits) from here;
// otherwise on the main thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RejectedRequest } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import type { Answer, MainToThread, ThreadStart, ThreadToMain } from './ingress-messages.js';
import { createIngressServer } from './ingress-server.js';
import type { ReceiverDeps } from './receiver.js';

export interface IngressOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Longest the ingress thread waits for the main thread (a secret, a commit) before answering 503; default 15 s. */
  requestTimeoutMs?: number;
  /** Where the listener runs: its own thread (the default where the compiled thread script exists) or the main thread. */
  thread?: boolean;
  /** The compiled thread script (tests running from sources point at the build). */
  threadScript?: string;
  log?: (line: string) => void;
}

export interface IngressDeps extends ReceiverDeps {
  /** Every configured source: the ingress thread keeps a copy, refreshed by `sourcesChanged`. */
  sources: () => SourceConfig[];
  /** `count` refusals batched by the ingress thread, the last of them `last` (onRefused when on the main thread). */
  onRefusedBatch?: (sourceId: string, last: RejectedRequest, count: number) => void;
  /** What is wrong with the store now, or undefined: `GET /healthz` answers 503 naming it (see `storeProblemChanged`). */
  storeProblem?: () => string | undefined;
}

export interface IngressListener {
  readonly url: string;
  readonly port: number;
  /** 'thread' or 'main': where requests are parsed and verified. */
  readonly runsOn: 'thread' | 'main';
  /** The sources changed (config): the thread takes the new list and forgets cached secrets. */
  sourcesChanged(): void;
  /** A secret changed in the keychain: the thread forgets the secrets it cached. */
  secretsChanged(): void;
  /** After a burst: a full GC in the thread's isolate too (see idle-gc.ts). */
  collectGarbage(): void;
  /** The store's problem changed: the thread's `GET /healthz` reads `deps.storeProblem()` again. */
  storeProblemChanged(): void;
  close(): Promise<void>;
}

/** The compiled thread script; absent when the hub runs from TypeScript sources (tests), which then use the main thread. */
const THREAD_SCRIPT = fileURLToPath(new URL('./ingress-thread.js', import.meta.url));

const urlOf = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

export async function startIngress(deps: IngressDeps, options: IngressOptions): Promise<IngressListener> {
  const script = options.threadScript ?? THREAD_SCRIPT;
  if (options.thread ?? existsSync(script)) {
    try {
      return await startThreadedIngress(deps, options, script);
    } catch (error) {
      // A listen error (port in use) is the same on either thread: report it.
      if ((error as { listenError?: boolean }).listenError) throw error;
      // A thread that cannot start (a packaging that cannot load the script): the main thread serves.
      options.log?.(`ingress: no worker thread (${(error as Error).message}); listening on the main thread`);
    }
  }
  const server = createIngressServer(deps, { maxBodyBytes: options.maxBodyBytes, ...(deps.storeProblem && { storeProblem: deps.storeProblem }) });
  const port = await server.listen(options.host, options.port);
  return {
    url: urlOf(options.host, port),
    port,
    runsOn: 'main',
    sourcesChanged: () => undefined,
    secretsChanged: () => undefined,
    collectGarbage: () => undefined,
    // The server reads deps.storeProblem() at each request.
    storeProblemChanged: () => undefined,
    close: () => server.close(),
  };
}

/** Most time a stop waits for the thread to finish its open requests. */
const CLOSE_TIMEOUT_MS = 5000;
/**
 * The ingress thread's bound on a question to the main thread. A commit is answered in
 * milliseconds, under load in well under a second; senders give up after ~10 s (GitHub).
 */
const REQUEST_TIMEOUT_MS = 15_000;
/** A thread that died is started again after this (on the port it had). */
const RESTART_DELAY_MS = 1000;

async function startThreadedIngress(deps: IngressDeps, options: IngressOptions, script: string): Promise<IngressListener> {
  let port = options.port;
  let closing = false;
  let worker: Worker;
  let onClosed: (() => void) | undefined;

  // Answers ready together (a group commit resolves every request in it) go in one message:
  // a postMessage per request was ~7 % of the main thread under load. They go on the next
  // tick, once the commit's promise reactions have all run, so the message leaves in the
  // same turn of the event loop as the fsync's completion: before the delivery tick and
  // anything else that turn scheduled with setImmediate (with setImmediate the answers
  // waited behind the worker's tick that the same commit woke).
  let answers: Answer[] = [];
  const flushAnswers = () => {
    const batch = answers;
    answers = [];
    try {
      post({ t: 'answers', items: batch });
    } catch {
      // One answer that cannot be sent (not cloneable) is sent as an error, so its request is not left to its timeout.
      for (const item of batch) {
        try {
          post({ t: 'answer', ...item });
        } catch (error) {
          try {
            post({ t: 'answer', id: item.id, error: `the hub could not answer: ${(error as Error).message}` });
          } catch {
            // The thread is gone: its requests were cut off with it.
          }
        }
      }
    }
  };
  const queueAnswer = (item: Answer) => {
    answers.push(item);
    if (answers.length === 1) process.nextTick(flushAnswers);
  };
  const answer = (id: number, work: Promise<unknown>) =>
    work.then(
      (value) => queueAnswer({ id, value }),
      (error: Error) => queueAnswer({ id, error: error.message }),
    );
  const post = (message: MainToThread) => worker.postMessage(message);

  const handle = (message: ThreadToMain) => {
    switch (message.t) {
      case 'secret': {
        const source = deps.source(message.sourceId);
        answer(message.id, source ? deps.resolveSecret(source) : Promise.reject(new Error(`unknown source "${message.sourceId}"`)));
        return;
      }
      case 'ingest':
        answer(message.id, deps.ingest(message.item));
        return;
      case 'ingests':
        for (const { id, item } of message.items) answer(id, deps.ingest(item));
        return;
      case 'ignored': {
        const source = deps.source(message.sourceId);
        if (source) deps.onIgnored?.(source, message.reason);
        return;
      }
      case 'refused':
        for (const item of message.items) deps.onRefusedBatch?.(item.sourceId, item.last, item.count);
        return;
      case 'closed':
        onClosed?.();
        return;
      default:
        return;
    }
  };

  const spawn = () =>
    new Promise<number>((resolve, reject) => {
      const start: ThreadStart = {
        host: options.host,
        port,
        maxBodyBytes: options.maxBodyBytes,
        requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
        sources: deps.sources(),
      };
      // A restarted thread starts from the store's problem now, not from when the first one started.
      const storeProblem = deps.storeProblem?.();
      if (storeProblem !== undefined) start.storeProblem = storeProblem;
      // A small young generation, as the main thread has (--max-semi-space-size=2): RSS stays low under load.
      worker = new Worker(script, { workerData: start, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
      let listening = false;
      worker.on('message', (message: ThreadToMain) => {
        if (message.t === 'listening') {
          listening = true;
          resolve(message.port);
        } else if (message.t === 'failed') {
          reject(Object.assign(new Error(message.message), { listenError: true, ...(message.code !== undefined && { code: message.code }) }));
          void worker.terminate();
        } else handle(message);
      });
      // A message that cannot be deserialized names no request: the thread's timeout answers it.
      worker.on('messageerror', (error) => options.log?.(`ingress: a message from the listener thread could not be read (${error.message}); its request is answered 503 when it times out`));
      worker.on('error', (error) => {
        if (!listening) reject(error);
        else options.log?.(`ingress: the listener thread failed: ${error.message}`);
      });
      worker.on('exit', (code) => {
        if (!listening) return reject(new Error(`the listener thread exited (${code}) before listening`));
        if (closing) return onClosed?.();
        // Requests in flight on it are cut off (their senders retry); accepted events are on disk.
        options.log?.(`ingress: the listener thread exited (${code}); starting it again`);
        setTimeout(() => {
          if (!closing) spawn().catch((error: Error) => options.log?.(`ingress: could not restart the listener thread: ${error.message}`));
        }, RESTART_DELAY_MS).unref();
      });
    });

  port = await spawn();
  return {
    url: urlOf(options.host, port),
    port,
    runsOn: 'thread',
    sourcesChanged: () => post({ t: 'sources', sources: deps.sources() }),
    secretsChanged: () => post({ t: 'secrets-changed' }),
    collectGarbage: () => post({ t: 'gc' }),
    storeProblemChanged: () => {
      const problem = deps.storeProblem?.();
      post({ t: 'store-problem', ...(problem !== undefined && { problem }) });
    },
    close: async () => {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => {
        onClosed = resolve;
        setTimeout(resolve, CLOSE_TIMEOUT_MS).unref();
      });
      post({ t: 'close' });
      await closed;
      await worker.terminate();
    },
  };
}

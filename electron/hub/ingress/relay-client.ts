// Relay client: a laptop has no public address, so a webhook sender posts to a
// smee-compatible relay (smee.io or self-hosted) and this client subscribes to the channel
// over server-sent events and hands each relayed request to ingress as if it had arrived
// directly — signature checks included.
//
// smee protocol (probot/smee.io lib/server.js): GET <channel> with Accept: text/event-stream;
// the server sends `event: ready`, `event: ping` every 30 s, and one unnamed (`message`)
// event per relayed request whose data is JSON: the request headers flattened into the top
// level, plus `body` (the parsed JSON body), `query` and `timestamp`.
//
// The raw-body problem: smee parses the JSON body and sends the object, so the exact bytes
// the sender signed are gone. Like smee-client, this client forwards JSON.stringify(body).
// That reproduces the signed bytes when the sender's JSON was compact (no whitespace) and
// holds nothing JSON.stringify writes differently (e.g. escaped "\u003c" or "\/", floats
// like 1.0). GitHub's payloads are compact JSON, so X-Hub-Signature-256 usually verifies;
// a payload that does not round-trip fails verification and is rejected, never trusted.
// GitLab's and Jenkins' tokens are not over the body and always pass through.
// If a relay includes the raw body as a `rawdata` string (some smee.io versions are said
// to; unverified), it is forwarded byte for byte instead.
//
// Reconnects with exponential backoff and full jitter; a stream that stays silent longer
// than idleTimeoutMs (smee pings every 30 s) counts as dropped.
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type RelayStatus = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface RelayState {
  status: RelayStatus;
  /** The relay channel, without credentials or query. */
  url: string;
  /** The last connection or delivery problem, for the UI. */
  lastError?: string;
  /** When the last relayed request arrived (ISO). */
  lastEventAt?: string;
  /** While reconnecting: the wait before the next attempt, and which attempt that is. */
  retryInMs?: number;
  attempt?: number;
  /** How many relayed requests were handed to ingress since start. */
  delivered: number;
}

export interface RelayedRequest {
  /** smee does not relay the path: the relay URL belongs to one source, so ingress knows where it goes. */
  path?: string;
  /** Lowercase header names, as ingress expects. */
  headers: Record<string, string>;
  body: Buffer;
  query: Record<string, string>;
}

export interface RelayOptions {
  url: string;
  /** Ingress' entry point; its status is what the sender would have got. */
  deliver: (req: RelayedRequest) => Promise<{ status: number }>;
  onState?: (state: RelayState) => void;
  signal?: AbortSignal;
  /** First reconnect delay; doubles per attempt up to maxDelayMs (default 1 s … 60 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** No byte for this long → the stream counts as dropped (default 90 s: three missed smee pings). */
  idleTimeoutMs?: number;
  /** 0..1, for tests that need a fixed delay; default Math.random. */
  random?: () => number;
}

export interface RelayHandle {
  state(): RelayState;
  /** Stops and waits until the connection is closed. */
  stop(): Promise<void>;
  /** Settles when the client has stopped. */
  readonly done: Promise<void>;
}

/** Headers that describe the relay hop, not the original request. */
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'accept-encoding',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-host',
  'via',
]);
/** Fields smee adds beside the flattened headers. */
const ENVELOPE_FIELDS = new Set(['body', 'query', 'timestamp', 'rawdata']);
const MAX_EVENT_CHARS = 30 * 1024 * 1024;

/** Turn one smee `message` event into the request ingress receives. Throws on malformed data. */
export function relayedRequestFromMessage(data: string): RelayedRequest {
  let msg: unknown;
  try {
    msg = JSON.parse(data);
  } catch (err) {
    throw new Error(`relay message is not JSON: ${(err as Error).message}`);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error('relay message is not a JSON object');
  const m = msg as Record<string, unknown>;

  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(m)) {
    const name = key.toLowerCase();
    if (ENVELOPE_FIELDS.has(name) || HOP_HEADERS.has(name)) continue;
    if (typeof value === 'string') headers[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') headers[name] = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) headers[name] = value.join(', ');
  }

  let body: Buffer;
  if (typeof m.rawdata === 'string') {
    body = Buffer.from(m.rawdata, 'utf8');
  } else {
    // Exactly what smee-client forwards; see the raw-body note above.
    body = Buffer.from(m.body === undefined ? '' : JSON.stringify(m.body), 'utf8');
    headers['content-type'] = 'application/json';
  }

  const query: Record<string, string> = {};
  if (typeof m.query === 'object' && m.query !== null) {
    for (const [k, v] of Object.entries(m.query as Record<string, unknown>)) if (typeof v === 'string') query[k] = v;
  }
  return { headers, body, query };
}

export function startRelay(opts: RelayOptions): RelayHandle {
  let parsed: URL;
  try {
    parsed = new URL(opts.url);
  } catch {
    throw new Error('relay URL is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('relay URL must be http(s)');
  const initialDelay = opts.initialDelayMs ?? 1_000;
  const maxDelay = opts.maxDelayMs ?? 60_000;
  const idleTimeout = opts.idleTimeoutMs ?? 90_000;
  const random = opts.random ?? Math.random;
  const stopper = new AbortController();
  const onOuterAbort = () => stopper.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) stopper.abort();

  let state: RelayState = { status: 'connecting', url: displayUrl(opts.url), delivered: 0 };
  const setState = (patch: Partial<RelayState>) => {
    state = { ...state, ...patch };
    if (state.status !== 'reconnecting') {
      delete state.retryInMs;
    }
    opts.onState?.({ ...state });
  };

  // Deliveries run one at a time, in arrival order, off the stream-reading path.
  let queue: Promise<void> = Promise.resolve();
  const enqueue = (data: string) => {
    queue = queue.then(async () => {
      let req: RelayedRequest;
      try {
        req = relayedRequestFromMessage(data);
      } catch (err) {
        setState({ lastError: (err as Error).message });
        return;
      }
      try {
        const { status } = await opts.deliver(req);
        setState({ delivered: state.delivered + 1, ...(status >= 400 ? { lastError: `ingress answered ${status} to a relayed request` } : {}) });
      } catch (err) {
        setState({ lastError: `delivering a relayed request failed: ${(err as Error).message}` });
      }
    });
  };

  const connectOnce = async (onLive: () => void): Promise<string> => {
    const conn = new AbortController();
    const abortConn = () => conn.abort();
    stopper.signal.addEventListener('abort', abortConn, { once: true });
    let idle: NodeJS.Timeout | undefined;
    let idleFired = false;
    let streaming = false;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleFired = true;
        conn.abort();
      }, idleTimeout);
      idle.unref?.();
    };
    try {
      armIdle();
      const res = await fetch(opts.url, { headers: { accept: 'text/event-stream', 'cache-control': 'no-cache' }, signal: conn.signal });
      if (!res.ok) {
        await res.body?.cancel();
        return `relay answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      }
      const type = res.headers.get('content-type') ?? '';
      if (!type.includes('text/event-stream')) {
        await res.body?.cancel();
        return `relay answered ${type || 'no content type'}, not an event stream: is this a smee channel URL?`;
      }
      if (!res.body) return 'relay sent no body';

      let parseProblem: string | undefined;
      const parser = createParser({
        maxBufferSize: MAX_EVENT_CHARS,
        onEvent: (ev: EventSourceMessage) => {
          if (ev.event === 'ready' || ev.event === 'ping') {
            onLive();
            return;
          }
          if (ev.event === undefined || ev.event === 'message') {
            onLive();
            setState({ lastEventAt: new Date().toISOString() });
            enqueue(ev.data);
          }
        },
        onError: (err) => {
          if (err.type === 'max-buffer-size-exceeded') {
            parseProblem = err.message;
            conn.abort();
          }
        },
      });
      streaming = true;
      setState({ status: 'connected', attempt: 0 });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        armIdle();
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
      return parseProblem ?? 'relay closed the stream';
    } catch (err) {
      if (stopper.signal.aborted) return 'stopped';
      if (idleFired) return `relay sent nothing for ${Math.round(idleTimeout / 1000)} s`;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      return streaming ? `relay connection dropped: ${why}` : `relay unreachable: ${why}`;
    } finally {
      clearTimeout(idle);
      stopper.signal.removeEventListener('abort', abortConn);
    }
  };

  const run = async () => {
    let attempt = 0;
    while (!stopper.signal.aborted) {
      setState({ status: 'connecting' });
      const problem = await connectOnce(() => {
        attempt = 0;
      });
      if (stopper.signal.aborted) break;
      attempt += 1;
      const ceiling = Math.min(maxDelay, initialDelay * 2 ** (attempt - 1));
      // Equal jitter: half the ceiling plus a random half, so clients spread out but never hammer.
      const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
      setState({ status: 'reconnecting', lastError: problem, retryInMs: delay, attempt });
      await sleep(delay, stopper.signal);
    }
    await queue;
    setState({ status: 'stopped' });
    opts.signal?.removeEventListener('abort', onOuterAbort);
  };

  const done = run();
  return {
    state: () => ({ ...state }),
    stop: async () => {
      stopper.abort();
      await done;
    },
    done,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Channel URLs can be capabilities; the UI shows origin and path only. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

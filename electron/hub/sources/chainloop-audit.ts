// The `chainloop-audit` source: Chainloop's audit stream on NATS JetStream, read by a
// durable pull consumer with the official `nats` client (loaded on first use: a hub
// without this source never loads it).
//
// - The consumer (default name herald-<source id>) is created on the stream the control
//   plane owns (`chainloop-audit`, subjects `audit.>`) if it does not exist yet, with
//   explicit acks and "deliver new": history from before the source existed is not
//   replayed (as a poller's first poll raises nothing). The server keeps its place.
// - Each message is acknowledged only after Herald's ingest transaction committed its
//   event, so a crash or restart never loses one. A crash between the commit and the ack
//   makes the server deliver it again: its delivery id (stream, sequence, timestamp) is
//   then already stored, and it is not stored twice. Messages fetched but not yet stored
//   when the hub stops are stored before it stops; after a crash (or ones the server was
//   still sending to the closing pull) the server sends them again once their ack_wait
//   (10 s) has passed.
// - A message that is not an audit event is terminated (never redelivered) and reported
//   as the source's last error; it does not hold up the ones behind it.
// - Disconnects are reconnected by the client; a connection that cannot be made, a
//   missing stream or a deleted consumer end run(), and the subscription manager retries.
import type { SourceConfig } from '../../../shared/config.js';
import { mapAuditMessage } from './chainloop-audit-events.js';
import type { SubscribingSource, SubscriptionContext } from './source.js';

export type ChainloopAuditConfig = Extract<SourceConfig, { kind: 'chainloop-audit' }>;

type Nats = typeof import('nats');
let natsModule: Promise<Nats> | undefined;
const loadNats = () => (natsModule ??= import('nats'));

/** Messages fetched ahead of the one being committed. */
const BATCH = 64;
/**
 * How long the server waits for an ack before redelivering (a commit takes milliseconds).
 * Short, because a stop can leave messages the server had already sent to the closing pull
 * unacknowledged: they come again to the next run only after this wait. A redelivery of a
 * message already stored is recognised by its delivery id, so a slow commit costs nothing.
 */
const ACK_WAIT_NS = 10 * 1e9;
const CONNECT_TIMEOUT_MS = 10_000;

export function consumerName(config: ChainloopAuditConfig): string {
  return config.consumer ?? `herald-${config.id}`;
}

/** The NATS connection options for a config: the credentials secret is a .creds file's contents or a token. */
async function connectOptions(config: ChainloopAuditConfig, secrets: Record<string, string>) {
  const nats = await loadNats();
  const credentials = secrets.credentials;
  const auth =
    credentials === undefined
      ? {}
      : credentials.includes('-----BEGIN NATS USER JWT-----')
        ? { authenticator: nats.credsAuthenticator(new TextEncoder().encode(credentials)) }
        : { token: credentials.trim() };
  const tls = config.tls ? { ...(config.tls.caPem && { ca: config.tls.caPem }), ...(config.tls.insecureSkipVerify && { rejectUnauthorized: false }) } : undefined;
  return {
    servers: config.natsUrl,
    name: `herald ${config.id}`,
    timeout: CONNECT_TIMEOUT_MS,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 2_000,
    ...auth,
    ...(tls && { tls: tls as never }),
  };
}

/** A NATS error in words: which server, what it said. */
export function describeNatsError(error: unknown, config: ChainloopAuditConfig): string {
  const e = error as { code?: string; message?: string; api_error?: { code?: number; err_code?: number; description?: string } };
  if (e.api_error?.err_code === 10059) return `the stream "${config.stream}" does not exist on ${config.natsUrl} (is the control plane's audit log publisher on?)`;
  if (e.api_error?.description) return `${config.natsUrl}: ${e.api_error.description}`;
  if (e.code === 'CONNECTION_REFUSED') return `${config.natsUrl} refused the connection (is NATS running there?)`;
  if (e.code === 'AUTHORIZATION_VIOLATION' || /authorization/i.test(e.message ?? '')) return `${config.natsUrl} did not accept the credentials`;
  if (e.code === 'TIMEOUT' || e.code === 'CONNECTION_TIMEOUT') return `${config.natsUrl} did not answer in time`;
  if (e.code === '503' || /no responders/i.test(e.message ?? '')) return `${config.natsUrl} has no JetStream (start nats-server with -js)`;
  return `${config.natsUrl}: ${e.message ?? String(error)}`;
}

async function ensureConsumer(jsm: import('nats').JetStreamManager, nats: Nats, config: ChainloopAuditConfig): Promise<import('nats').ConsumerInfo> {
  const name = consumerName(config);
  try {
    return await jsm.consumers.info(config.stream, name);
  } catch (error) {
    if ((error as { api_error?: { err_code?: number } }).api_error?.err_code !== 10014) throw error; // 10014: consumer not found
  }
  return jsm.consumers.add(config.stream, {
    durable_name: name,
    description: `Herald source ${config.id}`,
    ack_policy: nats.AckPolicy.Explicit,
    deliver_policy: nats.DeliverPolicy.New,
    ack_wait: ACK_WAIT_NS,
    max_ack_pending: 1000,
  });
}

async function run(ctx: SubscriptionContext<ChainloopAuditConfig>): Promise<void> {
  const { config, signal } = ctx;
  const nats = await loadNats();
  ctx.onStatus({ state: 'connecting' });
  let nc: import('nats').NatsConnection;
  try {
    nc = await nats.connect(await connectOptions(config, ctx.secrets));
  } catch (error) {
    throw new Error(describeNatsError(error, config));
  }
  try {
    let info: import('nats').ConsumerInfo;
    try {
      info = await ensureConsumer(await nc.jetstreamManager(), nats, config);
    } catch (error) {
      throw new Error(describeNatsError(error, config));
    }
    if (signal.aborted) return;
    const consumer = await nc.jetstream().consumers.get(config.stream, info.name);
    const messages = await consumer.consume({ max_messages: BATCH });
    // Stopping ends the pull but still yields what was already fetched: those are committed
    // and acknowledged below too, so none waits out ack_wait before the next run sees it.
    const stop = () => void messages.stop();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const connected = { state: 'connected' as const, detail: `consumer ${info.name} on ${config.stream}` };
    ctx.onStatus(connected);
    // The client reconnects by itself; the page says so meanwhile.
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === nats.Events.Disconnect) ctx.onStatus({ state: 'reconnecting', error: `lost the connection to ${config.natsUrl}; reconnecting` });
        else if (status.type === nats.Events.Reconnect) ctx.onStatus(connected);
      }
    })().catch(() => undefined);
    let lost: string | undefined;
    void (async () => {
      for await (const status of await messages.status()) {
        if (status.type === nats.ConsumerEvents.ConsumerDeleted || status.type === nats.ConsumerEvents.StreamNotFound || status.type === nats.ConsumerEvents.ConsumerNotFound) {
          lost = status.type === nats.ConsumerEvents.StreamNotFound ? `the stream "${config.stream}" is gone` : `the consumer ${info.name} was deleted on the server`;
          messages.stop();
        }
      }
    })().catch(() => undefined);

    for await (const m of messages) {
      const mapped = mapAuditMessage(m.subject, m.data);
      if (mapped.kind === 'unreadable') {
        m.term();
        ctx.onDropped(`dropped stream message ${m.seq}: ${mapped.reason}`);
        continue;
      }
      // Stream sequence plus the server's timestamp: a recreated stream restarts its sequence.
      const deliveryId = `chainloop-audit:${config.stream}:${m.seq}:${m.info.timestampNanos}`;
      try {
        await ctx.commit(mapped.events, deliveryId);
      } catch (error) {
        // Not acknowledged: asked to be delivered again in 1 s (to this run or the next).
        m.nak(1_000);
        throw error;
      }
      m.ack();
    }
    if (signal.aborted) return;
    throw new Error(lost ?? `the subscription to ${config.stream} ended`);
  } finally {
    // Acks already written are flushed before the socket closes.
    await nc.drain().catch(() => nc.close().catch(() => undefined));
  }
}

/** "Test connection": connect, find the stream and the consumer's place in it, commit nothing. */
async function test(config: ChainloopAuditConfig, secrets: Record<string, string>, signal: AbortSignal): Promise<{ ok: boolean; detail: string }> {
  const nats = await loadNats();
  let nc: import('nats').NatsConnection | undefined;
  const abort = () => void nc?.close().catch(() => undefined);
  signal.addEventListener('abort', abort, { once: true });
  try {
    nc = await nats.connect({ ...(await connectOptions(config, secrets)), reconnect: false });
    const jsm = await nc.jetstreamManager();
    const stream = await jsm.streams.info(config.stream);
    const name = consumerName(config);
    let place: string;
    try {
      const consumer = await jsm.consumers.info(config.stream, name);
      place = `consumer ${name} has ${consumer.num_pending} message${consumer.num_pending === 1 ? '' : 's'} waiting and ${consumer.num_ack_pending} unacknowledged`;
    } catch (error) {
      if ((error as { api_error?: { err_code?: number } }).api_error?.err_code !== 10014) throw error;
      place = `consumer ${name} will be created when the source starts (new messages only)`;
    }
    return { ok: true, detail: `connected to ${config.natsUrl}: stream ${config.stream} holds ${stream.state.messages} messages (subjects ${stream.config.subjects.join(', ')}); ${place}` };
  } catch (error) {
    return { ok: false, detail: signal.aborted ? `${config.natsUrl} did not answer in time` : describeNatsError(error, config) };
  } finally {
    signal.removeEventListener('abort', abort);
    await nc?.close().catch(() => undefined);
  }
}

export const chainloopAuditSource: SubscribingSource<ChainloopAuditConfig> = { kind: 'chainloop-audit', run, test };

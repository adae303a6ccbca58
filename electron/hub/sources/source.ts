// Source contracts. Webhook sources are pure (verify + parse) so fixtures test them
// directly; polling sources get their last state back, so a restart neither misses
// nor repeats a transition.
import type { RateLimitView } from '../../../shared/api.js';
import type { SourceConfig } from '../../../shared/config.js';
import type { EventInput } from '../../../shared/event.js';

/** A received HTTP request, as ingress hands it to a source. Header names are lowercase. */
export interface IncomingRequest {
  headers: Record<string, string | undefined>;
  /** The raw body bytes, exactly as received (signatures are over these). */
  body: Buffer;
  /** Path segments after `/hooks/<sourceId>/`, for sources that carry a token in the path. */
  pathRest: string;
}

export type ParseResult =
  | {
      kind: 'events';
      events: EventInput[];
      deliveryId?: string;
      raw?: unknown;
      /** Keep `raw` for the detail view instead of the body as received (a body of base64 blobs shown decoded). */
      rawIsDecoded?: boolean;
    }
  /** Understood but not interesting (a ping, an action Herald does not map): 2xx, recorded as ignored. */
  | { kind: 'ignored'; reason: string; deliveryId?: string }
  /** Malformed: 400 with this reason. */
  | { kind: 'invalid'; reason: string };

export interface WebhookSource<S extends SourceConfig = SourceConfig> {
  readonly kind: S['kind'];
  /** Also takes `application/x-www-form-urlencoded` with the JSON in `payload=` (GitHub); every other kind gets 415 for it. */
  readonly formEncoded?: true;
  /** Constant-time check of the request's signature or token against the resolved secret. */
  verify(request: IncomingRequest, secret: string, config: S): boolean;
  parse(request: IncomingRequest, config: S): ParseResult;
  /**
   * "Test connection": how Herald sends itself a request this kind accepts (the headers
   * for the resolved secret), to go through the real listener. Absent: the user sends a
   * test delivery from the tool, and `testNote` says where it shows.
   */
  readonly testRequest?: (secret: string) => { headers: Record<string, string> };
  readonly testNote?: string;
}

/** What a poll tells the source view besides events: the API's budget, and what the source does about it. */
export interface PollReport {
  rateLimit?: RateLimitView;
  /** Shown with the schedule; null clears an earlier one. */
  notice?: string | null;
}

export interface PollContext<S extends SourceConfig = SourceConfig> {
  config: S;
  secrets: Record<string, string>;
  signal: AbortSignal;
  now: Date;
  /** Called during a poll (also one that fails) with what the API said about its budget. */
  report?: (report: PollReport) => void;
}

export interface PollResult<State> {
  events: EventInput[];
  state: State;
  /** Wait at least this long before the next poll (a rate budget running low); default the interval. */
  nextPollInMs?: number;
}

export interface PollingSource<S extends SourceConfig = SourceConfig, State = unknown> {
  readonly kind: S['kind'];
  /** Seconds between polls when the source does not say. */
  readonly defaultIntervalSeconds: number;
  poll(ctx: PollContext<S>, lastState: State | undefined): Promise<PollResult<State>>;
  /** "Test connection" of its own (who the token is, what it may not read); default: one poll, nothing committed. */
  test?(ctx: PollContext<S>): Promise<{ ok: boolean; detail: string }>;
}

/** What a subscribed source's connection is doing, for the Sources page and health. */
export type SubscriptionStatus =
  | { state: 'connecting' }
  | { state: 'connected'; detail?: string }
  | { state: 'reconnecting'; error: string };

export interface SubscriptionContext<S extends SourceConfig = SourceConfig> {
  config: S;
  secrets: Record<string, string>;
  /**
   * Stores one message's events durably (one transaction), resolving after the commit; a
   * message stored before (the same deliveryId: a redelivery after a crash between commit
   * and acknowledgement) resolves without storing it twice.
   */
  commit(events: EventInput[], deliveryId: string): Promise<void>;
  onStatus(status: SubscriptionStatus): void;
  /** A message that could not be read was dropped (it will not come again): shown as the last error. */
  onDropped(reason: string): void;
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * A source that holds a connection open and is pushed messages (a message queue): neither
 * a webhook nor a poll. `run` connects, consumes and acknowledges each message only after
 * its events are committed, and returns when the signal aborts; it throws when the
 * connection cannot be made or is lost for good, and the subscription manager retries.
 */
export interface SubscribingSource<S extends SourceConfig = SourceConfig> {
  readonly kind: S['kind'];
  run(ctx: SubscriptionContext<S>): Promise<void>;
  /** "Test connection": connect, check what consuming needs, commit nothing. */
  test(config: S, secrets: Record<string, string>, signal: AbortSignal): Promise<{ ok: boolean; detail: string }>;
}

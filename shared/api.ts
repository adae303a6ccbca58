// The one contract between the UI (and scripts) and the hub. Electron IPC and the
// headless HTTP server are two transports of it: `POST /api/<method>` with the input
// as JSON, the output as JSON; live updates as server-sent events on `/api/updates`.
import { z } from 'zod';
import {
  ChannelSchema,
  HeraldConfigSchema,
  IdSchema,
  PollTlsSchema,
  RedactedChannelSchema,
  RedactedSourceSchema,
  RuleSchema,
  SecretRefSchema,
  SettingsSchema,
  SourceSchema,
} from './config.js';
import { EventSchema, EventTypeSchema, SeveritySchema, SUBJECT_FIELDS } from './event.js';
import { MAX_MUTE_MINUTES, MuteSchema } from './mutes.js';
import { BoardItemSchema, BoardPageSchema, BoardQuerySchema } from './board.js';

const id = z.string().min(1).max(100);

const ANSWER_JSON = Symbol('herald.answerJson');
/** An answer that carries its own JSON text (see withAnswerJson). */
export type AnswerWithJson<T extends object> = T & { readonly [ANSWER_JSON]?: string };

/**
 * Attaches an answer's JSON, made by the hub as its parts changed (the board's 5,000 items
 * are a join of strings kept per item, not a stringify per request). The HTTP transport
 * sends that text as is; Electron's IPC clones the object and leaves the symbol behind.
 * `json` must be exactly JSON.stringify(answer).
 */
export function withAnswerJson<T extends object>(answer: T, json: string): AnswerWithJson<T> {
  Object.defineProperty(answer, ANSWER_JSON, { value: json, enumerable: false });
  return answer;
}

/** The JSON an answer carries (withAnswerJson), if any. */
export function answerJson(answer: unknown): string | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const json = (answer as { [ANSWER_JSON]?: unknown })[ANSWER_JSON];
  return typeof json === 'string' ? json : undefined;
}
/** The most events one thread returns (a commit retried that often is an outlier). */
export const THREAD_LIMIT = 500;

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed', 'cancelled'] as const;
export const DeliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  channelId: z.string(),
  ruleId: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  deliveredAt: z.string().nullable(),
});
export type Delivery = z.infer<typeof DeliverySchema>;

/** Why a rule did or did not send an event: shown in the event detail. */
export const RULE_OUTCOMES = ['routed', 'throttled', 'quiet_hours', 'snoozed', 'no_channels', 'muted'] as const;
export const RuleOutcomeSchema = z.object({
  ruleId: z.string(),
  ruleName: z.string(),
  outcome: z.enum(RULE_OUTCOMES),
  /** Channels that got a delivery. */
  channels: z.array(z.string()),
  /** Channels the rule names that were held back (snooze, quiet hours, a muted pipeline) or unknown. */
  heldBack: z.array(z.string()),
  reason: z.string(),
  /** Set when the rule collects events into a digest: `channels` get the digest, not this event. */
  digest: z.object({ windowSeconds: z.number() }).optional(),
  /**
   * Set when the rule groups storms: `channels` get the group's message, not this event.
   * `by` holds the event's values of the rule's group fields (absent ones left out).
   */
  group: z.object({ by: z.record(z.string(), z.string()), waitSeconds: z.number(), intervalSeconds: z.number() }).optional(),
});
export type RuleOutcome = z.infer<typeof RuleOutcomeSchema>;

/** A commit filter: a SHA or its first hex digits (a prefix, as `git` takes them); empty is no filter. */
export const COMMIT_PREFIX = /^([0-9a-f]{4,64})?$/i;
export const COMMIT_PREFIX_PROBLEM = 'must be a commit SHA or at least its first 4 hex digits';
export const EventQuerySchema = z
  .object({
    /** Full-text search over title, summary and subject. */
    text: z.string().max(500).optional(),
    sources: z.array(id).max(100).optional(),
    types: z.array(EventTypeSchema).max(100).optional(),
    severities: z.array(SeveritySchema).max(4).optional(),
    ...Object.fromEntries(SUBJECT_FIELDS.map((f) => [f, z.string().max(300).optional()])),
    /** A commit SHA or its first hex digits (a prefix, as `git` takes them). */
    commit: z.string().trim().regex(COMMIT_PREFIX, COMMIT_PREFIX_PROBLEM).optional(),
    unread: z.boolean().optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(500).default(100),
    /** Opaque; from the previous page's `nextCursor`. */
    cursor: z.string().max(200).optional(),
  })
  .strict() as z.ZodType<EventQuery, EventQueryInput>;
type SubjectFilter = { [K in (typeof SUBJECT_FIELDS)[number]]?: string };
export type EventQuery = {
  text?: string;
  sources?: string[];
  types?: string[];
  severities?: z.infer<typeof SeveritySchema>[];
  unread?: boolean;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
} & SubjectFilter;
export type EventQueryInput = Omit<EventQuery, 'limit'> & { limit?: number };

export const EventPageSchema = z.object({
  items: z.array(EventSchema),
  nextCursor: z.string().optional(),
  /** Matches of the query in all pages: on the first page only (no cursor); keep it while paging. */
  total: z.number().optional(),
  /** Set when counting stopped at a cap: there are more than `total` matches ("1,000+"). */
  totalCapped: z.boolean().optional(),
});

/** Another event, as a link names it: a summary that carried an event, or one a summary carries. */
export const EventRefSchema = z.object({ id: z.string(), type: z.string(), title: z.string(), occurredAt: z.string() });
export type EventRef = z.infer<typeof EventRefSchema>;

export const EventDetailSchema = z.object({
  event: EventSchema,
  /** The payload as the source sent it (capped), for the detail view. */
  raw: z.unknown().optional(),
  matches: z.array(RuleOutcomeSchema),
  deliveries: z.array(DeliverySchema),
  /** Where the event waits in a grouping rule's storm group, per channel: its group's message goes at `dueAt` (ISO). Absent once sent. */
  groupWaits: z.array(z.object({ ruleId: z.string(), channelId: z.string(), dueAt: z.string() })).optional(),
  /** The summaries that carried the event — its storm group's messages, its digests — oldest first. Absent when none did. */
  summarizedIn: z.array(EventRefSchema).optional(),
  /** For a summary (`herald.group`, `herald.digest`): the events it carries, in the order they came (the first SUMMARY_MEMBERS_SHOWN), and how many. */
  carries: z.object({ events: z.array(EventRefSchema), total: z.number() }).optional(),
});
/** The most of a summary's events events.get names. */
export const SUMMARY_MEMBERS_SHOWN = 100;

export const HealthStateSchema = z.object({
  healthy: z.boolean(),
  consecutiveFailures: z.number(),
  lastError: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lastFailureAt: z.string().nullable(),
});
export type HealthState = z.infer<typeof HealthStateSchema>;

/**
 * Secret fields come back as whether they are set, and their reference (`keychain:<name>`,
 * `env:<VAR>`; a ref is not a secret): the api never returns a secret. Keyed by field path
 * (`secret`, `secretHeaders.Authorization`). A client may send a ref back in `config` to keep it.
 */
export const SecretStatusSchema = z.record(z.string(), z.object({ set: z.boolean(), ref: z.string().optional() }));
export type SecretStatuses = z.infer<typeof SecretStatusSchema>;

/** A relayed source's relay client (smee-compatible channel → ingress). */
export const RelayViewSchema = z.object({
  state: z.enum(['connecting', 'connected', 'reconnecting', 'stopped']),
  lastError: z.string().nullable(),
  /** When the relay last passed a request on (ISO). */
  lastEventAt: z.string().nullable(),
  /** Requests handed to ingress since the client started. */
  delivered: z.number(),
  /** While reconnecting: the wait before the next attempt. */
  retryInMs: z.number().optional(),
});
export type RelayView = z.infer<typeof RelayViewSchema>;

/** An API's request budget as its last answer stated it (GitHub's X-RateLimit-*). */
export const RateLimitViewSchema = z.object({
  limit: z.number(),
  remaining: z.number(),
  /** When the budget refills (ISO). */
  resetAt: z.string(),
});
export type RateLimitView = z.infer<typeof RateLimitViewSchema>;

/** A polled source's schedule (ISO times; backoffMs > 0 while it fails). */
export const PollViewSchema = z.object({
  lastPollAt: z.string().nullable(),
  nextPollAt: z.string().nullable(),
  lastError: z.string().nullable(),
  backoffMs: z.number(),
  consecutiveFailures: z.number(),
  /** The API's request budget, for sources whose API states one. */
  rateLimit: RateLimitViewSchema.optional(),
  /** What the source is doing about it: "slowed down to every 2 min to stay within the rate limit", "paused until 09:14: …". */
  notice: z.string().optional(),
});
export type PollView = z.infer<typeof PollViewSchema>;

/** A subscribed source's connection (a message queue it consumes: the Chainloop audit stream). */
export const SubscriptionViewSchema = z.object({
  state: z.enum(['connecting', 'connected', 'reconnecting', 'stopped']),
  /** What it is connected to, e.g. the consumer and stream. */
  detail: z.string().optional(),
  lastError: z.string().nullable(),
  /** When the last message was committed (ISO). */
  lastEventAt: z.string().nullable(),
  /** Messages committed and acknowledged since the hub started. */
  received: z.number(),
  /** Messages that were not events and were dropped since the hub started. */
  dropped: z.number(),
  /** While reconnecting: the wait before the next attempt. */
  retryInMs: z.number().optional(),
});
export type SubscriptionView = z.infer<typeof SubscriptionViewSchema>;
/** A request ingress refused (wrong signature, unset secret, bad payload…), as its sender was answered. */
export const RejectedRequestSchema = z.object({ at: z.string(), status: z.number(), reason: z.string() });
export type RejectedRequest = z.infer<typeof RejectedRequestSchema>;

export const SourceViewSchema = z.object({
  /** The source's config without its secret fields (they are in `secrets`): narrow on `config.kind`. */
  config: RedactedSourceSchema,
  secrets: SecretStatusSchema,
  /** A secret ref that does not resolve here, as `field: why` (`secret: file /x does not exist`): the source waits for it. */
  needsSecret: z.string().optional(),
  /** What to paste into the sending tool; placeholders such as `<token>` are explained in ingressHint. */
  ingressUrl: z.string(),
  /** How to set up the sending tool (content type, where the secret goes, which events). */
  ingressHint: z.string().optional(),
  lastEventAt: z.string().nullable(),
  eventCount: z.number(),
  health: HealthStateSchema,
  /** The last verified request Herald answered 2xx but did not store (a ping, an unhandled action), since the hub started. */
  lastIgnored: z.object({ at: z.string(), reason: z.string() }).optional(),
  /** The last request ingress refused, since the hub started. */
  lastRejected: RejectedRequestSchema.optional(),
  /** Requests refused in the last hour. */
  rejectedLastHour: z.number().optional(),
  /** Why the source is not working, in a few words (its secret, its refused last request); absent when it is. */
  attention: z.string().optional(),
  relay: RelayViewSchema.optional(),
  poll: PollViewSchema.optional(),
  subscription: SubscriptionViewSchema.optional(),
});
export const ChannelViewSchema = z.object({
  /** The channel's config without its secret fields (they are in `secrets`): narrow on `config.kind`. */
  config: RedactedChannelSchema,
  secrets: SecretStatusSchema,
  /** A secret ref that does not resolve here, as `field: why`: sends fail until it does. */
  needsSecret: z.string().optional(),
  health: HealthStateSchema,
  /** Deliveries queued or in flight: the channel's backlog. */
  pending: z.number(),
  failed: z.number(),
  /**
   * How fast it delivers now: sends allowed at once (adapted to what the endpoint sustains,
   * within `maxConcurrency`, the channel's declared limit), sends in flight, the latency the
   * limit is judged against, and the last time it was cut and why (429/5xx, or latency).
   */
  delivery: z
    .object({
      concurrency: z.number(),
      maxConcurrency: z.number(),
      inFlight: z.number(),
      baselineMs: z.number().optional(),
      lastDecrease: z.object({ reason: z.enum(['overload', 'latency']), at: z.string() }).optional(),
      /**
       * The service asked for a pause (Retry-After on a 429/503): nothing is sent to the
       * channel before this time (ISO), whatever is pending; editing the channel lifts it.
       * `pausedBy` is the answer that asked ("HTTP 429: slow down").
       */
      pausedUntil: z.string().optional(),
      pausedBy: z.string().optional(),
      /** Its backlog waits out a retry's backoff (nothing in flight): when the next attempt goes (ISO). */
      nextAttemptAt: z.string().optional(),
    })
    .optional(),
  /**
   * Why this channel cannot work on this hub though its config is valid (a desktop channel
   * on a hub without a desktop session). Saving is allowed: the config may move to a hub that
   * has one, or the session may come later.
   */
  warning: z.string().optional(),
});
export type SourceView = z.infer<typeof SourceViewSchema>;
export type ChannelView = z.infer<typeof ChannelViewSchema>;

/**
 * Create/update input for items with secrets: `config` is the item; a secret field left out
 * keeps its stored ref on update (a map such as `secretHeaders`, when given, is the whole
 * map of refs). `secrets` maps a secret field path (`secret`, `secretHeaders.Authorization`)
 * to its plaintext value, which the hub writes to the keychain. `clearSecrets` lists secret
 * field paths to remove (an optional password, one header); a keychain entry nothing refers
 * to any more is deleted.
 */
const withSecrets = <T extends z.ZodTypeAny>(config: T) =>
  z
    .object({
      config,
      secrets: z.record(z.string().max(200), z.string().max(10_000)).default({}),
      clearSecrets: z.array(z.string().min(1).max(200)).max(100).optional(),
    })
    .strict();

export const HubStatusSchema = z.object({
  version: z.string(),
  startedAt: z.string(),
  ingressUrl: z.string(),
  apiUrl: z.string(),
  keychain: z.object({ available: z.boolean(), reason: z.string().optional() }),
  /**
   * Not ok while the store cannot take events — SQLite's file found damaged at run time (until
   * it is recovered), its disk full (until there is room), PostgreSQL unreachable — with the
   * problem in words; ingest answers 503 meanwhile.
   */
  database: z.object({ ok: z.boolean(), problem: z.string().optional() }),
  /** Where the hub keeps its data; without a keychain the UI suggests secret files under it. */
  dataDir: z.string().optional(),
  counts: z.object({
    events: z.number(),
    unread: z.number(),
    pendingDeliveries: z.number(),
    failedDeliveries: z.number(),
  }),
  channels: z.array(z.object({ id: z.string(), name: z.string(), health: HealthStateSchema })),
  sources: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      health: HealthStateSchema,
      /** As in the source's view: why it is not working (its secret, a refused last request). */
      attention: z.string().optional(),
      /** Paused by the user: its last health is history, not a problem to raise (sidebar, tray). */
      paused: z.literal(true).optional(),
    }),
  ),
  /**
   * This replica and who runs the one-at-a-time work (each poller `poll:<source id>`, digests,
   * grouping, mute expiry, retention). `single`: one hub holds every lease (SQLite);
   * `lease-table`: replicas sharing a PostgreSQL database.
   */
  replica: z
    .object({
      id: z.string(),
      engine: z.enum(['single', 'lease-table']),
      leases: z.array(
        z.object({ name: z.string(), holder: z.string().nullable(), expiresAt: z.string().optional(), mine: z.boolean() }),
      ),
      /** Why the leases could not be read now (the database is unreachable). */
      problem: z.string().optional(),
    })
    .optional(),
});

export const TestResultSchema = z.object({ ok: z.boolean(), detail: z.string() });

/** "Connect GitHub / GitLab": a token (typed, or a reference the hub resolves) and the server; nothing is stored. */
export const CiDiscoverInputSchema = z
  .object({
    kind: z.enum(['github-actions', 'gitlab-ci']),
    /** The token as pasted: used for this one look-up only. */
    token: z.string().trim().min(1).max(1000).optional(),
    /** Or where it is (`env:VAR`…), resolved by the hub. */
    tokenRef: SecretRefSchema.optional(),
    /** GitHub's apiUrl or GitLab's baseUrl; absent = github.com / gitlab.com. */
    url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    tls: PollTlsSchema.optional(),
  })
  .strict()
  .refine((i) => (i.token === undefined) !== (i.tokenRef === undefined), { message: 'give the token or a reference to it, not both', path: ['token'] });

export const CiDiscoverySchema = z.object({
  /** The token's user: login (GitHub) or username (GitLab). */
  account: z.string(),
  /** What else the server said: token kind, scopes. */
  detail: z.string(),
  /** Repositories (`owner/name`) or projects (`group/project`) the token can see, most recently active first. */
  repos: z.array(z.object({ name: z.string(), private: z.boolean(), description: z.string().optional() })),
  /** More existed than were listed. */
  truncated: z.boolean(),
});
export type CiDiscovery = z.infer<typeof CiDiscoverySchema>;

const method = <I extends z.ZodTypeAny, O extends z.ZodTypeAny>(input: I, output: O) => ({ input, output });
const none = z.object({}).strict().default({});

/** Events a digest or grouping rule holds back now (rules.held). */
export const RuleHeldSchema = z.object({
  ruleId: z.string(),
  /** `digest`: waiting in the rule's open window; `group`: in its storm groups. */
  kind: z.enum(['digest', 'group']),
  /** Events waiting. */
  waiting: z.number(),
  /** Storm groups with events waiting (`group` only). */
  groups: z.number().optional(),
  /** When the next message goes (the digest, the first group's), ISO. */
  nextAt: z.string(),
});
export type RuleHeld = z.infer<typeof RuleHeldSchema>;
const byId = z.object({ id }).strict();
const ok = z.object({ ok: z.literal(true) });

export const apiContract = {
  'hub.status': method(none, HubStatusSchema),

  'events.list': method(EventQuerySchema, EventPageSchema),
  'events.get': method(byId, EventDetailSchema),
  'events.markRead': method(
    z.object({ ids: z.array(id).max(10_000).optional(), all: z.boolean().optional(), read: z.boolean().default(true) }).strict(),
    z.object({ updated: z.number() }),
  ),
  'events.delete': method(z.object({ ids: z.array(id).min(1).max(10_000) }).strict(), z.object({ deleted: z.number() })),

  'deliveries.list': method(
    z.object({ eventId: id.optional(), status: z.enum(DELIVERY_STATUSES).optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    z.array(DeliverySchema),
  ),
  'deliveries.retry': method(byId, DeliverySchema),

  'sources.list': method(none, z.array(SourceViewSchema)),
  'sources.create': method(withSecrets(z.record(z.string(), z.unknown())), SourceViewSchema),
  'sources.update': method(withSecrets(z.record(z.string(), z.unknown())), SourceViewSchema),
  'sources.delete': method(byId, ok),
  /** Can Herald reach it / can it reach Herald: a poller polls once, a webhook source gets a `herald.test` event through ingress. */
  'sources.test': method(byId, TestResultSchema),
  /** Who a GitHub or GitLab token is and what it can see, for the "Connect" picker; stores nothing. */
  'sources.discover': method(CiDiscoverInputSchema, CiDiscoverySchema),

  'channels.list': method(none, z.array(ChannelViewSchema)),
  'channels.create': method(withSecrets(z.record(z.string(), z.unknown())), ChannelViewSchema),
  'channels.update': method(withSecrets(z.record(z.string(), z.unknown())), ChannelViewSchema),
  'channels.delete': method(byId, ok),
  'channels.test': method(byId, TestResultSchema),
  /** Every failed delivery of the channel tried again from its first attempt (after fixing its URL or token). */
  'channels.retryFailed': method(byId, z.object({ retried: z.number() })),

  'rules.list': method(none, z.array(RuleSchema)),
  'rules.create': method(z.object({ config: z.record(z.string(), z.unknown()) }).strict(), RuleSchema),
  'rules.update': method(z.object({ config: z.record(z.string(), z.unknown()) }).strict(), RuleSchema),
  'rules.delete': method(byId, ok),
  'rules.preview': method(
    z.object({ config: z.record(z.string(), z.unknown()), limit: z.number().int().min(1).max(1000).default(200) }).strict(),
    z.object({ scanned: z.number(), matched: z.array(EventSchema) }),
  ),
  /** Rules are evaluated in order: rewrite the order. `ids` must name every rule exactly once. */
  'rules.reorder': method(z.object({ ids: z.array(IdSchema).max(1000) }).strict(), z.array(RuleSchema)),
  /** What digest and grouping rules hold back now: events waiting, and when their message goes. */
  'rules.held': method(none, z.object({ items: z.array(RuleHeldSchema) })),

  'settings.get': method(none, SettingsSchema),
  /**
   * Each top-level setting given replaces that setting whole (`retention`, `quietHours`…);
   * `null` removes it (an optional one is off, a defaulted one back to its default); settings
   * not given are kept. The UI sends the whole object with `null` for what it turned off;
   * `{ settings: { snoozeUntil } }` changes only the snooze.
   */
  'settings.update': method(z.object({ settings: z.record(z.string(), z.unknown()) }).strict(), SettingsSchema),

  /** The whole config in the `--config FILE` shape (secret refs only, never a secret). */
  'config.export': method(none, z.object({ config: HeraldConfigSchema })),
  /** Replaces sources, channels, rules and settings wholesale, like `--config FILE` at start. */
  'config.import': method(
    z.object({ config: HeraldConfigSchema }).strict(),
    z.object({
      sources: z.number(),
      channels: z.number(),
      rules: z.number(),
      /** Secret refs that do not resolve on this machine (`source "ci" secret: …`): imported, but will fail until set. */
      unresolvedSecrets: z.array(z.string()),
    }),
  ),

  /** Start at login: the Electron shell answers; the headless hub says `supported: false`. */
  'autostart.get': method(none, z.object({ supported: z.boolean(), enabled: z.boolean() })),
  'autostart.set': method(z.object({ enabled: z.boolean() }).strict(), z.object({ supported: z.boolean(), enabled: z.boolean() })),

  /**
   * What has a state now (shared/board.ts), worst first: failing, running, unknown, passing;
   * within a state the longest-standing first. Filtered by state, source and project, a page
   * at a time: `limit` items (default BOARD_PAGE_DEFAULT, at most BOARD_PAGE_MAX), then
   * `after: next` for the following page (a keyset cursor: a thing that did not change is
   * neither skipped nor repeated while the board moves between pages). `counts` are of
   * everything the filters match, whichever page; `limit: 0` asks for the counts alone.
   */
  'board.list': method(BoardQuerySchema, BoardPageSchema),
  /**
   * A commit's thread: its events across tools, in the order they happened (then as
   * received). `commit` is a full SHA or a prefix of at least 7 hex digits naming one commit.
   */
  'threads.get': method(
    z
      .object({
        commit: z
          .string()
          .trim()
          .regex(/^[0-9a-f]{7,64}$/i, 'must be a commit SHA (7 to 64 hex digits)')
          .toLowerCase(),
        limit: z.number().int().min(1).max(THREAD_LIMIT).default(THREAD_LIMIT),
      })
      .strict(),
    z.object({
      commit: z.string(),
      events: z.array(EventSchema),
      /** More events than `limit` carry this commit: the newest were left out. */
      truncated: z.boolean().optional(),
    }),
  ),

  /** Pipelines muted now (expired mutes are left out), newest first. */
  'mutes.list': method(none, z.object({ items: z.array(MuteSchema) })),
  /**
   * Mute a pipeline: the one an event is about (`eventId`), or one named directly. Either for
   * `minutes` or `untilPasses` (its next success lifts it). Muting a muted pipeline replaces its mute.
   */
  'mutes.add': method(
    z
      .object({
        eventId: id.optional(),
        pipeline: z
          .object({ sourceId: id, project: z.string().min(1).max(300).optional(), pipeline: z.string().min(1).max(300).optional(), branch: z.string().min(1).max(300).optional() })
          .strict()
          .optional(),
        minutes: z.number().int().min(1).max(MAX_MUTE_MINUTES, `must be at most ${MAX_MUTE_MINUTES} minutes (a week)`).optional(),
        untilPasses: z.literal(true).optional(),
      })
      .strict()
      .refine((m) => (m.eventId === undefined) !== (m.pipeline === undefined), { message: 'give eventId or pipeline, not both', path: ['eventId'] })
      .refine((m) => (m.minutes === undefined) !== (m.untilPasses === undefined), { message: 'give minutes or untilPasses: true, not both', path: ['minutes'] }),
    MuteSchema,
  ),
  /** Lift a mute now. */
  'mutes.remove': method(z.object({ key: z.string().min(1).max(2000) }).strict(), ok),

  /** The desktop app's global shortcut, as registered; the headless hub says `supported: false`. */
  'shortcut.status': method(
    none,
    z.object({
      supported: z.boolean(),
      accelerator: z.string(),
      registered: z.boolean(),
      /** Why it is not registered (another app holds it, the OS refused it), in one sentence. */
      problem: z.string().optional(),
    }),
  ),
} as const;

export type ApiContract = typeof apiContract;
export type ApiMethod = keyof ApiContract;
export type ApiInput<M extends ApiMethod> = z.input<ApiContract[M]['input']>;
export type ApiParsedInput<M extends ApiMethod> = z.output<ApiContract[M]['input']>;
export type ApiOutput<M extends ApiMethod> = z.output<ApiContract[M]['output']>;

/** What a client (the renderer, a script) calls. */
export type Api = { [M in ApiMethod]: (input: ApiInput<M>) => Promise<ApiOutput<M>> };
/** What the hub implements; a missing method fails to compile. */
export type ApiHandlers = { [M in ApiMethod]: (input: ApiParsedInput<M>) => Promise<ApiOutput<M>> };

/** Live updates, pushed to every subscribed client. */
export const ApiUpdateSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event.created'), event: EventSchema }),
  z.object({ type: z.literal('events.changed') }),
  z.object({ type: z.literal('delivery.updated'), delivery: DeliverySchema }),
  z.object({ type: z.literal('health.changed') }),
  z.object({ type: z.literal('config.changed'), what: z.enum(['sources', 'channels', 'rules', 'settings']) }),
  z.object({ type: z.literal('mutes.changed') }),
  /** Board items an ingest changed (written, or removed by key); a mute change is `mutes.changed`. */
  z.object({ type: z.literal('board.updated'), items: z.array(BoardItemSchema), removed: z.array(z.string()) }),
  /** The board changed in ways this hub cannot list item by item (another replica's ingest): reload it. */
  z.object({ type: z.literal('board.changed') }),
  /** The desktop app's global shortcut was (re)registered or refused. */
  z.object({ type: z.literal('shortcut.changed') }),
]);
export type ApiUpdate = z.infer<typeof ApiUpdateSchema>;

/** Errors cross the transport as `{ error: { code, message } }`. */
export const API_ERROR_CODES = ['invalid_input', 'not_found', 'conflict', 'unavailable', 'internal'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const API_METHODS = Object.keys(apiContract) as ApiMethod[];
export { ChannelSchema, IdSchema, RuleSchema, SettingsSchema, SourceSchema };

/**
 * What a transport gives the renderer: Electron's preload exposes it as `window.herald`;
 * in a browser the renderer builds it over HTTP. The renderer does not know which it has.
 */
export interface HeraldBridge {
  invoke<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<ApiOutput<M>>;
  /** Live updates; returns the unsubscribe function (fits React effect cleanup). */
  subscribe(listener: (update: ApiUpdate) => void): () => void;
}

/** The HTTP transport (headless): paths and names both sides agree on. */
export const HTTP_TRANSPORT = {
  methodPath: (method: ApiMethod) => `/api/${method}`,
  updatesPath: '/api/updates',
  /** Visiting `/?token=…` sets this cookie (HttpOnly, SameSite=Strict) and redirects to `/`. */
  tokenCookie: 'herald_token',
  tokenQuery: 'token',
} as const;

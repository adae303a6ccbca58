// The user's configuration: sources, channels, rules and settings. The hub validates
// its config store and `--config FILE` with these; the UI validates its forms with them.
import { z } from 'zod';
import { SeveritySchema } from './event.js';
import { validateJsonTemplate } from './templates.js';

/**
 * Config files never hold a secret, only where to find it:
 * `keychain:<name>` (the OS keychain) or `env:<VAR>` (for headless servers).
 */
export const SecretRefSchema = z
  .string()
  .regex(/^(keychain:[\w.:/@-]{1,200}|env:[A-Za-z_][A-Za-z0-9_]{0,127})$/, 'must be keychain:<name> or env:<VAR>');
export type SecretRef = z.infer<typeof SecretRefSchema>;

export const IdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, - or _');

const base = {
  id: IdSchema,
  name: z.string().trim().min(1, 'must not be empty').max(200),
  enabled: z.boolean().default(true),
};

// ── Sources ────────────────────────────────────────────────────────────────

/** Herald's own event JSON over `POST /hooks/<id>`, with a Bearer secret or an HMAC signature. */
export const GenericSourceSchema = z
  .object({ ...base, kind: z.literal('generic'), secret: SecretRefSchema })
  .strict();

/** A smee-compatible channel URL that relays this source's webhooks to a hub without a public address. */
const relayUrl = z.url({ protocol: /^https?$/ }).max(2000).optional();

/** GitHub webhooks (workflow_run, workflow_job, deployment_status, check_suite), signed with X-Hub-Signature-256. */
export const GithubSourceSchema = z
  .object({ ...base, kind: z.literal('github'), secret: SecretRefSchema, relayUrl })
  .strict();

/** GitLab pipeline, job and deployment hooks, authenticated by X-Gitlab-Token. */
export const GitlabSourceSchema = z
  .object({ ...base, kind: z.literal('gitlab'), secret: SecretRefSchema, relayUrl })
  .strict();

/** Jenkins Notification plugin JSON; the token comes in the URL path (`/hooks/<id>/<token>`) or X-Herald-Token. */
export const JenkinsSourceSchema = z
  .object({
    ...base,
    kind: z.literal('jenkins'),
    secret: SecretRefSchema,
    /** The phase whose status is the build's outcome: FINALIZED (after post-build steps) or COMPLETED, never both. */
    outcomePhase: z.enum(['FINALIZED', 'COMPLETED']).default('FINALIZED'),
  })
  .strict();

/** Any cctray.xml feed (Jenkins, GoCD, TeamCity, Buildkite…), polled; optional basic or bearer auth. */
export const CctraySourceSchema = z
  .object({
    ...base,
    kind: z.literal('cctray'),
    url: z.url({ protocol: /^https?$/ }).max(2000),
    pollIntervalSeconds: z.number().int().min(10).max(86_400).default(60),
    /** Basic auth user; its password is the `password` secret. */
    username: z.string().min(1).max(200).optional(),
    password: SecretRefSchema.optional(),
    /** Bearer token, instead of basic auth. */
    token: SecretRefSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.username === undefined) !== (s.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [s.username === undefined ? 'username' : 'password'], message: 'basic auth needs both username and password' });
    }
    if (s.token !== undefined && s.password !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'use either basic auth (username/password) or a bearer token, not both' });
    }
  });

export const SourceSchema = z.discriminatedUnion('kind', [GenericSourceSchema, GithubSourceSchema, GitlabSourceSchema, JenkinsSourceSchema, CctraySourceSchema]);
export type SourceConfig = z.infer<typeof SourceSchema>;
export type SourceKind = SourceConfig['kind'];

// ── Channels ───────────────────────────────────────────────────────────────

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid HTTP header name');
const headerValue = z.string().max(4000).regex(/^[^\r\n]*$/, 'must not contain line breaks');

/** Devtron-style webhook: URL, method, headers and a JSON template with `{{variables}}`. */
export const WebhookChannelSchema = z
  .object({
    ...base,
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    headers: z.record(headerName, headerValue).default({}),
    /** Header values kept in the keychain, e.g. `Authorization`. */
    secretHeaders: z.record(headerName, SecretRefSchema).default({}),
    /** JSON with `{{variable}}` placeholders; absent = the event itself as JSON. */
    template: z
      .string()
      .max(100_000)
      .superRefine((template, ctx) => {
        // Checked when saved, not when an event is sent: a broken template never reaches the outbox.
        const check = validateJsonTemplate(template);
        if (!check.ok) ctx.addIssue({ code: 'custom', message: check.error });
      })
      .optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    concurrency: z.number().int().min(1).max(32).default(4),
  })
  .strict();

/** Native desktop popup (node-notifier headless; Electron's Notification inside the app). */
export const DesktopChannelSchema = z
  .object({
    ...base,
    kind: z.literal('desktop'),
    sound: z.boolean().default(false),
    concurrency: z.number().int().min(1).max(8).default(1),
  })
  .strict();

export const ChannelSchema = z.discriminatedUnion('kind', [WebhookChannelSchema, DesktopChannelSchema]);
export type ChannelConfig = z.infer<typeof ChannelSchema>;
export type ChannelKind = ChannelConfig['kind'];

// ── Rules ──────────────────────────────────────────────────────────────────

const globList = z
  .union([z.string().min(1).max(300), z.array(z.string().min(1).max(300)).max(100)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');

export const QuietHoursSchema = z
  .object({
    start: hhmm,
    end: hhmm,
    /** IANA zone; absent = the hub's local time. */
    timeZone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone such as Europe/Berlin')
      .optional(),
  })
  .strict();
export type QuietHours = z.infer<typeof QuietHoursSchema>;

export const RuleMatchSchema = z
  .object({
    /** Source ids (globs). */
    sources: globList.optional(),
    /** Event types (globs such as `pipeline.*`). */
    types: globList
      .refine((l) => l.every((t) => /^!?[a-z0-9_.*?{},[\]-]+$/.test(t)), 'must be event types or globs like pipeline.*')
      .optional(),
    severities: z.array(SeveritySchema).min(1).optional(),
    project: globList.optional(),
    group: globList.optional(),
    environment: globList.optional(),
    pipeline: globList.optional(),
    branch: globList.optional(),
    cluster: globList.optional(),
    artifact: globList.optional(),
  })
  .strict();
export type RuleMatch = z.infer<typeof RuleMatchSchema>;

export const DEFAULT_THROTTLE_SECONDS = 3600;

export const RuleSchema = z
  .object({
    ...base,
    match: RuleMatchSchema.default({}),
    channels: z.array(IdSchema).max(50).default([]),
    /** The same dedupKey at most once per window. */
    throttle: z
      .object({ windowSeconds: z.number().int().min(1).max(30 * 86400).default(DEFAULT_THROTTLE_SECONDS) })
      .strict()
      .optional(),
    /** No deliveries from this rule inside these hours (the event is still kept). */
    quietHours: QuietHoursSchema.optional(),
    /** ISO time until which this rule's desktop popups are paused. */
    snoozedUntil: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type RuleConfig = z.infer<typeof RuleSchema>;
export type RuleConfigInput = z.input<typeof RuleSchema>;

// ── Settings ───────────────────────────────────────────────────────────────

export const SettingsSchema = z
  .object({
    retention: z
      .object({
        maxAgeDays: z.number().int().min(1).max(3650).default(90),
        maxEvents: z.number().int().min(100).max(10_000_000).default(100_000),
      })
      .strict()
      .default({ maxAgeDays: 90, maxEvents: 100_000 }),
    delivery: z
      .object({
        maxAttempts: z.number().int().min(1).max(50).default(8),
        baseDelayMs: z.number().int().min(10).max(3_600_000).default(2_000),
        maxDelayMs: z.number().int().min(100).max(86_400_000).default(15 * 60_000),
        /** Consecutive failed attempts after which a channel counts as unhealthy. */
        unhealthyAfter: z.number().int().min(1).max(100).default(3),
      })
      .strict()
      .default({ maxAttempts: 8, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000, unhealthyAfter: 3 }),
    /** Desktop popups are held back inside these hours, for every rule. */
    quietHours: QuietHoursSchema.optional(),
    /** ISO time until which all desktop popups are paused. */
    snoozeUntil: z.iso.datetime({ offset: true }).optional(),
    ingress: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8787), maxBodyBytes: z.number().int().min(1024).max(26_214_400).default(1_048_576) })
      .strict()
      .default({ host: '127.0.0.1', port: 8787, maxBodyBytes: 1_048_576 }),
    api: z
      .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8788) })
      .strict()
      .default({ host: '127.0.0.1', port: 8788 }),
    /** The ingress URL as the outside world sees it (a tunnel or reverse proxy); shown to users. */
    publicUrl: z.url().optional(),
    theme: z.enum(['system', 'light', 'dark']).default('system'),
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

// ── The whole config (the `--config FILE` shape) ───────────────────────────

export const HeraldConfigSchema = z
  .object({
    sources: z.array(SourceSchema).default([]),
    channels: z.array(ChannelSchema).default([]),
    rules: z.array(RuleSchema).default([]),
    settings: SettingsSchema.default(SettingsSchema.parse({})),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    for (const [list, name] of [
      [cfg.sources, 'sources'],
      [cfg.channels, 'channels'],
      [cfg.rules, 'rules'],
    ] as const) {
      const seen = new Set<string>();
      list.forEach((item, i) => {
        if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [name, i, 'id'], message: `duplicate id "${item.id}"` });
        seen.add(item.id);
      });
    }
    const channelIds = new Set(cfg.channels.map((c) => c.id));
    cfg.rules.forEach((rule, i) =>
      rule.channels.forEach((c, j) => {
        if (!channelIds.has(c)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'channels', j], message: `unknown channel "${c}"` });
      }),
    );
  });
export type HeraldConfig = z.infer<typeof HeraldConfigSchema>;
export type HeraldConfigInput = z.input<typeof HeraldConfigSchema>;

/** Which fields of each kind hold secret refs: the api masks them and writes them to the keychain. */
export const SECRET_FIELDS: Record<string, readonly string[]> = {
  generic: ['secret'],
  github: ['secret'],
  gitlab: ['secret'],
  jenkins: ['secret'],
  cctray: ['password', 'token'],
  webhook: ['secretHeaders'],
  desktop: [],
};

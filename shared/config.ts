// The user's configuration: sources, channels, rules and settings. The hub validates
// its config store and `--config FILE` with these; the UI validates its forms with them.
import { z } from 'zod';
import { AcceleratorSchema, DEFAULT_SHORTCUT } from './accelerator.js';
import { CONFIG_VERSION } from './config-migrations.js';
import { DEFECTDOJO_SEVERITIES } from './defectdojo-severities.js';
import { SeveritySchema, SUBJECT_FIELDS } from './event.js';
import { globProblem } from './glob-syntax.js';
import { validateJsonTemplate } from './json-template.js';
import './zod-messages.js';

/**
 * Config files never hold a secret, only where to find it: `keychain:<name>` (the OS
 * keychain), `env:<VAR>` (an environment variable of the hub) or `file:<absolute path>` (a
 * file holding only the secret, owner-only, as Docker and Kubernetes mount secrets).
 */
export const SecretRefSchema = z
  .string()
  .regex(
    /^(keychain:[\w.:/@-]{1,200}|env:[A-Za-z_][A-Za-z0-9_]{0,127}|file:(\/|[A-Za-z]:[\\/])[^\u0000-\u001f]{0,1000})$/,
    'must be keychain:<name>, env:<VAR> or file:<absolute path>',
  ) as SecretRefMarked;
/**
 * The schema's type carries a mark (types only; at run time it is a plain string schema) so
 * that the redacted view types below can leave secret fields out as the run-time code does.
 */
declare const secretRefMark: unique symbol;
type SecretRefMarked = z.ZodString & { readonly [secretRefMark]: true };
export type SecretRef = z.infer<typeof SecretRefSchema>;

export const IdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 lowercase letters, digits, - or _');

const base = {
  id: IdSchema,
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
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
    url: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .refine((u) => !/^[a-z]+:\/\/[^/?#]*@/i.test(u), 'must not contain a user or password: use username and the password secret'),
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

// Compliance and security tools (Kosli, SecObserve, DefectDojo): polled APIs and pushed webhooks.

/** How Herald trusts a self-hosted server's certificate. */
export const PollTlsSchema = z
  .object({
    /** A CA certificate (PEM) to trust besides the system's, for an internal CA. */
    caPem: z.string().max(50_000).regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM certificate').optional(),
    /** Accept any certificate (self-signed, expired, other host name): a lab server only. */
    insecureSkipVerify: z.boolean().default(false),
  })
  .strict();

const apiBaseUrl = z.url({ protocol: /^https?$/ }).max(2000);
const polled = {
  /** Absent = the tool's default (Kosli 60 s, SecObserve 300 s, DefectDojo 300 s). */
  pollIntervalSeconds: z.number().int().min(10).max(86_400).optional(),
  /** One request's timeout. */
  timeoutSeconds: z.number().int().min(1).max(300).default(30),
  tls: PollTlsSchema.optional(),
};

/** Kosli API v2: environment snapshots, diffed into artifact and compliance events. Bearer API token. */
export const KosliSourceSchema = z
  .object({
    ...base,
    kind: z.literal('kosli'),
    /** app.kosli.com, or the EU/self-hosted host. */
    host: apiBaseUrl.default('https://app.kosli.com'),
    org: z.string().trim().min(1).max(200),
    environments: z.array(z.string().trim().min(1).max(200)).min(1).max(50),
    token: SecretRefSchema,
    ...polled,
  })
  .strict();

/** Kosli's custom-webhook notifications; Kosli takes only a URL, so the secret rides in it (`/hooks/<id>/<secret>`). */
export const KosliWebhookSourceSchema = z.object({ ...base, kind: z.literal('kosli-webhook'), secret: SecretRefSchema }).strict();

/** SecObserve: product security gates and exception notifications. `Authorization: APIToken <token>`. */
export const SecobserveSourceSchema = z
  .object({
    ...base,
    kind: z.literal('secobserve'),
    /** The API base, e.g. https://secobserve.example.com (routes are /api/...). */
    url: apiBaseUrl,
    token: SecretRefSchema,
    /** Product names to watch; absent = every product the token can see. */
    products: z.array(z.string().trim().min(1).max(255)).max(500).optional(),
    /** Raise `error.exception` from SecObserve's stored notifications. */
    exceptions: z.boolean().default(true),
    /** The same exception at most once per window (SecObserve's EXCEPTION_RATELIMIT; default 1 h). */
    exceptionWindowSeconds: z.number().int().min(0).max(30 * 86_400).default(3600),
    /** The SecObserve UI (BASE_URL_FRONTEND), for links in events. */
    frontendUrl: apiBaseUrl.optional(),
    ...polled,
  })
  .strict();

const defectdojoSeverity = z.enum(DEFECTDOJO_SEVERITIES);

/** DefectDojo API v2: new findings, imported scans, new products, upcoming engagements. `Authorization: Token <key>`. */
export const DefectdojoSourceSchema = z
  .object({
    ...base,
    kind: z.literal('defectdojo'),
    url: apiBaseUrl,
    token: SecretRefSchema,
    /** Findings below this severity raise nothing. */
    minimumSeverity: defectdojoSeverity.default('Medium'),
    /** Engagements starting within this many days raise `engagement.upcoming` once. */
    upcomingEngagementDays: z.number().int().min(0).max(365).default(3),
    /** More new findings than this in one poll are summed up in one event. */
    maxFindingEvents: z.number().int().min(1).max(1000).default(50),
    ...polled,
  })
  .strict();

/** DefectDojo's notification webhooks (`X-DefectDojo-Event`); the secret as Bearer, X-Herald-Token or in the URL. */
export const DefectdojoWebhookSourceSchema = z
  .object({ ...base, kind: z.literal('defectdojo-webhook'), secret: SecretRefSchema, minimumSeverity: defectdojoSeverity.default('Medium') })
  .strict();

// Chainloop (open-source control plane) and Devtron.

/** Chainloop's webhook fan-out integration (control plane v0.148+); it takes only a URL, so the secret rides in it (`/hooks/<id>/<secret>`). */
export const ChainloopWebhookSourceSchema = z.object({ ...base, kind: z.literal('chainloop-webhook'), secret: SecretRefSchema }).strict();

/** Chainloop's audit events on NATS JetStream, read by a durable consumer. */
export const ChainloopAuditSourceSchema = z
  .object({
    ...base,
    kind: z.literal('chainloop-audit'),
    /** The control plane's NATS server, e.g. nats://nats.chainloop.svc:4222 (tls:// for TLS from the start). */
    natsUrl: z
      .string()
      .trim()
      .max(2000)
      .regex(/^(nats|tls):\/\/[^\s/?#@]+(:\d{1,5})?\/?$/, 'must be nats://host:port or tls://host:port (credentials go in the credentials secret, not the URL)'),
    /** The stream the control plane creates (pkg/auditor: chainloop-audit, subjects audit.>). */
    stream: z.string().trim().regex(/^[^\s.*>/\\]{1,255}$/, 'must be a JetStream stream name (no spaces, dots, * or >)').default('chainloop-audit'),
    /** The durable consumer's name on the server; absent = herald-<source id>. Two hubs sharing one name share (split) the stream. */
    consumer: z.string().trim().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be letters, digits, - and _').optional(),
    /** The NATS token (Chainloop's nats.token), or the contents of a .creds file (JWT and NKey seed). */
    credentials: SecretRefSchema.optional(),
    tls: PollTlsSchema.optional(),
  })
  .strict();

/** Devtron's webhook notifications (a JSON body Devtron renders from its variables); the secret in a header Devtron sends. */
export const DevtronSourceSchema = z.object({ ...base, kind: z.literal('devtron'), secret: SecretRefSchema }).strict();

/** One Devtron application to poll: `12` or `12:payments` (its id, and the name events show). */
export const DevtronAppSchema = z.string().trim().regex(/^\d{1,10}(:.{1,200})?$/, 'must be an app id, optionally with its name: 12 or 12:payments');

/** Devtron's workflow status API, polled for CI/CD transitions (for users who cannot edit Devtron's notifications). */
export const DevtronPollSourceSchema = z
  .object({
    ...base,
    kind: z.literal('devtron-poll'),
    /** The Devtron dashboard, e.g. https://devtron.example.com (routes are /orchestrator/...). */
    url: apiBaseUrl,
    /** An API token (Global Configurations → Authorization → API tokens), sent as the `token` header. */
    token: SecretRefSchema,
    apps: z.array(DevtronAppSchema).min(1).max(200),
    ...polled,
  })
  .strict();

// CI watched through its API with the user's own token (no webhook, no public address needed).

const ciGlobs = z.array(z.string().trim().min(1).max(300)).max(100).optional();
const ciPolled = {
  /** Seconds between polls; conditional requests make an idle poll free of rate limit. */
  pollIntervalSeconds: z.number().int().min(10, 'must be at least 10 seconds').max(86_400).default(60),
  /** One request's timeout. */
  timeoutSeconds: z.number().int().min(1).max(300).default(30),
  tls: PollTlsSchema.optional(),
  /** Only these branches (globs such as `main`, `release/*`); absent = all. */
  branches: ciGlobs,
  /** Only runs the token's own user triggered. */
  onlyMine: z.boolean().default(false),
};

/** `owner/name`, or `owner/*` for every repository of a user or organization. */
const githubRepo = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?:\*|[A-Za-z0-9._-]{1,100})$/, 'must be owner/name or owner/*');

/** GitHub Actions workflow runs and deployments, polled through the REST API with a personal token. */
export const GithubActionsSourceSchema = z
  .object({
    ...base,
    kind: z.literal('github-actions'),
    token: SecretRefSchema,
    repos: z.array(githubRepo).min(1, 'name at least one repository').max(500),
    /** api.github.com, or GitHub Enterprise Server's https://<host>/api/v3. */
    apiUrl: apiBaseUrl.default('https://api.github.com'),
    /** Only these workflows (globs on the workflow's name or its file, e.g. `CI`, `deploy*.yml`); absent = all. */
    workflows: ciGlobs,
    /** Deployments and their statuses (deployment.*). */
    deployments: z.boolean().default(true),
    ...ciPolled,
  })
  .strict();

/** `group/project` (subgroups allowed), or `group/*` for every project of a group. */
const gitlabProject = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*\/(?:\*|[A-Za-z0-9_.][A-Za-z0-9_.-]*)$/, 'must be group/project or group/*');

/** GitLab CI pipelines (and jobs, deployments), polled through the REST API v4 with a personal access token. */
export const GitlabCiSourceSchema = z
  .object({
    ...base,
    kind: z.literal('gitlab-ci'),
    token: SecretRefSchema,
    /** gitlab.com, or a self-managed server's base URL. */
    baseUrl: apiBaseUrl.default('https://gitlab.com'),
    projects: z.array(gitlabProject).min(1, 'name at least one project').max(500),
    /** Each job of a changed pipeline as well (pipeline "<name> / <job>"). */
    jobs: z.boolean().default(false),
    /** Deployments (deployment.*). */
    deployments: z.boolean().default(true),
    ...ciPolled,
  })
  .strict();

export const SourceSchema = z.discriminatedUnion('kind', [GenericSourceSchema, GithubSourceSchema, GitlabSourceSchema, JenkinsSourceSchema, CctraySourceSchema, KosliSourceSchema, KosliWebhookSourceSchema, SecobserveSourceSchema, DefectdojoSourceSchema, DefectdojoWebhookSourceSchema, GithubActionsSourceSchema, ChainloopWebhookSourceSchema, ChainloopAuditSourceSchema, DevtronSourceSchema, DevtronPollSourceSchema, GitlabCiSourceSchema]);
export type SourceConfig = z.infer<typeof SourceSchema>;
export type SourceKind = SourceConfig['kind'];

// ── Channels ───────────────────────────────────────────────────────────────

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid HTTP header name');
const headerValue = z.string().max(4000).regex(/^[^\r\n]*$/, 'must not contain line breaks');

/** A URL with `user[:password]@`: credentials that would sit in config.json, the api's answers and logs. */
const URL_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;
/** Query parameters and header names that carry credentials (API keys, tokens, passwords, signatures, sessions). */
const CREDENTIAL_NAME = /^(authorization|proxy-authorization|cookie|key|sig|code)$|token|secret|passw|pwd|api[-_]?key|auth(?!or)|signature|session|credential/i;

function credentialQueryParams(url: string): string[] {
  const query = /\?([^#]*)/.exec(url)?.[1] ?? '';
  return query
    .split('&')
    .map((pair) => {
      const name = pair.split('=')[0]!.replace(/\+/g, ' ');
      try {
        return decodeURIComponent(name);
      } catch {
        return name;
      }
    })
    .filter((name) => name !== '' && CREDENTIAL_NAME.test(name));
}

/** A plain webhook URL: nothing secret in it (a credential goes in a secret header, or use the Slack/Teams/Discord kinds, whose URL is a secret). */
const credentialFreeUrl = z
  .url({ protocol: /^https?$/ })
  .superRefine((url, ctx) => {
    if (URL_USERINFO.test(url)) ctx.addIssue({ code: 'custom', message: 'must not carry a user or password: send the credential in a secret header (secretHeaders.Authorization)' });
    const params = credentialQueryParams(url);
    if (params.length) {
      ctx.addIssue({
        code: 'custom',
        message: `must not carry credentials in its query (${params.join(', ')}): send them in a secret header, or use the Slack, Teams or Discord channel, which keeps its whole URL as a secret`,
      });
    }
  });

/** Plain headers are stored and shown as they are: one that carries a credential must be a secret header instead. */
const plainHeaders = z.record(headerName, headerValue).superRefine((headers, ctx) => {
  for (const name of Object.keys(headers)) {
    if (CREDENTIAL_NAME.test(name)) {
      ctx.addIssue({ code: 'custom', path: [name], message: 'carries a credential: make it a secret header (secretHeaders, a keychain: or env: reference), not a plain one' });
    }
  }
});

/** Devtron-style webhook: URL, method, headers and a JSON template with `{{variables}}`. */
export const WebhookChannelSchema = z
  .object({
    ...base,
    kind: z.literal('webhook'),
    url: credentialFreeUrl,
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
    headers: plainHeaders.default({}),
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
    /** The most requests at once; the delivery worker adapts below it to what the endpoint sustains. */
    concurrency: z.number().int().min(1).max(64).default(32),
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

const channelTimeout = (ms: number) => z.number().int().min(100).max(120_000).default(ms);
/** The most sends at once (the worker adapts below it; the kind's rate applies besides: channels/limits.ts). */
const channelConcurrency = z.number().int().min(1).max(8).default(4);

/** Slack: an incoming webhook, or a bot token (`chat:write`) and a channel, as DefectDojo does. */
export const SlackChannelSchema = z
  .object({
    ...base,
    kind: z.literal('slack'),
    /** The incoming webhook URL is itself the credential: kept in the keychain. */
    webhookUrl: SecretRefSchema.optional(),
    /** Bot token (xoxb-…) with the chat:write scope; needs `channel`. */
    botToken: SecretRefSchema.optional(),
    /** Where the bot posts: a channel id (C0123ABCD) or #name. */
    channel: z
      .string()
      .regex(/^(#?[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{8,})$/, 'must be a channel id such as C0123ABCD or a #channel-name')
      .optional(),
    /** Web API base URL: GovSlack (https://slack-gov.com/api/) or a proxy. */
    apiUrl: z.url({ protocol: /^https?$/ }).default('https://slack.com/api/'),
    timeoutMs: channelTimeout(10_000),
    concurrency: channelConcurrency,
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.webhookUrl === undefined) === (c.botToken === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['webhookUrl'], message: 'set either an incoming webhook URL or a bot token, not both' });
    }
    if (c.botToken !== undefined && c.channel === undefined) {
      ctx.addIssue({ code: 'custom', path: ['channel'], message: 'a bot token needs the channel to post to' });
    }
  });

/** Microsoft Teams: a Workflows (Power Automate) webhook, or a legacy Office 365 connector. */
export const TeamsChannelSchema = z
  .object({
    ...base,
    kind: z.literal('teams'),
    /** The URL carries its signature (`sig=`): kept in the keychain. */
    webhookUrl: SecretRefSchema,
    /** `adaptive`: an Adaptive Card 1.4 message (Workflows); `messagecard`: the retiring connectors' MessageCard. */
    format: z.enum(['adaptive', 'messagecard']).default('adaptive'),
    timeoutMs: channelTimeout(10_000),
    concurrency: channelConcurrency,
  })
  .strict();

/** Discord webhook: content plus one embed. */
export const DiscordChannelSchema = z
  .object({
    ...base,
    kind: z.literal('discord'),
    /** The token is part of the URL: kept in the keychain. */
    webhookUrl: SecretRefSchema,
    username: z.string().trim().min(1).max(80).optional(),
    avatarUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    timeoutMs: channelTimeout(10_000),
    concurrency: channelConcurrency,
  })
  .strict();

/** ntfy (ntfy.sh or self-hosted): one JSON publish per event to one topic. */
export const NtfyChannelSchema = z
  .object({
    ...base,
    kind: z.literal('ntfy'),
    server: z.url({ protocol: /^https?$/ }).max(2000).default('https://ntfy.sh'),
    /** ntfy's own rule: 1-64 letters, digits, - and _. Anyone who knows a topic on ntfy.sh can read it: pick a hard-to-guess one or use auth. */
    topic: z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, 'must be 1-64 letters, digits, - or _ (ntfy topic rules)'),
    /** An access token (tk_…), sent as Bearer. */
    token: SecretRefSchema.optional(),
    /** Basic auth user; its password is the `password` secret. */
    username: z.string().min(1).max(200).regex(/^[^:\r\n]*$/, 'must not contain : or line breaks').optional(),
    password: SecretRefSchema.optional(),
    timeoutMs: channelTimeout(10_000),
    concurrency: channelConcurrency,
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.username === undefined) !== (c.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.username === undefined ? 'username' : 'password'], message: 'basic auth needs both username and password' });
    }
    if (c.token !== undefined && c.password !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'use either an access token or basic auth (username/password), not both' });
    }
    // ntfy reserves these names for its own pages (server/config.go DefaultDisallowedTopics).
    if (['docs', 'static', 'file', 'app', 'metrics', 'account', 'settings', 'signup', 'login', 'v1'].includes(c.topic)) {
      ctx.addIssue({ code: 'custom', path: ['topic'], message: `"${c.topic}" is reserved by ntfy: pick another topic name` });
    }
  });

const EMAIL = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;
/** `a@x.org, b@y.org` → the addresses. */
export function splitEmailList(list: string): string[] {
  return list
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}
/** `a@x.org, b@y.org`: SecObserve-style comma-separated recipients. */
export const EmailListSchema = z
  .string()
  .max(5_000)
  .superRefine((list, ctx) => {
    const addresses = splitEmailList(list);
    if (!addresses.length) ctx.addIssue({ code: 'custom', message: 'must name at least one address' });
    const bad = addresses.filter((a) => !EMAIL.test(a));
    if (bad.length) ctx.addIssue({ code: 'custom', message: `not an email address: ${bad.join(', ')}` });
  });
/** `herald@acme.org` or `Herald <herald@acme.org>`. */
export const EmailSenderSchema = z
  .string()
  .trim()
  .max(320)
  .refine((v) => EMAIL.test(v) || /^[^<>\r\n]{1,200}<[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+>$/.test(v), 'must be an address, or Name <address>');

/** Email through SMTP (nodemailer) or Amazon SES (SESv2). */
export const EmailChannelSchema = z
  .object({
    ...base,
    kind: z.literal('email'),
    transport: z.enum(['smtp', 'ses']).default('smtp'),
    /** Recipients; a rule may name its own instead (EmailRuleOptionsSchema). */
    to: EmailListSchema.optional(),
    /** Sender; absent = the default sender in settings. */
    from: EmailSenderSchema.optional(),
    subjectPrefix: z.string().max(100).regex(/^[^\r\n]*$/, 'must be one line').default('[Herald]'),
    // SMTP
    host: z.string().trim().min(1).max(255).optional(),
    port: z.number().int().min(1).max(65535).default(587),
    /** starttls: plain connect, then STARTTLS, required; tls: TLS from the start (port 465); none: local relays only. */
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    username: z.string().max(320).optional(),
    password: SecretRefSchema.optional(),
    /** A CA certificate (PEM) to trust besides the system's, for an internal relay. */
    tlsCa: z.string().max(20_000).regex(/-----BEGIN CERTIFICATE-----/, 'must be a PEM certificate').optional(),
    /** Keep connections open between messages. */
    pool: z.boolean().default(true),
    maxConnections: z.number().int().min(1).max(20).default(2),
    /** At most this many messages per second through the pool. */
    ratePerSecond: z.number().int().min(1).max(1000).optional(),
    // Amazon SES
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1').optional(),
    /** Absent = the AWS default credential chain (environment, instance role). */
    accessKeyId: SecretRefSchema.optional(),
    secretAccessKey: SecretRefSchema.optional(),
    /** SES endpoint override, e.g. a VPC endpoint. */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
    timeoutMs: channelTimeout(30_000),
    concurrency: channelConcurrency,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.transport === 'smtp' && c.host === undefined) ctx.addIssue({ code: 'custom', path: ['host'], message: 'SMTP needs a host' });
    if (c.transport === 'ses' && c.region === undefined) ctx.addIssue({ code: 'custom', path: ['region'], message: 'SES needs a region' });
    if ((c.username === undefined) !== (c.password === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.username === undefined ? 'username' : 'password'], message: 'SMTP auth needs both username and password' });
    }
    if ((c.accessKeyId === undefined) !== (c.secretAccessKey === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'], message: 'SES keys need both the access key id and the secret' });
    }
  });

/** What a rule may set for an email channel it sends to: its own recipients (SecObserve: per product), replacing the channel's. */
export const EmailRuleOptionsSchema = z.object({ to: EmailListSchema.optional() }).strict();
export type EmailRuleOptions = z.infer<typeof EmailRuleOptionsSchema>;

const EMAIL_RULE_OPTIONS: ChannelRuleOptions<Extract<ChannelConfig, { kind: 'email' }>> = {
  schema: EmailRuleOptionsSchema,
  fields: {
    to: {
      label: 'Email recipients',
      placeholder: 'dev@example.com, ops@example.com',
      inputMode: 'email',
      hint: "Comma-separated. They replace the channel's own recipients for this rule; empty: the channel's.",
      neededHint: 'Comma-separated. Needed: the channel has no recipients of its own.',
    },
  },
  needs: (channel, options) =>
    channel.to || (options as EmailRuleOptions | undefined)?.to?.trim()
      ? undefined
      : { field: 'to', message: `the email channel "${channel.id}" has no recipients: set email recipients on this rule, or To on the channel` },
};

export const ChannelSchema = z.discriminatedUnion('kind', [
  WebhookChannelSchema,
  DesktopChannelSchema,
  SlackChannelSchema,
  TeamsChannelSchema,
  DiscordChannelSchema,
  EmailChannelSchema,
  NtfyChannelSchema,
]);
export type ChannelConfig = z.infer<typeof ChannelSchema>;
export type ChannelKind = ChannelConfig['kind'];

/** How a rule form shows one of a kind's per-rule options (a line of text). */
export interface RuleOptionField {
  label: string;
  placeholder?: string;
  inputMode?: 'email' | 'text' | 'url';
  hint: string;
  /** The hint while the channel needs this field from the rule (`needs`). */
  neededHint?: string;
}

/**
 * What a channel kind lets a rule set for one of its channels (`rule.channelOptions[<channel
 * id>]`): the options' schema, how a form shows each field, and what a channel of the kind
 * needs from every rule sending to it (email without recipients of its own: `to`).
 */
export interface ChannelRuleOptions<C extends ChannelConfig = ChannelConfig> {
  schema: z.ZodObject;
  fields: Readonly<Record<string, RuleOptionField>>;
  needs?(channel: C, options: Readonly<Record<string, unknown>> | undefined): { field: string; message: string } | undefined;
}

/** The kinds that take per-rule options; a kind absent here takes none. */
export const CHANNEL_RULE_OPTIONS: { readonly [K in ChannelKind]?: ChannelRuleOptions<Extract<ChannelConfig, { kind: K }>> } = {
  email: EMAIL_RULE_OPTIONS,
};

/** The per-rule options of a channel kind, if it takes any. */
export function ruleOptionsOf(kind: string): ChannelRuleOptions | undefined {
  return (CHANNEL_RULE_OPTIONS as Record<string, ChannelRuleOptions | undefined>)[kind];
}

/**
 * Problems with a rule's `channelOptions`, each with its path inside the rule
 * (`channelOptions.mail.to`), checked by each channel kind's own schema: options only for
 * channels the rule sends to and whose kind takes options, and what a channel needs from
 * the rule (an email channel without recipients: the rule's). The hub's config schema and
 * the rule form both ask this.
 */
export function channelOptionsProblems(
  rule: { channels: readonly string[]; channelOptions?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined },
  channels: ReadonlyArray<ChannelConfig | { id: string; kind: string }>,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const byId = new Map(channels.map((c) => [c.id, c]));
  for (const [id, options] of Object.entries(rule.channelOptions ?? {})) {
    const channel = byId.get(id);
    if (!rule.channels.includes(id)) {
      problems.push({ path: ['channelOptions', id], message: `this rule does not send to channel "${id}": remove its options or add the channel` });
      continue;
    }
    if (!channel) continue; // the unknown channel is named beside `channels`
    const kind = ruleOptionsOf(channel.kind);
    if (!kind) {
      problems.push({ path: ['channelOptions', id], message: `a ${channel.kind} channel takes no options on a rule` });
      continue;
    }
    const parsed = kind.schema.safeParse(options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ path: ['channelOptions', id, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: issue.message });
    }
  }
  for (const id of rule.channels) {
    const channel = byId.get(id);
    const needed = channel && ruleOptionsOf(channel.kind)?.needs?.(channel as never, rule.channelOptions?.[id]);
    if (needed) problems.push({ path: ['channelOptions', id, needed.field], message: needed.message });
  }
  return problems;
}

// ── Rules ──────────────────────────────────────────────────────────────────

/** A glob, checked for unbalanced `{` `}` `[` when saved: picomatch would take `{main` literally and match nothing. */
const glob = z
  .string()
  .min(1)
  .max(300)
  .superRefine((pattern, ctx) => {
    const problem = globProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const globList = z.union([glob, z.array(glob).max(100)]).transform((v) => (Array.isArray(v) ? v : [v]));

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
    /** Commit SHAs (globs: `a1b2c3d*` matches a short SHA's full form). */
    commit: globList.optional(),
  })
  .strict();
export type RuleMatch = z.infer<typeof RuleMatchSchema>;

export const DEFAULT_THROTTLE_SECONDS = 3600;
/** A digest rule's default window: hourly. */
export const DEFAULT_DIGEST_SECONDS = 3600;
/** Storm grouping (Alertmanager's group_wait / group_interval defaults are 30 s / 5 min; ours wait less). */
export const DEFAULT_GROUP_WAIT_SECONDS = 10;
export const DEFAULT_GROUP_INTERVAL_SECONDS = 300;
export const GROUP_LIMITS = { waitSeconds: { min: 0, max: 3600 }, intervalSeconds: { min: 10, max: 86_400 } } as const;

/**
 * A rule's storm grouping (Alertmanager's group_by / group_wait / group_interval): events
 * with the same values of `by` (subject fields; none = one group for the rule) form a group.
 * The first waits `waitSeconds` for company, then one message lists the group; later events
 * go out together at most every `intervalSeconds`. rules/storm-groups.ts keeps the groups.
 */
export const RuleGroupSchema = z
  .object({
    by: z
      .array(
        z.enum(SUBJECT_FIELDS, { error: (issue) => `${JSON.stringify(issue.input)} is not a subject field; group by ${SUBJECT_FIELDS.join(', ')}` }),
        'must be a list of subject fields, e.g. [project, branch]',
      )
      .max(SUBJECT_FIELDS.length)
      .superRefine((fields, ctx) => {
        const twice = fields.find((field, i) => fields.indexOf(field) !== i);
        if (twice !== undefined) ctx.addIssue({ code: 'custom', message: `names ${JSON.stringify(twice)} twice` });
      })
      .default([]),
    waitSeconds: z
      .number('must be a number of seconds')
      .int('must be whole seconds')
      .min(GROUP_LIMITS.waitSeconds.min, 'must not be negative')
      .max(GROUP_LIMITS.waitSeconds.max, 'must be at most 1 hour')
      .default(DEFAULT_GROUP_WAIT_SECONDS),
    intervalSeconds: z
      .number('must be a number of seconds')
      .int('must be whole seconds')
      .min(GROUP_LIMITS.intervalSeconds.min, 'must be at least 10 seconds')
      .max(GROUP_LIMITS.intervalSeconds.max, 'must be at most 24 hours')
      .default(DEFAULT_GROUP_INTERVAL_SECONDS),
  })
  .strict();
export type RuleGroup = z.infer<typeof RuleGroupSchema>;

export const RuleSchema = z
  .object({
    ...base,
    match: RuleMatchSchema.default({}),
    channels: z.array(IdSchema).max(50).default([]),
    /** The same dedupKey at most once per window. */
    throttle: z
      .object({
        windowSeconds: z
          .number('must be a number of seconds')
          .int('must be whole seconds')
          .min(1, 'must be at least 1 second')
          .max(30 * 86400, 'must be at most 30 days')
          .default(DEFAULT_THROTTLE_SECONDS),
      })
      .strict()
      .optional(),
    /** No deliveries from this rule inside these hours (the event is still kept). */
    quietHours: QuietHoursSchema.optional(),
    /** ISO time until which this rule's desktop popups are paused. */
    snoozedUntil: z.iso.datetime({ offset: true }).optional(),
    /**
     * One summary message per window instead of one message per event. Windows are fixed
     * and start with the first event after the previous window closed.
     */
    digest: z
      .object({ windowSeconds: z.number().int('must be whole seconds').min(60, 'must be at least 1 minute').max(86_400, 'must be at most 24 hours').default(DEFAULT_DIGEST_SECONDS) })
      .strict()
      .optional(),
    /** Storm grouping: one message per group of like events (RuleGroupSchema). Not with `digest`. */
    group: RuleGroupSchema.optional(),
    /**
     * Options per channel this rule sends to, keyed by channel id, each checked by its
     * channel kind's own schema (CHANNEL_RULE_OPTIONS; email: `to`, this rule's recipients).
     */
    channelOptions: z.record(IdSchema, z.record(z.string(), z.unknown())).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    // A digest already sends one message per window: a second summary inside it would only delay.
    if (rule.digest && rule.group) {
      ctx.addIssue({ code: 'custom', path: ['group'], message: 'a rule either sends a digest or groups storms, not both: remove digest or group' });
    }
  });
export type RuleConfig = z.infer<typeof RuleSchema>;
export type RuleConfigInput = z.input<typeof RuleSchema>;

// ── Settings ───────────────────────────────────────────────────────────────

const GITHUB_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
/** https anywhere; plain http only to this machine (a test or a local mirror): a feed names the files to install. */
const UPDATE_URL = /^(https:\/\/[^\s/]+|http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?)(\/\S*)?$/i;

/** Where the desktop app looks for new versions: electron-updater's generic server or GitHub releases. */
export const UpdateFeedSchema = z.discriminatedUnion('provider', [
  z
    .object({
      provider: z.literal('generic'),
      /** The folder holding latest.yml / latest-linux.yml / latest-mac.yml and the installers. */
      url: z.string().regex(UPDATE_URL, 'an update feed URL must be https (plain http only to localhost)'),
    })
    .strict(),
  z
    .object({
      provider: z.literal('github'),
      owner: z.string().regex(GITHUB_NAME, 'a GitHub owner name'),
      repo: z.string().regex(GITHUB_NAME, 'a GitHub repository name'),
    })
    .strict(),
]);
export type UpdateFeed = z.infer<typeof UpdateFeedSchema>;

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
    publicUrl: z.url({ protocol: /^https?$/ }).max(2000).optional(),
    theme: z.enum(['system', 'light', 'dark']).default('system'),
    /** The desktop app's global shortcut that opens Herald (Electron accelerator syntax); empty = none. */
    shortcut: z.union([z.literal(''), AcceleratorSchema]).default(DEFAULT_SHORTCUT),
    /**
     * Which severities make a desktop popup play a sound; never in quiet hours or while
     * snoozed. A desktop channel's own `sound: true` sounds for every severity.
     */
    sound: z
      .object({ critical: z.boolean().default(true), warning: z.boolean().default(false), success: z.boolean().default(false), info: z.boolean().default(false) })
      .strict()
      .default({ critical: true, warning: false, success: false, info: false }),
    /** Email defaults: the sender for email channels that name none (SecObserve's EMAIL_FROM). */
    email: z.object({ defaultFrom: EmailSenderSchema.optional() }).strict().optional(),
    /** The desktop app's own updates (packaged builds only; never headless): no feed, no checks. */
    updates: z.object({ feed: UpdateFeedSchema.optional() }).strict().default({}),
  })
  .strict();
export type Settings = z.infer<typeof SettingsSchema>;

// ── The whole config (the `--config FILE` shape) ───────────────────────────

export const HeraldConfigSchema = z
  .object({
    /** The document's shape (shared/config-migrations.ts brings older ones up to it). */
    version: z.literal(CONFIG_VERSION).default(CONFIG_VERSION),
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
    // Per-rule channel options, by each channel kind's own schema.
    cfg.rules.forEach((rule, i) => {
      for (const problem of channelOptionsProblems(rule, cfg.channels)) ctx.addIssue({ code: 'custom', path: ['rules', i, ...problem.path], message: problem.message });
    });
  });
export type HeraldConfig = z.infer<typeof HeraldConfigSchema>;
export type HeraldConfigInput = z.input<typeof HeraldConfigSchema>;

/** Whether a field's schema holds secret refs: SecretRefSchema, optional or defaulted, or as the values of a map (secretHeaders). */
function holdsSecretRefs(schema: unknown): boolean {
  let current = schema as { _zod?: { def: { type: string; innerType?: unknown; valueType?: unknown; in?: unknown } } } | undefined;
  for (let depth = 0; depth < 8 && current; depth++) {
    if (current === (SecretRefSchema as unknown)) return true;
    const def = current._zod?.def;
    if (!def) return false;
    const next = def.type === 'record' ? def.valueType : def.type === 'pipe' ? def.in : def.innerType;
    if (next === undefined) return false;
    current = next as typeof current;
  }
  return false;
}

function secretFieldsByKind(unions: ReadonlyArray<{ options: ReadonlyArray<{ shape: Record<string, unknown> }> }>): Record<string, readonly string[]> {
  const fields: Record<string, readonly string[]> = {};
  for (const union of unions) {
    for (const option of union.options) {
      const kind = (option.shape.kind as { value: string }).value;
      fields[kind] = Object.keys(option.shape).filter((key) => holdsSecretRefs(option.shape[key]));
    }
  }
  return fields;
}

/**
 * Which fields of each kind hold secret refs, read from the schemas (a field typed
 * SecretRefSchema is the mark): the api masks them and writes them to the keychain, and
 * the forms show them as secrets. No list is kept by hand.
 */
export const SECRET_FIELDS: Readonly<Record<string, readonly string[]>> = secretFieldsByKind([SourceSchema, ChannelSchema]);

// ── Redacted views: what the api shows of a source or channel ──────────────

/** The type-level twin of holdsSecretRefs: a marked SecretRefSchema, optional or defaulted, or a map of them. */
type HoldsSecretRefs<S> = S extends SecretRefMarked
  ? true
  : S extends z.ZodOptional<infer Inner> | z.ZodDefault<infer Inner>
    ? HoldsSecretRefs<Inner>
    : S extends z.ZodRecord<z.core.$ZodRecordKey, infer Value>
      ? HoldsSecretRefs<Value>
      : false;
type SecretKeysOf<Shape> = { [K in keyof Shape]: HoldsSecretRefs<Shape[K]> extends true ? K : never }[keyof Shape];
/** One kind's config without its secret fields (distributes over a union of object schemas). */
type RedactedOf<O> = O extends z.ZodObject<infer Shape> ? Omit<z.output<O>, SecretKeysOf<Shape>> : never;

/** A source as the api shows it: its config without the secret fields, per kind (narrow on `kind`). */
export type RedactedSourceConfig = RedactedOf<(typeof SourceSchema)['options'][number]>;
/** A channel as the api shows it: its config without the secret fields, per kind (narrow on `kind`). */
export type RedactedChannelConfig = RedactedOf<(typeof ChannelSchema)['options'][number]>;

/** The union's kinds, each without its secret fields (and without the checks across fields: a view is output). */
function redactedUnion(union: { options: ReadonlyArray<{ shape: Record<string, z.ZodType> }> }) {
  const options = union.options.map((option) =>
    z.object(Object.fromEntries(Object.entries(option.shape).filter(([, field]) => !holdsSecretRefs(field)))).strict(),
  );
  return z.discriminatedUnion('kind', options as unknown as [z.ZodObject, ...z.ZodObject[]]);
}
export const RedactedSourceSchema = redactedUnion(SourceSchema) as unknown as z.ZodType<RedactedSourceConfig>;
export const RedactedChannelSchema = redactedUnion(ChannelSchema) as unknown as z.ZodType<RedactedChannelConfig>;

// The per-kind part of the source and channel forms is read from the shared zod schemas,
// so a kind the hub adds (and its fields, defaults, enums, limits) shows up without a
// form of its own. Known fields get nicer labels and hints from FIELD_TEXT.
import type { z } from 'zod';

export type FieldControl =
  | { control: 'text'; format?: 'url'; multiline: boolean }
  | { control: 'number'; min?: number; max?: number; integer: boolean }
  | { control: 'boolean' }
  | { control: 'enum'; options: string[] }
  | { control: 'list' }
  | { control: 'keyValue' }
  | { control: 'secret' }
  | { control: 'secretMap' }
  /** A self-hosted server's TLS trust (PollTlsSchema): its CA certificate pasted as PEM, or "accept any". */
  | { control: 'tls' }
  | { control: 'json' };

export type FieldSpec = FieldControl & {
  name: string;
  label: string;
  hint?: string;
  required: boolean;
  defaultValue?: unknown;
};

/** Fields every item has; the forms render them themselves. */
export const BASE_FIELDS = ['id', 'name', 'enabled', 'kind'] as const;

const FIELD_TEXT: Record<string, { label: string; hint?: string }> = {
  url: { label: 'URL' },
  method: { label: 'HTTP method' },
  headers: { label: 'Headers', hint: 'Sent with every request. Values are stored in the config file.' },
  secretHeaders: { label: 'Secret headers', hint: 'Values go to the keychain; the config keeps a reference only.' },
  template: {
    label: 'Body template',
    hint: 'JSON with {{variables}}, e.g. {"text": "{{title}}"}. Empty: the event itself as JSON.',
  },
  timeoutMs: { label: 'Timeout (ms)' },
  concurrency: { label: 'Most requests at once', hint: 'Herald adapts below it to what the endpoint sustains; slows down on 429 and 5xx.' },
  sound: { label: 'Play a sound' },
  secret: { label: 'Shared secret', hint: 'The sender proves itself with it (Bearer token or HMAC signature).' },
  natsUrl: { label: 'NATS URL', hint: "The control plane's NATS server: nats://host:4222, or tls://host:4222 for TLS from the start." },
  stream: { label: 'JetStream stream', hint: 'Chainloop creates chainloop-audit (subjects audit.>).' },
  consumer: { label: 'Durable consumer name', hint: 'Empty: herald-<source id>. The server keeps its place in the stream across restarts.' },
  credentials: { label: 'NATS credentials', hint: "Chainloop's NATS token, or the contents of a .creds file. Empty: no auth." },
  topic: { label: 'Topic', hint: '1-64 letters, digits, - and _. Subscribe to the same topic in the ntfy app.' },
  server: { label: 'Server', hint: 'https://ntfy.sh or your own ntfy server.' },
  apps: { label: 'Apps', hint: 'Devtron app ids, optionally with the name events should show: 12:payments, 14:billing.' },
  apiUrl: { label: 'API URL' },
  // Channels
  webhookUrl: { label: 'Webhook URL', hint: 'The URL the service gave you; it is itself the credential, so it is kept as a secret.' },
  botToken: { label: 'Bot token', hint: 'xoxb-… with the chat:write scope; needs the channel to post to.' },
  channel: { label: 'Channel', hint: 'For a bot token: C0123ABCD or #channel-name.' },
  avatarUrl: { label: 'Avatar URL' },
  transport: { label: 'Transport', hint: 'smtp: your mail server; ses: Amazon SES.' },
  to: { label: 'To', hint: 'Comma-separated addresses. A rule may name its own instead.' },
  from: { label: 'From', hint: 'herald@acme.example or Herald <herald@acme.example>. Empty: the default sender in Settings.' },
  security: { label: 'Security', hint: 'starttls: port 587; tls: port 465; none: only for a relay on this machine.' },
  tlsCa: { label: 'CA certificate (PEM)', hint: 'Trusted besides the system’s, for a relay with an internal certificate.' },
  pool: { label: 'Keep connections open', hint: 'Reuse SMTP connections between messages.' },
  maxConnections: { label: 'Connections at most' },
  ratePerSecond: { label: 'Messages per second at most', hint: 'Empty: as fast as the server takes them.' },
  region: { label: 'AWS region', hint: 'e.g. eu-west-1.' },
  accessKeyId: { label: 'Access key id', hint: 'Empty: the AWS default credentials (environment, instance role).' },
  secretAccessKey: { label: 'Secret access key' },
  endpoint: { label: 'SES endpoint', hint: 'Only for a VPC endpoint or a proxy.' },
  format: { label: 'Card format', hint: 'adaptive: Workflows webhooks; messagecard: the retiring Office 365 connectors.' },
  // Sources that poll, and webhook sources' options.
  repos: { label: 'Repositories', hint: 'owner/name, or owner/* for every repository of a user or organisation; separated by commas.' },
  projects: { label: 'Projects', hint: "group/project, or group/* for the group's projects (subgroups included); separated by commas." },
  baseUrl: { label: 'GitLab URL', hint: "https://gitlab.com, or your self-managed server's address." },
  workflows: { label: 'Workflows', hint: 'Only these: workflow names or files, globs allowed (CI, deploy*.yml), separated by commas. Empty: all.' },
  branches: { label: 'Branches', hint: 'Only these, globs allowed (main, release/*), separated by commas. Empty: all.' },
  onlyMine: { label: 'Only runs I triggered', hint: "Runs the token's own user started." },
  deployments: { label: 'Deployments', hint: 'Also follow deployments and their statuses (deployment.* events).' },
  jobs: { label: 'Jobs', hint: 'Also each job of a pipeline that changed ("<pipeline> / <job>").' },
  pollIntervalSeconds: { label: 'Poll every (seconds)', hint: 'At least 10.' },
  timeoutSeconds: { label: 'Request timeout (seconds)' },
  tls: { label: 'TLS', hint: "Only for a self-hosted server whose certificate this machine's system does not trust." },
  relayUrl: {
    label: 'Relay URL',
    hint: 'No public address? A smee-compatible channel (https://smee.io/<channel>): the sender posts there and Herald subscribes. Empty: the sender posts to the ingress URL.',
  },
  outcomePhase: { label: 'Outcome from phase', hint: 'FINALIZED: after the post-build steps; COMPLETED: as soon as the build ends.' },
  org: { label: 'Organisation' },
  environments: { label: 'Environments', hint: 'Environment names, separated by commas.' },
  products: { label: 'Products', hint: 'Product names, separated by commas. Empty: every product the token can see.' },
  exceptions: { label: 'Raise exceptions', hint: "error.exception from SecObserve's stored notifications." },
  exceptionWindowSeconds: { label: 'The same exception at most once per (seconds)' },
  frontendUrl: { label: 'Web UI URL', hint: "SecObserve's web address, for links in events. Empty: none." },
  minimumSeverity: { label: 'Minimum severity', hint: 'Findings below it raise nothing.' },
  upcomingEngagementDays: { label: 'Engagements starting within (days)', hint: 'Each raises engagement.upcoming once.' },
  maxFindingEvents: { label: 'Most finding events per poll', hint: 'More new findings than this in one poll become one summary event.' },
};

/** Texts for a field name that means something else in another kind (a URL, a token, a host). */
const KIND_FIELD_TEXT: Record<string, Record<string, { label: string; hint?: string }>> = {
  cctray: {
    url: { label: 'Feed URL', hint: 'The cctray XML address, e.g. https://jenkins.example.com/cc.xml or https://gocd.example.com/go/cctray.xml.' },
    username: { label: 'Username', hint: 'Basic auth, with the password below (Jenkins: an API token as the password). Empty: an open feed.' },
    password: { label: 'Password', hint: "The basic-auth user's password or API token." },
    token: { label: 'Bearer token', hint: 'Instead of basic auth, for a feed behind a token.' },
  },
  'github-actions': {
    token: { label: 'Token', hint: 'A personal access token: classic with the repo scope, or fine-grained with Actions and Deployments: read.' },
    apiUrl: { label: 'API URL', hint: "https://api.github.com, or GitHub Enterprise Server's https://<host>/api/v3." },
  },
  'gitlab-ci': { token: { label: 'Token', hint: 'A personal access token with the read_api scope.' } },
  kosli: {
    host: { label: 'Kosli host', hint: 'https://app.kosli.com, or your EU or self-hosted Kosli.' },
    token: { label: 'API token', hint: 'A Kosli API token (sent as a Bearer token).' },
  },
  secobserve: {
    url: { label: 'API URL', hint: "SecObserve's address, e.g. https://secobserve.example.com (its API is under /api)." },
    token: { label: 'API token', hint: 'Sent as APIToken <token>.' },
  },
  defectdojo: {
    url: { label: 'URL', hint: "DefectDojo's address, e.g. https://defectdojo.example.com (its API v2 is under /api/v2)." },
    token: { label: 'API key', hint: 'Your API v2 key (sent as Token <key>).' },
  },
  'devtron-poll': {
    url: { label: 'Devtron URL', hint: 'The dashboard address, e.g. https://devtron.example.com.' },
    token: { label: 'API token', hint: 'Global Configurations → Authorization → API tokens.' },
  },
};

/** `timeoutMs` → `Timeout ms`, for fields FIELD_TEXT does not know. */
function humanize(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
}

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } };

function unwrap(schema: AnySchema): { inner: AnySchema; required: boolean; defaultValue?: unknown } {
  let current = schema;
  let required = true;
  let defaultValue: unknown;
  for (;;) {
    const def = current._zod.def;
    if (def.type === 'optional' || def.type === 'nullable') {
      required = false;
      current = def.innerType as AnySchema;
    } else if (def.type === 'default' || def.type === 'prefault') {
      required = false;
      defaultValue = def.defaultValue;
      current = def.innerType as AnySchema;
    } else if (def.type === 'pipe') {
      current = def.in as AnySchema;
    } else {
      return { inner: current, required, defaultValue };
    }
  }
}

function controlFor(name: string, schema: AnySchema, secretFields: readonly string[]): FieldControl {
  const def = schema._zod.def;
  const isSecret = secretFields.includes(name);
  switch (def.type) {
    case 'object': {
      const keys = Object.keys((schema as unknown as { shape: object }).shape).sort().join(',');
      return keys === 'caPem,insecureSkipVerify' ? { control: 'tls' } : { control: 'json' };
    }
    case 'string': {
      if (isSecret) return { control: 'secret' };
      const maxLength = (schema as unknown as { maxLength?: number | null }).maxLength;
      return {
        control: 'text',
        ...(def.format === 'url' && { format: 'url' as const }),
        multiline: typeof maxLength === 'number' && maxLength > 2000,
      };
    }
    case 'number': {
      const n = schema as unknown as { minValue?: number | null; maxValue?: number | null; isInt?: boolean; format?: string | null };
      return {
        control: 'number',
        ...(typeof n.minValue === 'number' && Number.isFinite(n.minValue) && { min: n.minValue }),
        ...(typeof n.maxValue === 'number' && Number.isFinite(n.maxValue) && { max: n.maxValue }),
        integer: n.isInt === true || n.format === 'safeint',
      };
    }
    case 'boolean':
      return { control: 'boolean' };
    case 'enum':
      return { control: 'enum', options: (schema as unknown as { options: string[] }).options.map(String) };
    case 'record':
      return isSecret ? { control: 'secretMap' } : { control: 'keyValue' };
    case 'array': {
      const element = unwrap(def.element as AnySchema).inner;
      return element._zod.def.type === 'string' ? { control: 'list' } : { control: 'json' };
    }
    case 'union': {
      // A glob list (string | string[]) reads as a list.
      const options = (def.options as AnySchema[]).map((o) => unwrap(o).inner._zod.def.type);
      return options.every((t) => t === 'string' || t === 'array') ? { control: 'list' } : { control: 'json' };
    }
    default:
      return { control: 'json' };
  }
}

/** The kind-specific fields of one object schema, in declaration order (`kind` picks texts meant for it). */
export function describeFields(objectSchema: z.ZodType, secretFields: readonly string[] = [], kind?: string): FieldSpec[] {
  const shape = (objectSchema as unknown as { shape: Record<string, AnySchema> }).shape;
  return Object.entries(shape)
    .filter(([name]) => !(BASE_FIELDS as readonly string[]).includes(name))
    .map(([name, schema]) => {
      const { inner, required, defaultValue } = unwrap(schema);
      const text = (kind !== undefined ? KIND_FIELD_TEXT[kind]?.[name] : undefined) ?? FIELD_TEXT[name];
      return {
        name,
        label: text?.label ?? humanize(name),
        ...(text?.hint !== undefined && { hint: text.hint }),
        required,
        ...(defaultValue !== undefined && { defaultValue: defaultValue as unknown }),
        ...controlFor(name, inner, secretFields),
      } as FieldSpec;
    });
}

/** The option schemas of a discriminated union on `kind`, by kind. */
export function kindsOf(union: z.ZodType): Map<string, z.ZodType> {
  const options = (union as unknown as { options: AnySchema[] }).options;
  const kinds = new Map<string, z.ZodType>();
  for (const option of options) {
    const kind = (option as unknown as { shape: { kind: { value: string } } }).shape.kind.value;
    kinds.set(kind, option);
  }
  return kinds;
}

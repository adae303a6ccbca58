import { describe, expect, it } from 'vitest';
import { ChannelSchema, SECRET_FIELDS, SourceSchema } from '../../../shared/config.js';
import { describeZodError } from '../../../shared/event.js';

const check = (config: Record<string, unknown>) => {
  const r = ChannelSchema.safeParse({ id: 'c', name: 'C', ...config });
  return r.success ? 'ok' : describeZodError(r.error);
};

describe('channel config schemas', () => {
  const rows: [string, Record<string, unknown>, string | RegExp][] = [
    ['slack webhook', { kind: 'slack', webhookUrl: 'keychain:slack' }, 'ok'],
    ['a name over 200 characters, in words', { kind: 'slack', webhookUrl: 'keychain:slack', name: 'x'.repeat(201) }, 'name: must be at most 200 characters'],
    ['slack bot', { kind: 'slack', botToken: 'env:SLACK_TOKEN', channel: '#alerts' }, 'ok'],
    ['slack bot by channel id', { kind: 'slack', botToken: 'env:SLACK_TOKEN', channel: 'C0123ABCD' }, 'ok'],
    ['slack with both', { kind: 'slack', webhookUrl: 'keychain:a', botToken: 'keychain:b', channel: 'x' }, /webhookUrl: set either an incoming webhook URL or a bot token/],
    ['slack with neither', { kind: 'slack' }, /webhookUrl: set either/],
    ['slack bot without a channel', { kind: 'slack', botToken: 'keychain:b' }, /channel: a bot token needs the channel/],
    ['slack webhook URL pasted in place of a ref', { kind: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/X' }, /webhookUrl: must be keychain:<name>, env:<VAR> or file:<absolute path>/],
    ['teams', { kind: 'teams', webhookUrl: 'keychain:t' }, 'ok'],
    ['teams messagecard', { kind: 'teams', webhookUrl: 'keychain:t', format: 'messagecard' }, 'ok'],
    ['teams unknown format', { kind: 'teams', webhookUrl: 'keychain:t', format: 'html' }, /format/],
    ['discord', { kind: 'discord', webhookUrl: 'keychain:d', username: 'Herald' }, 'ok'],
    ['discord long username', { kind: 'discord', webhookUrl: 'keychain:d', username: 'x'.repeat(81) }, /username/],
    ['smtp', { kind: 'email', host: 'smtp.example', to: 'a@x.example, b@y.example', from: 'Herald <h@x.example>' }, 'ok'],
    ['smtp without host', { kind: 'email', to: 'a@x.example' }, /host: SMTP needs a host/],
    ['smtp user without password', { kind: 'email', host: 'h', username: 'u' }, /password: SMTP auth needs both/],
    ['bad recipient', { kind: 'email', host: 'h', to: 'a@x.example, not-an-address' }, /to: not an email address: not-an-address/],
    ['bad sender', { kind: 'email', host: 'h', from: 'Herald' }, /from: must be an address, or Name <address>/],
    ['header injection in the subject prefix', { kind: 'email', host: 'h', subjectPrefix: 'x\r\nBcc: y@z' }, /subjectPrefix: must be one line/],
    ['ses', { kind: 'email', transport: 'ses', region: 'eu-west-1', accessKeyId: 'keychain:a', secretAccessKey: 'keychain:b' }, 'ok'],
    ['ses with the default credential chain', { kind: 'email', transport: 'ses', region: 'us-east-1' }, 'ok'],
    ['ses without region', { kind: 'email', transport: 'ses' }, /region: SES needs a region/],
    ['webhook with a template that cannot render is refused at save time', { kind: 'webhook', url: 'https://x.example/h', template: '{"a": "{{devtronAppNme}}"}' }, /template: unknown variable \{\{devtronAppNme\}\} at line 1 col 8 — did you mean \{\{devtronAppName\}\}/],
    ['webhook with a preset-style filter', { kind: 'webhook', url: 'https://x.example/h', template: '{"a": "{{title | slack | max:100}}"}' }, 'ok'],
    ['webhook URL with user:password@', { kind: 'webhook', url: 'https://bot:hunter2@hooks.example/h' }, /url: must not carry a user or password/],
    ['webhook URL with a user only', { kind: 'webhook', url: 'https://bot@hooks.example/h' }, /url: must not carry a user or password/],
    ['webhook URL with ?access_token=', { kind: 'webhook', url: 'https://hooks.example/h?x=1&access_token=abc' }, /url: must not carry credentials in its query \(access_token\)/],
    ['webhook URL with ?api_key= and ?token=', { kind: 'webhook', url: 'https://hooks.example/h?api_key=1&TOKEN=2' }, /url: must not carry credentials in its query \(api_key, TOKEN\)/],
    ['webhook URL with harmless query', { kind: 'webhook', url: 'https://hooks.example/h?channel=ops&format=json' }, 'ok'],
    ['webhook with a plain Authorization header', { kind: 'webhook', url: 'https://x.example/h', headers: { Authorization: 'Bearer abc' } }, /headers\.Authorization: carries a credential/],
    ['webhook with a plain X-Api-Key header', { kind: 'webhook', url: 'https://x.example/h', headers: { 'x-api-key': 'abc' } }, /headers\.x-api-key: carries a credential/],
    ['webhook with a plain token header', { kind: 'webhook', url: 'https://x.example/h', headers: { 'X-Auth-Token': 'abc', 'PRIVATE-TOKEN': 'x' } }, /headers\.X-Auth-Token: carries a credential.*headers\.PRIVATE-TOKEN/],
    ['webhook with a Cookie header', { kind: 'webhook', url: 'https://x.example/h', headers: { Cookie: 'session=1' } }, /headers\.Cookie: carries a credential/],
    ['webhook with harmless headers', { kind: 'webhook', url: 'https://x.example/h', headers: { 'Content-Type': 'application/json', 'X-Idempotency-Key': 'k', 'User-Agent': 'Herald' } }, 'ok'],
    ['webhook with the credential as a secret header', { kind: 'webhook', url: 'https://x.example/h', secretHeaders: { Authorization: 'keychain:hook-auth', 'X-Api-Key': 'env:HOOK_KEY' } }, 'ok'],
    ['ses half a key', { kind: 'email', transport: 'ses', region: 'eu-west-1', accessKeyId: 'keychain:a' }, /secretAccessKey: SES keys need both/],
  ];
  it.each(rows)('%s', (_name, config, expected) => {
    const result = check(config);
    if (expected === 'ok') expect(result).toBe('ok');
    else expect(result).toMatch(expected);
  });

  it('every secret-bearing field is listed in SECRET_FIELDS', () => {
    expect(SECRET_FIELDS.slack).toEqual(['webhookUrl', 'botToken']);
    expect(SECRET_FIELDS.teams).toEqual(['webhookUrl']);
    expect(SECRET_FIELDS.discord).toEqual(['webhookUrl']);
    expect(SECRET_FIELDS.email).toEqual(['password', 'accessKeyId', 'secretAccessKey']);
  });

  it('SECRET_FIELDS is read from the schemas: every kind has an entry, a map of refs counts, plain fields do not', () => {
    const kinds = [...SourceSchema.options, ...ChannelSchema.options].map((o) => o.shape.kind.value);
    expect(Object.keys(SECRET_FIELDS).sort()).toEqual([...kinds].sort());
    expect(SECRET_FIELDS.cctray).toEqual(['password', 'token']);
    expect(SECRET_FIELDS.webhook).toEqual(['secretHeaders']);
    expect(SECRET_FIELDS.desktop).toEqual([]);
    expect(SECRET_FIELDS.generic).toEqual(['secret']);
  });
});

// The api's views of sources and channels: typed per kind, without the secret fields. The
// run-time schema and the type are both derived from SecretRefSchema in the kind's schema;
// these tests pin that the two agree with SECRET_FIELDS and with what the hub really returns.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { openConfigStore } from '../../../../electron/hub/config/config-store.js';
import { itemsWithSecrets } from '../../../../electron/hub/config/items-with-secrets.js';
import { openSecretStore } from '../../../../electron/hub/config/secrets.js';
import { ChannelViewSchema, SourceViewSchema } from '../../../../shared/api.js';
import {
  ChannelSchema,
  type RedactedChannelConfig,
  RedactedChannelSchema,
  type RedactedSourceConfig,
  RedactedSourceSchema,
  SECRET_FIELDS,
  SourceSchema,
} from '../../../../shared/config.js';

type Union = { options: ReadonlyArray<{ shape: Record<string, unknown> }> };
const kindOf = (option: { shape: Record<string, unknown> }) => (option.shape.kind as { value: string }).value;
const fieldsByKind = (union: unknown) => new Map((union as Union).options.map((o) => [kindOf(o), Object.keys(o.shape).sort()]));

describe('redacted view schemas', () => {
  it.each([
    ['sources', SourceSchema, RedactedSourceSchema],
    ['channels', ChannelSchema, RedactedChannelSchema],
  ] as const)('%s: every kind, with exactly its non-secret fields', (_, full, redacted) => {
    const fullFields = fieldsByKind(full);
    const redactedFields = fieldsByKind(redacted);
    expect([...redactedFields.keys()]).toEqual([...fullFields.keys()]);
    for (const [kind, fields] of fullFields) {
      const secret = SECRET_FIELDS[kind] ?? [];
      expect(redactedFields.get(kind), kind).toEqual(fields.filter((f) => !secret.includes(f)));
    }
    // Not vacuous: kinds with one secret, several, optional ones and a map of them.
    expect(SECRET_FIELDS.generic).toEqual(['secret']);
    expect(SECRET_FIELDS.cctray).toEqual(['password', 'token']);
    expect(SECRET_FIELDS.webhook).toEqual(['secretHeaders']);
  });

  it('the types leave the same fields out, per kind', () => {
    type Generic = Extract<RedactedSourceConfig, { kind: 'generic' }>;
    type Cctray = Extract<RedactedSourceConfig, { kind: 'cctray' }>;
    type Webhook = Extract<RedactedChannelConfig, { kind: 'webhook' }>;
    type Ntfy = Extract<RedactedChannelConfig, { kind: 'ntfy' }>;
    expectTypeOf<Generic>().toEqualTypeOf<{ id: string; name: string; enabled: boolean; kind: 'generic' }>();
    expectTypeOf<Cctray>().toHaveProperty('username').toEqualTypeOf<string | undefined>();
    expectTypeOf<Cctray>().not.toHaveProperty('password');
    expectTypeOf<Cctray>().not.toHaveProperty('token');
    expectTypeOf<Webhook>().toHaveProperty('headers').toEqualTypeOf<Record<string, string>>();
    expectTypeOf<Webhook>().not.toHaveProperty('secretHeaders');
    expectTypeOf<Ntfy>().toHaveProperty('topic').toEqualTypeOf<string>();
    expectTypeOf<Ntfy>().not.toHaveProperty('password');
  });
});

describe('the views the hub builds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-views-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const items = async () =>
    itemsWithSecrets({
      config: openConfigStore({ dataDir: dir }),
      secrets: await openSecretStore({ env: { HOOK: 'h', TOKEN: 't' }, loadKeytar: async () => { throw new Error('no keychain in this test'); } }),
    });

  it('match the view schemas (which refuse a secret field)', async () => {
    const { view } = await items();
    const sources = [
      SourceSchema.parse({ id: 'gen', name: 'Gen', kind: 'generic', secret: 'env:HOOK' }),
      SourceSchema.parse({ id: 'cc', name: 'CC', kind: 'cctray', url: 'http://127.0.0.1:9/cc.xml', token: 'env:TOKEN' }),
      SourceSchema.parse({ id: 'gh', name: 'GH', kind: 'github', secret: 'env:UNSET_HERE', relayUrl: 'https://smee.io/abc' }),
    ];
    const channels = [
      ChannelSchema.parse({ id: 'hook', name: 'Hook', kind: 'webhook', url: 'https://hooks.example/x', secretHeaders: { Authorization: 'env:TOKEN' } }),
      ChannelSchema.parse({ id: 'phone', name: 'Phone', kind: 'ntfy', topic: 'herald-a1b2c3', token: 'env:TOKEN' }),
    ];
    const base = { ingressUrl: 'http://127.0.0.1/hooks/x', lastEventAt: null, eventCount: 0, health: { healthy: true, consecutiveFailures: 0, lastError: null, lastSuccessAt: null, lastFailureAt: null } };
    for (const source of sources) {
      const shown = await view(source);
      expect(shown.config).not.toHaveProperty('secret');
      expect(shown.config).not.toHaveProperty('token');
      expect(SourceViewSchema.parse({ ...base, ...shown }).config).toEqual(shown.config);
      // A view that kept its secret ref would not pass.
      expect(SourceViewSchema.safeParse({ ...base, ...shown, config: { ...shown.config, secret: 'env:HOOK' } }).success).toBe(false);
    }
    for (const channel of channels) {
      const shown = await view(channel);
      expect(shown.config).not.toHaveProperty('secretHeaders');
      expect(shown.config).not.toHaveProperty('token');
      expect(ChannelViewSchema.parse({ health: base.health, pending: 0, failed: 0, ...shown }).config).toEqual(shown.config);
    }
    const github = await view(sources[2]!);
    // Narrowing on kind gives the kind's own fields, typed.
    if (github.config.kind !== 'github') throw new Error('narrowing');
    expect(github.config.relayUrl).toBe('https://smee.io/abc');
    expect(github.secrets).toEqual({ secret: { set: false, ref: 'env:UNSET_HERE' } });
    expect(github.needsSecret).toMatch(/^secret: environment variable UNSET_HERE is not set/);
  });
});

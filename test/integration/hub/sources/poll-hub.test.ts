// The poll scheduler inside the real hub (startHub): a SecObserve source from the config
// file is polled at start, its transitions survive hub restarts without repeats, a
// failing server turns into health.integration_unhealthy and back, a config edit restarts
// polling at once, and "test connection" answers with the exact failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import type { SecretStore } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { type FakeSecobserve, startFakeSecobserve } from '../../../helpers/fake-secobserve.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';

const TOKEN = 'hub-so-token';
let token = TOKEN;
const secrets: SecretStore = {
  status: { available: true },
  resolve: async (ref) => {
    if (ref === 'env:SO_TOKEN') return token;
    throw new Error(`${ref} is not set`);
  },
  set: async (name) => `keychain:${name}`,
  delete: async () => undefined,
  has: async () => true,
};

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('polling inside the hub', () => {
  let so: FakeSecobserve;
  let dataDir: string;
  let configFile: string;
  let hub: Hub | undefined;

  const start = async () => {
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000 });
    return hub;
  };
  const stop = async () => {
    await hub?.stop();
    hub = undefined;
  };
  const events = async (sources: string[]): Promise<HeraldEvent[]> => (await hub!.api['events.list']({ sources, limit: 100 })).items.slice().reverse();
  /** Waits for a successful poll that ended after `since`. */
  const polled = (since: number) =>
    until('a successful poll', async () => {
      const last = (await hub!.store.health.get('source', 'so')).lastSuccessAt;
      return last !== null && Date.parse(last) >= since;
    });

  beforeAll(async () => {
    so = await startFakeSecobserve({ token: TOKEN });
    so.products.push({ id: 1, name: 'api', security_gate_passed: true, repository_default_branch_name: 'main' });
    dataDir = tempDir('herald-poll-hub-');
    configFile = writeConfig(dataDir, {
      sources: [{ id: 'so', kind: 'secobserve', name: 'SecObserve', url: so.url, token: 'env:SO_TOKEN', pollIntervalSeconds: 3600, timeoutSeconds: 2 }],
      settings: { delivery: { unhealthyAfter: 1 } },
    });
  });
  afterAll(async () => {
    await stop();
    await so?.close();
  });

  it('polls at start, and a change between two runs of the hub is raised exactly once', async () => {
    let since = Date.now();
    await start();
    await polled(since);
    expect(await events(['so'])).toEqual([]);
    await stop();

    so.products[0]!.security_gate_passed = false;
    await start();
    await until('the gate event', async () => (await hub!.store.events.counts()).events >= 1);
    expect((await events(['so'])).map((e) => [e.type, e.title, e.subject])).toEqual([
      ['security_gate.failed', 'Security gate of api failed', { project: 'api', branch: 'main' }],
    ]);
    await stop();

    since = Date.now();
    await start();
    await polled(since);
    expect((await events(['so'])).map((e) => e.type)).toEqual(['security_gate.failed']);
  });

  it('turns a failing source into health.integration_unhealthy, and back after a config edit restarts polling', async () => {
    so.fail('http503');
    await hub!.api['sources.update']({ config: { id: 'so', kind: 'secobserve', name: 'SecObserve (prod)', url: so.url, token: 'env:SO_TOKEN', pollIntervalSeconds: 3600 }, secrets: {} });
    const herald = async () => (await hub!.store.events.list({ limit: 10, sources: ['herald'] })).items;
    const unhealthy = (await until<HeraldEvent[]>('the unhealthy event', async () => {
      const items = await herald();
      return items.length > 0 && items;
    }))[0]!;
    expect(unhealthy).toMatchObject({ type: 'health.integration_unhealthy', title: 'SecObserve (prod) (secobserve source) is failing', severity: 'warning' });
    expect(unhealthy.summary).toMatch(/HTTP 503 Service Unavailable/);
    const status = await hub!.api['hub.status']({});
    expect(status.sources).toEqual([{ id: 'so', name: 'SecObserve (prod)', health: expect.objectContaining({ healthy: false, consecutiveFailures: 1 }) }]);

    so.fail(undefined);
    await hub!.api['sources.update']({ config: { id: 'so', kind: 'secobserve', name: 'SecObserve', url: so.url, token: 'env:SO_TOKEN', pollIntervalSeconds: 3600 }, secrets: {} });
    await until('the recovered event', async () => (await herald()).length === 2);
    expect((await events(['herald'])).map((e) => e.type)).toEqual(['health.integration_unhealthy', 'health.integration_recovered']);
  });

  it('test connection polls once without committing and names the failure', async () => {
    const before = (await hub!.store.events.counts()).events;
    so.products[0]!.security_gate_passed = true;
    expect(await hub!.api['sources.test']({ id: 'so' })).toEqual({
      ok: true,
      detail: 'connected: the API answered as expected; 1 new event would be raised now (not committed by the test)',
    });
    expect((await hub!.store.events.counts()).events).toBe(before);
    token = 'revoked';
    const failed = await hub!.api['sources.test']({ id: 'so' });
    token = TOKEN;
    expect(failed.ok).toBe(false);
    expect(failed.detail).toMatch(/^HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/api\/products\/: token rejected — check the API token and its permissions \(server says: Invalid API token\.\)$/);
  });
});

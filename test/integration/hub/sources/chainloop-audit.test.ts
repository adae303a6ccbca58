// The chainloop-audit source inside the real hub, against a real nats-server with JetStream
// started by the test: the control plane's own audit test data (test/fixtures/chainloop/audit,
// from app/controlplane/pkg/auditor/events/testdata) published the way pkg/auditor/nats.go
// publishes it, the hub stopped mid-stream and started again: every message stored exactly
// once, in Herald's words; an unreadable message dropped without holding up the rest;
// "test connection" and health say what is wrong.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import type { SecretStore } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { chainloopAuditSource } from '../../../../electron/hub/sources/chainloop-audit.js';
import { mapAuditMessage, snakeCase } from '../../../../electron/hub/sources/chainloop-audit-events.js';
import { SourceSchema } from '../../../../shared/config.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';
import { type NatsServer, startNatsServer } from '../../../helpers/nats-server.js';

const TOKEN = 'nats-audit-token';
const AUDIT_DIR = join(import.meta.dirname, '../../../fixtures/chainloop/audit');

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : name.endsWith('.json') ? [join(dir, name)] : []));
}

/** Chainloop's testdata is the Data part; Publish wraps it: EventPayload{EventType, Timestamp, Data} on audit.<target>.<action>. */
const TESTDATA = files(AUDIT_DIR).map((file) => {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { ActionType: string; TargetType: string };
  return { name: relative(AUDIT_DIR, file), data, subject: `audit.${data.TargetType.toLowerCase()}.${data.ActionType.toLowerCase()}` };
});

/** env:NATS_TOKEN, and what the api writes to the "keychain" (an edit that sets new credentials). */
const keychain = new Map<string, string>([['env:NATS_TOKEN', TOKEN]]);
const secrets: SecretStore = {
  status: { available: true },
  resolve: async (ref) => {
    const value = keychain.get(ref);
    if (value === undefined) throw new Error(`${ref} is not set`);
    return value;
  },
  set: async (name, value) => {
    keychain.set(`keychain:${name}`, value);
    return `keychain:${name}`;
  },
  delete: async () => undefined,
  has: async (ref) => keychain.has(ref),
};

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('mapping the control plane audit test data', () => {
  it('reads every testdata file as an event; CAS status and project versions in Herald types', () => {
    const types = TESTDATA.map(({ name, data, subject }) => {
      const mapped = mapAuditMessage(subject, Buffer.from(JSON.stringify({ EventType: 'AUDIT_EVENT', Timestamp: '2026-12-03T09:00:00Z', Data: data })));
      if (mapped.kind !== 'events') throw new Error(`${name}: ${mapped.reason}`);
      return [name, mapped.events[0]!.type];
    });
    const byName = Object.fromEntries(types);
    expect(byName['casbackends/casbackend_status_change.json']).toBe('health.storage_unhealthy');
    expect(byName['casbackends/casbackend_status_recovery.json']).toBe('health.storage_recovered');
    expect(byName['projects/project_version_created.json']).toBe('release.created');
    expect(byName['projects/project_version_marked_as_latest.json']).toBe('release.created');
    expect(byName['projects/project_version_updated.json']).toBe('chainloop.project.project_version_updated');
    expect(byName['workflows/workflow_created.json']).toBe('chainloop.workflow.workflow_created');
    expect(byName['casbackends/casbackend_created.json']).toBe('chainloop.cas_backend.cas_backend_created');
    expect(snakeCase('CASBackendStatusChanged')).toBe('cas_backend_status_changed');
  });
});

describe('chainloop-audit inside the hub, against nats-server -js', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dataDir: string;
  let configFile: string;
  let hub: Hub | undefined;

  const start = async () => {
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000, subscriptionTiming: { initialDelayMs: 50, maxDelayMs: 200 } });
    return hub;
  };
  const view = async () => (await hub!.api['sources.list']({})).find((s) => s.config.id === 'audit')!;
  const stored = async () => (await hub!.store.events.sourceStats('audit')).count;
  const events = async (): Promise<HeraldEvent[]> => (await hub!.api['events.list']({ sources: ['audit'], limit: 500 })).items.slice().reverse();
  let seq = 0;
  /** Publish as the control plane does (json.Marshal(EventPayload)), each with its own timestamp. */
  const publish = async (items: typeof TESTDATA) => {
    const js = nc.jetstream();
    for (const { data, subject } of items) {
      seq++;
      const timestamp = new Date(Date.UTC(2026, 11, 3, 9, 0, seq)).toISOString();
      await js.publish(subject, new TextEncoder().encode(JSON.stringify({ EventType: 'AUDIT_EVENT', Timestamp: timestamp, Data: data })));
    }
  };
  const consumerSettled = () =>
    until('the consumer to have nothing pending and nothing unacknowledged', async () => {
      const info = await jsm.consumers.info('chainloop-audit', 'herald-audit');
      return info.num_pending === 0 && info.num_ack_pending === 0 ? info : false;
    }, 30_000); // a redelivery after ack_wait (10 s) may still be on its way

  beforeAll(async () => {
    nats = await startNatsServer({ token: TOKEN });
    nc = await connect({ servers: nats.url, token: TOKEN });
    jsm = await nc.jetstreamManager();
    // The control plane owns the stream (auditor/nats.go initJetStream: CreateOrUpdateStream).
    await jsm.streams.add({ name: 'chainloop-audit', subjects: ['audit.>'] });
    dataDir = tempDir('herald-chainloop-audit-');
    configFile = writeConfig(dataDir, {
      sources: [{ id: 'audit', kind: 'chainloop-audit', name: 'Chainloop audit', natsUrl: nats.url, credentials: 'env:NATS_TOKEN' }],
    });
  }, 30_000);
  afterAll(async () => {
    await hub?.stop();
    await nc?.close();
    await nats?.close();
  });

  it('creates its durable consumer and says so; test connection reports the stream', async () => {
    await start();
    const connected = await until('the subscription to connect', async () => ((await view()).subscription?.state === 'connected' ? view() : false));
    expect(connected.subscription).toMatchObject({ state: 'connected', detail: 'consumer herald-audit on chainloop-audit', received: 0, lastError: null });
    const consumer = await jsm.consumers.info('chainloop-audit', 'herald-audit');
    expect(consumer.config).toMatchObject({ durable_name: 'herald-audit', ack_policy: 'explicit', deliver_policy: 'new' });
    const test = await hub!.api['sources.test']({ id: 'audit' });
    expect(test).toEqual({ ok: true, detail: expect.stringMatching(/^connected to nats:\/\/127\.0\.0\.1:\d+: stream chainloop-audit holds 0 messages \(subjects audit\.>\); consumer herald-audit has 0 messages waiting and 0 unacknowledged$/) });
  });

  it('stopped mid-stream and started again: every message stored once, none lost', async () => {
    const total = TESTDATA.length;
    const firstHalf = TESTDATA.slice(0, Math.ceil(total / 2));
    const secondHalf = TESTDATA.slice(firstHalf.length);
    await publish(firstHalf);
    // An unreadable message between the others: dropped, reported, the rest go on.
    await nc.jetstream().publish('audit.casbackend.garbled', new TextEncoder().encode('{not json'));
    await publish(secondHalf);
    // Stop while the hub is still working through the stream.
    await until('some messages stored', async () => (await stored()) >= 5);
    await hub!.stop();
    hub = undefined;
    // More arrive while Herald is down: the durable consumer keeps them.
    const whileDown = TESTDATA.filter((t) => t.name.startsWith('casbackends/casbackend_status'));
    await publish(whileDown);

    await start();
    // Messages the server was still sending to the stopped pull come again after ack_wait (10 s).
    await until(`all ${total + whileDown.length} events`, async () => (await stored()) >= total + whileDown.length, 40_000);
    await consumerSettled();
    expect(await stored()).toBe(total + whileDown.length);

    const all = await events();
    const count = (type: string) => all.filter((e) => e.type === type).length;
    expect(count('health.storage_unhealthy')).toBe(2);
    expect(count('health.storage_recovered')).toBe(2);
    expect(count('release.created')).toBe(2);
    const unhealthy = all.find((e) => e.type === 'health.storage_unhealthy')!;
    expect(unhealthy).toMatchObject({
      severity: 'critical',
      title: 'Chainloop storage backend "test-backend" is unhealthy',
      subject: { project: 'test-backend' },
      actor: 'john@cyberdyne.io',
      data: { backend: 'test-backend', provider: 'OCI', previousStatus: 'OK', newStatus: 'Invalid' },
    });
    expect(all.find((e) => e.type === 'release.created' && e.title === 'test-project v1.0.0 released')).toMatchObject({ subject: { project: 'test-project' }, data: { version: 'v1.0.0', prerelease: false } });
    expect(all.find((e) => e.title === 'test-project v1.0.0 is the latest release')).toBeDefined();
    // The garbled message was dropped before the restart, or by the second run: either way once, and reported.
    expect(all.some((e) => e.type.includes('garbled'))).toBe(false);
  }, 60_000);

  it('reports a dropped message as the last error, and a connection that fails as unhealthy', async () => {
    await nc.jetstream().publish('audit.casbackend.garbled', new TextEncoder().encode('{not json'));
    const dropped = await until('the garbled message to be dropped', async () => ((await view()).subscription?.dropped ?? 0) >= 1 && view());
    expect(dropped.subscription!.lastError).toMatch(/^dropped stream message \d+: message on audit\.casbackend\.garbled is not JSON/);
    await consumerSettled();

    // Credentials NATS refuses: test connection names it; the subscription retries and the source turns unhealthy.
    await hub!.api['sources.update']({ config: { ...(await view()).config, natsUrl: nats.url }, secrets: { credentials: 'wrong-token' } });
    const wrong = await hub!.api['sources.test']({ id: 'audit' });
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).toMatch(/did not accept the credentials|Authorization Violation/i);
    await until('the source to turn unhealthy', async () => !(await hub!.store.health.get('source', 'audit')).healthy, 20_000);
    const failing = await view();
    expect(failing.subscription!.state).toBe('reconnecting');
    expect(failing.health.lastError).toMatch(/credentials|Authorization/i);
  }, 40_000);

  it('a crash between the commit and the ack: the message comes again, with the same delivery id', async () => {
    const config = SourceSchema.parse({ id: 'crashy', kind: 'chainloop-audit', name: 'Crashy', natsUrl: nats.url, credentials: 'env:NATS_TOKEN' }) as never;
    const committed: string[] = [];
    const run = (onCommit: (deliveryId: string) => void) => {
      const abort = new AbortController();
      const done = chainloopAuditSource.run({
        config,
        secrets: { credentials: TOKEN },
        signal: abort.signal,
        log: () => undefined,
        onStatus: () => undefined,
        onDropped: () => undefined,
        commit: async (_events, deliveryId) => {
          committed.push(deliveryId);
          onCommit(deliveryId);
        },
      });
      return { abort, done };
    };
    // First run: creates the consumer, stores the message, then "crashes" before acknowledging.
    const first = run(() => {
      throw new Error('crash after the commit');
    });
    await until('the consumer', () => jsm.consumers.info('chainloop-audit', 'herald-crashy').catch(() => false));
    await publish(TESTDATA.slice(0, 1));
    await expect(first.done).rejects.toThrow('crash after the commit');
    // Second run: the same message again (nak'd, not acknowledged), with the id the first commit stored.
    const second = run(() => undefined);
    await until('the redelivery', () => committed.length >= 2);
    second.abort.abort();
    await second.done;
    expect(committed).toHaveLength(2);
    expect(committed[1]).toBe(committed[0]);
    const info = await jsm.consumers.info('chainloop-audit', 'herald-crashy');
    expect([info.num_pending, info.num_ack_pending]).toEqual([0, 0]);
  }, 30_000);
});


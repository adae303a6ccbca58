// The worker keeps a leased claim (PostgreSQL: store/postgres/outbox.ts) alive while its
// send runs: renewed when half the lease is left, so another replica takes it over only
// when this one stops renewing (it died). The engine here answers as the PostgreSQL one
// does — claims with leaseUntil, renewLeases, one deliveryTick per tick — and records
// what the worker asked of it; the SQLite engine gives no lease and is never asked.
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsSchema, WebhookChannelSchema, type ChannelConfig } from '../../../../shared/config.js';
import type { Channel } from '../../../../electron/hub/channels/channel.js';
import { DeliveryWorker } from '../../../../electron/hub/delivery/worker.js';
import type { DeliveryTick, StoreEngine } from '../../../../electron/hub/store/engine.js';
import { waitFor } from '../../../helpers/hub-process.js';

const LEASE_MS = 400;
const workers: DeliveryWorker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop(100);
});

function leasedEngine(leaseMs: number | undefined) {
  const ticks: DeliveryTick[] = [];
  const renewals: Array<{ ids: readonly number[]; at: number }> = [];
  let handedOut = false;
  const event = { id: 'e1', source: { kind: 'generic', id: 's', name: 'S' }, type: 'pipeline.failed', severity: 'critical' as const, subject: {}, title: 'slow one', occurredAt: new Date().toISOString(), receivedAt: new Date().toISOString(), dedupKey: 'k', read: false };
  const store = {
    async deliveryTick(tick: DeliveryTick) {
      ticks.push(tick);
      const claim = !handedOut && tick.claim.some(([channelId]) => channelId === 'c');
      if (claim) handedOut = true;
      return {
        claimed: claim ? [{ id: 7, eventSeq: 1, channelId: 'c', ruleId: 'r', attempt: 1, ...(leaseMs !== undefined && { leaseUntil: tick.now + leaseMs }) }] : [],
        transitions: tick.health.map(() => undefined),
      };
    },
    events: { forDelivery: async () => event },
    outbox: {
      nextDue: async () => undefined,
      get: async () => undefined,
      renewLeases: async (ids: readonly number[]) => {
        renewals.push({ ids: [...ids], at: Date.now() });
      },
    },
  } as unknown as Pick<StoreEngine, 'deliveryTick' | 'events' | 'outbox'>;
  return { store, ticks, renewals };
}

function start(store: Pick<StoreEngine, 'deliveryTick' | 'events' | 'outbox'>, sendMs: number) {
  const config = WebhookChannelSchema.parse({ id: 'c', kind: 'webhook', name: 'C', url: 'http://127.0.0.1:9/' }) as ChannelConfig;
  let sent = 0;
  const slow: Channel = {
    kind: 'webhook',
    send: async () => {
      await new Promise((r) => setTimeout(r, sendMs));
      sent++;
      return { kind: 'ok' };
    },
  };
  const worker = new DeliveryWorker({
    store,
    channel: (id) => (id === 'c' ? config : undefined),
    channels: () => [config],
    settings: () => SettingsSchema.parse({}),
    channelFor: () => slow,
    resolveSecrets: async () => ({}),
  });
  workers.push(worker);
  worker.start();
  return { worker, sent: () => sent };
}

describe('delivery claim leases', () => {
  it('renews a leased claim while its send runs longer than the lease, then records it delivered', async () => {
    const engine = leasedEngine(LEASE_MS);
    const started = Date.now();
    const run = start(engine.store, 3 * LEASE_MS);
    await waitFor(() => run.sent() === 1 && engine.ticks.some((t) => t.record.length > 0), 5_000, 'the send to finish and be recorded');
    // Half the lease left each time: ~200, ~400, ~600… ms into a 1200 ms send.
    expect(engine.renewals.length).toBeGreaterThanOrEqual(2);
    for (const r of engine.renewals) expect(r.ids).toEqual([7]);
    expect(engine.renewals[0]!.at - started).toBeLessThan(LEASE_MS);
    const recorded = engine.ticks.find((t) => t.record.length > 0)!;
    expect(recorded.record).toEqual([{ id: 7, result: 'delivered' }]);
    // Recorded: nothing more to keep alive.
    const after = engine.renewals.length;
    await new Promise((r) => setTimeout(r, LEASE_MS));
    expect(engine.renewals).toHaveLength(after);
  });

  it('asks for no renewal when the engine gives no lease (SQLite)', async () => {
    const engine = leasedEngine(undefined);
    const run = start(engine.store, 300);
    await waitFor(() => run.sent() === 1 && engine.ticks.some((t) => t.record.length > 0), 5_000, 'the send to finish and be recorded');
    expect(engine.renewals).toEqual([]);
  });
});

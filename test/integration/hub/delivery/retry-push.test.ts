// "Retry now" is a change like any other: every open view hears of it on the updates
// stream (pending first, then the worker's result), so a view never has to
// trust an api answer that may be older than what was pushed since.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiUpdate, Delivery } from '../../../../shared/api.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { mapSecrets } from '../../../helpers/ci-webhooks.js';
import { startSink, type Sink } from '../../../helpers/http-sink.js';
import { tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'retry-push-secret-0123456789';
const secrets = mapSecrets({ RETRY_PUSH_SECRET: SECRET });

describe('manual retry on the updates stream', () => {
  let hub: Hub;
  let sink: Sink;
  beforeAll(async () => {
    sink = await startSink();
    const dataDir = tempDir('herald-retry-push-');
    const configFile = writeConfig(dataDir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:RETRY_PUSH_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `${sink.url}/hook` }],
      rules: [{ id: 'all', name: 'All', match: {}, channels: ['sink'] }],
      settings: { delivery: { maxAttempts: 1 } },
    });
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await hub?.stop();
    await sink?.close();
  });

  /** An event whose one delivery the sink (answering 503) has made fail. */
  async function failedDelivery(title: string): Promise<{ eventId: string; failed: Delivery }> {
    sink.respond(503, 'down');
    const answer = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title }),
    });
    expect(answer.status).toBe(202);
    const eventId = ((await answer.json()) as { ids: string[] }).ids[0]!;
    const failed = await waitFor(async () => {
      const detail = await hub.api['events.get']({ id: eventId });
      return detail.deliveries[0]?.status === 'failed' ? detail.deliveries[0] : undefined;
    }, 10_000, 'the delivery to fail');
    return { eventId, failed };
  }

  it('pushes pending when retried, then the worker pushes the delivered state', async () => {
    const { failed } = await failedDelivery('Retry me');

    const pushed: Delivery[] = [];
    const unsubscribe = hub.onUpdate((update: ApiUpdate) => {
      if (update.type === 'delivery.updated' && update.delivery.id === failed.id) pushed.push(update.delivery);
    });
    sink.respond(200, 'ok');
    const retried = await hub.api['deliveries.retry']({ id: failed.id });
    expect(retried).toMatchObject({ status: 'pending', attempts: 0 });
    // Pushed before the answer returned: a view that sees the push first already has it.
    expect(pushed[0]).toEqual(retried);
    await waitFor(() => pushed.at(-1)?.status === 'delivered', 10_000, 'the delivered push');
    unsubscribe();
    expect(pushed.map((d) => d.status)).toEqual(['pending', 'delivered']);
    expect(sink.received.filter((r) => r.url === '/hook')).toHaveLength(1);
  });

  it("channels.list shows the channel's backlog and its adaptive concurrency: cut by the 503s, within the webhook's default ceiling", async () => {
    await failedDelivery('Slow me down');
    const sinkView = (await hub.api['channels.list']({})).find((c) => c.config.id === 'sink')!;
    expect(sinkView).toMatchObject({ pending: 0, failed: expect.any(Number) });
    expect(sinkView.failed).toBeGreaterThanOrEqual(1);
    // Starts at 4, halved by a 503; the default ceiling of a webhook channel is 32.
    expect(sinkView.delivery).toMatchObject({ maxConcurrency: 32, inFlight: 0, lastDecrease: { reason: 'overload' } });
    expect(sinkView.delivery!.concurrency).toBeLessThan(4);
  });

  it("channels.list says when a service's Retry-After pauses the channel, and why; saving the channel lifts the pause", async () => {
    sink.respond(429, 'slow down', { 'retry-after': '3600' });
    const answer = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'Wait for me' }),
    });
    expect(answer.status).toBe(202);
    const sinkView = async () => (await hub.api['channels.list']({})).find((c) => c.config.id === 'sink')!;
    const paused = await waitFor(async () => {
      const view = await sinkView();
      return view.delivery?.pausedUntil ? view : undefined;
    }, 10_000, 'the pause');
    // This suite gives each delivery one attempt: that one failed, but the pause holds the channel's other deliveries.
    expect(paused.delivery!.pausedBy).toBe('HTTP 429: slow down');
    expect(Date.parse(paused.delivery!.pausedUntil!) - Date.now()).toBeGreaterThan(3_500_000);
    sink.respond(200, 'ok');
    const sent = sink.received.length;
    const held = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'Held by the pause' }),
    });
    expect(held.status).toBe(202);
    await waitFor(async () => (await sinkView()).pending === 1, 5_000, 'the new delivery queued');
    await hub.idle();
    expect(sink.received.length).toBe(sent);
    await hub.api['channels.update']({ config: { ...paused.config, name: 'Sink, fixed' }, secrets: {} });
    await waitFor(async () => (await sinkView()).pending === 0, 10_000, 'the paused delivery sent after the edit');
    expect(sink.received.length).toBe(sent + 1);
    expect((await sinkView()).delivery!.pausedUntil).toBeUndefined();
    await hub.api['channels.update']({ config: { ...paused.config, name: 'Sink' }, secrets: {} });
  });

  it("retries a channel's failed deliveries at once (after fixing it), each sent once; an unknown channel is refused", async () => {
    const failed = [await failedDelivery('Token expired 1'), await failedDelivery('Token expired 2')];
    const before = (await hub.api['channels.list']({})).find((c) => c.config.id === 'sink')!.failed;
    expect(before).toBeGreaterThanOrEqual(2);
    sink.respond(200, 'ok');
    const sent = sink.received.length;
    expect(await hub.api['channels.retryFailed']({ id: 'sink' })).toEqual({ retried: before });
    for (const { eventId } of failed) {
      await waitFor(async () => (await hub.api['events.get']({ id: eventId })).deliveries[0]?.status === 'delivered', 10_000, 'the retried delivery');
    }
    await hub.idle();
    expect(sink.received.length).toBe(sent + before);
    expect((await hub.api['channels.list']({})).find((c) => c.config.id === 'sink')).toMatchObject({ failed: 0, pending: 0 });
    await expect(hub.api['channels.retryFailed']({ id: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it("an event routed to a paused channel says the channel is paused (it was 'unknown channel')", async () => {
    const view = (await hub.api['channels.list']({})).find((c) => c.config.id === 'sink')!;
    await hub.api['channels.update']({ config: { ...view.config, enabled: false }, secrets: {} });
    const answer = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'While paused' }),
    });
    const eventId = ((await answer.json()) as { ids: string[] }).ids[0]!;
    const detail = await hub.api['events.get']({ id: eventId });
    expect(detail.deliveries).toEqual([]);
    expect(detail.matches[0]).toMatchObject({ outcome: 'no_channels', heldBack: ['sink'] });
    expect(detail.matches[0]!.reason).toContain('held back sink (channel paused: nothing is queued for it)');
    await hub.api['channels.update']({ config: { ...view.config, enabled: true }, secrets: {} });
  });

  it('refuses to retry a delivery whose channel was deleted (it would stay pending for good)', async () => {
    const { eventId, failed } = await failedDelivery('Orphan me');
    await hub.api['rules.delete']({ id: 'all' });
    await hub.api['channels.delete']({ id: 'sink' });
    await expect(hub.api['deliveries.retry']({ id: failed.id })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('channel "sink", which no longer exists') });
    expect((await hub.api['events.get']({ id: eventId })).deliveries[0]).toMatchObject({ status: 'failed' });
  });
});

// Digest rules through the real hub (startHub): events POSTed to ingress reach a loopback
// webhook sink as ONE herald.digest message per window, none per event; the next window
// sends the next digest; stopping and restarting the hub mid-window loses and doubles
// nothing. The hub's clock is moved by the test (HubOptions.now) instead of waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { type Sink, startSink, type Received } from '../../../helpers/http-sink.js';
import { tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'digest-hub-secret';
const HOUR = 3_600_000;
const secrets: SecretStore = {
  status: { available: true },
  resolve: async (ref) => {
    if (ref === 'env:DIGEST_SECRET') return SECRET;
    throw new Error(`${ref} is not set`);
  },
  set: async (name) => `keychain:${name}`,
  delete: async () => undefined,
  has: async () => true,
};

interface WireEvent {
  id: string;
  type: string;
  title: string;
  summary?: string;
  source: { id: string };
  data?: { digest?: { count: number; eventIds: string[]; windowSeconds: number } };
}
const wire = (r: Received) => (r.json as { event: WireEvent; rule: { id: string; name: string } | null });

describe('digest rules in the hub', () => {
  let sink: Sink;
  let dataDir: string;
  let configFile: string;
  let hub: Hub | undefined;
  /** The hub's clock runs this far ahead of the wall clock. */
  let offset = 0;

  const start = async () => {
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: HOUR, now: () => Date.now() + offset, digestMaxSleepMs: 25 });
    return hub;
  };
  const stop = async () => {
    await hub?.stop();
    hub = undefined;
  };
  // Each on its own branch, so no failure streak rewrites the titles.
  const post = async (title: string, type = 'pipeline.failed') => {
    const res = await fetch(`${hub!.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type, title, subject: { project: 'acme/api', branch: title.replace(/\W+/g, '-') } }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { ids: string[] }).ids[0]!;
  };
  const digestsAtSink = () => sink.received.map(wire).filter((m) => m.event.type === 'herald.digest');

  beforeAll(async () => {
    sink = await startSink();
    const dir = tempDir('herald-digest-hub-');
    dataDir = `${dir}/data`;
    configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:DIGEST_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `${sink.url}/digest` }],
      rules: [
        { id: 'hourly', name: 'Hourly failures', match: { types: 'pipeline.failed' }, channels: ['sink'], digest: { windowSeconds: 3600 } },
        { id: 'at-once', name: 'Deploys at once', match: { types: 'deployment.*' }, channels: ['sink'] },
      ],
      settings: { delivery: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 5, unhealthyAfter: 3 } },
    });
    await start();
  });
  afterAll(async () => {
    await stop();
    await sink?.close();
  });

  it('N events in one window → exactly one digest at the sink listing them, none per event', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await post(`nightly build ${i} failed`));
    // A rule without a digest still sends at once, beside the digest rule.
    await post('deployed to prod', 'deployment.succeeded');
    await waitFor(() => sink.received.length >= 1, 5_000, 'the immediate deployment message');
    await hub!.idle();
    expect(sink.received.map((r) => wire(r).event.title)).toEqual(['deployed to prod']);
    expect(await hub!.store.digests.waiting('hourly')).toBe(5);
    const [held] = (await hub!.api['rules.held']({})).items;
    expect(held).toEqual({ ruleId: 'hourly', kind: 'digest', waiting: 5, nextAt: expect.any(String) });
    expect(Date.parse(held!.nextAt) - Date.now()).toBeGreaterThan(HOUR - 60_000);
    const detail = await hub!.api['events.get']({ id: ids[0]! });
    expect(detail.deliveries).toEqual([]);
    expect(detail.matches).toMatchObject([{ ruleId: 'hourly', outcome: 'routed', channels: ['sink'], digest: { windowSeconds: 3600 } }]);
    expect(detail.matches[0]!.reason).toBe('matched type pipeline.failed; added to the hourly digest for sink');

    // Almost an hour: still nothing.
    offset = HOUR - 60_000;
    await hub!.idle();
    expect(digestsAtSink()).toEqual([]);

    offset = HOUR + 1_000;
    await waitFor(() => digestsAtSink().length >= 1, 5_000, 'the first digest');
    await hub!.idle();
    const digests = digestsAtSink();
    expect(digests).toHaveLength(1);
    const [digest] = digests;
    expect(digest!.rule).toEqual({ id: 'hourly', name: 'Hourly failures' });
    expect(digest!.event.title).toBe('5 events in the last hour (5 critical)');
    expect(digest!.event.source.id).toBe('herald');
    expect(digest!.event.summary!.split('\n').map((l) => l.replace(/^\d\d:\d\d UTC · 🔴 /, ''))).toEqual([1, 2, 3, 4, 5].map((i) => `nightly build ${i} failed`));
    expect(digest!.event.data!.digest).toMatchObject({ count: 5, eventIds: ids, windowSeconds: 3600 });
    expect(await hub!.store.digests.waiting('hourly')).toBe(0);
    expect(await hub!.api['rules.held']({})).toEqual({ items: [] });
    // The digest is in history, delivered, and says why it was sent.
    const stored = await hub!.api['events.get']({ id: digest!.event.id });
    expect(stored.event.type).toBe('herald.digest');
    await waitFor(async () => (await hub!.api['events.get']({ id: digest!.event.id })).deliveries[0]?.status === 'delivered', 5_000, 'the digest delivery marked delivered');
    expect(stored.matches[0]!.reason).toMatch(/^the hourly digest of 5 events \(.+\), sent to sink$/);
  });

  it('a second window sends a second digest with only its own events', async () => {
    const ids = [await post('second window a'), await post('second window b')];
    await hub!.idle();
    expect(digestsAtSink()).toHaveLength(1);
    offset += HOUR + 1_000;
    await waitFor(() => digestsAtSink().length >= 2, 5_000, 'the second digest');
    await hub!.idle();
    const digests = digestsAtSink();
    expect(digests).toHaveLength(2);
    expect(digests[1]!.event.title).toBe('2 events in the last hour (2 critical)');
    expect(digests[1]!.event.data!.digest).toMatchObject({ count: 2, eventIds: ids });
  });

  it('a restart mid-window loses nothing and duplicates nothing', async () => {
    const before = [await post('before restart 1'), await post('before restart 2')];
    await stop();
    offset += 10 * 60_000;
    await start();
    expect(await hub!.store.digests.waiting('hourly')).toBe(2);
    const after = await post('after restart');
    offset += HOUR;
    await waitFor(() => digestsAtSink().length >= 3, 5_000, 'the third digest');
    // Once closed, a window stays closed: a restart sends nothing more.
    await stop();
    await start();
    await hub!.idle();
    const digests = digestsAtSink();
    expect(digests).toHaveLength(3);
    expect(digests[2]!.event.data!.digest).toMatchObject({ count: 3, eventIds: [...before, after] });
    const all = await hub!.api['events.list']({ types: ['herald.digest'], limit: 10 });
    expect(all.total).toBe(3);
    // Every failure went out in exactly one digest; none on its own.
    const listed = digests.flatMap((d) => d.event.data!.digest!.eventIds);
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toHaveLength(10);
    expect(sink.received.filter((r) => wire(r).event.type === 'pipeline.failed')).toEqual([]);
  });

  it('a digest closing while popups are snoozed skips the desktop channel, not the others', async () => {
    await hub!.api['channels.create']({ config: { id: 'desk', kind: 'desktop', name: 'Desk' }, secrets: {} });
    const hourly = (await hub!.api['rules.list']({})).find((r) => r.id === 'hourly')!;
    await hub!.api['rules.update']({ config: { ...hourly, channels: ['sink', 'desk'] } });
    const before = digestsAtSink().length;
    // The event joins the window for both channels (no snooze yet) ...
    await post('snoozed before the window closes');
    // ... and the user snoozes popups before the window closes.
    await hub!.api['settings.update']({ settings: { snoozeUntil: new Date(Date.now() + offset + 3 * HOUR).toISOString() } });
    offset += HOUR;
    await waitFor(() => digestsAtSink().length > before, 5_000, 'the digest at the sink');
    const detail = await hub!.api['events.get']({ id: digestsAtSink().at(-1)!.event.id });
    expect(detail.deliveries.map((d) => d.channelId)).toEqual(['sink']);
    expect(detail.matches[0]).toMatchObject({ channels: ['sink'], heldBack: ['desk'] });
  });
});

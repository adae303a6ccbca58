// Pipeline mutes through the real hub (startHub, real SQLite, real ingress, a loopback
// webhook sink): a muted pipeline's failure is kept in history with a `muted` outcome and no
// delivery; its success lifts an "until it passes" mute and is delivered; a timed mute ends
// on the hub's clock (moved by the test, not waited for); mutes survive a restart.
// A 202 from ingress means the event and its deliveries are committed, so "no delivery" is
// read from the store right after, not guessed from a quiet sink.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUpdate, apiContract, ApiError } from '../../../../shared/api.js';
import { pipelineKey } from '../../../../shared/mutes.js';
import type { SecretStore } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { type Sink, startSink, type Received } from '../../../helpers/http-sink.js';
import { tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'mutes-hub-secret';
const MINUTE = 60_000;
const secrets: SecretStore = {
  status: { available: true },
  resolve: async (ref) => {
    if (ref === 'env:MUTES_SECRET') return SECRET;
    throw new Error(`${ref} is not set`);
  },
  set: async (name) => `keychain:${name}`,
  delete: async () => undefined,
  has: async () => true,
};
const titleOf = (r: Received) => (r.json as { event: { title: string } }).event.title;

describe('pipeline mutes in the hub', () => {
  let sink: Sink;
  let dataDir: string;
  let configFile: string;
  let hub: Hub;
  /** The hub's clock runs this far ahead of the wall clock. */
  let offset = 0;
  const updates: ApiUpdate[] = [];

  const start = async () => {
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000, now: () => Date.now() + offset });
    hub.onUpdate((u) => updates.push(u));
  };
  const post = async (type: string, title: string, branch = 'main') => {
    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type, title, subject: { project: 'acme/api', pipeline: 'ci', branch } }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { ids: string[] }).ids[0]!;
  };
  const deliveriesOf = async (eventId: string) => hub.api['deliveries.list']({ eventId, limit: 10 });
  const outcomeOf = async (eventId: string) => (await hub.api['events.get']({ id: eventId })).matches.map((m) => m.outcome);

  beforeAll(async () => {
    sink = await startSink();
    const dir = tempDir('herald-mutes-hub-');
    dataDir = `${dir}/data`;
    configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:MUTES_SECRET' }],
      channels: [{ id: 'sink', kind: 'webhook', name: 'Sink', url: `${sink.url}/mutes` }],
      rules: [{ id: 'pipelines', name: 'Pipelines', match: { types: 'pipeline.*' }, channels: ['sink'] }],
    });
    await start();
  });
  afterAll(async () => {
    await hub?.stop();
    await sink?.close();
  });

  it('a timed mute: the failure is kept, marked muted, not delivered; another branch still is; it ends on the clock', async () => {
    const first = await post('pipeline.failed', 'ci failed on main');
    await waitFor(() => sink.received.length === 1, 5_000, 'the first failure at the sink');

    const mute = await hub.api['mutes.add']({ eventId: first, minutes: 60 });
    expect(mute).toMatchObject({ key: pipelineKey({ sourceId: 'ci', project: 'acme/api', pipeline: 'ci', branch: 'main' }), sourceName: 'CI', untilPasses: false });
    expect(Date.parse(mute.until!) - (Date.now() + offset)).toBeGreaterThan(59 * MINUTE);
    expect(updates).toContainEqual({ type: 'mutes.changed' });
    expect((await hub.api['mutes.list']({})).items.map((m) => m.key)).toEqual([mute.key]);

    const held = await post('pipeline.failed', 'ci failed on main');
    expect(await deliveriesOf(held)).toEqual([]);
    const detail = await hub.api['events.get']({ id: held });
    expect(detail.event.title).toBe('ci still failing (2) on main'); // kept in history, streak and all
    expect(detail.matches).toEqual([
      expect.objectContaining({ ruleId: 'pipelines', outcome: 'muted', channels: [], heldBack: ['sink'], reason: expect.stringContaining('pipeline acme/api · ci · main is muted until') }),
    ]);

    // The same project's other branch is another pipeline.
    const other = await post('pipeline.failed', 'ci failed on dev', 'dev');
    expect(await outcomeOf(other)).toEqual(['routed']);
    expect(await deliveriesOf(other)).toHaveLength(1);

    // 61 minutes later on the hub's clock the mute has ended.
    offset += 61 * MINUTE;
    expect((await hub.api['mutes.list']({})).items).toEqual([]);
    const after = await post('pipeline.failed', 'ci failed on main');
    expect(await outcomeOf(after)).toEqual(['routed']);
    await waitFor(() => sink.received.some((r) => titleOf(r) === 'ci still failing (3) on main'), 5_000, 'the failure after the mute ended');
    expect(sink.received.map(titleOf)).not.toContain('ci still failing (2) on main');
  });

  it('"until it passes": failures held back; the success lifts it, is delivered, and the UI hears of it', async () => {
    const failed = await post('pipeline.failed', 'ci failed on main');
    await hub.api['mutes.add']({ eventId: failed, untilPasses: true });
    const held = await post('pipeline.failed', 'ci failed on main');
    expect(await outcomeOf(held)).toEqual(['muted']);

    // A restart keeps the mute.
    await hub.stop();
    await start();
    expect((await hub.api['mutes.list']({})).items).toEqual([expect.objectContaining({ untilPasses: true })]);
    expect(await outcomeOf(await post('pipeline.failed', 'ci failed on main'))).toEqual(['muted']);

    updates.length = 0;
    const passed = await post('pipeline.succeeded', 'ci succeeded on main');
    const detail = await hub.api['events.get']({ id: passed });
    expect(detail.event.type).toBe('pipeline.recovered');
    expect(detail.matches.map((m) => m.outcome)).toEqual(['routed']);
    expect(await deliveriesOf(passed)).toHaveLength(1);
    expect((await hub.api['mutes.list']({})).items).toEqual([]);
    await waitFor(() => updates.some((u) => u.type === 'mutes.changed'), 5_000, 'mutes.changed after the lift');
    await waitFor(() => sink.received.some((r) => /recovered after/.test(titleOf(r))), 5_000, 'the recovery at the sink');
  });

  it('a timed mute is not lifted by a success; lifting by hand is; lifting twice says it is gone', async () => {
    const failed = await post('pipeline.failed', 'ci failed on main');
    const mute = await hub.api['mutes.add']({ eventId: failed, minutes: 30 });
    expect(await outcomeOf(await post('pipeline.succeeded', 'ci succeeded on main'))).toEqual(['muted']);
    expect((await hub.api['mutes.list']({})).items).toHaveLength(1);
    await expect(hub.api['mutes.remove']({ key: mute.key })).resolves.toEqual({ ok: true });
    await expect(hub.api['mutes.remove']({ key: mute.key })).rejects.toMatchObject({ code: 'not_found' });
    expect(await outcomeOf(await post('pipeline.failed', 'ci failed on main'))).toEqual(['routed']);
  });

  it('muting by pipeline name, and what cannot be muted', async () => {
    const mute = await hub.api['mutes.add']({ pipeline: { sourceId: 'ci', project: 'acme/api', pipeline: 'ci', branch: 'release' }, untilPasses: true });
    expect(await outcomeOf(await post('pipeline.failed', 'ci failed on release', 'release'))).toEqual(['muted']);
    await hub.api['mutes.remove']({ key: mute.key });

    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'deployment.failed', title: 'deploy failed', subject: { project: 'acme/api' } }),
    });
    const [deploy] = ((await res.json()) as { ids: string[] }).ids;
    await expect(hub.api['mutes.add']({ eventId: deploy!, minutes: 60 })).rejects.toThrow(/names no pipeline/);
    await expect(hub.api['mutes.add']({ eventId: 'nope', minutes: 60 })).rejects.toBeInstanceOf(ApiError);
    await expect(hub.api['mutes.add']({ pipeline: { sourceId: 'ci' }, minutes: 60 })).rejects.toThrow('name at least one of project, pipeline, branch');

    // The contract refuses what the handlers never see.
    const input = apiContract['mutes.add'].input;
    expect(input.safeParse({ eventId: 'x', minutes: 60, untilPasses: true }).success).toBe(false);
    expect(input.safeParse({ eventId: 'x' }).success).toBe(false);
    expect(input.safeParse({ eventId: 'x', pipeline: { sourceId: 'ci', branch: 'main' }, minutes: 5 }).success).toBe(false);
    expect(input.safeParse({ eventId: 'x', minutes: 60 * 24 * 8 }).error?.issues[0]?.message).toBe('must be at most 10080 minutes (a week)');
    expect(input.safeParse({ eventId: 'x', minutes: 60 }).success).toBe(true);
  });
});

// The relay inside the real hub, through a local smee-compatible SSE relay on loopback: a
// signed GitHub webhook posted to the relay channel lands in the hub's history; a forged one
// is refused by the same signature check as direct ingress; relay state shows in
// sources.list; a config change moves, stops and restarts the client; a relay outage is
// survived; hub.stop() closes every relay connection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiContract } from '../../../../shared/api.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { githubSignature } from '../../../../electron/hub/sources/github.js';
import { mapSecrets, postGithub, until, workflowRun } from '../../../helpers/ci-webhooks.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';
import { type SseRelay, startSseRelay } from '../../../helpers/sse-relay.js';

const SECRET = 'relay-secret';
const GL_TOKEN = 'relay-gl-token';

describe('relay end to end', () => {
  let relay: SseRelay;
  let hub: Hub;
  const relayOf = async (id: string) => (await hub.api['sources.list']({})).find((s) => s.config.id === id)?.relay;
  const history = async (id: string) => (await hub.api['events.list']({ sources: [id], limit: 100 })).items;
  /** As a transport calls it: the input parsed by the contract first (defaults filled in). */
  const updateSource = (config: Record<string, unknown>) => hub.api['sources.update'](apiContract['sources.update'].input.parse({ config }));
  const githubConfig = (relayUrl?: string) => ({ id: 'gh', kind: 'github', name: 'GitHub via relay', secret: 'env:GH_SECRET', ...(relayUrl && { relayUrl }) });

  beforeAll(async () => {
    relay = await startSseRelay();
    const dataDir = tempDir('herald-ci-relay-');
    const configFile = writeConfig(dataDir, {
      sources: [
        githubConfig(relay.channelUrl('gh-channel')),
        { id: 'gl', kind: 'gitlab', name: 'GitLab via relay', secret: 'env:GL_TOKEN', relayUrl: relay.channelUrl('gl-channel') },
        { id: 'direct', kind: 'github', name: 'GitHub direct', secret: 'env:GH_SECRET' },
      ],
    });
    hub = await startHub({
      dataDir,
      configFile,
      ingressPort: 0,
      secrets: mapSecrets({ GH_SECRET: SECRET, GL_TOKEN }),
      retentionIntervalMs: 3_600_000,
      relayTiming: { initialDelayMs: 50, maxDelayMs: 200, random: () => 1 },
    });
    await relay.waitForSubscribers('gh-channel');
    await relay.waitForSubscribers('gl-channel');
  });
  afterAll(async () => {
    await hub?.stop();
    await relay?.close();
  });

  it('shows each relayed source connected, and no relay for a direct source', async () => {
    // The relay counts a subscriber when its request arrives; the client is connected once the
    // response headers are back: wait for both clients, not only the first.
    await until('connected', async () => (await relayOf('gh'))?.state === 'connected' && (await relayOf('gl'))?.state === 'connected');
    expect(await relayOf('gh')).toEqual({ state: 'connected', lastError: null, lastEventAt: null, delivered: 0 });
    expect((await relayOf('gl'))?.state).toBe('connected');
    expect(await relayOf('direct')).toBeUndefined();
    const gh = (await hub.api['sources.list']({})).find((s) => s.config.id === 'gh')!;
    expect(gh.ingressHint).toContain(`Payload URL: the relay URL (${relay.channelUrl('gh-channel')})`);
  });

  it('a signed GitHub webhook posted to the relay arrives in the hub history', async () => {
    const answer = await postGithub(relay.channelUrl('gh-channel'), { event: 'workflow_run', payload: workflowRun('failure', { run: 7, name: 'Relayed CI' }), secret: SECRET });
    expect(answer.status).toBe(200);
    const [event] = await until('the relayed event', async () => {
      const items = await history('gh');
      return items.length > 0 && items;
    });
    expect(event).toMatchObject({
      type: 'pipeline.failed',
      source: { kind: 'github', id: 'gh' },
      title: 'octo-org/octo-repo: Relayed CI failed on master',
    });
    // Counted once its answer is in, which follows the fsync: a moment after the row is readable.
    const state = await until('the relay to count it', async () => {
      const s = await relayOf('gh');
      return s?.delivered === 1 && s;
    });
    expect(state).toMatchObject({ state: 'connected', lastError: null, delivered: 1 });
    expect(Date.parse(state!.lastEventAt!)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('a forged webhook through the relay is refused by the signature check and stored nowhere', async () => {
    const before = (await hub.store.events.counts()).events;
    const payload = workflowRun('success', { run: 8, name: 'Relayed CI' });
    await postGithub(relay.channelUrl('gh-channel'), { event: 'workflow_run', payload, secret: SECRET, signature: githubSignature('{}', SECRET) });
    const state = await until('the refusal', async () => {
      const s = await relayOf('gh');
      return s?.delivered === 2 && s;
    });
    expect(state.lastError).toBe('ingress answered 401 to a relayed request');
    expect((await hub.store.events.counts()).events).toBe(before);
  });

  it('a GitLab hook through the relay passes its token header through', async () => {
    const res = await fetch(relay.channelUrl('gl-channel'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Job Hook', 'x-gitlab-token': GL_TOKEN },
      body: JSON.stringify({ object_kind: 'build', build_status: 'failed', build_name: 'rspec', ref: 'main', project_name: 'acme / api', project: { path_with_namespace: 'acme/api', web_url: 'https://gitlab.example/acme/api' } }),
    });
    expect(res.status).toBe(200);
    const [event] = await until('the relayed GitLab event', async () => {
      const items = await history('gl');
      return items.length > 0 && items;
    });
    expect(event).toMatchObject({ type: 'pipeline.failed', source: { kind: 'gitlab', id: 'gl' }, subject: { project: 'acme/api', branch: 'main' } });
  });

  it('a new relay URL moves the client, removing it stops it, adding it back starts one', async () => {
    await updateSource(githubConfig(relay.channelUrl('gh-moved')));
    await relay.waitForSubscribers('gh-moved');
    await until('the old channel to lose its subscriber', () => relay.subscriberCount('gh-channel') === 0);
    await until('connected on the new channel', async () => (await relayOf('gh'))?.state === 'connected');
    expect((await relayOf('gh'))?.delivered).toBe(0);

    await updateSource(githubConfig());
    await until('the relay to stop', () => relay.subscriberCount('gh-moved') === 0);
    expect(await relayOf('gh')).toBeUndefined();

    await updateSource({ ...githubConfig(relay.channelUrl('gh-channel')), enabled: false });
    expect(relay.subscriberCount('gh-channel')).toBe(0);
    await updateSource(githubConfig(relay.channelUrl('gh-channel')));
    await relay.waitForSubscribers('gh-channel');
  });

  it('survives the relay going away: reconnecting with a retry delay, then connected again on the same port', async () => {
    const port = relay.port;
    await relay.close();
    const down = await until('reconnecting', async () => {
      const s = await relayOf('gh');
      return s?.state === 'reconnecting' && s;
    });
    expect(down.retryInMs).toBeGreaterThan(0);
    expect(down.lastError).toMatch(/relay (closed the stream|connection dropped|unreachable)/);
    expect(await hub.api['sources.test']({ id: 'gh' })).toMatchObject({ ok: false, detail: expect.stringMatching(/^secret resolves, but the relay is (reconnecting|connecting)/) });

    relay = await startSseRelay(port);
    await relay.waitForSubscribers('gh-channel');
    await until('connected again', async () => (await relayOf('gh'))?.state === 'connected');
    expect(await hub.api['sources.test']({ id: 'gh' })).toEqual({
      ok: true,
      detail: "secret resolves; the relay is connected; send a test delivery from the sending tool (GitHub's ping shows as the last ignored request)",
    });
    const answer = await postGithub(relay.channelUrl('gh-channel'), { event: 'workflow_run', payload: workflowRun('success', { run: 9, name: 'Relayed CI' }), secret: SECRET });
    expect(answer.status).toBe(200);
    const recovered = await until('the event after the outage', async () => (await history('gh')).find((e) => e.type === 'pipeline.recovered'));
    expect(recovered.title).toBe('octo-org/octo-repo: Relayed CI recovered after 1 failure on master');
  });

  it('hub.stop() closes every relay connection', async () => {
    expect(relay.subscriberCount('gh-channel') + relay.subscriberCount('gl-channel')).toBeGreaterThan(0);
    await hub.stop();
    await until('no subscribers', () => relay.subscriberCount('gh-channel') + relay.subscriberCount('gl-channel') === 0);
  });
});

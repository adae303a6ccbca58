// Storm grouping through the real hub (startHub, real SQLite file, ingress over HTTP) to the
// strict fake Slack: a burst of 40 failures becomes ONE Slack message 10 s (of the hub's
// injected clock) after the first, instead of 40 messages over 40 s; events joining later
// go out together one interval after that; a group waiting when the hub stops is sent at
// its due time after a restart, once. The test moves the hub's clock instead of waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { startFakeSlack, type FakeSlack } from '../../../helpers/fake-slack.js';
import { tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'storm-hub-secret';
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const SEC = 1000;

type Json = Record<string, any>;

describe('storm grouping in the hub, to Slack', () => {
  let slack: FakeSlack;
  let dataDir: string;
  let configFile: string;
  let hub: Hub | undefined;
  /** The hub's clock: the test moves it. */
  let clock = T0;
  let hookUrl = '';
  const secrets: SecretStore = {
    status: { available: true },
    resolve: async (ref) => {
      if (ref === 'env:STORM_SECRET') return SECRET;
      if (ref === 'env:SLACK_HOOK') return hookUrl;
      throw new Error(`${ref} is not set`);
    },
    set: async (name) => `keychain:${name}`,
    delete: async () => undefined,
    has: async () => true,
  };

  const start = async () => {
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets, retentionIntervalMs: 3_600_000, now: () => clock, digestMaxSleepMs: 25 });
  };
  const stop = async () => {
    await hub?.stop();
    hub = undefined;
  };
  const post = async (title: string, project = 'acme/api', branch = title.replace(/\W+/g, '-')) => {
    const res = await fetch(`${hub!.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title, subject: { project, branch } }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { ids: string[] }).ids[0]!;
  };
  const texts = () => slack.accepted.map((m) => m.text as string);

  beforeAll(async () => {
    slack = await startFakeSlack();
    hookUrl = `${slack.url}/services/T0000/B0000/storms`;
    const dir = tempDir('herald-storm-hub-');
    dataDir = `${dir}/data`;
    configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:STORM_SECRET' }],
      channels: [{ id: 'slack', kind: 'slack', name: 'Slack', webhookUrl: 'env:SLACK_HOOK' }],
      rules: [{ id: 'storms', name: 'CI storms', match: { types: 'pipeline.failed' }, channels: ['slack'], group: { by: ['project'] } }],
      settings: { delivery: { baseDelayMs: 50, maxDelayMs: 500, maxAttempts: 5, unhealthyAfter: 3 } },
    });
    await start();
  });
  afterAll(async () => {
    await stop();
    await slack?.close();
  });

  it('a burst of 40 failures becomes ONE Slack message 10 s after the first, not 40', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => post(`build ${i + 1} failed`)));
    await hub!.idle();
    expect(slack.accepted).toEqual([]);
    expect(await hub!.store.groups.waiting('storms')).toBe(40);
    // The Rules page's line: 40 waiting in one group, its message due after the wait.
    expect(await hub!.api['rules.held']({})).toEqual({ items: [{ ruleId: 'storms', kind: 'group', waiting: 40, groups: 1, nextAt: new Date(T0 + 10 * SEC).toISOString() }] });
    // Every failure says it went into the group, and has no delivery of its own.
    const detail = await hub!.api['events.get']({ id: ids[0]! });
    expect(detail.deliveries).toEqual([]);
    expect(detail.matches).toMatchObject([{ ruleId: 'storms', outcome: 'routed', channels: ['slack'], group: { by: { project: 'acme/api' }, waitSeconds: 10, intervalSeconds: 300 } }]);

    clock = T0 + 10 * SEC - 1;
    await hub!.idle();
    expect(slack.accepted).toEqual([]);

    clock = T0 + 10 * SEC;
    await waitFor(() => slack.accepted.length >= 1, 5_000, 'the group message at Slack');
    await hub!.idle();
    expect(texts()).toEqual(['🔴 40 failures in acme/api']);
    expect(await hub!.api['rules.held']({})).toEqual({ items: [] });
    expect(slack.rejections).toEqual([]);
    const wire = JSON.stringify(slack.accepted[0]);
    expect(wire).toContain('build 1 failed');
    expect(wire).toContain('…and 15 more');
    // In history: the group's message, delivered, saying what it stands for.
    const listed = await hub!.api['events.list']({ types: ['herald.group'], limit: 10 });
    expect(listed.items.map((e) => e.title)).toEqual(['40 failures in acme/api']);
    const message = await hub!.api['events.get']({ id: listed.items[0]!.id });
    expect(message.matches[0]!.reason).toBe('the group project=acme/api of 40 events (after waiting 10 s for company), sent to slack');
    expect(message.deliveries.map((d) => [d.channelId, d.status])).toEqual([['slack', 'delivered']]);
    expect((message.event.data!.group as Json).eventIds).toHaveLength(40);
  });

  it('failures after the message go out together one interval later; an interval with none ends the group', async () => {
    clock = T0 + 60 * SEC;
    await post('late 1 failed');
    await post('late 2 failed');
    // Another project is its own group, with its own wait.
    await post('web failed', 'acme/web');
    clock = T0 + 70 * SEC;
    await waitFor(() => slack.accepted.length >= 2, 5_000, 'the acme/web group');
    await hub!.idle();
    expect(texts()).toEqual(['🔴 40 failures in acme/api', '🔴 1 failure in acme/web']);

    clock = T0 + 310 * SEC - 1;
    await hub!.idle();
    expect(slack.accepted).toHaveLength(2);
    clock = T0 + 310 * SEC;
    await waitFor(() => slack.accepted.length >= 3, 5_000, 'the second acme/api message');
    await hub!.idle();
    expect(texts()[2]).toBe('🔴 2 failures in acme/api');

    clock = T0 + 700 * SEC;
    await hub!.idle();
    expect(slack.accepted).toHaveLength(3);
    expect(await hub!.store.groups.open('storms')).toEqual([]);
  });

  it('a group waiting at a restart is sent at its due time after it, once', async () => {
    clock = T0 + 1000 * SEC;
    await post('before restart 1 failed');
    await post('before restart 2 failed');
    await stop();
    clock += 4 * SEC;
    await start();
    expect(await hub!.store.groups.waiting('storms')).toBe(2);
    await post('after restart failed');
    await hub!.idle();
    expect(slack.accepted).toHaveLength(3);
    clock = T0 + 1010 * SEC;
    await waitFor(() => slack.accepted.length >= 4, 5_000, 'the group sent after the restart');
    await hub!.idle();
    expect(texts()[3]).toBe('🔴 3 failures in acme/api');
    // Sent once: another restart sends nothing more.
    await stop();
    await start();
    await hub!.idle();
    expect(slack.accepted).toHaveLength(4);
  });
});

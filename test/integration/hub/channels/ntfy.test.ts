// ntfy channel against a strict loopback fake of ntfy's JSON publish (test/helpers/fake-ntfy.ts:
// topic rules, message and body limits, priority range, auth, rate limit, ntfy's error bodies).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NtfyChannelSchema } from '../../../../shared/config.js';
import type { Severity } from '../../../../shared/event.js';
import { formatDigest } from '../../../../electron/hub/channels/digest.js';
import { CHANNEL_LIMITS } from '../../../../electron/hub/channels/limits.js';
import { buildNtfyMessage, ntfyChannel } from '../../../../electron/hub/channels/ntfy.js';
import { testChannel } from '../../../../electron/hub/channels/test-message.js';
import { makeEvent } from '../../../helpers/fake-event.js';
import { startFakeNtfy, type FakeNtfy } from '../../../helpers/fake-ntfy.js';

let ntfy: FakeNtfy;
let limited: FakeNtfy;
beforeAll(async () => {
  ntfy = await startFakeNtfy({ protected: ['ops-alerts'], users: { herald: 'pa:ss' }, tokens: ['tk_goodtoken'] });
  limited = await startFakeNtfy({ burst: 1 });
});
afterAll(async () => {
  await ntfy.close();
  await limited.close();
});

const config = (extra: Record<string, unknown> = {}) => NtfyChannelSchema.parse({ id: 'phone', kind: 'ntfy', name: 'Phone', server: ntfy.url, topic: 'herald-builds', ...extra });
const signal = () => new AbortController().signal;

describe('ntfy channel', () => {
  it('publishes title, message, priority from severity, tags and the click URL to the topic', async () => {
    const before = ntfy.published.length;
    const result = await ntfyChannel.send({ event: makeEvent(), rule: { id: 'r', name: 'Prod' } }, config(), {}, signal());
    expect(result).toEqual({ kind: 'ok', detail: 'HTTP 200' });
    expect(ntfy.published[before]).toEqual({
      topic: 'herald-builds',
      title: 'ci failed on main — acme/api',
      message:
        'Job "test" failed.\n\nProject: acme/api · Environment: production · Pipeline: ci · Branch: main · Actor: ana\n\nPipeline failed · GitHub · 2025-05-01 08:00 UTC · rule Prod',
      priority: 5,
      tags: ['rotating_light', 'pipeline.failed'],
      click: 'https://github.com/acme/api/actions/runs/1',
    });
  });

  it.each([
    ['critical', 5],
    ['warning', 4],
    ['success', 3],
    ['info', 2],
  ] as const)('severity %s → priority %s', (severity: Severity, priority) => {
    expect(buildNtfyMessage({ event: makeEvent({ severity }) }, 't').priority).toBe(priority);
  });

  it('sends an access token as Bearer, and basic auth for a user', async () => {
    const before = ntfy.requests.length;
    expect((await ntfyChannel.send({ event: makeEvent() }, config({ topic: 'ops-alerts', token: 'keychain:ntfy' }), { token: 'tk_goodtoken' }, signal())).kind).toBe('ok');
    expect(ntfy.requests[before]!.headers.authorization).toBe('Bearer tk_goodtoken');
    const basic = config({ topic: 'ops-alerts', username: 'herald', password: 'keychain:pw' });
    expect((await ntfyChannel.send({ event: makeEvent() }, basic, { password: 'pa:ss' }, signal())).kind).toBe('ok');
    expect(ntfy.requests[before + 1]!.headers.authorization).toBe(`Basic ${Buffer.from('herald:pa:ss').toString('base64')}`);
  });

  it.each([
    ['a wrong token → fail 401 with ntfy\'s words', { token: 'keychain:ntfy' }, { token: 'tk_wrong' }, /^fail HTTP 401: unauthorized$/],
    ['a protected topic without auth → fail 403', { topic: 'ops-alerts' }, {}, /^fail HTTP 403: forbidden$/],
    ['a token reference with no value → fail naming it', { token: 'keychain:ntfy' }, {}, /^fail the access token has no value: set it \(keychain:ntfy\)/],
  ])('%s', async (_, extra, secrets, expected) => {
    const result = await ntfyChannel.send({ event: makeEvent() }, config(extra), secrets, signal());
    expect(`${result.kind} ${'reason' in result ? result.reason : ''}`).toMatch(expected);
  });

  it('429 (ntfy\'s request limit) → retry', async () => {
    const cfg = config({ server: limited.url });
    expect((await ntfyChannel.send({ event: makeEvent() }, cfg, {}, signal())).kind).toBe('ok');
    const result = await ntfyChannel.send({ event: makeEvent() }, cfg, {}, signal());
    expect(result).toMatchObject({ kind: 'retry', reason: 'HTTP 429: limit reached: too many requests' });
  });

  it('keeps a huge summary (quotes and emoji included) within the message and body limits, cut where a line ends', async () => {
    const summary = Array.from({ length: 400 }, (_, i) => `line ${i}: "quoted" 🚨 ${'x'.repeat(20)}`).join('\n');
    const before = ntfy.published.length;
    const rejectedBefore = ntfy.rejections.length;
    const result = await ntfyChannel.send({ event: makeEvent({ summary, title: 'T'.repeat(600) }) }, config(), {}, signal());
    expect(result.kind).toBe('ok');
    const msg = ntfy.published[before]!;
    expect(Buffer.byteLength(msg.message as string)).toBeLessThanOrEqual(4096);
    expect(msg.message).toMatch(/line \d+: "quoted" 🚨 x+\n…$/);
    expect((msg.title as string).length).toBe(250);
    expect(Buffer.byteLength(JSON.stringify(msg))).toBeLessThanOrEqual(CHANNEL_LIMITS.ntfy.maxBodyBytes!);
    expect(ntfy.rejections.slice(rejectedBefore)).toEqual([]);
  });

  it('a digest reads as its list, one event a line', () => {
    const events = [
      makeEvent({ id: 'a', title: 'ci failed on main', occurredAt: '2025-05-01T08:00:00.000Z' }),
      makeEvent({ id: 'b', title: 'deploy to prod succeeded', severity: 'success', type: 'deployment.succeeded', occurredAt: '2025-05-01T08:10:00.000Z' }),
    ];
    const digest = formatDigest(events, { start: '2025-05-01T08:00:00Z', end: '2025-05-01T09:00:00Z' }, { id: 'd', name: 'Hourly' });
    const msg = buildNtfyMessage(digest, 't');
    expect(msg.title).toBe('2 events in the last hour (1 critical, 1 success) — acme/api');
    expect(String(msg.message).split('\n').slice(0, 2)).toEqual(['08:00 UTC · 🔴 ci failed on main', '08:10 UTC · ✅ deploy to prod succeeded']);
    expect(msg.tags).toEqual(['rotating_light', 'herald.digest']);
  });

  it('"send test message" goes through and says so; a refused one says why', async () => {
    expect(await testChannel(config(), {})).toEqual({ ok: true, detail: 'sent (HTTP 200)' });
    expect(ntfy.published.at(-1)).toMatchObject({ title: 'Test message from Herald', tags: ['information_source', 'herald.test'] });
    const refused = await testChannel(config({ token: 'keychain:ntfy' }), { token: 'tk_wrong' });
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/HTTP 401: unauthorized — the service did not accept the credentials/);
  });
});

describe('ntfy config: the rules ntfy applies to topics and auth', () => {
  it.each([
    [{ topic: 'has/slash' }, /1-64 letters, digits/],
    [{ topic: 'x'.repeat(65) }, /1-64 letters, digits/],
    [{ topic: 'docs' }, /reserved by ntfy/],
    [{ username: 'a' }, /basic auth needs both/],
    [{ token: 'keychain:t', username: 'a', password: 'keychain:p' }, /either an access token or basic auth/],
  ])('%j is refused', (extra, message) => {
    const result = NtfyChannelSchema.safeParse({ id: 'n', kind: 'ntfy', name: 'N', topic: 'ok', ...extra });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(message);
  });

  it('defaults to ntfy.sh', () => {
    expect(NtfyChannelSchema.parse({ id: 'n', kind: 'ntfy', name: 'N', topic: 'herald-x1' }).server).toBe('https://ntfy.sh');
  });
});

// A cctray source inside the real hub: its poll scheduler polls a loopback feed (with
// ETag), raises only transitions with pipeline streaks applied, backs off while the feed
// server is down and reports that as a health event, then recovers; "test connection"
// polls once without committing.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeraldEvent } from '../../../../shared/event.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { mapSecrets, until } from '../../../helpers/ci-webhooks.js';
import { tempDir, writeConfig } from '../../../helpers/hub-process.js';

const INTERVAL_SECONDS = 10;
const project = (activity: string, status: string, label: number) =>
  `<Project name="shop :: build" activity="${activity}" lastBuildStatus="${status}" lastBuildLabel="${label}" lastBuildTime="2025-03-01T10:${String(label).padStart(2, '0')}:00Z" webUrl="http://ci.local/shop/${label}"/>`;
const feedOf = (...projects: string[]) => `<?xml version="1.0"?>\n<Projects>\n${projects.join('\n')}\n</Projects>`;

/** A cctray feed with a content ETag (304 on a match), that can be taken down and brought back on its port. */
class FeedServer {
  body = feedOf(project('Sleeping', 'Success', 1));
  readonly requests: IncomingHttpHeaders[] = [];
  readonly statuses: number[] = [];
  private server: Server | undefined;
  port = 0;

  get url() {
    return `http://127.0.0.1:${this.port}/cc.xml`;
  }

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests.push(req.headers);
      const etag = `"${createHash('sha1').update(this.body).digest('hex')}"`;
      const notModified = req.headers['if-none-match'] === etag;
      this.statuses.push(notModified ? 304 : 200);
      if (notModified) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { 'content-type': 'application/xml', etag }).end(this.body);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('cctray through the hub', () => {
  const feed = new FeedServer();
  let hub: Hub;
  const cctrayEvents = async (): Promise<HeraldEvent[]> => (await hub.api['events.list']({ sources: ['cc'], limit: 100 })).items.slice().reverse();
  const heraldEvents = async () => (await hub.api['events.list']({ sources: ['herald'], limit: 100 })).items.slice().reverse();
  const view = async () => (await hub.api['sources.list']({})).find((s) => s.config.id === 'cc')!;

  beforeAll(async () => {
    await feed.up();
    const dataDir = tempDir('herald-ci-cctray-');
    const configFile = writeConfig(dataDir, {
      sources: [{ id: 'cc', kind: 'cctray', name: 'GoCD', url: feed.url, pollIntervalSeconds: INTERVAL_SECONDS }],
      settings: { delivery: { unhealthyAfter: 1 } },
    });
    hub = await startHub({ dataDir, configFile, ingressPort: 0, secrets: mapSecrets({}), retentionIntervalMs: 3_600_000 });
  });
  afterAll(async () => {
    await hub?.stop();
    await feed.down();
  });

  it('the scheduler polls at start: a baseline, no events, the next poll one interval later', async () => {
    const polled = await until('the first poll', async () => {
      const poll = (await view()).poll;
      return poll?.lastPollAt ? poll : undefined;
    });
    expect(feed.requests).toHaveLength(1);
    expect(await cctrayEvents()).toEqual([]);
    expect(polled).toMatchObject({ lastError: null, backoffMs: 0, consecutiveFailures: 0 });
    const gap = Date.parse(polled.nextPollAt!) - Date.parse(polled.lastPollAt!);
    expect(gap).toBeGreaterThanOrEqual(INTERVAL_SECONDS * 900);
    expect(gap).toBeLessThanOrEqual(INTERVAL_SECONDS * 1100 + 1000);
    expect((await view()).health.healthy).toBe(true);
  });

  it('"test connection" polls once and commits nothing', async () => {
    const before = feed.requests.length;
    expect(await hub.api['sources.test']({ id: 'cc' })).toEqual({
      ok: true,
      detail: 'connected: the API answered as expected; 0 new events would be raised now (not committed by the test)',
    });
    expect(feed.requests.length).toBe(before + 1);
    expect(await cctrayEvents()).toEqual([]);
  });

  it('raises transitions only, with streaks: started, failed, still failing (2), recovered', async () => {
    const steps: Array<[string, number]> = [
      [feedOf(project('Building', 'Success', 1)), 1],
      [feedOf(project('Sleeping', 'Failure', 2)), 1],
      // The same feed again: a 304, nothing new.
      [feedOf(project('Sleeping', 'Failure', 2)), 0],
      [feedOf(project('Sleeping', 'Failure', 3)), 1],
      [feedOf(project('Sleeping', 'Success', 4)), 1],
    ];
    for (const [body, expected] of steps) {
      feed.body = body;
      const before = (await cctrayEvents()).length;
      expect(await hub.pollNow('cc')).toMatchObject({ ok: true });
      expect((await cctrayEvents()).length - before).toBe(expected);
    }
    expect((await cctrayEvents()).map((e) => [e.type, e.title, e.subject])).toEqual([
      ['pipeline.triggered', 'shop :: build started', { project: 'shop', pipeline: 'shop :: build' }],
      ['pipeline.failed', 'shop :: build failed', { project: 'shop', pipeline: 'shop :: build' }],
      ['pipeline.failed', 'shop :: build still failing (2)', { project: 'shop', pipeline: 'shop :: build' }],
      ['pipeline.recovered', 'shop :: build recovered after 2 failures', { project: 'shop', pipeline: 'shop :: build' }],
    ]);
    // The unchanged feed was asked for with its ETag and cost a 304.
    expect(feed.statuses.slice(-5)).toEqual([200, 200, 304, 200, 200]);
  });

  it('server down → backoff doubling and one health.integration_unhealthy event; back up → recovery', async () => {
    await feed.down();
    const first = await hub.pollNow('cc');
    expect(first.ok).toBe(false);
    // A pooled keep-alive connection may see the close first; a new connection is refused.
    expect(first.error).toMatch(/^cctray feed http:\/\/127\.0\.0\.1:\d+\/cc\.xml is unreachable: (ECONNREFUSED|UND_ERR_SOCKET)/);
    let poll = (await view()).poll!;
    expect(poll).toMatchObject({ consecutiveFailures: 1, backoffMs: INTERVAL_SECONDS * 1000, lastError: first.error });
    const second = await hub.pollNow('cc');
    expect(second).toMatchObject({ ok: false, error: expect.stringMatching(/is unreachable: ECONNREFUSED/) });
    poll = (await view()).poll!;
    expect(poll).toMatchObject({ consecutiveFailures: 2, backoffMs: INTERVAL_SECONDS * 2000 });
    const wait = Date.parse(poll.nextPollAt!) - Date.parse(poll.lastPollAt!);
    expect(wait).toBeGreaterThanOrEqual(INTERVAL_SECONDS * 2000 * 0.9);

    const health = await until('the unhealthy event', async () => (await heraldEvents()).length >= 1 && (await heraldEvents()));
    expect(health.map((e) => [e.type, e.title])).toEqual([['health.integration_unhealthy', 'GoCD (cctray source) is failing']]);
    expect(health[0]!.summary).toContain(`Last error: ${first.error}`);
    expect((await view()).health).toMatchObject({ healthy: false, consecutiveFailures: 2 });

    await feed.up();
    expect(await hub.pollNow('cc')).toMatchObject({ ok: true, events: 0 });
    await until('the recovered event', async () => (await heraldEvents()).length === 2);
    expect((await heraldEvents()).map((e) => e.type)).toEqual(['health.integration_unhealthy', 'health.integration_recovered']);
    expect((await view()).poll).toMatchObject({ consecutiveFailures: 0, backoffMs: 0, lastError: null });
    expect((await view()).health.healthy).toBe(true);
    // Nothing was raised again for the pipeline: the state from before the outage held.
    expect((await cctrayEvents()).length).toBe(4);
  });
});

// A desktop channel on a hub without a desktop session (no display, no session bus): saving
// it is allowed but answered with a warning, and its deliveries fail at once with one
// sentence as the delivery's error and the channel's health — no retried notify-send
// command line, no event text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DESKTOP_SESSION } from '../../../../electron/hub/channels/popup-decisions.js';
import type { SecretStore } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { tempDir, waitFor, writeConfig } from '../../../helpers/hub-process.js';

const SECRET = 'no-session-secret';
const secrets: SecretStore = {
  status: { available: true },
  resolve: async () => SECRET,
  set: async (name) => `keychain:${name}`,
  delete: async () => undefined,
  has: async () => true,
};

describe.runIf(process.platform === 'linux')('a desktop channel on a hub without a desktop session', () => {
  let hub: Hub;
  beforeAll(async () => {
    const dir = tempDir('herald-no-session-');
    const configFile = writeConfig(dir, {
      sources: [{ id: 'ci', kind: 'generic', name: 'CI', secret: 'env:NO_SESSION_SECRET' }],
      channels: [{ id: 'webhook', kind: 'webhook', name: 'Hook', url: 'http://127.0.0.1:9/x' }],
      settings: { delivery: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 100, unhealthyAfter: 1 } },
    });
    hub = await startHub({ dataDir: `${dir}/data`, configFile, ingressPort: 0, secrets, desktopEnv: { PATH: process.env.PATH } });
  });
  afterAll(async () => hub?.stop());

  it('saving says so; a delivery fails once with the sentence; health says it; no event text anywhere', async () => {
    const created = await hub.api['channels.create']({ config: { id: 'popup', kind: 'desktop', name: 'Popups' }, secrets: {} });
    expect(created.warning).toBe(NO_DESKTOP_SESSION);
    expect((await hub.api['channels.list']({})).find((c) => c.config.id === 'popup')?.warning).toBe(NO_DESKTOP_SESSION);
    expect((await hub.api['channels.list']({})).find((c) => c.config.id === 'webhook')).not.toHaveProperty('warning');
    await hub.api['rules.create']({ config: { id: 'all', name: 'All', channels: ['popup'] } });

    const res = await fetch(`${hub.ingressUrl}/hooks/ci`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ type: 'pipeline.failed', title: 'top secret build failed', summary: 'password=hunter2', subject: { project: 'acme/api', branch: 'main' } }),
    });
    const [id] = ((await res.json()) as { ids: string[] }).ids;
    const [delivery] = await waitFor(async () => {
      const list = await hub.api['deliveries.list']({ eventId: id!, limit: 5 });
      return list[0]?.status === 'failed' ? list : undefined;
    }, 10_000, 'the desktop delivery to fail');
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, lastError: NO_DESKTOP_SESSION });
    const health = (await hub.api['channels.list']({})).find((c) => c.config.id === 'popup')!.health;
    expect(health).toMatchObject({ healthy: false, lastError: NO_DESKTOP_SESSION });
    expect(JSON.stringify([delivery, health])).not.toMatch(/notify-send|top secret|hunter2/);
  });
});

// Creating a source or channel whose id exists is refused before any secret is written:
// the existing item's keychain entry must survive.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../../shared/api.js';
import { openSecretStore, type KeytarLike } from '../../../../electron/hub/config/secrets.js';
import { type Hub, startHub } from '../../../../electron/hub/hub.js';
import { tempDir } from '../../../helpers/hub-process.js';

const entries = new Map<string, string>();
const memoryKeytar: KeytarLike = {
  getPassword: async (service, account) => entries.get(`${service}/${account}`) ?? null,
  setPassword: async (service, account, password) => void entries.set(`${service}/${account}`, password),
  deletePassword: async (service, account) => entries.delete(`${service}/${account}`),
};

describe('create with an existing id', () => {
  let hub: Hub;
  beforeAll(async () => {
    const secrets = await openSecretStore({ service: 'herald-conflict-test', loadKeytar: async () => memoryKeytar });
    hub = await startHub({ dataDir: tempDir(), ingressPort: 0, secrets });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers conflict and leaves the first source secret as it was', async () => {
    await hub.api['sources.create']({ config: { id: 'gh', kind: 'github', name: 'GitHub' }, secrets: { secret: 'original' } });
    const again = hub.api['sources.create']({ config: { id: 'gh', kind: 'github', name: 'Another' }, secrets: { secret: 'intruder' } });
    await expect(again).rejects.toThrow(ApiError);
    await expect(again).rejects.toThrow(/already exists/);
    expect([...entries.values()]).toEqual(['original']);
    expect(hub.config.sources.map((s) => s.name)).toEqual(['GitHub']);
  });

  it('an update of an id that does not exist writes no secret either', async () => {
    const update = hub.api['channels.update']({ config: { id: 'nope', kind: 'slack', name: 'S' }, secrets: { webhookUrl: 'https://hooks.slack.com/services/T/B/X' } });
    await expect(update).rejects.toThrow(/no channel with id "nope"/);
    expect(entries.size).toBe(1);
  });
});

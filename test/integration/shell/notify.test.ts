// The Electron popups' Linux escaping, decided by the real notification server: asked over the
// session's D-Bus (notification-daemon, run by scripts/test-session.sh), which says `body-markup`,
// so event text in the body is escaped. (Electron's Notification itself is the test double.)
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('../../helpers/electron-double.js')).electronModule);

import { serverCapabilities } from '../../../electron/hub/channels/notify-send.js';
import { createElectronNotifier } from '../../../electron/shell/notify.js';
import { electron, resetElectronDouble } from '../../helpers/electron-double.js';

describe('Electron popups on a real notification server', () => {
  beforeEach(() => resetElectronDouble());
  afterEach(() => vi.useRealTimers());

  it('asks the server once; it reads body markup, so the body is escaped', async () => {
    const caps = await serverCapabilities();
    expect(caps).toContain('body-markup');
    let asked = 0;
    const notifier = createElectronNotifier({
      openEvent: vi.fn(),
      muted: () => false,
      platform: 'linux',
      collapse: { quietMs: 10 },
      serverCapabilities: async () => {
        asked++;
        return serverCapabilities();
      },
    });
    await notifier.notify({ eventId: 'e1', title: 'deploy <prod> failed', body: 'a < b & <i>c</i>' });
    await vi.waitFor(() => expect(electron.created.notifications).toHaveLength(1));
    expect(electron.created.notifications[0]!.options.body).toBe('a &lt; b &amp; &lt;i&gt;c&lt;/i&gt;');
    expect(electron.created.notifications[0]!.options.title).toBe('deploy <prod> failed');
    expect(asked).toBe(1);
    notifier.dispose();
  });
});

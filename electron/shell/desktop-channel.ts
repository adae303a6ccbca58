// The `desktop` channel inside Electron (the hub's channelOverrides): the delivery worker
// hands each desktop delivery here, and it becomes an Electron popup via the notifier.
import type { Channel, Message } from '../hub/channels/channel.js';
import { fail, ok, retry } from '../hub/channels/channel.js';
import { buildPopup, type DesktopChannelConfig } from '../hub/channels/desktop.js';
import type { DesktopPopupRequest, ElectronNotifier } from './notify.js';

/** The same words as the headless popup, as plain text; notify.ts escapes where the OS wants markup. */
export function popupRequestFor(message: Message, config: Pick<DesktopChannelConfig, 'sound'>): DesktopPopupRequest {
  const { title, body } = buildPopup(message.event, 'plain');
  return { title, body, url: message.event.url, eventId: message.event.id, sound: config.sound };
}

export function createElectronDesktopChannel(notifier: Pick<ElectronNotifier, 'notify'>): Channel<DesktopChannelConfig> {
  return {
    kind: 'desktop',
    async send(message, config, _secrets, signal) {
      if (signal.aborted) return retry('cancelled before the popup was shown');
      try {
        await notifier.notify(popupRequestFor(message, config));
        return ok();
      } catch (err) {
        // Only "not supported here" gets this far: retrying cannot help.
        return fail(err instanceof Error ? err.message : String(err));
      }
    },
  };
}

// The `desktop` channel inside Electron (the hub's channelOverrides): the delivery worker
// hands each desktop delivery here, and it becomes an Electron popup via the notifier.
import type { Channel, Message } from '../hub/channels/channel.js';
import { fail, ok, retry } from '../hub/channels/channel.js';
import { buildPopup, type DesktopChannelConfig } from '../hub/channels/desktop.js';
import { popupActions, popupReplaceKey, popupSound, type SoundSettings } from '../hub/channels/popup-decisions.js';
import { type DesktopPopupRequest, type ElectronNotifier, NotifierClosed } from './notify.js';

/**
 * The same words as the headless popup, as plain text (notify.ts escapes where the OS wants
 * markup), with the same decisions: sound by severity and settings, the pipeline's replace
 * key, the actions.
 */
export function popupRequestFor(message: Message, config: Pick<DesktopChannelConfig, 'sound'>, settings?: SoundSettings, now = new Date()): DesktopPopupRequest {
  const { event } = message;
  const { title, body } = buildPopup(event, 'plain');
  const replaceKey = popupReplaceKey(event);
  const actions = popupActions(event);
  return {
    title,
    body,
    url: event.url,
    eventId: event.id,
    sound: popupSound(event.severity, settings, config.sound, now),
    ...(replaceKey !== undefined && { replaceKey }),
    ...(actions.length > 0 && { actions, event: { id: event.id, source: event.source, subject: event.subject, type: event.type, url: event.url } }),
  };
}

export function createElectronDesktopChannel(notifier: Pick<ElectronNotifier, 'notify'>, settings?: () => SoundSettings | undefined): Channel<DesktopChannelConfig> {
  return {
    kind: 'desktop',
    async send(message, config, _secrets, signal) {
      if (signal.aborted) return retry('cancelled before the popup was shown');
      try {
        await notifier.notify(popupRequestFor(message, config, settings?.()));
        return ok();
      } catch (err) {
        // Quitting: shown at the next start. Otherwise only "not supported here": retrying cannot help.
        if (err instanceof NotifierClosed) return retry(err.message);
        return fail(err instanceof Error ? err.message : String(err));
      }
    },
  };
}

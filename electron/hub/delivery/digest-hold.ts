// Whether a closing digest (or a storm group's message) goes to a channel: a desktop popup
// goes out now, not when the events came, so quiet hours and snooze apply at sending time.
// Other channels always get it.
import { DESKTOP_KIND, desktopHold } from '../../../shared/rules.js';
import type { LiveConfig } from '../config/live-config.js';

export function digestGoesTo(live: Pick<LiveConfig, 'channel' | 'rule' | 'current'>): (channelId: string, ruleId: string, at: number) => boolean {
  return (channelId, ruleId, at) => {
    const channel = live.channel(channelId);
    if (!channel) return false;
    return channel.kind !== DESKTOP_KIND || desktopHold(new Date(at), live.current.settings, live.rule(ruleId)) === null;
  };
}

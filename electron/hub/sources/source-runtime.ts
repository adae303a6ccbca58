// What only the running hub knows about a source, for its view in the UI: its relay
// client's state, its poll schedule, the last request it ignored.
import type { PollView, RelayView } from '../../../shared/api.js';
import { type RelayManager, relayView } from '../ingress/relays.js';
import type { PollScheduler } from './poller.js';

export type SourceRuntime = { relay?: RelayView; poll?: PollView; lastIgnored?: { at: string; reason: string } };

export function sourceRuntimeView(parts: {
  relays: Pick<RelayManager, 'state'>;
  polls: Pick<PollScheduler, 'states'>;
  lastIgnored: (sourceId: string) => { at: string; reason: string } | undefined;
}): (sourceId: string) => SourceRuntime {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return (sourceId) => {
    const relay = parts.relays.state(sourceId);
    const poll = parts.polls.states()[sourceId];
    const ignored = parts.lastIgnored(sourceId);
    return {
      ...(relay && { relay: relayView(relay) }),
      ...(poll && {
        poll: {
          lastPollAt: iso(poll.lastPollAt),
          nextPollAt: iso(poll.nextPollAt),
          lastError: poll.lastError,
          backoffMs: poll.backoffMs,
          consecutiveFailures: poll.consecutiveFailures,
          ...(poll.rateLimit && { rateLimit: poll.rateLimit }),
          ...(poll.notice && { notice: poll.notice }),
        },
      }),
      ...(ignored && { lastIgnored: ignored }),
    };
  };
}

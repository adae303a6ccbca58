// What only the running hub knows about a source, for its view in the UI: its relay
// client's state, its poll schedule, its subscription, the last request it ignored and
// the requests it refused.
import type { PollView, RejectedRequest, RelayView, SubscriptionView } from '../../../shared/api.js';
import { type RelayManager, relayView } from '../ingress/relays.js';
import type { PollScheduler } from './poller.js';
import type { SubscriptionManager } from './subscriptions.js';

export interface SourceRuntime {
  relay?: RelayView;
  poll?: PollView;
  subscription?: SubscriptionView;
  lastIgnored?: { at: string; reason: string };
  lastRejected?: RejectedRequest;
  rejectedLastHour?: number;
}

export function sourceRuntimeView(parts: {
  relays: Pick<RelayManager, 'state'>;
  polls: Pick<PollScheduler, 'states'>;
  subscriptions: Pick<SubscriptionManager, 'state'>;
  lastIgnored: (sourceId: string) => { at: string; reason: string } | undefined;
  refusals: (sourceId: string) => { lastRejected?: RejectedRequest; rejectedLastHour?: number };
}): (sourceId: string) => SourceRuntime {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return (sourceId) => {
    const relay = parts.relays.state(sourceId);
    const poll = parts.polls.states()[sourceId];
    const subscription = parts.subscriptions.state(sourceId);
    const ignored = parts.lastIgnored(sourceId);
    return {
      ...parts.refusals(sourceId),
      ...(relay && { relay: relayView(relay) }),
      ...(poll && {
        poll: {
          lastPollAt: iso(poll.lastPollAt),
          nextPollAt: iso(poll.nextPollAt),
          lastError: poll.lastError,
          backoffMs: poll.backoffMs,
          consecutiveFailures: poll.consecutiveFailures,
          ...(poll.rateLimit && { rateLimit: poll.rateLimit }),
          ...(poll.polledHere === false
            ? { notice: 'another replica of this team hub polls this source (it holds the lease); this one takes over if that one stops' }
            : poll.notice && { notice: poll.notice }),
        },
      }),
      ...(subscription && { subscription }),
      ...(ignored && { lastIgnored: ignored }),
    };
  };
}

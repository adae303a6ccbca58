// The router the ingest transaction calls: shared/rules.ts's pure matching over the
// current config, with the hub's clock, and the pipeline mutes and throttle memory the
// store's engine looks up inside its transaction (store/engine.ts RoutingLookups).
import type { RuleOutcome } from '../../../shared/api.js';
import type { HeraldConfig } from '../../../shared/config.js';
import { routeEvent } from '../../../shared/rules.js';
import type { EngineRouter } from '../store/engine.js';
import type { MutePolicy } from './mutes.js';

/** Decides, inside the ingest transaction, which rules route an event where. */
export type Router = EngineRouter;

/** Only enabled channels receive; quiet hours, snooze and pipeline mutes as they are now. */
export function buildRouter(cfg: HeraldConfig, now: () => number, mutes: Pick<MutePolicy, 'beforeRouting' | 'muteFor'>): Router {
  const channelKinds = new Map(cfg.channels.filter((c) => c.enabled).map((c) => [c.id, c.kind as string]));
  const pausedChannels = new Set(cfg.channels.filter((c) => !c.enabled).map((c) => c.id));
  const rules = cfg.rules;
  const settings = { quietHours: cfg.settings.quietHours, snoozeUntil: cfg.settings.snoozeUntil };
  return (event, lookups) => {
    // A success lifts its pipeline's "until it passes" mute first, so that success is delivered.
    mutes.beforeRouting(event, lookups);
    const muteFor = (e: Parameters<MutePolicy['muteFor']>[0]) => mutes.muteFor(e, lookups);
    const lastRoutedAt = (ruleId: string, dedupKey: string) => lookups.lastRoutedAt(ruleId, dedupKey);
    return routeEvent(event, rules, { now: new Date(now()), lastRoutedAt, channelKinds, pausedChannels, settings, muteFor });
  };
}

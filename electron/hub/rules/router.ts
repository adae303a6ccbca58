// The router the ingest transaction calls: shared/rules.ts's pure matching over the
// current config, with the hub's clock and the throttle memory of the transaction.
import type { RuleOutcome } from '../../../shared/api.js';
import type { HeraldConfig } from '../../../shared/config.js';
import type { HeraldEvent } from '../../../shared/event.js';
import { routeEvent } from '../../../shared/rules.js';

/** Decides, inside the ingest transaction, which rules route an event where. */
export type Router = (event: HeraldEvent, lastRoutedAt: (ruleId: string, dedupKey: string) => number | undefined) => RuleOutcome[];

/** Only enabled channels receive; quiet hours and snooze as the settings say now. */
export function buildRouter(cfg: HeraldConfig, now: () => number): Router {
  const channelKinds = new Map(cfg.channels.filter((c) => c.enabled).map((c) => [c.id, c.kind as string]));
  const rules = cfg.rules;
  const settings = { quietHours: cfg.settings.quietHours, snoozeUntil: cfg.settings.snoozeUntil };
  return (event, lastRoutedAt) => routeEvent(event, rules, { now: new Date(now()), lastRoutedAt, channelKinds, settings });
}

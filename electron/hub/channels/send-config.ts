// The channel config a send uses, the same way for the delivery worker and "send test":
// the channel kind applies a rule's options and the settings' defaults (channel.configFor).
import type { ChannelConfig, HeraldConfig, RuleConfig } from '../../../shared/config.js';
import type { Channel } from './channel.js';

/** As the worker sends for the rule that routed the delivery. */
export function configForRule(channel: Channel, config: ChannelConfig, cfg: HeraldConfig, ruleId?: string): ChannelConfig {
  if (!channel.configFor) return config;
  const rule = ruleId === undefined ? undefined : cfg.rules.find((r) => r.id === ruleId);
  return channel.configFor(config, { rule, settings: cfg.settings });
}

/** As "send test" sends: for the rule the kind picks (channel.testRule), if any, named in the answer. */
export function configForTest(channel: Channel, config: ChannelConfig, cfg: HeraldConfig): { config: ChannelConfig; rule?: RuleConfig } {
  const rule = channel.testRule?.(config, cfg.rules);
  return { config: configForRule(channel, config, cfg, rule?.id), ...(rule && { rule }) };
}

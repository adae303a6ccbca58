// Config documents carry a `version`. A document written by an older Herald (config.json
// in the data dir, a `--config FILE`, an exported file being imported) is brought up to
// the current shape before it is validated, so an upgrade never turns a working config
// into an error; one written by a newer Herald is refused rather than half understood.
// Pure: the hub and the renderer's import both run it.

/** The shape HeraldConfigSchema reads. A document without `version` is version 1. */
export const CONFIG_VERSION = 2;

export class ConfigVersionError extends Error {}

type Doc = Record<string, unknown>;
type Migration = (doc: Doc, changes: string[]) => Doc;

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * 1 → 2: a rule's `emailTo` (recipients for every email channel it sends to) becomes that
 * rule's options for each of those channels, `channelOptions.<channel id>.to`, checked by
 * the email channel's own schema. Options already there win.
 */
const moveEmailToIntoChannelOptions: Migration = (doc, changes) => {
  const channels = Array.isArray(doc.channels) ? doc.channels.filter(isObject) : [];
  const emailChannels = new Set(channels.filter((c) => c.kind === 'email').map((c) => c.id));
  if (!Array.isArray(doc.rules)) return doc;
  const rules = doc.rules.map((rule: unknown) => {
    if (!isObject(rule) || !('emailTo' in rule)) return rule;
    const { emailTo, ...rest } = rule;
    const ids = (Array.isArray(rule.channels) ? rule.channels : []).filter((id): id is string => typeof id === 'string' && emailChannels.has(id));
    if (typeof emailTo !== 'string' || ids.length === 0) {
      changes.push(`rule "${String(rule.id)}": emailTo dropped (it sends to no email channel)`);
      return rest;
    }
    const options: Doc = isObject(rest.channelOptions) ? { ...rest.channelOptions } : {};
    for (const id of ids) options[id] = { to: emailTo, ...(isObject(options[id]) ? options[id] : {}) };
    changes.push(`rule "${String(rule.id)}": emailTo moved to ${ids.map((id) => `channelOptions.${id}.to`).join(', ')}`);
    return { ...rest, channelOptions: options };
  });
  return { ...doc, rules };
};

/** MIGRATIONS[n] takes a version n+1 document to version n+2. */
const MIGRATIONS: readonly Migration[] = [moveEmailToIntoChannelOptions];

/**
 * `data` in the current shape, with a line per change made (for the log). Not an object:
 * returned as is, for the schema to name the problem. Throws ConfigVersionError for a
 * version this Herald does not know.
 */
export function migrateConfig(data: unknown): { config: unknown; changes: string[]; from: number } {
  if (!isObject(data)) return { config: data, changes: [], from: CONFIG_VERSION };
  const version = data.version ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ConfigVersionError(`version: must be a whole number from 1 to ${CONFIG_VERSION}`);
  }
  if (version > CONFIG_VERSION) {
    throw new ConfigVersionError(`version: ${version} was written by a newer Herald; this one reads versions up to ${CONFIG_VERSION}`);
  }
  const changes: string[] = [];
  let doc = data;
  for (let v = version; v < CONFIG_VERSION; v++) doc = MIGRATIONS[v - 1]!(doc, changes);
  return { config: { ...doc, version: CONFIG_VERSION }, changes, from: version };
}

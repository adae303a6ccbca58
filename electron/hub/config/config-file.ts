// Config as code: `--config FILE` (JSON or YAML) for servers. The file has the whole
// config's shape — { sources, channels, rules, settings } — and holds secret references
// only. Errors name the file and the place: line:column for syntax, the field path for
// the schema.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ChannelConfig, HeraldConfig, SourceConfig } from '../../../shared/config.js';
import { migrate, validate, type ConfigStore } from './config-store.js';
import { ConfigError, parseJsonText, syntaxError } from './problems.js';
import { SecretError, secretRefsOf, type SecretStore } from './secrets.js';

const PARSERS: Record<string, (text: string, file: string) => unknown> = {
  '.json': parseJsonText,
  '.yaml': parseYamlText,
  '.yml': parseYamlText,
};

export function loadConfigFile(file: string): HeraldConfig {
  const parse = PARSERS[path.extname(file).toLowerCase()];
  if (!parse) throw new ConfigError(`${file}: unsupported file type; use .json, .yaml or .yml`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the config file: ${(error as Error).message}`);
  }
  const data = parse(text, file);
  if (data === null || data === undefined) {
    // Almost always a mistake, and an empty file would wipe every source, channel and rule.
    throw new ConfigError(`${file}: the file is empty; expected { sources, channels, rules, settings }`);
  }
  return validate(migrate(data, file).config, file);
}

function parseYamlText(text: string, file: string): unknown {
  // Loaded only for a YAML file (through its CommonJS build): JSON configs and the desktop app never hold it.
  const { parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  // YAML 1.2 core schema (no `yes`/`on` booleans); duplicate keys are errors.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) {
    const where = first.linePos?.[0] ?? { line: 1, col: 1 };
    // prettyErrors appends " at line L, column C:" and a source excerpt; we give our own place.
    const message = first.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
    throw syntaxError(file, where.line, where.col, `invalid YAML: ${message}`);
  }
  return doc.toJS();
}

/**
 * Applies a config file at start. The file is authoritative: it replaces the stored
 * sources, channels, rules and settings wholesale (settings the file leaves out take their
 * defaults, not the previously stored values), so the running hub is exactly what the
 * file says. Changes made in the UI since last start are overwritten.
 */
export async function applyConfigFile(
  store: ConfigStore,
  file: string,
): Promise<{ sources: number; channels: number; rules: number }> {
  const cfg = await store.replace(loadConfigFile(file));
  return { sources: cfg.sources.length, channels: cfg.channels.length, rules: cfg.rules.length };
}

/**
 * Every secret reference in the config that cannot be resolved here, one line each, naming
 * the item by its id (`source "gh" secret: environment variable GITHUB_SECRET is not set`),
 * so a hub can say at start what is missing. Empty when all resolve.
 */
export async function checkSecretRefs(cfg: HeraldConfig, secrets: SecretStore): Promise<string[]> {
  const problems: string[] = [];
  const items = [...cfg.sources.map((item) => ({ item, what: 'source' })), ...cfg.channels.map((item) => ({ item, what: 'channel' }))];
  for (const { item, what } of items) {
    for (const problem of await unresolvedSecrets(item, secrets)) problems.push(`${what} "${item.id}" ${problem}`);
  }
  return problems;
}

/** `field: why` for each secret ref of the item that does not resolve here (unset variable, missing file…). */
export async function unresolvedSecrets(item: SourceConfig | ChannelConfig, secrets: SecretStore): Promise<string[]> {
  const problems: string[] = [];
  for (const { field, ref } of secretRefsOf(item)) {
    try {
      await secrets.resolve(ref);
    } catch (error) {
      if (!(error instanceof SecretError)) throw error;
      problems.push(`${field}: ${error.detail}`);
    }
  }
  return problems;
}

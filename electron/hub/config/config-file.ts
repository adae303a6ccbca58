// Config as code: `--config FILE` (JSON or YAML) for servers. The file has the whole
// config's shape — { sources, channels, rules, settings } — and holds secret references
// only. Errors name the file and the place: line:column for syntax, and for the schema the
// field path with the line:column of its key.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import picomatch from 'picomatch/posix.js';
import { KNOWN_EVENT_TYPES } from '../../../shared/event.js';
import { type ChannelConfig, type HeraldConfig, HeraldConfigSchema, type SourceConfig } from '../../../shared/config.js';
import { migrate, type ConfigStore } from './config-store.js';
import { ConfigError, formatProblem, parseJsonText, syntaxError, zodProblems } from './problems.js';
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
  let mode: number;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    mode = statSync(file).mode & 0o777;
  } catch (error) {
    throw new ConfigError(`${file}: cannot read the config file: ${(error as Error).message}`);
  }
  // The file decides where events go and which secret references are sent where (a webhook's
  // secret header may name any env: or file: secret of the hub): as sshd does with its files,
  // one that anyone may write is refused. Group-writable is left to the owner (umask 002).
  if (process.platform !== 'win32' && (mode & 0o002) !== 0) {
    throw new ConfigError(
      `${file}: the config file is writable by others (mode 0${mode.toString(8).padStart(3, '0')}): anyone on this machine could add a channel that sends your events and secrets elsewhere; run chmod o-w ${file}`,
    );
  }
  const data = parse(text, file);
  if (data === null || data === undefined) {
    // Almost always a mistake, and an empty file would wipe every source, channel and rule.
    throw new ConfigError(`${file}: the file is empty; expected { sources, channels, rules, settings }`);
  }
  const config = migrate(data, file).config;
  const result = HeraldConfigSchema.safeParse(config);
  if (result.success) return result.data;
  // Each bad field with the line it is on, as syntax errors are (`file:line:column: path: why`).
  const problems = zodProblems(result.error);
  const at = fieldLocator(text);
  const lines = problems.map((p) => {
    const place = at(p.path);
    return `${file}:${place ? `${place.line}:${place.col}:` : ''} ${formatProblem(p)}`;
  });
  throw new ConfigError(lines.join('\n'), problems.map(formatProblem));
}

/**
 * Where a field path (`rules.0.match.branch`) is in the file's text: the line and column of
 * its key (or list item), else of the nearest enclosing one that is there (a missing field:
 * its object). JSON is read as YAML, of which it is a subset. Undefined when the text gives
 * no place (the path is the root, or was made by a migration).
 */
function fieldLocator(text: string): (path: string) => { line: number; col: number } | undefined {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter });
  return (path) => {
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const segment of path === '(root)' ? [] : path.split('.')) {
      if (yaml.isMap(node)) {
        const pair = node.items.find((item) => yaml.isScalar(item.key) && String(item.key.value) === segment);
        if (!pair || !yaml.isScalar(pair.key)) break;
        offset = pair.key.range?.[0];
        node = pair.value;
      } else if (yaml.isSeq(node) && /^\d+$/.test(segment)) {
        const item = node.items[Number(segment)];
        if (!yaml.isNode(item)) break;
        offset = item.range?.[0];
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset);
  };
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

/** Namespaces of types the sources make from a tool's own names (`kosli.<type>`, `devtron.<eventType>`…). */
const OPEN_TYPE_NAMESPACES = new Set(['kosli', 'chainloop', 'devtron', 'defectdojo']);

/**
 * A rule's type patterns that match no type a Herald source raises — almost always a typo
 * (`pipline.failed`), and such a rule never fires — one line each, with the nearest known
 * type; for the start-up lines of a config-as-code hub. Only a generic source can send other
 * types, so with one configured the line says so rather than calling it wrong.
 */
export function unknownRuleTypes(cfg: HeraldConfig): string[] {
  const known = Object.keys(KNOWN_EVENT_TYPES);
  const generic = cfg.sources.some((source) => source.kind === 'generic');
  const problems: string[] = [];
  for (const rule of cfg.rules) {
    for (const pattern of rule.match.types ?? []) {
      if (pattern.startsWith('!')) continue;
      const namespace = pattern.split('.')[0] ?? '';
      if (OPEN_TYPE_NAMESPACES.has(namespace) || /[*?[\]{}]/.test(namespace)) continue;
      const re = picomatch.makeRe(pattern, { dot: true, nocase: true });
      if (known.some((type) => re.test(type))) continue;
      const nearest = known.reduce((best, type) => (editDistance(pattern, type) < editDistance(pattern, best) ? type : best));
      problems.push(`rule "${rule.id}" matches type "${pattern}", which no Herald source raises${generic ? ' (only a generic source could send it)' : ''}; did you mean "${nearest}"?`);
    }
  }
  return problems;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

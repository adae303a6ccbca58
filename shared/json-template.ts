// JSON payload templates with `{{variable}}` placeholders (Devtron's webhook format).
// A placeholder inside a JSON string literal gets the value escaped as string content;
// one outside a string gets the value as a JSON value. Values are never re-scanned, so
// event text can neither leave its string nor add keys. Pure: runs in the UI too.
// The variables are in template-variables.ts, the escaping in text-escaping.ts.
import type { HeraldEvent } from './event.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { templateValues, type TemplateValues, UNMAPPED_DEVTRON } from './template-variables.js';
import { escapeHtml, escapeMarkdown, escapeSlack, safeJsonStringify, truncateText } from './text-escaping.js';

export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** A value as the content of a JSON string literal (without the quotes). */
function asStringContent(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return safeJsonStringify(text).slice(1, -1);
}

function asJsonValue(value: unknown): string {
  return value === undefined ? 'null' : safeJsonStringify(value);
}

// ── Rendering ──────────────────────────────────────────────────────────────

/**
 * `{{ name }}` or `{{ name | filter | max:200 }}`: a run of non-space, non-brace characters,
 * then optional filters; spaces allowed inside the braces.
 */
const PLACEHOLDER = /\{\{\s*([^{}\s|]*)\s*((?:\|\s*[A-Za-z_]+(?::\d+)?\s*)*)\}\}/y;

/** Filters escape a value for where the JSON is going (a Slack or Teams payload) or shorten it. */
export const TEMPLATE_FILTERS: readonly { name: string; description: string }[] = [
  { name: 'slack', description: 'escape & < > for Slack mrkdwn, so no <!channel>, <@user> or link can be injected' },
  { name: 'markdown', description: 'backslash-escape Markdown (Teams, Discord, RingCentral), so text cannot format or link' },
  { name: 'html', description: 'escape & < > " \' for HTML' },
  { name: 'max:N', description: 'at most N characters, cut with …' },
];

type Filter = { name: 'slack' | 'markdown' | 'html' } | { name: 'max'; chars: number };

/** The placeholder's filters, or the first unknown one's error message (raised when the placeholder renders). */
function parseFilters(filters: string, at: { line: number; column: number }, placeholder: string): Filter[] | { problem: string } {
  const parsed: Filter[] = [];
  for (const filter of filters.split('|').map((f) => f.trim()).filter(Boolean)) {
    const [name, arg] = filter.split(':');
    if (name === 'slack' || name === 'markdown' || name === 'html') parsed.push({ name });
    else if (name === 'max' && arg) parsed.push({ name, chars: Math.max(1, Number(arg)) });
    else {
      return {
        problem: `unknown filter |${filter} in ${placeholder} at line ${at.line} col ${at.column}; known: ${TEMPLATE_FILTERS.map((f) => f.name).join(', ')}`,
      };
    }
  }
  return parsed;
}

function applyFilters(value: unknown, filters: readonly Filter[]): unknown {
  if (!filters.length) return value;
  let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  for (const filter of filters) {
    if (filter.name === 'slack') text = escapeSlack(text);
    else if (filter.name === 'markdown') text = escapeMarkdown(text);
    else if (filter.name === 'html') text = escapeHtml(text);
    else if (filter.name === 'max') text = truncateText(text, filter.chars);
  }
  return text;
}

interface Segment {
  outStart: number;
  templateStart: number;
  /** A literal run maps character by character; a value maps to its placeholder. */
  literal: boolean;
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Levenshtein distance, case-insensitive: how far a typo is from what was meant. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function unknownVariableError(name: string, known: string[], at: { line: number; column: number }): TemplateError {
  const where = `at line ${at.line} col ${at.column}`;
  const unmapped = UNMAPPED_DEVTRON[name];
  if (unmapped) return new TemplateError(`unsupported variable {{${name}}} ${where}: ${unmapped}`, at.line, at.column);
  const closest = known
    .map((k) => ({ k, d: editDistance(name, k) }))
    .filter((c) => c.d <= 2 && c.d < name.length / 2)
    .sort((a, b) => a.d - b.d)[0];
  const hint = closest ? ` — did you mean {{${closest.k}}}?` : '';
  return new TemplateError(`unknown variable {{${name}}} ${where}${hint}; known: ${known.join(', ')}`, at.line, at.column);
}

/** One piece of a compiled template, in order. */
type Part =
  | { kind: 'literal'; text: string; templateStart: number }
  | {
      kind: 'value';
      name: string;
      /** Inside a JSON string literal: the value goes in as string content, else as a JSON value. */
      inString: boolean;
      filters: Filter[] | { problem: string };
      templateStart: number;
      at: { line: number; column: number };
    }
  /** The scan stopped here (a malformed or empty placeholder): rendering throws this, after what came before. */
  | { kind: 'error'; message: string; at: { line: number; column: number } };

interface CompiledTemplate {
  parts: Part[];
  /**
   * Every render is valid JSON whatever the values, so the syntax check on each send can be
   * skipped: see rendersValidForAnyValues. Otherwise validity can depend on the values
   * (`{ {{x}}: 1 }`, `-{{x}}`), and every render is checked.
   */
  alwaysValid: boolean;
}

/** What stands in for a value when the template's skeleton is checked once. */
const STAND_IN_STRING_CONTENT = 'x';
const STAND_IN_JSON_VALUE = 'null';

/**
 * Whether every render of these parts is valid JSON, for any values. A value inside a string
 * is emitted as complete escaped string content, so it keeps the string valid unless it lands
 * inside a `\uXXXX` escape (the stand-in `x`, not a hex digit, makes that case fail). A value
 * outside a string is some JSON value, so it is safe only where any value fits: a whole value
 * after `:` `[` `,` (or at the start) and before `,` `]` `}` (or at the end). With those
 * placements, the skeleton with stand-ins parsing proves every render parses.
 */
function rendersValidForAnyValues(parts: readonly Part[]): boolean {
  let skeleton = '';
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    if (part.kind === 'error') return false;
    if (part.kind === 'literal') skeleton += part.text;
    else if (part.inString) skeleton += STAND_IN_STRING_CONTENT;
    else if (!/^$|[:[,]$/.test(neighbourText(parts, k, -1)) || !/^$|^[,\]}]/.test(neighbourText(parts, k, +1))) return false;
    else skeleton += STAND_IN_JSON_VALUE;
  }
  return findJsonSyntaxError(skeleton) === null;
}

/**
 * The nearest non-blank character of the literal text before (-1) or after (+1) part k:
 * '' at the start or end of the template, '\0' when another value comes first (not a place
 * where any value fits).
 */
function neighbourText(parts: readonly Part[], k: number, step: -1 | 1): string {
  for (let n = k + step; n >= 0 && n < parts.length; n += step) {
    const part = parts[n]!;
    if (part.kind !== 'literal') return '\0';
    const text = part.text.trim();
    if (text) return step < 0 ? text.at(-1)! : text[0]!;
  }
  return '';
}

/**
 * Templates already scanned into their parts: a channel sends the same template again and
 * again. Bounded; a template dropped is simply scanned (and checked) again.
 */
const COMPILED = new Map<string, CompiledTemplate>();
const COMPILED_MAX = 256;

/**
 * The template scanned once into literal runs and placeholders. The scan depends on the
 * template alone (values are never re-scanned). Errors are kept in place, so a render
 * throws the first problem in template order, as a scan on every send would.
 */
function compile(template: string): CompiledTemplate {
  const cached = COMPILED.get(template);
  if (cached) return cached;
  const parts: Part[] = [];
  const literal = (start: number, end: number) => {
    if (end > start) parts.push({ kind: 'literal', text: template.slice(start, end), templateStart: start });
  };
  let inString = false;
  let literalStart = 0;
  let i = 0;
  scan: while (i < template.length) {
    const c = template[i];
    if (c === '{' && template[i + 1] === '{') {
      if (template[i + 2] === '{') {
        // `{{{x}}}`: the first brace is JSON, the placeholder starts one later.
        i++;
        continue;
      }
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(template);
      const at = lineCol(template, i);
      literal(literalStart, i);
      literalStart = i;
      if (!m) {
        const message = `malformed placeholder at line ${at.line} col ${at.column}: expected {{name}} or {{name | filter}}, found ${JSON.stringify(template.slice(i, i + 30))}`;
        parts.push({ kind: 'error', message, at });
        break scan;
      }
      const name = m[1]!;
      if (!name) {
        parts.push({ kind: 'error', message: `empty placeholder {{}} at line ${at.line} col ${at.column}`, at });
        break scan;
      }
      parts.push({ kind: 'value', name, inString, filters: parseFilters(m[2] ?? '', at, m[0]), templateStart: i, at });
      i += m[0].length;
      literalStart = i;
      continue;
    }
    if (inString) {
      if (c === '\\') {
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === ',') {
      let j = i + 1;
      while (j < template.length && /\s/.test(template[j]!)) j++;
      if (template[j] === ']' || template[j] === '}') {
        // A trailing comma is dropped.
        literal(literalStart, i);
        literalStart = i + 1;
      }
    }
    i++;
  }
  if (parts.at(-1)?.kind !== 'error') literal(literalStart, template.length);
  const compiled: CompiledTemplate = { parts, alwaysValid: rendersValidForAnyValues(parts) };
  if (COMPILED.size >= COMPILED_MAX) COMPILED.clear();
  COMPILED.set(template, compiled);
  return compiled;
}

/** A plain record of values as TemplateValues (tests, previews). */
function recordValues(vars: Record<string, unknown>): TemplateValues {
  return {
    has: (name) => Object.prototype.hasOwnProperty.call(vars, name),
    get: (name) => vars[name],
    names: () => Object.keys(vars),
  };
}

/**
 * Fill a JSON template. Returns the rendered text, which is always valid JSON; throws
 * TemplateError naming the problem and its place in the template otherwise.
 * Trailing commas before `]`/`}` are dropped (Devtron's RingCentral sample has one).
 * `vars`: every variable's value, or a source that computes each one asked for (templateValues).
 */
export function renderJsonTemplate(template: string, vars: Record<string, unknown> | TemplateValues): string {
  const values = isTemplateValues(vars) ? vars : recordValues(vars);
  const compiled = compile(template);
  // Where each piece of the output came from, to place a syntax error: only when the render is checked.
  const segments: Segment[] | undefined = compiled.alwaysValid ? undefined : [];
  let rendered = '';
  for (const part of compiled.parts) {
    let text: string;
    if (part.kind === 'literal') text = part.text;
    else if (part.kind === 'error') throw new TemplateError(part.message, part.at.line, part.at.column);
    else {
      if (!values.has(part.name)) throw unknownVariableError(part.name, [...values.names()], part.at);
      if (!Array.isArray(part.filters)) throw new TemplateError(part.filters.problem, part.at.line, part.at.column);
      const value = applyFilters(values.get(part.name), part.filters);
      text = part.inString ? asStringContent(value) : asJsonValue(value);
    }
    if (!text) continue;
    segments?.push({ outStart: rendered.length, templateStart: part.templateStart, literal: part.kind === 'literal' });
    rendered += text;
  }
  if (!segments) return rendered;
  const problem = findJsonSyntaxError(rendered);
  if (problem) {
    let templateOffset = template.length;
    for (let s = segments.length - 1; s >= 0; s--) {
      const seg = segments[s]!;
      if (seg.outStart <= problem.offset) {
        templateOffset = seg.literal ? seg.templateStart + (problem.offset - seg.outStart) : seg.templateStart;
        break;
      }
    }
    const at = lineCol(template, templateOffset);
    const near = template.slice(Math.max(0, templateOffset - 20), templateOffset + 20).replace(/\s+/g, ' ');
    throw new TemplateError(
      `the template does not produce valid JSON: ${problem.message} at line ${at.line} col ${at.column} (near ${JSON.stringify(near)})`,
      at.line,
      at.column,
    );
  }
  return rendered;
}

function isTemplateValues(vars: Record<string, unknown> | TemplateValues): vars is TemplateValues {
  return typeof vars.has === 'function' && typeof vars.get === 'function' && typeof vars.names === 'function';
}

// ── Save-time validation ───────────────────────────────────────────────────

/** An event with every field set, so a template is checked against everything it may meet. */
export const SAMPLE_EVENT: Omit<HeraldEvent, 'read'> = {
  id: '01J9SAMPLE0000000000000000',
  source: { kind: 'github', id: 'github-main', name: 'GitHub (acme)' },
  type: 'pipeline.failed',
  severity: 'critical',
  subject: {
    project: 'acme/api',
    group: 'acme',
    environment: 'production',
    pipeline: 'build-and-test',
    branch: 'main',
    cluster: 'eu-west-1',
    artifact: 'ghcr.io/acme/api:1.4.2',
    commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
  },
  title: 'build-and-test failed on main',
  summary: 'Job "unit tests" failed after 3m12s.\nSee the log for details.',
  url: 'https://github.com/acme/api/actions/runs/42',
  actor: 'dev@acme.example',
  occurredAt: '2025-01-15T10:30:00.000Z',
  receivedAt: '2025-01-15T10:30:01.000Z',
  dedupKey: 'github-main:pipeline.failed:acme/api||production|build-and-test|main|eu-west-1|ghcr.io/acme/api:1.4.2',
  data: { commit: '1ac157003dd6fb9ec764daa47726b7bfed65c312', runNumber: 42 },
};

export function validateJsonTemplate(template: string): { ok: true } | { ok: false; error: string } {
  try {
    renderJsonTemplate(template, templateValues(SAMPLE_EVENT, { rule: { id: 'sample-rule', name: 'Sample rule' } }));
    return { ok: true };
  } catch (e) {
    if (e instanceof TemplateError) return { ok: false, error: e.message };
    throw e;
  }
}

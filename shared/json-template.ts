// JSON payload templates with `{{variable}}` placeholders (Devtron's webhook format).
// A placeholder inside a JSON string literal gets the value escaped as string content;
// one outside a string gets the value as a JSON value. Values are never re-scanned, so
// event text can neither leave its string nor add keys. Pure: runs in the UI too.
// The variables are in template-variables.ts, the escaping in text-escaping.ts.
import type { HeraldEvent } from './event.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { templateVariables, UNMAPPED_DEVTRON } from './template-variables.js';
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

function applyFilters(value: unknown, filters: string, at: { line: number; column: number }, placeholder: string): unknown {
  const names = filters
    .split('|')
    .map((f) => f.trim())
    .filter(Boolean);
  if (!names.length) return value;
  let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  for (const filter of names) {
    const [name, arg] = filter.split(':');
    if (name === 'slack') text = escapeSlack(text);
    else if (name === 'markdown') text = escapeMarkdown(text);
    else if (name === 'html') text = escapeHtml(text);
    else if (name === 'max' && arg) text = truncateText(text, Math.max(1, Number(arg)));
    else {
      throw new TemplateError(
        `unknown filter |${filter} in ${placeholder} at line ${at.line} col ${at.column}; known: ${TEMPLATE_FILTERS.map((f) => f.name).join(', ')}`,
        at.line,
        at.column,
      );
    }
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

function editDistance(a: string, b: string): number {
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

/**
 * Templates that have rendered to valid JSON once. Every value is emitted escaped (string
 * content or a JSON value), so validity depends on the template alone: checking again on
 * each send would only cost time. Bounded; a template dropped is simply checked again.
 */
const VALID_TEMPLATES = new Set<string>();
const VALID_TEMPLATES_MAX = 256;

/**
 * Fill a JSON template. Returns the rendered text, which is always valid JSON; throws
 * TemplateError naming the problem and its place in the template otherwise.
 * Trailing commas before `]`/`}` are dropped (Devtron's RingCentral sample has one).
 */
export function renderJsonTemplate(template: string, vars: Record<string, unknown>): string {
  const out: string[] = [];
  const segments: Segment[] = [];
  let outLength = 0;
  const emit = (text: string, templateStart: number, literal: boolean) => {
    if (!text) return;
    segments.push({ outStart: outLength, templateStart, literal });
    out.push(text);
    outLength += text.length;
  };

  let inString = false;
  let literalStart = 0;
  let i = 0;
  const flushLiteral = (end: number) => {
    emit(template.slice(literalStart, end), literalStart, true);
  };

  while (i < template.length) {
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
      if (!m) {
        throw new TemplateError(
          `malformed placeholder at line ${at.line} col ${at.column}: expected {{name}} or {{name | filter}}, found ${JSON.stringify(template.slice(i, i + 30))}`,
          at.line,
          at.column,
        );
      }
      const name = m[1]!;
      if (!name) throw new TemplateError(`empty placeholder {{}} at line ${at.line} col ${at.column}`, at.line, at.column);
      if (!Object.prototype.hasOwnProperty.call(vars, name)) throw unknownVariableError(name, Object.keys(vars), at);
      flushLiteral(i);
      const value = applyFilters(vars[name], m[2] ?? '', at, m[0]);
      emit(inString ? asStringContent(value) : asJsonValue(value), i, false);
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
        flushLiteral(i);
        literalStart = i + 1;
      }
    }
    i++;
  }
  flushLiteral(template.length);

  const rendered = out.join('');
  if (VALID_TEMPLATES.has(template)) return rendered;
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
  if (VALID_TEMPLATES.size >= VALID_TEMPLATES_MAX) VALID_TEMPLATES.clear();
  VALID_TEMPLATES.add(template);
  return rendered;
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
    renderJsonTemplate(template, templateVariables(SAMPLE_EVENT, { rule: { id: 'sample-rule', name: 'Sample rule' } }));
    return { ok: true };
  } catch (e) {
    if (e instanceof TemplateError) return { ok: false, error: e.message };
    throw e;
  }
}

// JSON payload templates with `{{variable}}` placeholders (Devtron's webhook format).
// A placeholder inside a JSON string literal gets the value escaped as string content;
// one outside a string gets the value as a JSON value. Values are never re-scanned, so
// event text can neither leave its string nor add keys. Pure: runs in the UI too.
import { SUBJECT_FIELDS, type HeraldEvent, type Severity } from './event.js';

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

export interface TemplateVariable {
  name: string;
  description: string;
  /** For Devtron's names: the Herald value it stands for. */
  aliasOf?: string;
}

/** An event as channels see it (the store's `read` flag is irrelevant to them). */
export type OutboundEvent = Omit<HeraldEvent, 'read'> & { read?: boolean };
export interface TemplateExtras {
  rule?: { id: string; name: string };
}

const SUBJECT_DESCRIPTIONS: Record<(typeof SUBJECT_FIELDS)[number], string> = {
  project: 'what the event is about: repository, Devtron application, Kosli flow, product',
  group: 'Devtron project, GitLab group, Kosli org',
  environment: 'environment, e.g. production',
  pipeline: 'CI/CD pipeline or workflow name',
  branch: 'git branch',
  cluster: 'cluster',
  artifact: 'artifact, e.g. a container image ghcr.io/org/app:1.2',
  commit: 'git commit SHA (full), e.g. of a run, a deployment or an artifact\'s provenance',
};

export const TEMPLATE_VARIABLES: readonly TemplateVariable[] = [
  { name: 'id', description: 'Herald event id' },
  { name: 'type', description: 'event type, e.g. pipeline.failed' },
  { name: 'typeLabel', description: 'event type in words, e.g. "Pipeline failed"' },
  { name: 'typeConstant', description: 'event type as a constant, e.g. PIPELINE_FAILED (Kosli\'s event_type style)' },
  { name: 'severity', description: 'info, success, warning or critical' },
  { name: 'severityEmoji', description: 'an emoji for the severity (🔴 🟠 ✅ ℹ️)' },
  { name: 'title', description: 'one-line title' },
  { name: 'summary', description: 'longer description (may be empty)' },
  { name: 'url', description: 'link to the event at its source (may be empty)' },
  { name: 'actor', description: 'who caused it (may be empty)' },
  { name: 'occurredAt', description: 'when it happened, ISO 8601' },
  { name: 'occurredAtUnix', description: 'when it happened, seconds since 1970 (a number)' },
  { name: 'receivedAt', description: 'when Herald received it, ISO 8601' },
  { name: 'dedupKey', description: 'what makes two events "the same thing again"' },
  { name: 'source.id', description: 'id of the source that produced it' },
  { name: 'source.kind', description: 'kind of that source, e.g. github' },
  { name: 'source.name', description: 'display name of that source' },
  ...SUBJECT_FIELDS.map((f) => ({ name: `subject.${f}`, description: SUBJECT_DESCRIPTIONS[f] })),
  { name: 'rule.id', description: 'id of the rule that routed it (empty for a test message)' },
  { name: 'rule.name', description: 'name of that rule' },
  { name: 'data', description: 'source-specific extras, as a JSON object (null when none)' },
  { name: 'event', description: 'the whole event as a JSON object' },
  // Devtron's names (seeds/devtron-notifications.md), so its sample payloads work unchanged.
  { name: 'devtronAppName', description: 'Devtron: application', aliasOf: 'subject.project' },
  { name: 'eventType', description: 'Devtron: event type (Herald type, e.g. pipeline.failed)', aliasOf: 'type' },
  { name: 'devtronEnvName', description: 'Devtron: environment', aliasOf: 'subject.environment' },
  { name: 'devtronCiPipelineName', description: 'Devtron: CI pipeline', aliasOf: 'subject.pipeline' },
  { name: 'devtronCdPipelineName', description: 'Devtron: CD pipeline', aliasOf: 'subject.pipeline' },
  {
    name: 'devtronPipelineType',
    description: 'Devtron: CI for pipeline.* events, CD for deployment.* events, else empty',
    aliasOf: 'type',
  },
  { name: 'devtronTriggeredByEmail', description: 'Devtron: who triggered it', aliasOf: 'actor' },
  {
    name: 'devtronContainerImageRepo',
    description: 'Devtron: image repository — subject.artifact before its :tag or @digest',
    aliasOf: 'subject.artifact',
  },
  {
    name: 'devtronContainerImageTag',
    description: 'Devtron: image tag — subject.artifact after its last : (or the @digest)',
    aliasOf: 'subject.artifact',
  },
  {
    name: 'devtronBuildGitCommitHash',
    description: 'Devtron: commit — data.commit, data.sha or data.headSha when the source provides one',
    aliasOf: 'data.commit',
  },
];

/** Devtron variables with no honest Herald counterpart: named in the error instead of "unknown". */
const UNMAPPED_DEVTRON: Record<string, string> = {
  devtronAppId: 'Devtron\'s numeric app id has no Herald equivalent; use {{devtronAppName}} or {{subject.project}}',
  devtronEnvId: 'Devtron\'s numeric environment id has no Herald equivalent; use {{devtronEnvName}}',
  devtronCiPipelineId: 'Devtron\'s numeric pipeline id has no Herald equivalent; use {{devtronCiPipelineName}}',
  devtronCdPipelineId: 'Devtron\'s numeric pipeline id has no Herald equivalent; use {{devtronCdPipelineName}}',
  devtronApprovedByEmail: 'Herald events carry no approver; use {{actor}}',
};

const SEVERITY_EMOJI: Record<Severity, string> = { critical: '🔴', warning: '🟠', success: '✅', info: 'ℹ️' };

/** `pipeline.failed` → "Pipeline failed"; `security_gate.passed` → "Security gate passed". */
export function typeLabel(type: string): string {
  const words = type.replace(/[._]/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `ghcr.io/org/app:1.2` → repo `ghcr.io/org/app`, tag `1.2`; a registry port is not a tag. */
export function splitImageRef(artifact: string | undefined): { repo?: string; tag?: string } {
  if (!artifact) return {};
  const at = artifact.indexOf('@');
  if (at > 0) return { repo: artifact.slice(0, at), tag: artifact.slice(at + 1) };
  const colon = artifact.lastIndexOf(':');
  if (colon > artifact.lastIndexOf('/') && colon > 0) return { repo: artifact.slice(0, colon), tag: artifact.slice(colon + 1) };
  return { repo: artifact };
}

/** The event as it leaves Herald: without the store's read flag. */
export function outboundEvent(event: OutboundEvent): Omit<HeraldEvent, 'read'> {
  const { read: _read, ...rest } = event;
  return rest;
}

function commitOf(data: Record<string, unknown> | undefined): string | undefined {
  for (const key of ['commit', 'sha', 'headSha']) {
    const v = data?.[key];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** Every template variable's value for one event; absent optional fields are `undefined`. */
export function templateVariables(event: OutboundEvent, extras: TemplateExtras = {}): Record<string, unknown> {
  const image = splitImageRef(event.subject.artifact);
  const occurred = Date.parse(event.occurredAt);
  const vars: Record<string, unknown> = {
    id: event.id,
    type: event.type,
    typeLabel: typeLabel(event.type),
    typeConstant: event.type.replace(/\./g, '_').toUpperCase(),
    severity: event.severity,
    severityEmoji: SEVERITY_EMOJI[event.severity],
    title: event.title,
    summary: event.summary,
    url: event.url,
    actor: event.actor,
    occurredAt: event.occurredAt,
    occurredAtUnix: Number.isNaN(occurred) ? undefined : Math.floor(occurred / 1000),
    receivedAt: event.receivedAt,
    dedupKey: event.dedupKey,
    'source.id': event.source.id,
    'source.kind': event.source.kind,
    'source.name': event.source.name,
    'rule.id': extras.rule?.id,
    'rule.name': extras.rule?.name,
    data: event.data,
    event: outboundEvent(event),
    devtronAppName: event.subject.project,
    eventType: event.type,
    devtronEnvName: event.subject.environment,
    devtronCiPipelineName: event.subject.pipeline,
    devtronCdPipelineName: event.subject.pipeline,
    devtronPipelineType: event.type.startsWith('pipeline.') ? 'CI' : event.type.startsWith('deployment.') ? 'CD' : undefined,
    devtronTriggeredByEmail: event.actor,
    devtronContainerImageRepo: image.repo,
    devtronContainerImageTag: image.tag,
    devtronBuildGitCommitHash: commitOf(event.data),
  };
  for (const f of SUBJECT_FIELDS) vars[`subject.${f}`] = event.subject[f];
  // In the documented order, so error messages list them as the UI does.
  return Object.fromEntries(TEMPLATE_VARIABLES.map((v) => [v.name, vars[v.name]]));
}

// ── Escaping ───────────────────────────────────────────────────────────────

const UNSAFE_IN_JSON = /[<>&\u2028\u2029]/g;
const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * JSON.stringify, plus `<`, `>`, `&`, U+2028 and U+2029 as \u escapes, so the text is
 * safe to embed in HTML or a JS string too. Those characters only occur inside JSON
 * strings, where the escapes mean the same thing.
 */
export function safeJsonStringify(value: unknown, space?: number): string {
  return (JSON.stringify(value, null, space) ?? 'null').replace(UNSAFE_IN_JSON, unicodeEscape);
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

// ── Escaping for where text lands (channels use these too) ─────────────────

/** Slack mrkdwn: & < > as entities, so no `<!channel>`, `<@U123>` or `<url|text>` can form. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Markdown as Teams and Discord render it: a backslash before every character that can
 * format, link or mention (`* _ ~ \` | [ ] ( ) < > #`), and before list or quote markers
 * at the start of a line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_~|[\]()<>#]/g, '\\$&')
    .replace(/^(\s*)([-+])(?=\s)/gm, '$1\\$2') // - item, + item
    .replace(/^(\s*\d+)\.(?=\s)/gm, '$1\\.') // 1. item
    .replace(/^(\s*)([-=])(?=[-=]{2,}\s*$)/gm, '$1\\$2'); // --- rule, === heading underline
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** At most `max` code points (never half a surrogate pair), cut with … */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * The longest prefix of `text` whose escaped form, plus …, fits in `max` UTF-16 units
 * (the unit Slack, Teams and Discord count). Cut before escaping, so no escape is split.
 */
export function fitEscaped(text: string, max: number, escape: (s: string) => string): string {
  const whole = escape(text);
  if (whole.length <= max) return whole;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (escape(chars.slice(0, mid).join('')).length + 1 <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${escape(chars.slice(0, lo).join(''))}…`;
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

/** A strict JSON syntax check that says where and what (JSON.parse often says neither). */
export function findJsonSyntaxError(text: string): { offset: number; message: string } | null {
  let i = 0;
  class Problem {
    constructor(readonly message: string) {}
  }
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else throw new Problem('bad escape sequence in a string');
        continue;
      }
      if (c < ' ') throw new Problem('a raw control character (such as a line break) inside a string; write \\n instead');
      i++;
    }
    throw new Problem('unterminated string');
  };
  const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
  const value = (depth: number): void => {
    if (depth > 500) throw new Problem('nested too deeply');
    ws();
    const c = text[i];
    if (c === undefined) throw new Problem('unexpected end, expected a value');
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (c === '{') {
          if (text[i] !== '"') throw new Problem('expected a double-quoted property name');
          string();
          ws();
          if (text[i] !== ':') throw new Problem("expected ':' after a property name");
          i++;
        }
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        throw new Problem(`expected ',' or '${close}'`);
      }
    }
    if (c === '"') return string();
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== '-') {
      i += m[0].length;
      return;
    }
    throw new Problem(`unexpected ${JSON.stringify(c)}, expected a value`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) throw new Problem('unexpected text after the JSON value');
    return null;
  } catch (e) {
    if (e instanceof Problem) return { offset: i, message: e.message };
    throw e;
  }
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

// ── Presets for the webhook channel's template ─────────────────────────────

export interface WebhookPreset {
  id: string;
  name: string;
  description: string;
  template: string;
}

/**
 * Devtron's documented sample payloads (seeds/devtron-notifications.md) with filters that
 * escape event text for where it lands, and Kosli's custom-webhook payload shape.
 */
export const WEBHOOK_PRESETS: readonly WebhookPreset[] = [
  {
    id: 'devtron-teams',
    name: 'Microsoft Teams (Devtron sample)',
    description: 'Adaptive Card message for a Teams Workflows webhook',
    template: `{
    "type": "message",
    "attachments": [
        {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.2",
                "body": [
                    {
                        "type": "TextBlock",
                        "wrap": true,
                        "text": "Automation Notification for Devtron \\n *App* : {{devtronAppName | markdown | max:300}} \\n *Event Type* : {{eventType}} \\n {{title | markdown | max:500}}"
                    }
                ]
            }
        }
    ]
}`,
  },
  {
    id: 'devtron-slack',
    name: 'Slack (Devtron sample)',
    description: 'Block Kit message for a Slack incoming webhook',
    template: `{
    "text": "{{typeLabel | slack}}: {{title | slack | max:500}}",
    "blocks": [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Automation Notification for Devtron \\n *App* : {{devtronAppName | slack | max:300}} \\n *Event Type* : {{eventType}} \\n {{title | slack | max:500}}"
            },
            "accessory": {
                "type": "image",
                "image_url": "https://awsmp-logos.s3.amazonaws.com/3ec35b66-ca90-4ed0-8c9e-146fa65e1037/f3966518a472c0e5f51c57f5efb20da7.png",
                "alt_text": "Devtron Logo"
            }
        }
    ]
}`,
  },
  {
    id: 'devtron-discord',
    name: 'Discord (Devtron sample)',
    description: 'Plain content for a Discord webhook; mentions in event text never ping',
    template: `{
    "content": "Automation Notification at Devtron \\n App : {{devtronAppName | markdown | max:300}} \\n Event Type : {{eventType}} \\n {{title | markdown | max:1000}}",
    "allowed_mentions": { "parse": [] }
}`,
  },
  {
    id: 'devtron-ringcentral',
    name: 'RingCentral (Devtron sample)',
    description: 'Adaptive Card for a RingCentral incoming webhook',
    template: `{
    "activity": "{{typeLabel | markdown}}",
    "attachments": [
    {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.0",
        "body": [
        {
            "type": "TextBlock",
            "text": "Automation Notification at Devtron \\n App: {{devtronAppName | markdown | max:300}} \\n Event Type: {{eventType}}",
            "weight": "bolder",
            "size": "medium",
            "wrap": true
        },
        {
            "type": "ColumnSet",
            "columns": [
            {
                "type": "Column",
                "width": "auto",
                "items": [
                {
                    "type": "Image",
                    "url": "https://awsmp-logos.s3.amazonaws.com/3ec35b66-ca90-4ed0-8c9e-146fa65e1037/f3966518a472c0e5f51c57f5efb20da7.png",
                    "size": "small",
                    "style": "person"
                }
                ]
            },
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                {
                    "type": "TextBlock",
                    "text": "Container Image Repo: {{devtronContainerImageRepo | markdown | max:300}} \\n Container Image Tag: {{devtronContainerImageTag | markdown | max:200}}",
                    "weight": "bolder",
                    "wrap": true
                },
                {
                    "type": "TextBlock",
                    "spacing": "none",
                    "text": "Triggered by: {{devtronTriggeredByEmail | markdown | max:200}}",
                    "isSubtle": true,
                    "wrap": true
                }
                ]
            }
            ]
        }
        ]
    }
    ]
}`,
  },
  {
    id: 'kosli',
    name: 'Kosli custom webhook shape',
    description:
      "Kosli's custom-webhook payload: org = subject.group, environment, event_type = the type as a constant, artifact = subject.artifact in the flow subject.project. Snapshot index and fingerprint have no Herald counterpart and stay empty.",
    template: `{
    "version": "1.0",
    "timestamp": "{{occurredAtUnix}}",
    "org": "{{subject.group}}",
    "environment": "{{subject.environment}}",
    "event_type": "{{typeConstant}}",
    "description": "{{title}}",
    "snapshot": {
        "index": "",
        "status": "",
        "html_url": "{{url}}",
        "api_url": ""
    },
    "artifact": {
        "name": "{{subject.artifact}}",
        "fingerprint": "",
        "provenance": {
            "flow": "{{subject.project}}",
            "status": "",
            "commit": "{{devtronBuildGitCommitHash}}",
            "commit_url": "",
            "html_url": "{{url}}",
            "api_url": "",
            "build_url": "{{url}}",
            "deployments": [],
            "approvals": []
        }
    },
    "herald": {{event}}
}`,
  },
];

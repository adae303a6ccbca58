// When a render's JSON syntax check may be skipped: only when every render is valid whatever
// the values. A template whose validity depends on the values is checked on every render,
// also after a valid render and after the save-time check against SAMPLE_EVENT.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as jsonSyntax from '../../../shared/json-syntax.js';
import { SAMPLE_EVENT, TemplateError, renderJsonTemplate, validateJsonTemplate } from '../../../shared/json-template.js';
import { templateValues, type OutboundEvent } from '../../../shared/template-variables.js';
import { WEBHOOK_PRESETS } from '../../../shared/webhook-presets.js';

// Counts the syntax checks the renderer runs (the real check still runs).
vi.mock('../../../shared/json-syntax.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../shared/json-syntax.js')>();
  return { ...real, findJsonSyntaxError: vi.fn(real.findJsonSyntaxError) };
});
const syntaxChecks = vi.mocked(jsonSyntax.findJsonSyntaxError);
beforeEach(() => {
  syntaxChecks.mockClear();
});

const withCluster: OutboundEvent = { ...SAMPLE_EVENT, read: false };
const { cluster: _dropped, ...subjectWithoutCluster } = SAMPLE_EVENT.subject;
const withoutCluster: OutboundEvent = { ...withCluster, subject: subjectWithoutCluster };

function expectTemplateError(render: () => string, message: RegExp): void {
  let thrown: unknown;
  try {
    render();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(TemplateError);
  expect((thrown as Error).message).toMatch(message);
}

describe('a template whose validity depends on the values is checked on every render', () => {
  it('a key from a field that may be missing: valid with the field, TemplateError without it, every time', () => {
    const template = '{ {{subject.cluster}}: true }';
    // The save-time check sees every field set and passes.
    expect(validateJsonTemplate(template)).toEqual({ ok: true });
    expect(JSON.parse(renderJsonTemplate(template, templateValues(withCluster)))).toEqual({ 'eu-west-1': true });
    for (let i = 0; i < 3; i++) {
      expectTemplateError(
        () => renderJsonTemplate(template, templateValues(withoutCluster)),
        /^the template does not produce valid JSON: expected a double-quoted property name at line 1 col 3/,
      );
      expect(JSON.parse(renderJsonTemplate(template, templateValues(withCluster)))).toEqual({ 'eu-west-1': true });
    }
  });
  it('a minus sign before a value: valid for a number, TemplateError for a string, every time', () => {
    const template = '{"n": -{{x}}}';
    expect(renderJsonTemplate(template, { x: 5 })).toBe('{"n": -5}');
    for (let i = 0; i < 3; i++) {
      expectTemplateError(() => renderJsonTemplate(template, { x: 'abc' }), /^the template does not produce valid JSON: .* at line 1 col 7/);
      expect(renderJsonTemplate(template, { x: 7 })).toBe('{"n": -7}');
    }
  });
  it('a value inside a \\u escape, or next to another value, is checked on every render', () => {
    expect(renderJsonTemplate('{"a": "\\u{{x}}"}', { x: '00e9' })).toBe('{"a": "\\u00e9"}');
    expectTemplateError(() => renderJsonTemplate('{"a": "\\u{{x}}"}', { x: 'zz' }), /bad escape sequence/);
    expectTemplateError(() => renderJsonTemplate('[{{a}} {{b}}]', { a: 1, b: 2 }), /does not produce valid JSON/);
  });
});

describe('a template valid for any values skips the check after its one-time skeleton check', () => {
  it.each([
    ['the bench webhook body', '{"id":"{{id}}","t":"{{title}}"}'],
    ['whole values after : [ , and before , ] }', '{"t": {{title}}, "list": [ {{subject.project}} , {{severity}} ], "s": {{summary}} }'],
    ['a trailing comma dropped', '{"a": [{{title}},], "b": "{{id}}",}'],
    ...WEBHOOK_PRESETS.map((p): [string, string] => [`preset ${p.id}`, p.template]),
  ])('%s', (_name, template) => {
    renderJsonTemplate(template, templateValues(withCluster));
    syntaxChecks.mockClear();
    for (let i = 0; i < 5; i++) {
      const out = renderJsonTemplate(template, templateValues(i % 2 ? withCluster : withoutCluster));
      expect(() => JSON.parse(out)).not.toThrow();
    }
    expect(syntaxChecks).not.toHaveBeenCalled();
  });
  it('escaping stays as it was: quotes, U+2028, </script> and key injection stay inside their string', () => {
    const template = '{"t": "{{title}}", "v": {{title}}}';
    const title = 'a"b\u2028</script>", "admin": true, "x": "';
    const out = renderJsonTemplate(template, templateValues({ ...withCluster, title }));
    expect(out).not.toContain('\u2028');
    expect(out).not.toContain('</script>');
    expect(JSON.parse(out)).toEqual({ t: title, v: title });
  });
});

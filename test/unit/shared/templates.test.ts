import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from '../../../shared/json-syntax.js';
import { SAMPLE_EVENT, TemplateError, renderJsonTemplate, validateJsonTemplate } from '../../../shared/json-template.js';
import { TEMPLATE_VARIABLES, outboundEvent, splitImageRef, templateValues, templateVariables, type OutboundEvent } from '../../../shared/template-variables.js';

// Devtron's four sample payloads, verbatim from seeds/devtron-notifications.md
// (the RingCentral one has a trailing comma, which the renderer tolerates).
const DEVTRON_TEAMS = `{
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
                        "text": "Automation Notification for Devtron \\n *App* : {{devtronAppName}} \\n *Event Type* : {{eventType}}"
                    }
                ]
            }
        }
    ]
}`;
const DEVTRON_SLACK = `{
    "text": "CI Triggered",
    "blocks": [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Automation Notification for Devtron \\n *App* : {{devtronAppName}} \\n *Event Type* : {{eventType}}"
            },
            "accessory": {
                "type": "image",
                "image_url": "https://awsmp-logos.s3.amazonaws.com/3ec35b66-ca90-4ed0-8c9e-146fa65e1037/f3966518a472c0e5f51c57f5efb20da7.png",
                "alt_text": "Devtron Logo"
            }
        }
    ]
}`;
const DEVTRON_DISCORD = `{
    "content": "Automation Notification at Devtron \\n App : {{devtronAppName}} \\n Event Type : {{eventType}}"
}`;
const DEVTRON_RINGCENTRAL = `{
    "activity": "CI Triggered",
    "attachments": [
    {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.0",
        "body": [
        {
            "type": "TextBlock",
            "text": "Automation Notification at Devtron \\n App: {{devtronAppName}} \\n Event Type: {{eventType}}",
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
                    "text": "Container Image Repo: {{devtronContainerImageRepo}} \\n Container Image Tag: {{devtronContainerImageTag}}",
                    "weight": "bolder",
                    "wrap": true
                },
                {
                    "type": "TextBlock",
                    "spacing": "none",
                    "text": "Triggered by: {{devtronTriggeredByEmail}}",
                    "isSubtle": true,
                    "wrap": true
                }
                ]
            }
            ]
        },
        ]
    }
    ]
}`;

const event: OutboundEvent = {
  id: 'ev1',
  source: { kind: 'devtron', id: 'devtron', name: 'Devtron' },
  type: 'deployment.failed',
  severity: 'critical',
  subject: { project: 'payments', environment: 'prod', pipeline: 'cd-prod', artifact: 'registry:5000/acme/payments:2.3.1' },
  title: 'Deploy of payments to prod failed',
  occurredAt: '2025-03-01T12:00:00Z',
  receivedAt: '2025-03-01T12:00:01Z',
  dedupKey: 'k',
  actor: 'ana@acme.example',
  read: true,
};
const vars = templateVariables(event, { rule: { id: 'r1', name: 'Prod failures' } });

type Json = Record<string, any>;
const render = (template: string, v: Record<string, unknown> = vars): Json => JSON.parse(renderJsonTemplate(template, v));

describe('Devtron sample payloads render unchanged', () => {
  const rows: [string, string, (out: Json) => string[]][] = [
    ['Teams', DEVTRON_TEAMS, (o) => [o.attachments[0].content.body[0].text]],
    ['Slack', DEVTRON_SLACK, (o) => [o.blocks[0].text.text]],
    ['Discord', DEVTRON_DISCORD, (o) => [o.content]],
    [
      'RingCentral',
      DEVTRON_RINGCENTRAL,
      (o) => [o.attachments[0].body[0].text, ...o.attachments[0].body[1].columns[1].items.map((i: Json) => i.text)],
    ],
  ];
  it.each(rows)('%s', (_name, template, texts) => {
    expect(validateJsonTemplate(template)).toEqual({ ok: true });
    const joined = texts(render(template)).join('\n');
    expect(joined).toMatch(/App\*? ?: payments/);
    expect(joined).toMatch(/Event Type\*? ?: deployment\.failed/);
    if (template === DEVTRON_RINGCENTRAL) {
      expect(joined).toContain('Container Image Repo: registry:5000/acme/payments \n');
      expect(joined).toContain('Container Image Tag: 2.3.1');
      expect(joined).toContain('Triggered by: ana@acme.example');
    }
  });
});

describe('values inside JSON strings are escaped as string content', () => {
  const tricky: [string, string][] = [
    ['double quotes', 'say "hi"'],
    ['backslashes', 'C:\\path\\to\\'],
    ['newlines and tabs', 'line 1\nline 2\r\n\tindented'],
    ['closing script tag', '</script><script>alert(1)</script>'],
    ['ampersand', 'Tom & Jerry &amp;'],
    ['control characters', 'nul\u0000 bell\u0007 esc\u001b'],
    ['line and paragraph separators', 'a\u2028b\u2029c'],
    ['emoji and CJK', '🚀 デプロイ失敗 ✖'],
    ['a lone surrogate', 'x\ud800y'],
  ];
  it.each(tricky)('%s', (_name, title) => {
    const out = renderJsonTemplate('{"text": "Title: {{title}}!"}', { ...vars, title });
    expect(JSON.parse(out).text).toBe(`Title: ${title}!`);
    expect(out).not.toMatch(/[<>&\u2028\u2029]/);
    expect(out).not.toMatch(/[\u0000-\u001f]/);
  });
});

describe('placeholders outside strings become JSON values', () => {
  it('strings, numbers, objects, and null for absent fields', () => {
    const out = render('{"t": {{title}}, "when": {{occurredAtUnix}}, "e": {{event}}, "s": {{summary}}, "r": {{ rule.name }}}');
    expect(out).toEqual({
      t: 'Deploy of payments to prod failed',
      when: Date.parse('2025-03-01T12:00:00Z') / 1000,
      e: outboundEvent(event),
      s: null,
      r: 'Prod failures',
    });
    expect(out.e).not.toHaveProperty('read');
  });
  it('absent fields are empty inside strings', () => {
    expect(render('{"s": "[{{summary}}] [{{url}}] [{{subject.branch}}] [{{rule.id}}]"}', templateVariables(event)).s).toBe('[] [] [] []');
  });
  it('the whole event inside a string is its JSON text', () => {
    expect(JSON.parse(render('{"s": "{{event}}"}').s)).toEqual(outboundEvent(event));
  });
  it('whitespace inside braces, and a brace right before a placeholder', () => {
    expect(render('{"a": "{{   title\t}}", "b": "{{{devtronAppName}}}"}')).toEqual({
      a: 'Deploy of payments to prod failed',
      b: '{payments}',
    });
  });
  it('a trailing comma before ] or } is dropped', () => {
    expect(render('{"a": [1, 2, ], "b": {"c": 1 , } , }')).toEqual({ a: [1, 2], b: { c: 1 } });
  });
  it('a comma inside a string is kept', () => {
    expect(render('{"a": "x, ]"}')).toEqual({ a: 'x, ]' });
  });
});

describe('event text cannot break out of its string or add keys', () => {
  const attacks = [
    '", "admin": true, "x": "',
    '\\", "admin": true, "x": "\\',
    '"}, "admin": {"x": "',
    '{{summary}} {{event}}',
    '\u2028"admin"',
    '</script><!--',
  ];
  it.each(attacks)('inside a string: %j', (title) => {
    const v = templateVariables({ ...event, title, summary: title, actor: title });
    const out = render('{"text": "Title: {{title}} by {{actor}}", "n": 1}', v);
    expect(Object.keys(out)).toEqual(['text', 'n']);
    expect(out.text).toBe(`Title: ${title} by ${title}`);
  });
  it.each(attacks)('outside a string: %j', (title) => {
    const out = render('{"t": {{title}}, "n": 1}', templateVariables({ ...event, title }));
    expect(Object.keys(out)).toEqual(['t', 'n']);
    expect(out.t).toBe(title);
  });
  it('a subject field with quotes stays in its value', () => {
    const v = templateVariables({ ...event, subject: { project: 'a","b":"c' } });
    expect(render('{"p": "{{devtronAppName}}", "q": "{{subject.project}}"}', v)).toEqual({ p: 'a","b":"c', q: 'a","b":"c' });
  });
});

describe('errors name the problem and where it is', () => {
  it('unknown variable, with a suggestion and the known names', () => {
    const template = '{\n  "text": "{{devtronAppNme}}"\n}';
    expect(() => renderJsonTemplate(template, vars)).toThrow(TemplateError);
    expect(() => renderJsonTemplate(template, vars)).toThrow(
      /^unknown variable \{\{devtronAppNme\}\} at line 2 col 12 — did you mean \{\{devtronAppName\}\}\?; known: id, type, .*subject\.project/,
    );
  });
  it('Devtron ids with no Herald counterpart say so', () => {
    expect(validateJsonTemplate('{"a": {{devtronAppId}}}')).toEqual({
      ok: false,
      error: expect.stringMatching(/^unsupported variable \{\{devtronAppId\}\} at line 1 col 7: .*no Herald equivalent/),
    });
  });
  const invalid: [string, string, RegExp][] = [
    ['missing comma', '{"a": "{{title}}"\n "b": 1}', /expected ',' or '\}' at line 2 col 2/],
    ['unterminated string', '{"a": "{{title}}}', /unterminated string at line 1 col 18/],
    ['raw line break in a string', '{"a": "x\ny"}', /raw control character .* at line 1 col 9/],
    ['text after the value', '{"a": 1} {"b": 2}', /unexpected text after the JSON value at line 1 col 10/],
    ['not JSON at all', 'Hello {{title}}', /unexpected "H", expected a value at line 1 col 1/],
    ['a key with no value', '{ {{title}} }', /expected ':' after a property name at line 1 col 13/],
    ['a bare word', '{"a": yes}', /unexpected "y", expected a value at line 1 col 7/],
    ['malformed placeholder', '{"a": "{{ title"}', /malformed placeholder at line 1 col 8/],
    ['placeholder with a space', '{"a": "{{ a b }}"}', /malformed placeholder at line 1 col 8/],
    ['empty placeholder', '{"a": "{{}}"}', /empty placeholder \{\{\}\} at line 1 col 8/],
    ['empty template', '', /unexpected end, expected a value/],
  ];
  it.each(invalid)('%s', (_name, template, message) => {
    const result = validateJsonTemplate(template);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toMatch(message);
  });
  it('the JSON checker agrees with JSON.parse', () => {
    const samples = ['{}', '[]', '[1,-2.5e3,true,null,"\\u00e9"]', '{"a":{"b":[]}}', '{"a":}', '[1,]', '-', '01', '"\\x"', '{"a" 1}', 'nul'];
    for (const s of samples) {
      let parses = true;
      try {
        JSON.parse(s);
      } catch {
        parses = false;
      }
      expect(findJsonSyntaxError(s) === null, s).toBe(parses);
    }
  });
});

describe('the variable list', () => {
  it('lists every variable templateVariables provides, and nothing else', () => {
    expect(TEMPLATE_VARIABLES.map((v) => v.name).sort()).toEqual(Object.keys(templateVariables(SAMPLE_EVENT)).sort());
  });
  it('every variable has a value on the sample event, so save-time checks see real values', () => {
    const v = templateVariables(SAMPLE_EVENT, { rule: { id: 'r', name: 'R' } });
    expect(Object.entries(v).filter(([, value]) => value === undefined || value === '')).toEqual([]);
  });
  const images: [string | undefined, { repo?: string; tag?: string }][] = [
    ['ghcr.io/acme/api:1.2', { repo: 'ghcr.io/acme/api', tag: '1.2' }],
    ['registry:5000/acme/api', { repo: 'registry:5000/acme/api' }],
    ['acme/api@sha256:abc', { repo: 'acme/api', tag: 'sha256:abc' }],
    ['runner', { repo: 'runner' }],
    [undefined, {}],
  ];
  it.each(images)('splits image %s', (artifact, expected) => {
    expect(splitImageRef(artifact)).toEqual(expected);
  });
});

describe('a send computes only the variables its template uses', () => {
  const groupEvent: OutboundEvent = {
    ...event,
    type: 'herald.group',
    data: { group: { count: 2, items: [{ id: 'a' }, { id: 'b' }], first: { id: 'a' }, last: { id: 'b' }, by: { project: 'payments' } } },
  };
  it.each([
    ['the sample event', SAMPLE_EVENT],
    ['a Devtron deployment', event],
    ['a storm group', groupEvent],
  ] as [string, OutboundEvent][])('templateValues gives every variable the value templateVariables gives (%s)', (_name, e) => {
    const all = templateVariables(e, { rule: { id: 'r', name: 'R' } });
    const lazy = templateValues(e, { rule: { id: 'r', name: 'R' } });
    expect(lazy.names()).toEqual(Object.keys(all));
    for (const name of lazy.names()) expect([name, lazy.get(name)]).toEqual([name, all[name]]);
    expect(lazy.has('nope')).toBe(false);
  });
  it('a template that does not use data, the event or the artifact never reads them', () => {
    const reads: string[] = [];
    const watched = { ...event } as OutboundEvent;
    for (const field of ['data', 'subject', 'summary'] as const) {
      const value = event[field];
      Object.defineProperty(watched, field, { enumerable: true, get: () => (reads.push(field), value) });
    }
    const out = renderJsonTemplate('{"id": "{{title}}", "t": {{type}}}', templateValues(watched));
    expect(JSON.parse(out)).toEqual({ id: event.title, t: event.type });
    expect(reads).toEqual([]);
    renderJsonTemplate('{"p": "{{subject.project}}"}', templateValues(watched));
    expect(reads).toEqual(['subject']);
  });
  it('a template scanned once renders each event with its own values, and keeps throwing its first problem in order', () => {
    const template = '{"t": "{{title}}", "s": {{summary}}}';
    expect(JSON.parse(renderJsonTemplate(template, templateValues(event))).t).toBe(event.title);
    expect(JSON.parse(renderJsonTemplate(template, templateValues({ ...event, title: 'other', summary: 'x' })))).toEqual({ t: 'other', s: 'x' });
    // An unknown variable before a malformed placeholder is the error named, on every render.
    const broken = '{"a": "{{titel}}", "b": "{{ bad name }}"}';
    for (let i = 0; i < 2; i++) expect(() => renderJsonTemplate(broken, templateValues(event))).toThrow(/^unknown variable \{\{titel\}\} at line 1 col 8 — did you mean \{\{title\}\}\?/);
    const badFilter = '{"a": "{{title | shout}}", "b": "{{ bad name }}"}';
    for (let i = 0; i < 2; i++) expect(() => renderJsonTemplate(badFilter, templateValues(event))).toThrow(/^unknown filter \|shout in \{\{title \| shout\}\} at line 1 col 8/);
    // A template that does not produce JSON is refused on every render, not only the first.
    for (let i = 0; i < 2; i++) expect(() => renderJsonTemplate('{"a": {{title}} "b": 1}', templateValues(event))).toThrow(/does not produce valid JSON/);
  });
});

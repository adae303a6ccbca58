import { describe, expect, it } from 'vitest';
import { SAMPLE_EVENT, TEMPLATE_FILTERS, renderJsonTemplate, validateJsonTemplate } from '../../../shared/json-template.js';
import { templateVariables } from '../../../shared/template-variables.js';
import { escapeMarkdown, escapeSlack, fitEscaped } from '../../../shared/text-escaping.js';
import { WEBHOOK_PRESETS } from '../../../shared/webhook-presets.js';

const vars = templateVariables(SAMPLE_EVENT, { rule: { id: 'r', name: 'Rule' } });
const render = (t: string, v = vars) => JSON.parse(renderJsonTemplate(t, v));

describe('webhook presets', () => {
  it.each(WEBHOOK_PRESETS.map((p) => [p.id, p.template]))('%s validates and renders', (_id, template) => {
    expect(validateJsonTemplate(template)).toEqual({ ok: true });
  });
  it('the preset ids are the documented ones', () => {
    expect(WEBHOOK_PRESETS.map((p) => p.id)).toEqual(['devtron-teams', 'devtron-slack', 'devtron-discord', 'devtron-ringcentral', 'kosli']);
  });
  it('Kosli preset has the custom-webhook shape of the Kosli docs', () => {
    const out = render(WEBHOOK_PRESETS.find((p) => p.id === 'kosli')!.template);
    expect(Object.keys(out)).toEqual(['version', 'timestamp', 'org', 'environment', 'event_type', 'description', 'snapshot', 'artifact', 'herald']);
    expect(out).toMatchObject({
      version: '1.0',
      timestamp: String(Date.parse(SAMPLE_EVENT.occurredAt) / 1000),
      org: 'acme',
      environment: 'production',
      event_type: 'PIPELINE_FAILED',
      description: SAMPLE_EVENT.title,
      snapshot: { html_url: SAMPLE_EVENT.url },
      artifact: { name: 'ghcr.io/acme/api:1.4.2', provenance: { flow: 'acme/api', commit: '1ac157003dd6fb9ec764daa47726b7bfed65c312' } },
    });
  });
  it('Devtron Slack preset keeps Devtron\'s structure and escapes mrkdwn', () => {
    const v = templateVariables({ ...SAMPLE_EVENT, subject: { project: '<!channel>' } });
    const out = render(WEBHOOK_PRESETS.find((p) => p.id === 'devtron-slack')!.template, v);
    expect(out.blocks[0].text.text).toContain('*App* : &lt;!channel&gt; \n *Event Type* : pipeline.failed');
    expect(out.blocks[0].accessory.alt_text).toBe('Devtron Logo');
  });
  it('Discord preset never pings', () => {
    expect(render(WEBHOOK_PRESETS.find((p) => p.id === 'devtron-discord')!.template).allowed_mentions).toEqual({ parse: [] });
  });
});

describe('template filters', () => {
  const v = { ...vars, title: '<@U1> **b** & "q"' };
  const rows: [string, unknown][] = [
    ['{"a": "{{title | slack}}"}', '&lt;@U1&gt; **b** &amp; "q"'],
    ['{"a": "{{ title|markdown }}"}', '\\<@U1\\> \\*\\*b\\*\\* & "q"'],
    ['{"a": "{{title | html}}"}', '&lt;@U1&gt; **b** &amp; &quot;q&quot;'],
    ['{"a": "{{title | max:5}}"}', '<@U1…'],
    ['{"a": "{{title | slack | max:8}}"}', '&lt;@U1…'],
    ['{"a": {{title | slack}}}', '&lt;@U1&gt; **b** &amp; "q"'],
    ['{"a": {{summary | max:3}}}', ''],
  ];
  it.each(rows)('%s', (template, expected) => {
    expect(render(template, { ...v, summary: undefined }).a).toBe(expected);
  });
  it('an unknown filter names itself and the known ones', () => {
    expect(validateJsonTemplate('{"a": "{{title | shout}}"}')).toEqual({
      ok: false,
      error: `unknown filter |shout in {{title | shout}} at line 1 col 8; known: ${TEMPLATE_FILTERS.map((f) => f.name).join(', ')}`,
    });
  });
  it('a filter with no name is a malformed placeholder', () => {
    expect(validateJsonTemplate('{"a": "{{title | }}"}')).toMatchObject({ ok: false, error: expect.stringMatching(/^malformed placeholder/) });
  });
});

describe('escapers', () => {
  const markdown: [string, string][] = [
    ['**bold** _it_ ~s~ `code`', '\\*\\*bold\\*\\* \\_it\\_ \\~s\\~ \\`code\\`'],
    ['[x](http://e) <at>Bob</at>', '\\[x\\]\\(http://e\\) \\<at\\>Bob\\</at\\>'],
    ['# head\n- item\n  + sub\n10. ten\n---', '\\# head\n\\- item\n  \\+ sub\n10\\. ten\n\\---'],
    ['a\\*b |spoiler|', 'a\\\\\\*b \\|spoiler\\|'],
    ['v1.2.3 a-b 3.5', 'v1.2.3 a-b 3.5'],
  ];
  it.each(markdown)('markdown %j', (input, expected) => expect(escapeMarkdown(input)).toBe(expected));
  it('slack escapes only & < >', () => expect(escapeSlack('<!here> & *x*')).toBe('&lt;!here&gt; &amp; *x*'));
  it('fitEscaped never splits an entity and keeps within the limit', () => {
    for (let max = 2; max < 30; max++) {
      const out = fitEscaped('a&b<c>d&e<f>g'.repeat(3), max, escapeSlack);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/&/);
    }
  });
});

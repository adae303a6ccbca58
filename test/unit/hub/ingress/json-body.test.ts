// The body checks every webhook kind goes through before its source parses it (json-body.ts).
import { describe, expect, it } from 'vitest';
import { formPayloadJson, jsonBodyProblem, MAX_JSON_DEPTH } from '../../../../electron/hub/ingress/json-body.js';

const deep = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
const problem = (text: string | Buffer) => jsonBodyProblem(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

describe('jsonBodyProblem', () => {
  it.each([
    ['64 levels', deep(MAX_JSON_DEPTH), undefined],
    ['65 levels', deep(MAX_JSON_DEPTH + 1), /nested deeper than 64 levels/],
    ['65 levels of objects', `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`, /nested deeper than 64 levels/],
    ['brackets in a string', `{"a":"${'['.repeat(200)}"}`, undefined],
    ['an escaped quote does not end the string', `{"a":"\\"${'['.repeat(200)}"}`, undefined],
    ['an escaped backslash before the closing quote', `{"a":"x\\\\"}`, undefined],
    ['siblings do not add up', `[${Array.from({ length: 100 }, () => '[1]').join(',')}]`, undefined],
    ['a surrogate pair', '{"a":"\\ud83d\\ude00"}', undefined],
    ['an escape that is not a surrogate', '{"a":"\\u00e9\\u2603"}', undefined],
    ['a lone high surrogate', '{"a":"\\ud800"}', /lone surrogate escape \(\\ud800 at byte 6\)/],
    ['a lone low surrogate', '{"a":"\\uDC00"}', /lone surrogate/],
    ['a high surrogate followed by a non-surrogate escape', '{"a":"\\ud800\\u0041"}', /lone surrogate/],
    ['a high surrogate right before the closing quote', '"\\ud800"', /lone surrogate/],
    ['malformed JSON is left to JSON.parse', '{"a": [1, "unterminated', undefined],
    ['an escaped "\\u" text', '{"a":"\\\\ud800"}', undefined],
  ])('%s', (_name, text, expected) => {
    const result = problem(text);
    if (expected === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(expected);
  });

  it('bytes that are not UTF-8', () => {
    expect(problem(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]))).toBe('body is not valid UTF-8');
    expect(problem(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe('body is not valid UTF-8');
  });
});

describe('formPayloadJson', () => {
  it('decodes payload= strictly', () => {
    expect(formPayloadJson(Buffer.from('a=1&payload=%7B%22x%22%3A%22a+b%22%7D'))).toEqual({ json: Buffer.from('{"x":"a b"}') });
    expect(formPayloadJson(Buffer.from('payload=%FF%FE'))).toEqual({ problem: 'the form field "payload" is not valid percent-encoded UTF-8' });
    expect(formPayloadJson(Buffer.from('other=1'))).toEqual({ json: Buffer.alloc(0) });
  });
});

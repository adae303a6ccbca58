import { describe, expect, it } from 'vitest';
import { joinGlobs, splitGlobs } from '../../../../renderer/lib/globs.js';

describe('splitGlobs', () => {
  const cases: Array<[string, string[]]> = [
    ['', []],
    ['main', ['main']],
    ['main, release/*', ['main', 'release/*']],
    [' a ,, b ,', ['a', 'b']],
    ['release/{v1,v2}, main', ['release/{v1,v2}', 'main']],
    ['env-[a,b], prod', ['env-[a,b]', 'prod']],
    ['{a,{b,c}},d', ['{a,{b,c}}', 'd']],
    ['!feature/*, **', ['!feature/*', '**']],
  ];
  it.each(cases)('%j', (text, expected) => {
    expect(splitGlobs(text)).toEqual(expected);
  });
  it('round-trips through joinGlobs', () => {
    const list = ['release/{v1,v2}', 'main', '!tmp-*'];
    expect(splitGlobs(joinGlobs(list))).toEqual(list);
    expect(joinGlobs(undefined)).toBe('');
    expect(joinGlobs('one')).toBe('one');
  });
});

// Rule globs are checked when a rule is saved: an unbalanced brace or bracket is refused
// with its position, by the shared schema the api and the form both use.
import { describe, expect, it } from 'vitest';
import { RuleSchema } from '../../../shared/config.js';
import { globProblem } from '../../../shared/glob-syntax.js';
import { describeZodError } from '../../../shared/event.js';

describe('globProblem', () => {
  it.each([
    ['{main', '"{main": the { at position 1 is never closed (add a }, or escape it as \\{)'],
    ['{main,release/*', '"{main,release/*": the { at position 1 is never closed (add a }, or escape it as \\{)'],
    ['release/{v1,{v2}', '"release/{v1,{v2}": the { at position 9 is never closed (add a }, or escape it as \\{)'],
    ['main}', '"main}": the } at position 5 closes no { (remove it, or escape it as \\})'],
    ['feature/[ab', '"feature/[ab": the [ at position 9 is never closed (add a ], or escape it as \\[)'],
    ['ü{x', '"ü{x": the { at position 2 is never closed (add a }, or escape it as \\{)'],
  ])('%s is refused with its position', (glob, problem) => {
    expect(globProblem(glob)).toBe(problem);
  });

  it.each(['main', 'release/*', '{main,release/*}', 'release/{v1,{v2,v3}}', '[ab]x', '[]a]', '[!]]', '\\{literal', 'a\\}', '**', '!main', 'pipeline.*'])(
    '%s is fine',
    (glob) => expect(globProblem(glob)).toBeUndefined(),
  );
});

describe('RuleSchema', () => {
  it('refuses a rule whose branch glob is unbalanced, naming the field, the glob and the position', () => {
    const result = RuleSchema.safeParse({ id: 'r', name: 'R', match: { branch: ['main', '{main,release/*'] } });
    expect(result.success).toBe(false);
    expect(describeZodError(result.error!)).toBe(
      'match.branch.1: "{main,release/*": the { at position 1 is never closed (add a }, or escape it as \\{)',
    );
  });

  it('checks every glob field, a single string too', () => {
    for (const field of ['sources', 'types', 'project', 'group', 'environment', 'pipeline', 'branch', 'cluster', 'artifact']) {
      const result = RuleSchema.safeParse({ id: 'r', name: 'R', match: { [field]: field === 'types' ? 'pipeline.{failed' : '{x' } });
      expect(result.success, field).toBe(false);
      expect(describeZodError(result.error!), field).toMatch(new RegExp(`^match\\.${field}(\\.0)?: .* is never closed`));
    }
    expect(RuleSchema.safeParse({ id: 'r', name: 'R', match: { branch: '{main,release/*}' } }).success).toBe(true);
  });
});

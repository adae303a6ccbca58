// Whether a glob in a rule is well formed. picomatch takes an unbalanced `{main` or `[ab`
// literally, so a rule with a typo would save and then silently match nothing: checked
// when the rule is saved instead (shared/config.ts), with the place of the problem.
// Positions are 1-based characters, as an editor shows them.

export function globProblem(glob: string): string | undefined {
  const chars = [...glob];
  const openBraces: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '\\') {
      i++; // the next character is literal
      continue;
    }
    if (ch === '[') {
      const close = bracketEnd(chars, i);
      if (close === -1) return `"${glob}": the [ at position ${i + 1} is never closed (add a ], or escape it as \\[)`;
      i = close;
    } else if (ch === '{') {
      openBraces.push(i);
    } else if (ch === '}') {
      if (openBraces.pop() === undefined) return `"${glob}": the } at position ${i + 1} closes no { (remove it, or escape it as \\})`;
    }
  }
  const unclosed = openBraces[0];
  if (unclosed !== undefined) return `"${glob}": the { at position ${unclosed + 1} is never closed (add a }, or escape it as \\{)`;
  return undefined;
}

/** The index of the `]` closing the bracket expression opened at `open`; a `]` right after `[` or `[!`/`[^` is a member. */
function bracketEnd(chars: string[], open: number): number {
  let i = open + 1;
  if (chars[i] === '!' || chars[i] === '^') i++;
  if (chars[i] === ']') i++;
  for (; i < chars.length; i++) {
    if (chars[i] === '\\') i++;
    else if (chars[i] === ']') return i;
  }
  return -1;
}

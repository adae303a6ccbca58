// Glob lists in one text input: comma-separated, but a comma inside `{a,b}` or `[…]`
// belongs to the glob, so `release/{v1,v2}, main` is two patterns.
export function splitGlobs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && depth > 0) depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  out.push(current);
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

export function joinGlobs(list: readonly string[] | string | undefined): string {
  if (list === undefined) return '';
  return typeof list === 'string' ? list : list.join(', ');
}

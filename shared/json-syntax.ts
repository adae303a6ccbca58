// A strict JSON syntax check that says where and what went wrong: the template editor
// and save-time validation point at the line and column (JSON.parse often says neither).

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

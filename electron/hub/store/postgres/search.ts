// History search on PostgreSQL with the semantics of the SQLite store's FTS5 index
// (migrations.ts: unicode61, remove_diacritics 2; events.ts toFtsQuery): a token is a run of
// letters, digits or private-use characters, lower-cased, without diacritics; every term the
// user types is a phrase of its tokens, terms are ANDed, the last one is a prefix, and a
// phrase matches inside one of three columns (title, summary, subject).
//
// PostgreSQL's own parser would split differently (hosts, versions, hyphenated words), so
// the tokens are made here and handed over as tsvector / tsquery literals, no parser between:
// both engines see the same tokens. A gap in positions keeps a phrase from spanning columns.

/** Longest token kept: a tsvector lexeme must stay under 2 KB (a long base64 blob is cut, the same way on both sides). */
const TOKEN_MAX = 500;
/** Positions between columns, so `a <-> b` never joins the end of one to the start of the next. */
const COLUMN_GAP = 64;
/** tsvector positions stop at 16383 (later tokens share the last one). */
const POSITION_MAX = 16_383;
/** As toFtsQuery: at most this many terms. */
const TERMS_MAX = 20;

export function searchTokens(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}\p{Co}]+/u)
    .filter(Boolean)
    .map((token) => (token.length > TOKEN_MAX ? token.slice(0, TOKEN_MAX) : token));
}

const quote = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** The tsvector literal for an event's three searchable columns (title, summary, subject). */
export function searchDocument(columns: ReadonlyArray<string | null | undefined>): string {
  const positions = new Map<string, number[]>();
  let next = 1;
  for (const column of columns) {
    for (const token of searchTokens(column ?? '')) {
      const list = positions.get(token) ?? [];
      if (list.length < 256) list.push(Math.min(next, POSITION_MAX)); // tsvector keeps at most 256 positions per lexeme
      positions.set(token, list);
      next++;
    }
    next += COLUMN_GAP;
  }
  return [...positions].map(([token, at]) => `${quote(token)}:${[...new Set(at)].join(',')}`).join(' ');
}

/** The tsquery literal for what a user typed, or undefined when nothing in it is searchable (then nothing matches). */
export function searchQuery(text: string): string | undefined {
  const terms = text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .split(/\s+/)
    .map((t) => t.replace(/"/g, '').trim())
    .filter(Boolean)
    .slice(0, TERMS_MAX)
    .map(searchTokens)
    // FTS5 ignores a phrase without tokens ("-", "***").
    .filter((tokens) => tokens.length > 0);
  if (terms.length === 0) return undefined;
  return terms
    .map((tokens, i) => {
      const last = i === terms.length - 1;
      const phrase = tokens.map((t, k) => `${quote(t)}${last && k === tokens.length - 1 ? ':*' : ''}`).join(' <-> ');
      return tokens.length > 1 ? `(${phrase})` : phrase;
    })
    .join(' & ');
}

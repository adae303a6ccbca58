// Escaping and cutting untrusted text for where it lands: JSON embedded anywhere, Slack
// mrkdwn, Markdown (Teams, Discord), HTML (email), and lengths counted the way the
// services count. Channels and the template filters use these. Pure.

const UNSAFE_IN_JSON = /[<>&\u2028\u2029]/g;
const unicodeEscape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * JSON.stringify, plus `<`, `>`, `&`, U+2028 and U+2029 as \u escapes, so the text is
 * safe to embed in HTML or a JS string too. Those characters only occur inside JSON
 * strings, where the escapes mean the same thing.
 */
export function safeJsonStringify(value: unknown, space?: number): string {
  return (JSON.stringify(value, null, space) ?? 'null').replace(UNSAFE_IN_JSON, unicodeEscape);
}

/** Slack mrkdwn: & < > as entities, so no `<!channel>`, `<@U123>` or `<url|text>` can form. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Markdown as Teams and Discord render it: a backslash before every character that can
 * format, link or mention (`* _ ~ \` | [ ] ( ) < > #`), and before list or quote markers
 * at the start of a line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_~|[\]()<>#]/g, '\\$&')
    .replace(/^(\s*)([-+])(?=\s)/gm, '$1\\$2') // - item, + item
    .replace(/^(\s*\d+)\.(?=\s)/gm, '$1\\.') // 1. item
    .replace(/^(\s*)([-=])(?=[-=]{2,}\s*$)/gm, '$1\\$2'); // --- rule, === heading underline
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** At most `max` code points (never half a surrogate pair), cut with … */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * The longest prefix of `text` whose escaped form, plus …, fits in `max` UTF-16 units
 * (the unit Slack, Teams and Discord count). Cut before escaping, so no escape is split.
 */
export function fitEscaped(text: string, max: number, escape: (s: string) => string): string {
  const whole = escape(text);
  if (whole.length <= max) return whole;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (escape(chars.slice(0, mid).join('')).length + 1 <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${escape(chars.slice(0, lo).join(''))}…`;
}

// One set of lenient readers for untrusted JSON, for webhook parsers and pollers alike: a
// wrong type or an empty string reads as absent, text is trimmed and clipped, and a link
// is kept only if a browser can open it. (poll-http.ts adds the strict readers that fail
// a poll with the path of what was missing.)

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}

/** A trimmed, non-empty string clipped to max characters, or undefined. */
export function str(v: unknown, max = 300): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t === '') return undefined;
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** An absolute http(s) URL, or undefined (events only carry links a browser can open). */
export function httpUrl(v: unknown): string | undefined {
  const s = str(v, 2000);
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

// Links from event text are untrusted: only http(s) becomes an anchor; anything else stays text.
export function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** A commit as people read it: its first 7 hex digits. */
export const shortCommit = (sha: string) => sha.slice(0, 7);

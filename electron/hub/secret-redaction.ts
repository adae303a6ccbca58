// Keeping secret values out of the texts Herald writes down: a delivery's last error, a
// source's health, "test connection" answers, log lines — and through a channel's health the
// `health.integration_unhealthy` event, which other channels send to their audience. The
// text often quotes a service's own error, and some services quote the request back ("bad
// key abc123", the path of the webhook URL that was not found): the secrets used for that
// request are cut out, in the forms a reply would carry them.

/** Shorter values are not looked for: cutting every "ab" out of a sentence says nothing safer. */
const MIN_SECRET_CHARS = 4;
/** A URL secret's path segments from this long are looked for on their own (a webhook URL's token, quoted as a path). */
const MIN_SEGMENT_CHARS = 8;
export const REDACTED = '[redacted]';
/** A path segment that reads like a word (`services`, `webhooks`), not like a token: left in texts. */
const PLAIN_WORD = /^[a-z][a-z_-]{0,23}$/;

/** `Bearer abc…`, `Token abc…`, `APIToken abc…`: a header value whose credential follows a scheme word. */
const SCHEME_PREFIXED = /^[A-Za-z][\w-]{0,30} +(\S.*)$/;

/** The forms a server could quote a secret value back in. */
export function secretForms(value: string): string[] {
  if (value.length < MIN_SECRET_CHARS) return [];
  // A secret header's value with its scheme (`Bearer xyz`): a reply quotes the credential alone.
  const credential = SCHEME_PREFIXED.exec(value)?.[1];
  const plain = credential !== undefined && credential.length >= MIN_SECRET_CHARS ? [value, credential] : [value];
  const forms = new Set(plain.flatMap((v) => [v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1), Buffer.from(v, 'utf8').toString('base64')]));
  // A webhook URL (Slack, Teams, Discord…): a reply names its path, or the token in it, not the whole URL.
  let url: URL | undefined;
  try {
    url = /^https?:\/\//i.test(value) ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url) {
    const rest = `${url.pathname}${url.search}`;
    if (rest.length >= MIN_SEGMENT_CHARS) forms.add(rest);
    for (const segment of url.pathname.split('/')) if (segment.length >= MIN_SEGMENT_CHARS && !PLAIN_WORD.test(segment)) forms.add(segment);
    for (const part of url.search.slice(1).split('&')) {
      const v = part.slice(part.indexOf('=') + 1);
      if (v.length >= MIN_SEGMENT_CHARS) forms.add(v);
    }
    if (url.password.length >= MIN_SECRET_CHARS) forms.add(url.password);
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_CHARS);
}

/** `text` with every form of every secret value replaced by [redacted] (longest first, so a form is cut whole). */
export function redactSecrets(text: string, secrets: Readonly<Record<string, string>> | readonly string[]): string {
  const values = Array.isArray(secrets) ? secrets : Object.values(secrets);
  if (values.length === 0 || text.length === 0) return text;
  const forms = values.flatMap((value) => (typeof value === 'string' ? secretForms(value) : [])).sort((a, b) => b.length - a.length);
  let result = text;
  for (const form of forms) if (result.includes(form)) result = result.split(form).join(REDACTED);
  return result;
}

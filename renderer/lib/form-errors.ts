// Validation errors keyed by field path (`match.branch`, `secretHeaders.Authorization`),
// from a local zod parse or from the hub's `invalid_input` message, so each form can put
// every error beside the field it names.
import type { z } from 'zod';

export type FieldErrors = Readonly<Record<string, string>>;

/** First message per path; `match.branch.0` stays as is, `errorAt` finds it for `match.branch`. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.');
    errors[key] ??= innermostMessage(issue);
  }
  return errors;
}

/** A bad record key reads "Invalid key in record"; the reason is in the nested issue. */
function innermostMessage(issue: z.core.$ZodIssue): string {
  const nested = (issue as { issues?: z.core.$ZodIssue[] }).issues;
  if ((issue.code === 'invalid_key' || issue.code === 'invalid_element') && nested?.[0]) return innermostMessage(nested[0]);
  return issue.message;
}

/**
 * The hub names problems as `path: message; path: message` (describeZodError). `strip`
 * removes the api envelope's prefix (`config.`, `settings.`) so keys match the form's paths.
 */
export function apiFieldErrors(message: string, strip = ''): FieldErrors {
  const errors: Record<string, string> = {};
  const parts = message.split(/;\s+(?=[\w.()[\]-]+: )/);
  for (const part of parts) {
    const match = /^([\w.()[\]-]+): ([\s\S]*)$/.exec(part.trim());
    if (!match) {
      errors[''] ??= part.trim();
      continue;
    }
    let path = match[1]!;
    if (path === '(root)') path = '';
    if (strip && (path === strip.replace(/\.$/, '') || path.startsWith(strip))) path = path.slice(strip.length);
    errors[path] ??= match[2]!;
  }
  return errors;
}

/** The error for a field: its own path, or the first error inside it (`match.branch.0` → "item 1: …"). */
export function errorAt(errors: FieldErrors, path: string): string | undefined {
  if (errors[path] !== undefined) return errors[path];
  const prefix = `${path}.`;
  for (const [key, message] of Object.entries(errors)) {
    if (key.startsWith(prefix)) {
      const rest = key.slice(prefix.length);
      const index = /^\d+$/.test(rest.split('.')[0]!) ? Number(rest.split('.')[0]) + 1 : undefined;
      return index !== undefined ? `item ${index}: ${message}` : `${rest}: ${message}`;
    }
  }
  return undefined;
}

/** Errors no field on the form claims (shown in the form's summary so none is lost). */
export function unclaimedErrors(errors: FieldErrors, fieldPaths: readonly string[]): string[] {
  return Object.entries(errors)
    .filter(([key]) => !fieldPaths.some((p) => key === p || key.startsWith(`${p}.`)))
    .map(([key, message]) => (key ? `${key}: ${message}` : message));
}

export const hasErrors = (errors: FieldErrors): boolean => Object.keys(errors).length > 0;

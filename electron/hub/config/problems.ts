// How config problems are reported: one line per bad field, `path: message`, so a user
// can find the field in their file (`rules.0.channels.1: unknown channel "slak"`).
import type { z } from 'zod';

export type ConfigErrorCode =
  /** The config (or a change to it) breaks the schema, or a file cannot be read or parsed. */
  | 'invalid'
  /** Create with an id that is already taken. */
  | 'duplicate'
  /** Update or remove of an id that does not exist. */
  | 'not_found'
  /** Remove of an item that others still refer to. */
  | 'in_use'
  /** A secret cannot be stored now (no keychain). */
  | 'unavailable'
  /** Other replicas kept changing the config while this change was saved (postgres-config-store.ts). */
  | 'contended';

export class ConfigError extends Error {
  constructor(
    message: string,
    /** One line per problem, `field.path: what is wrong`. */
    readonly problems: string[] = [message],
    readonly code: ConfigErrorCode = 'invalid',
  ) {
    super(message);
    this.name = 'ConfigError';
  }

  /** An error whose message names `where` (a file, or what was being changed) on every line. */
  static fromProblems(where: string, problems: string[], code: ConfigErrorCode = 'invalid'): ConfigError {
    return new ConfigError(problems.map((p) => `${where}: ${p}`).join('\n'), problems, code);
  }
}

export interface Problem {
  path: string;
  message: string;
}

/** zod issues as field problems; an unknown key is reported at its own path. */
export function zodProblems(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map(String);
    const at = path.length ? path.join('.') : '(root)';
    // zod 4 puts these on a discriminated union's issue without typing them.
    const union = issue as { discriminator?: string; options?: unknown[] };
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ path: [...path, key].join('.'), message: 'unknown field' });
    } else if (issue.code === 'invalid_union' && union.discriminator && Array.isArray(union.options)) {
      problems.push({ path: at, message: `must be one of: ${union.options.map(String).join(', ')}` });
    } else {
      problems.push({ path: at, message: issue.message });
    }
  }
  return problems;
}

export const formatProblem = (p: Problem): string => `${p.path}: ${p.message}`;

/** JSON.parse, with the failure place as line:column. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message
      .replace(/\s*\(line \d+ column \d+\)\s*$/, '') // newer V8 adds its own; ours is uniform
      .replace(/, (\.\.\.)?"[\s\S]*"(\.\.\.)? is not valid JSON$/, ''); // a snippet of the file, multi-line
    const position = /at position (\d+)/.exec(message);
    const offset = position
      ? Number(position[1])
      : message.startsWith('Unexpected end of JSON input')
        ? text.length
        : jsonErrorOffset(text);
    const { line, column } = lineColumn(text, offset);
    throw syntaxError(file, line, column, `invalid JSON: ${message.replace(/\s*in JSON at position \d+$/, '')}`);
  }
}

/**
 * Where JSON.parse gave up, for the messages where V8 gives no position ("Unexpected
 * token"). Being a prefix of some valid JSON is monotone in the prefix length, and V8
 * reports a cut-off prefix as an error at its very end, so a binary search over prefixes
 * finds the first bad character in log2(n) parses.
 */
function jsonErrorOffset(text: string): number {
  const isValidPrefix = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (error) {
      const message = (error as Error).message;
      const position = /at position (\d+)/.exec(message);
      return message.startsWith('Unexpected end of JSON input') || (position !== null && Number(position[1]) >= length);
    }
  };
  let low = 0; // a valid prefix
  let high = text.length; // not one (the whole text failed)
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (isValidPrefix(mid)) low = mid;
    else high = mid;
  }
  return low;
}

/** `file:line:column: message`, the form editors and terminals link to. */
export function syntaxError(file: string, line: number, column: number, message: string): ConfigError {
  return new ConfigError(`${file}:${line}:${column}: ${message}`, [`line ${line}, column ${column}: ${message}`]);
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

// How the PostgreSQL table objects run statements: on the pool (each its own transaction)
// or on the client of a transaction they join; and a placeholder builder for filters.
import type pg from 'pg';

/** One statement: on the pool, or inside a transaction's client. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Sql = <R extends pg.QueryResultRow = any>(text: string, values?: readonly unknown[]) => Promise<pg.QueryResult<R>>;

export const sqlOn =
  (target: pg.Pool | pg.ClientBase): Sql =>
  (text, values) =>
    target.query(text, values?.map(storable));

/**
 * PostgreSQL text cannot hold NUL, which SQLite stores: a NUL in a webhook's title must not
 * fail its whole request, so it is stored as U+FFFD (the replacement character).
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  if (Array.isArray(value)) return value.map(storable);
  return value;
}

/** Collects parameters for a statement: `p.add(value)` returns its `$n`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** `column = ANY($n)` for a non-empty list, else nothing (no filter). */
  anyOf(where: string[], column: string, list: readonly string[] | undefined): void {
    if (list && list.length > 0) where.push(`${column} = ANY(${this.add(list)}::text[])`);
  }
}

/**
 * Transaction-scoped advisory locks on names (a throttle key, a board thing, a digest rule):
 * what two replicas must not read-then-write at once waits for the other's commit. Sorted,
 * so two transactions taking the same names in one call cannot deadlock each other.
 */
export async function lockNames(sql: Sql, names: readonly string[]): Promise<void> {
  for (const name of [...new Set(names)].sort()) await sql('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
}

/** A lock name from its parts (JSON: no part can run into the next). */
export function lockName(...parts: string[]): string {
  return JSON.stringify(parts);
}

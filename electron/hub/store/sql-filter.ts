/**
 * `column IN (?, …)` added to a list's WHERE conditions with its parameters — nothing for an
 * absent or empty list (no filter), so each list query builds its filters the same way.
 */
export function whereIn(where: string[], params: unknown[], column: string, values: readonly string[] | undefined): void {
  if (!values || values.length === 0) return;
  where.push(`${column} IN (${values.map(() => '?').join(',')})`);
  params.push(...values);
}

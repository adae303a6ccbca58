// Branch and workflow filters of the polled CI sources (github-actions, gitlab-ci): globs as
// in rules (picomatch, case-insensitive; a lone `*` is anything, `!glob` excludes).
import picomatch from 'picomatch/posix.js';

export type GlobFilter = (...values: Array<string | undefined>) => boolean;

/** Absent or empty: everything passes. Otherwise one of the values must match an include and none an exclude. */
export function globFilter(patterns: readonly string[] | undefined): GlobFilter {
  if (!patterns || patterns.length === 0) return () => true;
  const compile = (glob: string) => {
    if (glob === '*' || glob === '**') return () => true;
    const re = picomatch.makeRe(glob, { dot: true, nocase: true });
    return (value: string) => re.test(value);
  };
  const include = patterns.filter((p) => !p.startsWith('!')).map(compile);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => compile(p.slice(1)));
  return (...values) => {
    const present = values.filter((v): v is string => typeof v === 'string' && v !== '');
    if (present.some((v) => exclude.some((test) => test(v)))) return false;
    return include.length === 0 || present.some((v) => include.some((test) => test(v)));
  };
}

/** Runs `work` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    // After a failure the other lanes finish what they hold and take nothing new.
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Local HH:MM of an epoch-ms time, for "paused until 09:14". */
export function clockTime(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

// Durations in words: the one place Herald words a length of time, for the UI, the tray, the
// hub's explanations and its digest messages alike. Units are abbreviated as in the rest
// of the UI ("45 s", "12 min", "3 h", "2 d"); digests speak in words ("hourly", "15 minutes").

export type DurationStyle =
  /**
   * How long something has stood or has been (a red pipeline, "… ago"): the largest unit
   * and the next one, rounded down; seconds only under a minute. "45 s", "12 min",
   * "3 h 12 min", "2 d 4 h". The default.
   */
  | 'compact'
  /**
   * A span someone chose (a poll interval, a throttle or digest window): every unit it has,
   * so nothing is hidden. "90 s" reads "1 min 30 s", 3600 s "1 h", 93 784 s "1 d 2 h 3 min 4 s".
   */
  | 'exact'
  /** A digest's window before a noun: "hourly", "daily", "15-minute", "2-hour", "90-second". */
  | 'adjective'
  /** A digest's window after "every" or "the last": "hour", "day", "15 minutes", "2 hours", "90 seconds". */
  | 'noun';

const UNITS = [
  { ms: 86_400_000, short: 'd', word: 'day', adjective: 'daily' },
  { ms: 3_600_000, short: 'h', word: 'hour', adjective: 'hourly' },
  { ms: 60_000, short: 'min', word: 'minute', adjective: undefined },
  { ms: 1000, short: 's', word: 'second', adjective: undefined },
] as const;

/**
 * A duration (milliseconds) in words. Whole seconds only: the rest is dropped, as is a
 * negative duration (clocks differ: "0 s"). Not a number: an empty string.
 */
export function formatDuration(ms: number, style: DurationStyle = 'compact'): string {
  if (!Number.isFinite(ms)) return '';
  const total = Math.max(0, Math.floor(ms / 1000)) * 1000;
  switch (style) {
    case 'compact': {
      const first = UNITS.findIndex((u) => total >= u.ms);
      if (first === -1) return '0 s';
      const unit = UNITS[first]!;
      const parts = [`${Math.floor(total / unit.ms)} ${unit.short}`];
      // The next unit down, except seconds beside minutes: a list that ticks every half minute would show them stale.
      const next = UNITS[first + 1];
      const rest = next && next.short !== 's' ? Math.floor((total % unit.ms) / next.ms) : 0;
      if (next && rest > 0) parts.push(`${rest} ${next.short}`);
      return parts.join(' ');
    }
    case 'exact': {
      const parts: string[] = [];
      let left = total;
      for (const unit of UNITS) {
        const n = Math.floor(left / unit.ms);
        left -= n * unit.ms;
        if (n > 0) parts.push(`${n} ${unit.short}`);
      }
      return parts.length > 0 ? parts.join(' ') : '0 s';
    }
    case 'adjective':
    case 'noun': {
      // The largest unit that divides it: 5400 s is "90-minute", not "1.5-hour".
      const unit = UNITS.find((u) => total >= u.ms && total % u.ms === 0) ?? UNITS[UNITS.length - 1]!;
      const n = total / unit.ms;
      if (style === 'adjective') return n === 1 && unit.adjective ? unit.adjective : `${n}-${unit.word}`;
      return n === 1 ? unit.word : `${n} ${unit.word}s`;
    }
  }
}

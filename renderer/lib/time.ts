// Dates as a developer wants them in a dense list: local, sortable, no locale surprises.
import { formatDuration } from '../../shared/duration.js';

const pad = (n: number) => String(n).padStart(2, '0');

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Today: `14:03:22`; otherwise `2025-03-04 14:03`. */
export function formatListTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameDay = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay
    ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "12 s ago", "3 h 12 min ago"; under a second, or a little in the future (clocks differ), "just now". */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = now - Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return ms < 1000 ? 'just now' : `${formatDuration(ms)} ago`;
}

/** "in 48 s", counted up so a countdown never shows "in 0 s" while time remains; "now" once due. */
export function formatUntil(at: number, now: number): string {
  const ms = at - now;
  return ms <= 0 ? 'now' : `in ${formatDuration(Math.ceil(ms / 1000) * 1000)}`;
}

export type SnoozePreset = '30m' | '1h' | 'tomorrow';
export const SNOOZE_LABELS: Record<SnoozePreset, string> = {
  '30m': '30 min',
  '1h': '1 hour',
  tomorrow: 'Until tomorrow',
};

/** "Until tomorrow" means tomorrow 08:00 local time: the start of a working day. */
export function snoozeUntil(preset: SnoozePreset, now = new Date()): string {
  if (preset === '30m') return new Date(now.getTime() + 30 * 60_000).toISOString();
  if (preset === '1h') return new Date(now.getTime() + 60 * 60_000).toISOString();
  const t = new Date(now);
  t.setDate(t.getDate() + 1);
  t.setHours(8, 0, 0, 0);
  return t.toISOString();
}

/** ISO → the value of an `<input type="datetime-local">` (local time, minutes). */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `<input type="datetime-local">` value → ISO with offset (UTC), or undefined when empty/invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

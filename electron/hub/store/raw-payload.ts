// A webhook's payload as kept for the event detail view: capped, and raw-deflated when
// large. Pure (zlib only): the ingress thread prepares it off the hub's main thread.
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const RAW_MAX_CHARS = 64 * 1024;
/** Below this a payload stays plain text: compressing it would save little. */
const RAW_COMPRESS_FROM = 2048;

/** What the `raw` column holds: JSON text, or raw-deflated JSON (a BLOB). */
export type StoredRaw = string | Uint8Array;

export function storedRaw(raw: unknown, rawJson?: string): StoredRaw | null {
  if (raw === undefined && rawJson === undefined) return null;
  // The body as received when it is JSON: no second serialization of a large payload.
  let text = rawJson ?? JSON.stringify(raw);
  if (text === undefined) return null;
  if (text.length > RAW_MAX_CHARS) text = JSON.stringify({ truncated: true, chars: text.length, head: text.slice(0, RAW_MAX_CHARS) });
  // Payloads are mostly repetitive JSON (a GitHub workflow_run: 17 KB → 2.7 KB): compressed,
  // they cost less to write than to store as text, and history keeps 6× more per megabyte.
  return text.length < RAW_COMPRESS_FROM ? text : deflateRawSync(text, { level: 1 });
}

/** SQLite binds Buffers, not plain Uint8Arrays (what a Buffer becomes after postMessage). */
export function bindableRaw(stored: StoredRaw | null): string | Buffer | null {
  if (stored === null || typeof stored === 'string' || Buffer.isBuffer(stored)) return stored;
  return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
}

export function decodeRaw(stored: string | Buffer | null | undefined): unknown {
  if (stored === null || stored === undefined) return undefined;
  const text = typeof stored === 'string' ? stored : inflateRawSync(stored).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // shown as the text it was
  }
}

// Event ids: UUIDv7 (RFC 9562), time-ordered, so the unique index on events.id grows at
// its end and a group commit writes a few index pages instead of one random page per
// event. Monotonic within a millisecond (a counter in rand_a, as RFC 9562 §6.2 method 1),
// and drawn from a pool of random bytes: one randomFillSync call per 512 ids, not one
// per id (the uuid package's v7 spent 2 % of the hub's main thread on it under load).
import { randomFillSync } from 'node:crypto';

const POOL_IDS = 512;
/** Per id: one byte seeds the millisecond's counter, eight make rand_b. */
const STRIDE = 9;
const pool = Buffer.alloc(POOL_IDS * STRIDE);
let poolOffset = pool.length;
let lastMs = -1;
let counter = 0;
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function eventId(now = Date.now()): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += STRIDE;
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    // 12 bits of counter per millisecond; past them, borrow the next millisecond (still ordered).
    if (++counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    // Start low in the range so a busy millisecond has room to count.
    counter = pool[r]! & 0x3ff;
  }
  const time = ms.toString(16).padStart(12, '0');
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-${hex[0x70 | (counter >>> 8)]}${hex[counter & 0xff]}-` +
    `${hex[0x80 | (pool[r + 1]! & 0x3f)]}${hex[pool[r + 2]!]}-${hex[pool[r + 3]!]}${hex[pool[r + 4]!]}${hex[pool[r + 5]!]}${hex[pool[r + 6]!]}${hex[pool[r + 7]!]}${hex[pool[r + 8]!]}`
  );
}

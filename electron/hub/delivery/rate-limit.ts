// Token buckets per channel: `burst` sends back to back, then `ratePerSecond` sustained.
// Declared per kind as data (channels/limits.ts); enforced here for every channel alike.

interface Bucket {
  tokens: number;
  updatedAt: number;
  ratePerSecond: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Whole tokens free now, and when the next one will be (epoch ms). */
  available(key: string, ratePerSecond: number, burst: number, now: number): { count: number; nextAt: number } {
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedAt: now, ratePerSecond };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * ratePerSecond);
    bucket.updatedAt = now;
    bucket.ratePerSecond = ratePerSecond;
    this.buckets.set(key, bucket);
    const count = Math.max(0, Math.floor(bucket.tokens));
    return { count, nextAt: count > 0 ? now : now + Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000) };
  }

  /** Spend tokens counted by `available` (may go below zero: a later refill pays it back). */
  consume(key: string, count: number, now: number): void {
    const bucket = this.buckets.get(key);
    if (!bucket) return;
    bucket.tokens -= count;
    bucket.updatedAt = Math.max(bucket.updatedAt, now);
  }
}

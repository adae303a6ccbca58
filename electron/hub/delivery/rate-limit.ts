// Token buckets per channel: `burst` sends back to back, then `ratePerSecond` sustained.
// Declared per kind as data (channels/limits.ts); enforced here for every channel alike.

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes a token if one is free; otherwise returns the time (epoch ms) one will be. */
  take(key: string, ratePerSecond: number, burst: number, now: number): { ok: true } | { ok: false; at: number } {
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedAt: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * ratePerSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, at: now + Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000) };
  }
}

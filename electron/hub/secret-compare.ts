// Checking a presented secret: webhook tokens and signatures (sources) and the api token
// (api/http-server.ts) use the same comparison.
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of two secrets of any length: both are hashed first, so
 * timingSafeEqual always sees equal-length buffers and the length is not leaked either.
 */
export function secretsEqual(given: string, expected: string): boolean {
  if (given.length === 0 || expected.length === 0) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The credentials of an `Authorization: Bearer …` header (the scheme is case-insensitive, RFC 9110). */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization && /^bearer /i.test(authorization) ? authorization.slice('Bearer '.length).trim() : undefined;
}

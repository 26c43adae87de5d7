import { createHash, timingSafeEqual } from 'node:crypto';

/** Byte comparison in constant time; unequal lengths are rejected before comparing. */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Secret comparison in constant time. Both sides are hashed first, so neither the content nor
 * the length of the expected secret leaks through timing.
 */
export function secretEquals(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

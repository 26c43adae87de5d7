import { hash, timingSafeEqual } from 'node:crypto';

/** Byte comparison in constant time; unequal lengths are rejected before comparing. */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Secret comparison in constant time. Both sides are hashed first, so neither the content nor
 * the length of the expected secret leaks through timing.
 */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(secretDigest(given), secretDigest(expected));
}

/**
 * The digest {@link secretEquals} compares. A secret checked on every request is digested once,
 * at start, and each presented value once: `timingSafeEqual(secretDigest(given), digestOfSecret)`.
 */
export function secretDigest(value: string): Buffer {
  // One-shot hashing: createHash/update/digest cost the webhook's token check about 3% of the
  // service's CPU per request.
  return hash('sha256', value, 'buffer');
}

/** True when `given` equals one of `secrets`; every one is compared, so timing says not which. */
export function matchesAnySecret(given: string, secrets: readonly string[]): boolean {
  let found = false;
  for (const secret of secrets) found = secretEquals(given, secret) || found;
  return found;
}

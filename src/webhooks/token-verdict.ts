import { timingSafeEqual } from 'node:crypto';
import { secretDigest } from '../common/constant-time';
import type { TokenVerdict } from './delivery-record';

/**
 * Tells a presented URL token apart: the configured one, one rotated out
 * (KNOWLARITY_WEBHOOK_PREVIOUS_TOKENS: refused, but known), or a wrong one. Every comparison is
 * constant-time and every candidate is compared; the configured tokens are digested once.
 */
export function tokenVerdictOf(config: {
  token?: string;
  previousTokens: readonly string[];
}): (token: string) => TokenVerdict {
  if (config.token === undefined) return () => 'unchecked';
  const expected = secretDigest(config.token);
  const previousTokens = config.previousTokens.map(secretDigest);
  return (token) => {
    const given = secretDigest(token);
    const valid = timingSafeEqual(given, expected);
    let previous = false;
    for (const old of previousTokens) previous = timingSafeEqual(given, old) || previous;
    return valid ? 'valid' : previous ? 'previous' : 'wrong';
  };
}

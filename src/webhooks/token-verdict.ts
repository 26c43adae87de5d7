import { secretEquals } from '../common/constant-time';
import type { TokenVerdict } from './delivery-record';

/**
 * Tells a presented URL token apart: the configured one, one rotated out
 * (KNOWLARITY_WEBHOOK_PREVIOUS_TOKENS: refused, but known), or a wrong one. Every comparison is
 * constant-time and every candidate is compared.
 */
export function tokenVerdictOf(config: {
  token?: string;
  previousTokens: readonly string[];
}): (token: string) => TokenVerdict {
  const { token: expected, previousTokens } = config;
  return (token) => {
    if (expected === undefined) return 'unchecked';
    const valid = secretEquals(token, expected);
    let previous = false;
    for (const old of previousTokens) previous = secretEquals(token, old) || previous;
    return valid ? 'valid' : previous ? 'previous' : 'wrong';
  };
}

import { readNodeEnv } from './app.config';
import { Env, InvalidConfigError, readString } from './env';

/** Shorter secrets can be guessed or brute-forced; the service refuses them. */
export const MIN_SECRET_LENGTH = 24;

/** Fewer distinct characters than this is a typed or patterned secret, not a random one. */
export const MIN_DISTINCT_CHARACTERS = 16;

/** What a secret drawn from its own alphabet must at least carry, in bits. */
const MIN_BITS = 128;

/**
 * A secret that only looks long: one character repeated, or a handful of characters in a
 * pattern (`abcabcabc…`): fewer than 16 distinct characters. Random hex has at most 16 and often
 * 15, so a long one (`openssl rand -hex 24`: 48 characters) passes on length: it is refused
 * only when its length times log2(distinct characters) is under 128 bits.
 */
export function isLowEntropy(secret: string): boolean {
  const material = secret.startsWith('whsec_') ? secret.slice(6) : secret;
  const distinct = new Set(material).size;
  if (distinct >= MIN_DISTINCT_CHARACTERS) return false;
  return distinct < 2 || material.length * Math.log2(distinct) < MIN_BITS;
}

/**
 * Checks one secret: too short always stops boot; low entropy stops boot in production (a
 * development machine may keep a memorable one).
 */
function checkSecret(env: Env, name: string, secret: string, what: string | null): void {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new InvalidConfigError(
      name,
      what === null
        ? `must be at least ${MIN_SECRET_LENGTH} characters`
        : `holds ${what} shorter than ${MIN_SECRET_LENGTH} characters`,
    );
  }
  if (readNodeEnv(env) === 'production' && isLowEntropy(secret)) {
    throw new InvalidConfigError(
      name,
      `${what === null ? 'has' : `holds ${what} with`} fewer than ${MIN_DISTINCT_CHARACTERS} ` +
        'distinct characters; ' +
        'generate one with: openssl rand -hex 24',
    );
  }
}

/**
 * A comma-separated list of secrets, each checked. An empty item (`" , "`, a trailing comma) is
 * a mistake that would silently switch a protection off: it stops boot in production.
 */
export function readSecretList(env: Env, name: string, what = 'a secret'): string[] {
  const raw = readString(env, name);
  if (raw === undefined) return [];
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '') && readNodeEnv(env) === 'production') {
    throw new InvalidConfigError(name, 'holds an empty item (check the commas)');
  }
  const secrets = items.filter((item) => item !== '');
  for (const secret of secrets) checkSecret(env, name, secret, what);
  return secrets;
}

/** One optional secret (a token), checked like a list item. */
export function readSecret(env: Env, name: string): string | undefined {
  const secret = readString(env, name);
  if (secret !== undefined) checkSecret(env, name, secret, null);
  return secret;
}

import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { secretEquals } from '../constant-time';

/** The key a caller presented as `x-api-key` or `Authorization: Bearer <key>`. */
export function presentedApiKey(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header.length > 0) return header;
  const authorization = request.headers.authorization;
  const bearer = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  return bearer?.[1];
}

/**
 * A key's name for records and logs: the first 12 hex digits of its SHA-256. It tells keys
 * apart (which one asked for a forced replay) without revealing anything usable.
 */
export function keyFingerprint(key: string): string {
  return `key:${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12)}`;
}

/**
 * Which of `keys` the request presents, by fingerprint, or undefined. Every key is compared in
 * constant time, match or not, so timing tells nothing about which keys exist.
 */
export function identifyApiKey(
  request: Pick<FastifyRequest, 'headers'>,
  keys: readonly string[],
): string | undefined {
  const given = presentedApiKey(request);
  if (given === undefined) return undefined;
  let matched: string | undefined;
  for (const key of keys) if (secretEquals(given, key)) matched ??= key;
  return matched === undefined ? undefined : keyFingerprint(matched);
}

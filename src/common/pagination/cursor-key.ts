import { createHmac, randomBytes } from 'node:crypto';

/**
 * The key cursors are signed with. Derived from the internal API keys, so every instance behind
 * one load balancer accepts the others' cursors and a restart does not break a client paging
 * through; the derivation is one-way, so a cursor reveals nothing about the keys. Rotating the
 * API keys invalidates open cursors, which only means starting a listing again. With no keys
 * configured no request gets through the guard anyway, and a random key is used.
 */
export function deriveCursorKey(apiKeys: readonly string[]): Buffer {
  if (apiKeys.length === 0) return randomBytes(32);
  const hmac = createHmac('sha256', 'knowlarity-lead-sync/cursor/v1');
  for (const key of [...apiKeys].sort()) hmac.update(`${key.length}:${key}`);
  return hmac.digest();
}

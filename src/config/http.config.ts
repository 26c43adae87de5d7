import { Env, InvalidConfigError, readList, readString } from './env';
import { isAddressOrCidr, readMaxBodyBytes } from './webhook-security.config';

/**
 * TRUST_PROXY: which peers' X-Forwarded-For is believed. Empty: none (the socket address is the
 * client). A number: that many proxy hops. Otherwise a list of proxy addresses or CIDRs.
 * Read before the HTTP server exists, since Fastify takes it at construction.
 */
export function parseTrustProxy(env: Env): false | number | string[] {
  const value = readString(env, 'TRUST_PROXY');
  if (value === undefined || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = readList(env, 'TRUST_PROXY');
  const bad = entries.find((entry) => !isAddressOrCidr(entry));
  if (bad !== undefined) {
    throw new InvalidConfigError(
      'TRUST_PROXY',
      `holds "${bad}": use a hop count or addresses/CIDRs`,
    );
  }
  return entries;
}

export function parseHttpConfig(env: Env) {
  return {
    trustProxy: parseTrustProxy(env),
    maxBodyBytes: readMaxBodyBytes(env),
  };
}

/** The HTTP server's settings, for bootstrap (before Nest's config module exists). */
export function httpConfigFromEnvironment() {
  return parseHttpConfig(process.env);
}

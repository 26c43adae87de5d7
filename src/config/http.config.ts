import { readNodeEnv } from './app.config';
import { Env, InvalidConfigError, readBoolean, readInt, readList, readString } from './env';
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

/**
 * How long a client may take. A whole request (headers and body) must arrive within
 * HTTP_REQUEST_TIMEOUT_SECONDS and its headers within HTTP_HEADERS_TIMEOUT_SECONDS; an idle
 * keep-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_SECONDS. Off (0) in Fastify by
 * default, which let slow or idle clients hold connections for ever.
 */
function parseTimeouts(env: Env) {
  const requestSeconds = readInt(env, 'HTTP_REQUEST_TIMEOUT_SECONDS', 30, { min: 1, max: 3600 });
  const headersSeconds = readInt(
    env,
    'HTTP_HEADERS_TIMEOUT_SECONDS',
    Math.min(10, requestSeconds),
    {
      min: 1,
      max: requestSeconds,
    },
  );
  return {
    requestTimeoutMs: requestSeconds * 1000,
    headersTimeoutMs: headersSeconds * 1000,
    keepAliveTimeoutMs:
      readInt(env, 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', 65, { min: 1, max: 3600 }) * 1000,
  };
}

export function parseHttpConfig(env: Env) {
  const production = readNodeEnv(env) === 'production';
  return {
    trustProxy: parseTrustProxy(env),
    maxBodyBytes: readMaxBodyBytes(env),
    ...parseTimeouts(env),
    /** Swagger UI and the OpenAPI document: on outside production, opt-in (behind a key) in it. */
    openApi: {
      enabled: readBoolean(env, 'OPENAPI_ENABLED', !production),
      requiresApiKey: production,
    },
  };
}

export type HttpConfig = ReturnType<typeof parseHttpConfig>;

/** The HTTP server's settings, for bootstrap (before Nest's config module exists). */
export function httpConfigFromEnvironment() {
  return parseHttpConfig(process.env);
}

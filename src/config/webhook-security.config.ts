import { registerAs } from '@nestjs/config';
import { isIP } from 'node:net';
import { Env, InvalidConfigError, readInt, readList, readString } from './env';
import { readSecret, readSecretList } from './secret-quality';
import { readNodeEnv } from './app.config';

/** One allowlist or trusted-proxy entry: an address or a CIDR, IPv4 or IPv6. */
export function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

function addressList(env: Env, name: string): string[] {
  const entries = readList(env, name);
  const bad = entries.find((entry) => !isAddressOrCidr(entry));
  if (bad !== undefined) {
    throw new InvalidConfigError(name, `holds "${bad}", which is not an IP address or CIDR`);
  }
  return entries;
}

function secretList(env: Env, name: string): string[] {
  const secrets = readSecretList(env, name);
  for (const secret of secrets) {
    if (secret.startsWith('whsec_') && Buffer.from(secret.slice(6), 'base64').length < 16) {
      throw new InvalidConfigError(
        name,
        'holds a whsec_ secret whose key is not base64 of 16+ bytes',
      );
    }
  }
  return secrets;
}

function urlToken(env: Env, name: string, token: string): string {
  if (!/^[\w.~-]+$/.test(token)) {
    throw new InvalidConfigError(
      name,
      'may hold only letters, digits and - _ . ~ (it goes in a URL)',
    );
  }
  return token;
}

export function readMaxBodyBytes(env: Env): number {
  return readInt(env, 'WEBHOOK_MAX_BODY_BYTES', 65536, { min: 1024, max: 10 * 1024 * 1024 });
}

export function parseWebhookSecurityConfig(env: Env) {
  const token = readSecret(env, 'KNOWLARITY_WEBHOOK_TOKEN');
  if (token !== undefined) urlToken(env, 'KNOWLARITY_WEBHOOK_TOKEN', token);
  const previousTokens = readSecretList(env, 'KNOWLARITY_WEBHOOK_PREVIOUS_TOKENS', 'a token');
  const ipAllowlist = addressList(env, 'KNOWLARITY_WEBHOOK_IP_ALLOWLIST');
  const secrets = secretList(env, 'KNOWLARITY_WEBHOOK_SECRETS');
  const configured = ipAllowlist.length > 0 || token !== undefined || secrets.length > 0;
  if (!configured && readNodeEnv(env) === 'production') {
    throw new InvalidConfigError(
      'KNOWLARITY_WEBHOOK_TOKEN',
      '(or KNOWLARITY_WEBHOOK_SECRETS or KNOWLARITY_WEBHOOK_IP_ALLOWLIST) must be set in production',
    );
  }
  return {
    ipAllowlist,
    token,
    /** Tokens rotated out: still refused, but recorded as "previous" rather than "wrong". */
    previousTokens,
    secrets,
    /** Nothing configured: only loopback callers may deliver (development). */
    loopbackOnly: !configured,
    signatureHeader: readString(
      env,
      'KNOWLARITY_WEBHOOK_SIGNATURE_HEADER',
      'x-knowlarity-signature',
    ).toLowerCase(),
    toleranceSeconds: readInt(env, 'KNOWLARITY_WEBHOOK_TOLERANCE_SECONDS', 300, {
      min: 1,
      max: 86400,
    }),
    maxBodyBytes: readMaxBodyBytes(env),
    rateLimitPerMinute: readInt(env, 'WEBHOOK_RATE_LIMIT_PER_MINUTE', 1200, { min: 1 }),
    /** Clients in one IPv6 network of this prefix share one rate-limit and storage budget. */
    ipv6ClientPrefix: readInt(env, 'WEBHOOK_IPV6_CLIENT_PREFIX', 64, { min: 32, max: 128 }),
    /** Bytes of refused, unauthenticated requests stored per hour, all clients together. */
    refusedBytesPerHour: readInt(env, 'WEBHOOK_REFUSED_BYTES_PER_HOUR', 4 * 1024 * 1024, {
      min: 0,
    }),
    /** The same budget for one client (address, or IPv6 network). */
    refusedBytesPerClientPerHour: readInt(
      env,
      'WEBHOOK_REFUSED_BYTES_PER_CLIENT_PER_HOUR',
      512 * 1024,
      { min: 0 },
    ),
  };
}

export type WebhookSecurityConfig = ReturnType<typeof parseWebhookSecurityConfig>;

export const webhookSecurityConfig = registerAs('webhookSecurity', () =>
  parseWebhookSecurityConfig(process.env),
);

import { registerAs } from '@nestjs/config';
import { Env, InvalidConfigError, readInt, readString } from './env';

export const DEFAULT_KNOWLARITY_BASE_URL = 'https://kpi.knowlarity.com';

/** The channel is both a path segment and a header value, so it is kept to plain word characters. */
const CHANNEL = /^[A-Za-z0-9_-]+$/;

/**
 * The call-log API (docs/knowlarity.md §1). Both keys are optional so the service can run on webhooks
 * alone, but one without the other is a half-done setup and stops boot.
 */
export function parseKnowlarityApiConfig(env: Env) {
  const apiKey = readString(env, 'KNOWLARITY_API_KEY');
  const srApiKey = readString(env, 'KNOWLARITY_SR_API_KEY');
  if (apiKey && !srApiKey) {
    throw new InvalidConfigError(
      'KNOWLARITY_SR_API_KEY',
      'is required when KNOWLARITY_API_KEY is set',
    );
  }
  if (srApiKey && !apiKey) {
    throw new InvalidConfigError(
      'KNOWLARITY_API_KEY',
      'is required when KNOWLARITY_SR_API_KEY is set',
    );
  }
  if (srApiKey && /^bearer\s/i.test(srApiKey)) {
    // Knowlarity wants the raw key in Authorization; a pasted "Bearer ..." fails with 401.
    throw new InvalidConfigError(
      'KNOWLARITY_SR_API_KEY',
      'must be the raw SR API key, without "Bearer"',
    );
  }

  const channel = readString(env, 'KNOWLARITY_CHANNEL', 'Basic');
  if (!CHANNEL.test(channel)) {
    throw new InvalidConfigError(
      'KNOWLARITY_CHANNEL',
      'must be letters, digits, _ or - (e.g. Basic)',
    );
  }

  return {
    apiKey,
    srApiKey,
    channel,
    baseUrl: readBaseUrl(env, 'KNOWLARITY_BASE_URL'),
    timeoutMs: readInt(env, 'KNOWLARITY_TIMEOUT_MS', 10_000, { min: 1, max: 300_000 }),
    maxRetries: readInt(env, 'KNOWLARITY_MAX_RETRIES', 4, { min: 0, max: 20 }),
    pageSize: readInt(env, 'KNOWLARITY_PAGE_SIZE', 500, { min: 1, max: 10_000 }),
    credentialsConfigured: apiKey !== undefined && srApiKey !== undefined,
  };
}

export type KnowlarityApiConfig = ReturnType<typeof parseKnowlarityApiConfig>;

export const knowlarityApiConfig = registerAs('knowlarityApi', () =>
  parseKnowlarityApiConfig(process.env),
);

/** An http(s) URL without a trailing slash, so paths can be appended to it. */
function readBaseUrl(env: Env, name: string): string {
  const value = readString(env, name, DEFAULT_KNOWLARITY_BASE_URL);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidConfigError(name, 'must be an http(s) URL such as https://kpi.knowlarity.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidConfigError(name, 'must be an http(s) URL such as https://kpi.knowlarity.com');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new InvalidConfigError(name, 'must not carry a query, fragment or credentials');
  }
  return url.toString().replace(/\/+$/, '');
}

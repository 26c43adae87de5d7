import { registerAs } from '@nestjs/config';
import { Env, InvalidConfigError, readBoolean, readInt, readString } from './env';

/** Knowlarity's live stream for an SR API key (docs/knowlarity.md §3). */
export const DEFAULT_STREAM_URL_TEMPLATE =
  'https://konnect.knowlarity.com:8100/update-stream/{SR_API_KEY}/konnect';

/**
 * The live event stream (a third arrival path) and the daily completeness check. The stream needs
 * the SR API key (in its URL); the daily reconcile needs the call-log credentials.
 */
export function parseStreamConfig(env: Env) {
  const enabled = readBoolean(env, 'KNOWLARITY_STREAM_ENABLED', false);
  const srApiKey = readString(env, 'KNOWLARITY_SR_API_KEY');
  const explicitUrl = readString(env, 'KNOWLARITY_STREAM_URL');
  if (enabled && !explicitUrl && !srApiKey) {
    throw new InvalidConfigError(
      'KNOWLARITY_STREAM_URL',
      'or KNOWLARITY_SR_API_KEY is required when KNOWLARITY_STREAM_ENABLED=true',
    );
  }
  const url =
    explicitUrl ??
    (srApiKey
      ? DEFAULT_STREAM_URL_TEMPLATE.replace('{SR_API_KEY}', encodeURIComponent(srApiKey))
      : null);
  if (url !== null) assertHttpUrl(url);
  const backoffMinMs = readInt(env, 'KNOWLARITY_STREAM_BACKOFF_MIN_MS', 500, {
    min: 10,
    max: 60_000,
  });
  const backoffMaxMs = readInt(env, 'KNOWLARITY_STREAM_BACKOFF_MAX_MS', 30_000, {
    min: 10,
    max: 600_000,
  });
  if (backoffMaxMs < backoffMinMs) {
    throw new InvalidConfigError(
      'KNOWLARITY_STREAM_BACKOFF_MAX_MS',
      'must be at least KNOWLARITY_STREAM_BACKOFF_MIN_MS',
    );
  }
  return {
    enabled,
    /** Never logged or shown: Knowlarity's default URL carries the SR API key. */
    url,
    /** A stream silent (no event, no heartbeat comment) for this long is treated as dead. */
    silenceTimeoutMs:
      readInt(env, 'KNOWLARITY_STREAM_SILENCE_SECONDS', 45, { min: 1, max: 3600 }) * 1000,
    backoffMinMs,
    backoffMaxMs,
    /** How long the stream's lease outlives a dead holder: the takeover time. */
    leaseSeconds: readInt(env, 'KNOWLARITY_STREAM_LEASE_SECONDS', 10, { min: 3, max: 600 }),
    /** Hour (0–23, BUSINESS_TIMEZONE) after which the previous business day is reconciled; -1: off. */
    reconcileHour: readInt(env, 'KNOWLARITY_RECONCILE_HOUR', 6, { min: -1, max: 23 }),
  };
}

export type StreamConfig = ReturnType<typeof parseStreamConfig>;

export const streamConfig = registerAs('stream', () => parseStreamConfig(process.env));

function assertHttpUrl(value: string): void {
  let protocol = '';
  try {
    protocol = new URL(value).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InvalidConfigError('KNOWLARITY_STREAM_URL', 'must be an http(s) URL');
  }
}

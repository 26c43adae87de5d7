import { registerAs } from '@nestjs/config';
import { Env, InvalidConfigError, readString } from './env';
import { MIN_SECRET_LENGTH } from './webhook-security.config';

export function parseMetricsConfig(env: Env) {
  const token = readString(env, 'METRICS_TOKEN');
  if (token !== undefined && token.length < MIN_SECRET_LENGTH) {
    throw new InvalidConfigError(
      'METRICS_TOKEN',
      `must be at least ${MIN_SECRET_LENGTH} characters`,
    );
  }
  return { token };
}

export const metricsConfig = registerAs('metrics', () => parseMetricsConfig(process.env));

import { registerAs } from '@nestjs/config';
import { Env } from './env';
import { readSecret } from './secret-quality';

export function parseMetricsConfig(env: Env) {
  const token = readSecret(env, 'METRICS_TOKEN');
  return { token };
}

export const metricsConfig = registerAs('metrics', () => parseMetricsConfig(process.env));

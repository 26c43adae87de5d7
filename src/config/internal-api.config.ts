import { registerAs } from '@nestjs/config';
import { Env, InvalidConfigError, readList } from './env';
import { MIN_SECRET_LENGTH } from './webhook-security.config';

export function parseInternalApiConfig(env: Env) {
  const keys = readList(env, 'INTERNAL_API_KEYS');
  if (keys.some((key) => key.length < MIN_SECRET_LENGTH)) {
    throw new InvalidConfigError(
      'INTERNAL_API_KEYS',
      `holds a key shorter than ${MIN_SECRET_LENGTH} characters`,
    );
  }
  return { keys };
}

export const internalApiConfig = registerAs('internalApi', () =>
  parseInternalApiConfig(process.env),
);

import { registerAs } from '@nestjs/config';
import { Env } from './env';
import { readSecretList } from './secret-quality';

export function parseInternalApiConfig(env: Env) {
  const keys = readSecretList(env, 'INTERNAL_API_KEYS', 'a key');
  return { keys };
}

export const internalApiConfig = registerAs('internalApi', () =>
  parseInternalApiConfig(process.env),
);

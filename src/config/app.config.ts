import { registerAs } from '@nestjs/config';
import { Env, readEnum, readInt, readString } from './env';

export function readNodeEnv(env: Env) {
  return readEnum(env, 'NODE_ENV', ['development', 'production', 'test'] as const) ?? 'development';
}

export function parseAppConfig(env: Env) {
  return {
    port: readInt(env, 'PORT', 3000, { min: 0, max: 65535 }),
    host: readString(env, 'HOST', '0.0.0.0'),
    nodeEnv: readNodeEnv(env),
    /** How long SIGTERM/SIGINT may take: stop accepting, finish in-flight work, close. */
    shutdownTimeoutSeconds: readInt(env, 'SHUTDOWN_TIMEOUT_SECONDS', 25, { min: 1, max: 600 }),
  };
}

export const appConfig = registerAs('app', () => parseAppConfig(process.env));

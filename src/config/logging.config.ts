import { registerAs } from '@nestjs/config';
import { Env, readEnum } from './env';
import { readNodeEnv } from './app.config';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function parseLoggingConfig(env: Env) {
  return {
    level: readEnum(env, 'LOG_LEVEL', LOG_LEVELS) ?? 'info',
    /** Readable output for a person at a terminal in development; JSON lines everywhere else. */
    pretty: readNodeEnv(env) === 'development' && process.stdout.isTTY === true,
  };
}

export const loggingConfig = registerAs('logging', () => parseLoggingConfig(process.env));

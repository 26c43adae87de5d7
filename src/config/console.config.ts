import { registerAs } from '@nestjs/config';
import { Env, readBoolean, readInt } from './env';

/**
 * The operator console (/console): on unless CONSOLE_ENABLED=false. A sign-in lasts
 * CONSOLE_SESSION_MINUTES (default 480, a working shift), then the operator signs in again.
 */
export function parseConsoleConfig(env: Env) {
  return {
    enabled: readBoolean(env, 'CONSOLE_ENABLED', true),
    sessionMinutes: readInt(env, 'CONSOLE_SESSION_MINUTES', 480, { min: 5, max: 1440 }),
  };
}

export const consoleConfig = registerAs('console', () => parseConsoleConfig(process.env));

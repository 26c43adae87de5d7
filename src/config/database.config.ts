import { registerAs } from '@nestjs/config';
import { Env, InvalidConfigError, readEnum, readInt, readString } from './env';

export const DATABASE_DRIVERS = ['pglite', 'postgres', 'supabase'] as const;
export type DatabaseDriver = (typeof DATABASE_DRIVERS)[number];

export function parseDatabaseConfig(env: Env) {
  const databaseUrl = readString(env, 'DATABASE_URL');
  const supabaseUrl = readString(env, 'SUPABASE_URL');
  const supabaseServiceRoleKey = readString(env, 'SUPABASE_SERVICE_ROLE_KEY');
  const driver: DatabaseDriver =
    readEnum(env, 'DATABASE_DRIVER', DATABASE_DRIVERS) ??
    (supabaseUrl && supabaseServiceRoleKey ? 'supabase' : databaseUrl ? 'postgres' : 'pglite');

  if (driver === 'postgres' && !databaseUrl) {
    throw new InvalidConfigError('DATABASE_URL', 'is required when DATABASE_DRIVER=postgres');
  }
  if (driver === 'supabase' && !(supabaseUrl && supabaseServiceRoleKey)) {
    throw new InvalidConfigError(
      supabaseUrl ? 'SUPABASE_SERVICE_ROLE_KEY' : 'SUPABASE_URL',
      'is required when DATABASE_DRIVER=supabase',
    );
  }
  if (supabaseUrl && !/^https?:\/\//.test(supabaseUrl)) {
    throw new InvalidConfigError('SUPABASE_URL', 'must be an http(s) URL');
  }
  return {
    driver,
    databaseUrl,
    poolSize: readInt(env, 'DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    pgliteDataDir: readString(env, 'PGLITE_DATA_DIR', './.data/pglite'),
    supabaseUrl,
    supabaseServiceRoleKey,
  };
}

/** For the entry points, which lock the embedded database before Nest starts. */
export function databaseConfigFromEnvironment() {
  return parseDatabaseConfig(process.env);
}

export type DatabaseConfig = ReturnType<typeof parseDatabaseConfig>;

export const databaseConfig = registerAs('database', () => parseDatabaseConfig(process.env));

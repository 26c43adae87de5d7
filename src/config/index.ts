import { appConfig, parseAppConfig } from './app.config';
import { businessConfig, parseBusinessConfig } from './business.config';
import { databaseConfig, parseDatabaseConfig } from './database.config';
import { Env } from './env';
import { ingestConfig, parseIngestConfig } from './ingest.config';

export { appConfig, businessConfig, databaseConfig, ingestConfig };

/** Every namespace, for `ConfigModule.forRoot({ load })`. */
export const configNamespaces = [appConfig, businessConfig, databaseConfig, ingestConfig];

const parsers = [parseAppConfig, parseBusinessConfig, parseDatabaseConfig, parseIngestConfig];

/**
 * Runs every namespace's parser once at boot, so a bad value stops the service before any
 * module starts, with a message naming the variable.
 */
export function validateEnvironment(env: Env): Env {
  for (const parse of parsers) parse(env);
  return env;
}

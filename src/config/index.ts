import { appConfig, parseAppConfig } from './app.config';
import { businessConfig, parseBusinessConfig } from './business.config';
import { consoleConfig, parseConsoleConfig } from './console.config';
import { databaseConfig, parseDatabaseConfig } from './database.config';
import { Env } from './env';
import { parseHttpConfig } from './http.config';
import { ingestConfig, parseIngestConfig } from './ingest.config';
import { knowlarityApiConfig, parseKnowlarityApiConfig } from './knowlarity-api.config';
import { loggingConfig, parseLoggingConfig } from './logging.config';
import { metricsConfig, parseMetricsConfig } from './metrics.config';
import { parsePollingConfig, pollingConfig } from './polling.config';
import { parseSourceCountsConfig, sourceCountsConfig } from './source-counts.config';
import { internalApiConfig, parseInternalApiConfig } from './internal-api.config';
import { parseRetentionConfig, retentionConfig } from './retention.config';
import { parseStreamConfig, streamConfig } from './stream.config';
import { parseWebhookSecurityConfig, webhookSecurityConfig } from './webhook-security.config';

export {
  appConfig,
  businessConfig,
  consoleConfig,
  databaseConfig,
  ingestConfig,
  internalApiConfig,
  knowlarityApiConfig,
  loggingConfig,
  metricsConfig,
  pollingConfig,
  retentionConfig,
  sourceCountsConfig,
  streamConfig,
  webhookSecurityConfig,
};

/** Each concern's namespace with the parser behind it (HTTP settings are read before Nest). */
const concerns = [
  [appConfig, parseAppConfig],
  [businessConfig, parseBusinessConfig],
  [consoleConfig, parseConsoleConfig],
  [databaseConfig, parseDatabaseConfig],
  [ingestConfig, parseIngestConfig],
  [internalApiConfig, parseInternalApiConfig],
  [knowlarityApiConfig, parseKnowlarityApiConfig],
  [loggingConfig, parseLoggingConfig],
  [metricsConfig, parseMetricsConfig],
  [pollingConfig, parsePollingConfig],
  [retentionConfig, parseRetentionConfig],
  [sourceCountsConfig, parseSourceCountsConfig],
  [streamConfig, parseStreamConfig],
  [webhookSecurityConfig, parseWebhookSecurityConfig],
] as const;

/** Every namespace, for `ConfigModule.forRoot({ load })`. */
export const configNamespaces = concerns.map(([namespace]) => namespace);

const parsers: ((env: Env) => unknown)[] = [...concerns.map(([, parse]) => parse), parseHttpConfig];

/**
 * Runs every namespace's parser once at boot, so a bad value stops the service before any
 * module starts, with a message naming the variable.
 */
export function validateEnvironment(env: Env): Env {
  for (const parse of parsers) parse(env);
  return env;
}

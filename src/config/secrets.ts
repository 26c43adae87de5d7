import { databaseConfig, parseDatabaseConfig } from './database.config';
import { Env } from './env';
import { internalApiConfig, parseInternalApiConfig } from './internal-api.config';
import { knowlarityApiConfig, parseKnowlarityApiConfig } from './knowlarity-api.config';
import { metricsConfig, parseMetricsConfig } from './metrics.config';
import { parseWebhookSecurityConfig, webhookSecurityConfig } from './webhook-security.config';

export interface SecretSources {
  webhook: { token?: string; previousTokens: readonly string[]; secrets: readonly string[] };
  internal: { keys: readonly string[] };
  api: { apiKey?: string; srApiKey?: string };
  database: { supabaseServiceRoleKey?: string };
  metrics: { token?: string };
}

/** Every configured secret: what logs, stored deliveries and request ids must never show. */
export function configuredSecrets(sources: SecretSources): string[] {
  return [
    sources.webhook.token,
    ...sources.webhook.previousTokens,
    ...sources.webhook.secrets,
    ...sources.internal.keys,
    sources.api.apiKey,
    sources.api.srApiKey,
    sources.database.supabaseServiceRoleKey,
    sources.metrics.token,
  ].filter((secret): secret is string => !!secret);
}

/** The same, read straight from the environment (for the HTTP server, built before Nest). */
export function secretsFromEnvironment(env: Env = process.env): string[] {
  return configuredSecrets({
    webhook: parseWebhookSecurityConfig(env),
    internal: parseInternalApiConfig(env),
    api: parseKnowlarityApiConfig(env),
    database: parseDatabaseConfig(env),
    metrics: parseMetricsConfig(env),
  });
}

/** DI token for the list of configured secrets (see configuredSecretsProvider). */
export const CONFIGURED_SECRETS = Symbol('CONFIGURED_SECRETS');

/** Provides CONFIGURED_SECRETS from the validated configuration namespaces. */
export const configuredSecretsProvider = {
  provide: CONFIGURED_SECRETS,
  inject: [
    webhookSecurityConfig.KEY,
    internalApiConfig.KEY,
    knowlarityApiConfig.KEY,
    databaseConfig.KEY,
    metricsConfig.KEY,
  ],
  useFactory: (
    webhook: SecretSources['webhook'],
    internal: SecretSources['internal'],
    api: SecretSources['api'],
    database: SecretSources['database'],
    metrics: SecretSources['metrics'],
  ): string[] => configuredSecrets({ webhook, internal, api, database, metrics }),
};

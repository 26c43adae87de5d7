import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config';
import { DatabaseLease } from './database-lease';
import { LeadSyncRepository } from './lead-sync.repository';
import { migratePool, pgliteSession } from './migration-sessions';
import { expectedSchemaVersion, migrate } from './migrator';
import {
  isUnavailable,
  SchemaBehindError,
  StorageError,
  StorageUnavailableError,
} from './storage.errors';

const logger = new Logger('DatabaseModule');

/**
 * The driver modules, each required only when configured: a client library that is loaded
 * (PGlite, pg, supabase-js and what they pull in) stays in memory for the life of the process.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const drivers = {
  pglite: () =>
    require('./drivers/pglite.repository') as typeof import('./drivers/pglite.repository'),
  postgres: () =>
    require('./drivers/postgres.repository') as typeof import('./drivers/postgres.repository'),
  supabase: () =>
    require('./drivers/supabase.repository') as typeof import('./drivers/supabase.repository'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Back-off between attempts to reach a database that is down at start: 1 s doubling to 30 s. */
const RETRY_START_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Opens the driver chosen by configuration. PGlite and PostgreSQL are migrated at start; with
 * Supabase the service only checks that the schema is current, since migrations there run
 * through the direct connection (`npm run db:migrate`) or an export (`npm run db:export`) that
 * the CRM's own `supabase db push` applies.
 *
 * A server that cannot be reached does not stop the service: it starts not ready (calls answer
 * "unavailable", readiness is 503) and keeps trying in the background. A schema that is behind,
 * or a migration that fails, does stop it: those need an operator.
 *
 * Only the configured driver's module is loaded (see `drivers`).
 */
export async function openRepository(
  config: ConfigType<typeof databaseConfig>,
): Promise<LeadSyncRepository> {
  switch (config.driver) {
    case 'pglite': {
      const { PgliteRepository } = drivers.pglite();
      const repository = await PgliteRepository.open(config.pgliteDataDir);
      await migrate(pgliteSession(repository.db));
      logger.log(`Using the embedded database in ${config.pgliteDataDir}`);
      return repository;
    }
    case 'postgres': {
      const { PostgresRepository } = drivers.postgres();
      const repository = PostgresRepository.connect(config.databaseUrl!, config.poolSize);
      await prepareSchema(repository, () => migratePool(repository.pool));
      logger.log('Using PostgreSQL');
      return repository;
    }
    case 'supabase': {
      const { SupabaseRepository } = drivers.supabase();
      const repository = SupabaseRepository.connect(
        config.supabaseUrl!,
        config.supabaseServiceRoleKey!,
      );
      await prepareSchema(repository, () => assertSchemaCurrent(repository));
      logger.log('Using Supabase');
      return repository;
    }
  }
}

/**
 * Runs `step` (migrate, or check the schema) once; if the database is unreachable, holds the
 * repository and retries in the background until it succeeds.
 */
async function prepareSchema(
  repository: LeadSyncRepository,
  step: () => Promise<unknown>,
): Promise<void> {
  try {
    await step();
    return;
  } catch (error) {
    if (!isUnavailable(error) && !(error instanceof StorageUnavailableError)) {
      await repository.close().catch(() => undefined);
      throw error;
    }
  }
  logger.warn('The database is unreachable; starting anyway and retrying in the background.');
  repository.holdUntilSchemaReady();
  void retryInBackground(repository, step);
}

async function retryInBackground(repository: LeadSyncRepository, step: () => Promise<unknown>) {
  for (let delay = RETRY_START_MS; ; delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    await new Promise((resolve) => setTimeout(resolve, delay).unref());
    try {
      await step();
      repository.markSchemaReady();
      logger.log('The database is reachable and its schema is current.');
      return;
    } catch (error) {
      if (isUnavailable(error) || error instanceof StorageUnavailableError) continue;
      logger.error(`The database schema cannot be prepared: ${(error as Error).message}`);
      return;
    }
  }
}

export async function assertSchemaCurrent(repository: LeadSyncRepository): Promise<void> {
  const expected = expectedSchemaVersion();
  const found = await repository.schemaVersion().catch((error: unknown) => {
    // The version function itself is missing (PostgreSQL 42883, PostgREST PGRST202): nothing
    // has been migrated yet.
    if (error instanceof StorageError && ['42883', 'PGRST202'].includes(error.sqlState ?? ''))
      return 0;
    throw error;
  });
  if (found < expected) throw new SchemaBehindError(found, expected);
}

@Global()
@Module({
  providers: [
    {
      provide: LeadSyncRepository,
      inject: [databaseConfig.KEY],
      useFactory: openRepository,
    },
    DatabaseLease,
  ],
  exports: [LeadSyncRepository, DatabaseLease],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(LeadSyncRepository) private readonly repository: LeadSyncRepository) {}

  async onApplicationShutdown(): Promise<void> {
    await this.repository.close();
  }
}

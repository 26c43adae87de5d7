import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { databaseConfig } from '../config';
import { PgliteRepository } from './drivers/pglite.repository';
import { PostgresRepository } from './drivers/postgres.repository';
import { SupabaseRepository } from './drivers/supabase.repository';
import { LeadSyncRepository } from './lead-sync.repository';
import { migratePool, pgliteSession } from './migration-sessions';
import { expectedSchemaVersion, migrate } from './migrator';
import { SchemaBehindError, StorageError } from './storage.errors';

const logger = new Logger('DatabaseModule');

/**
 * Opens the driver chosen by configuration. PGlite and PostgreSQL are migrated at start; with
 * Supabase the service only checks that the schema is current, since migrations there run
 * through the direct connection (`npm run db:migrate`) or `supabase db push`.
 */
export async function openRepository(
  config: ConfigType<typeof databaseConfig>,
): Promise<LeadSyncRepository> {
  switch (config.driver) {
    case 'pglite': {
      const repository = await PgliteRepository.open(config.pgliteDataDir);
      await migrate(pgliteSession(repository.db));
      logger.log(`Using the embedded database in ${config.pgliteDataDir}`);
      return repository;
    }
    case 'postgres': {
      const repository = PostgresRepository.connect(config.databaseUrl!, config.poolSize);
      await closeOnFailure(repository, () => migratePool(repository.pool));
      logger.log('Using PostgreSQL');
      return repository;
    }
    case 'supabase': {
      const repository = SupabaseRepository.connect(
        config.supabaseUrl!,
        config.supabaseServiceRoleKey!,
      );
      await closeOnFailure(repository, () => assertSchemaCurrent(repository));
      logger.log('Using Supabase');
      return repository;
    }
  }
}

async function closeOnFailure(repository: LeadSyncRepository, step: () => Promise<unknown>) {
  try {
    await step();
  } catch (error) {
    await repository.close().catch(() => undefined);
    throw error;
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
  ],
  exports: [LeadSyncRepository],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(LeadSyncRepository) private readonly repository: LeadSyncRepository) {}

  async onApplicationShutdown(): Promise<void> {
    await this.repository.close();
  }
}

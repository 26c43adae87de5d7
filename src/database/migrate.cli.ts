/**
 * `npm run db:migrate`: applies supabase/migrations to DATABASE_URL (Supabase's direct
 * connection string works), or to the embedded database when no DATABASE_URL is set.
 */
import { Logger } from '@nestjs/common';
import { Pool } from 'pg';
import { parseDatabaseConfig } from '../config/database.config';
import { createBootLogger, describeBootFailure, PinoLoggerService } from '../logging/boot-logger';
import { lockEmbeddedDatabase } from './data-directory-lock';
import { PgliteRepository } from './drivers/pglite.repository';
import { migratePool, pgliteSession } from './migration-sessions';
import { migrate } from './migrator';

const bootLogger = createBootLogger(process.env);
const logger = bootLogger.child({ context: 'Migrate' });
// The migrator logs through Nest's Logger: the same lines, in the same format.
Logger.overrideLogger(new PinoLoggerService(bootLogger));

async function main(): Promise<void> {
  const config = parseDatabaseConfig({
    ...process.env,
    DATABASE_DRIVER: undefined,
    SUPABASE_URL: undefined,
  });
  if (config.databaseUrl) {
    const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
    try {
      report(await migratePool(pool));
    } finally {
      await pool.end();
    }
    return;
  }
  const lock = await lockEmbeddedDatabase(config, 'npm run db:migrate');
  const repository = await PgliteRepository.open(config.pgliteDataDir);
  try {
    report(await migrate(pgliteSession(repository.db)));
  } finally {
    await repository.close();
    lock?.release();
  }
}

function report(applied: number[]): void {
  logger.info(applied.length ? `Applied ${applied.join(', ')}` : 'Schema is up to date');
}

main().catch((error: unknown) => {
  logger.error(describeBootFailure(error), String((error as Error)?.message ?? error));
  process.exit(1);
});

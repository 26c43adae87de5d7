/**
 * `npm run db:migrate`: applies supabase/migrations to DATABASE_URL (Supabase's direct
 * connection string works), or to the embedded database when no DATABASE_URL is set.
 */
import { Pool } from 'pg';
import { parseDatabaseConfig } from '../config/database.config';
import { PgliteRepository } from './drivers/pglite.repository';
import { migratePool, pgliteSession } from './migration-sessions';
import { migrate } from './migrator';

async function main(): Promise<void> {
  const config = parseDatabaseConfig({
    ...process.env,
    DATABASE_DRIVER: undefined,
    SUPABASE_URL: undefined,
  });
  if (config.databaseUrl) {
    const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
    try {
      const applied = await migratePool(pool);
      console.log(applied.length ? `Applied ${applied.join(', ')}` : 'Schema is up to date');
    } finally {
      await pool.end();
    }
    return;
  }
  const repository = await PgliteRepository.open(config.pgliteDataDir);
  try {
    const applied = await migrate(pgliteSession(repository.db));
    console.log(applied.length ? `Applied ${applied.join(', ')}` : 'Schema is up to date');
  } finally {
    await repository.close();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});

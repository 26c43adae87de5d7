import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadMigrations, migrate } from '../../src/database/migrator';
import { ROOT } from './service-process';

/** Migrates `databaseUrl` with the service's own migrator and the repository's migrations. */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  Logger.overrideLogger(['warn', 'error']);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await migrate(
      {
        exec: async (sql) => {
          await client.query(sql);
        },
        query: async <R>(sql: string, params?: unknown[]) =>
          (await client.query(sql, params)).rows as R[],
      },
      loadMigrations(join(ROOT, 'supabase/migrations')),
    );
  } finally {
    await client.end();
  }
}

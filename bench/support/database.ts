import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadMigrations, migrate } from '../../src/database/migrator';
import { ROOT } from './service-process';

/**
 * Migrates `databaseUrl` with the service's own migrator and the migrations of the checkout at
 * `root` (this one unless given).
 */
export async function migrateDatabase(databaseUrl: string, root = ROOT): Promise<void> {
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
      loadMigrations(join(root, 'supabase/migrations')),
    );
  } finally {
    await client.end();
  }
}

/** `serverUrl` with its database replaced by `database`. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs one statement on its own connection (create or drop a database, reset statistics). */
export async function runStatement(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

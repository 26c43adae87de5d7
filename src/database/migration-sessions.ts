import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import { loadMigrations, Migration, MigrationSession, migrate } from './migrator';

export function pgliteSession(db: PGlite): MigrationSession {
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <R>(sql: string, params?: unknown[]) => (await db.query<R>(sql, params)).rows,
  };
}

/**
 * Migrates through one pooled connection (session advisory locks need a single session), with
 * every shipped migration or the ones given.
 */
export async function migratePool(
  pool: Pool,
  migrations: Migration[] = loadMigrations(),
): Promise<number[]> {
  const client = await pool.connect();
  try {
    return await migrate(
      {
        exec: async (sql) => {
          await client.query(sql);
        },
        query: async <R>(sql: string, params?: unknown[]) =>
          (await client.query(sql, params)).rows as R[],
      },
      migrations,
    );
  } finally {
    client.release();
  }
}

import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The numbered SQL files, shipped beside the build (`supabase db push` reads the same files). */
export const MIGRATIONS_DIR = resolve(__dirname, '../../supabase/migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** One database connection the migrator may run statements on, in order. */
export interface MigrationSession {
  exec(sql: string): Promise<void>;
  query<R>(sql: string, params?: unknown[]): Promise<R[]>;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

/** The schema version this build expects: the highest migration it ships. */
export function expectedSchemaVersion(migrations = loadMigrations()): number {
  return migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
}

// Any constant shared by every instance: two services starting together migrate one at a time.
const MIGRATION_LOCK_KEY = 4_711_2026;

/**
 * Applies the migrations not yet recorded in knowlarity_schema_migrations, each in its own
 * transaction, under a session advisory lock. Safe to re-run; returns the versions applied.
 */
export async function migrate(
  session: MigrationSession,
  migrations = loadMigrations(),
  logger = new Logger('Migrator'),
): Promise<number[]> {
  await session.exec(`set client_min_messages = warning;
    create table if not exists knowlarity_schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    );`);
  await session.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    const applied = new Set(
      (
        await session.query<{ version: number }>('select version from knowlarity_schema_migrations')
      ).map((row) => Number(row.version)),
    );
    const done: number[] = [];
    for (const migration of migrations.filter((m) => !applied.has(m.version))) {
      await session.exec('begin');
      try {
        await session.exec(migration.sql);
        await session.query(
          'insert into knowlarity_schema_migrations (version, name, checksum) values ($1, $2, $3)',
          [migration.version, migration.name, migration.checksum],
        );
        await session.exec('commit');
      } catch (error) {
        await session.exec('rollback');
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`);
      }
      logger.log(`Applied migration ${migration.name}`);
      done.push(migration.version);
    }
    return done;
  } finally {
    await session.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
  }
}

import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The numbered SQL files, shipped beside the build (`npm run db:export` exports the same files). */
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
        checksum: migrationChecksum(sql),
      };
    });
}

/**
 * The checksum recorded for a migration and compared on every later run. Line endings do not
 * count: a Windows checkout that turned LF into CRLF has not edited the file (`.gitattributes`
 * keeps these files LF in a checkout anyway). Anything else that changes a byte does count.
 */
export function migrationChecksum(sql: string): string {
  return sha256(sql.replace(/\r\n/g, '\n'));
}

/**
 * Checksums an unedited file may have been recorded with: the one above, and the checksum of the
 * same text with CRLF endings, which builds that hashed the raw bytes recorded from a Windows
 * checkout.
 */
export function acceptedChecksums(migration: Migration): string[] {
  const lf = migration.sql.replace(/\r\n/g, '\n');
  return [migration.checksum, sha256(lf.replace(/\n/g, '\r\n'))];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The schema version this build expects: the highest migration it ships. */
export function expectedSchemaVersion(migrations = loadMigrations()): number {
  return migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
}

// Any constant shared by every instance: two services starting together migrate one at a time.
// `npm run db:export` files take the same lock (as a transaction lock) while they apply.
export const MIGRATION_LOCK_KEY = 4_711_2026;

/** The ledger: one row per applied migration, with the checksum of the file as applied. */
export const LEDGER_DDL = `create table if not exists knowlarity_schema_migrations (
  version integer primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now()
);`;

interface LedgerRow {
  version: number;
  name: string;
  checksum: string;
}

/** Why the migrator (or an exported file) stops: `files` names the edited migrations. */
export function migrationEditedMessage(files: string, count: number): string {
  return (
    `${count === 1 ? 'Migration' : 'Migrations'} ${files} ${count === 1 ? 'was' : 'were'} ` +
    'edited after being applied to this database (the checksum recorded in ' +
    'knowlarity_schema_migrations no longer matches). Applied migrations are immutable: restore ' +
    'the file as it was applied and put the change in a new numbered migration.'
  );
}

/** A migration that was applied to this database and whose file has changed since. */
export class MigrationEditedError extends Error {
  readonly code = 'migration_edited';

  constructor(readonly files: string[]) {
    super(migrationEditedMessage(files.join(', '), files.length));
    this.name = 'MigrationEditedError';
  }
}

/**
 * The shipped migrations this database recorded with another checksum, named by file (and by the
 * name they were applied under, when that differs).
 */
export function editedMigrations(migrations: Migration[], ledger: LedgerRow[]): string[] {
  const recorded = new Map(ledger.map((row) => [Number(row.version), row]));
  return migrations.flatMap((migration) => {
    const row = recorded.get(migration.version);
    if (!row || acceptedChecksums(migration).includes(row.checksum)) return [];
    return [row.name === migration.name ? row.name : `${migration.name} (applied as ${row.name})`];
  });
}

/**
 * Applies the migrations not yet recorded in knowlarity_schema_migrations, each in its own
 * transaction, under a session advisory lock. Safe to re-run; returns the versions applied.
 * Refuses (MigrationEditedError, nothing applied) when an applied file was edited since.
 */
export async function migrate(
  session: MigrationSession,
  migrations = loadMigrations(),
  logger = new Logger('Migrator'),
): Promise<number[]> {
  await session.exec(`set client_min_messages = warning;\n${LEDGER_DDL}`);
  await session.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    const ledger = await session.query<LedgerRow>(
      'select version, name, checksum from knowlarity_schema_migrations',
    );
    const edited = editedMigrations(migrations, ledger);
    if (edited.length > 0) throw new MigrationEditedError(edited);
    const applied = new Set(ledger.map((row) => Number(row.version)));
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

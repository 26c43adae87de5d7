import { PGlite } from '@electric-sql/pglite';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { PgliteRepository } from '../../src/database/drivers/pglite.repository';
import { PostgresRepository } from '../../src/database/drivers/postgres.repository';
import { migratePool, pgliteSession } from '../../src/database/migration-sessions';
import { loadMigrations, migrate } from '../../src/database/migrator';

/** Raw SQL on a test database, for arranging rows and asserting on them. */
export type Sql = <R = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

/** A source's derived lead counts, as knowlarity_source_lead_counts returns them. */
export interface SourceLeadCount {
  sourceId: number;
  totalLeads: number;
  todaysLeads: number;
  lastLeadAt: string | null;
}

/**
 * knowlarity_source_lead_counts (the exact counts the refresh copies into sources), read with
 * SQL: the service itself never calls it directly.
 */
export async function sourceLeadCounts(
  database: TestDatabase,
  timezone: string,
  now: Date,
): Promise<SourceLeadCount[]> {
  const [row] = await database.sql<{ counts: SourceLeadCount[] }>(
    'select knowlarity_source_lead_counts($1, $2) as counts',
    [timezone, now.toISOString()],
  );
  return row.counts;
}

export interface TestDatabase {
  kind: 'pglite' | 'postgres';
  sql: Sql;
  /** Runs one parameterised statement (the PostgREST stand-in's function calls). */
  query: (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
  /** A connection string for postgres databases (undefined for PGlite). */
  url?: string;
  close(): Promise<void>;
}

export const serverUrl = process.env.TEST_DATABASE_URL;

/** `describe` for suites that need the PostgreSQL server; CI always sets TEST_DATABASE_URL. */
export const describeWithServer = serverUrl ? describe : describe.skip;

// Creating a PGlite data dir runs initdb (seconds); loading a dumped one takes a fraction of
// that. The dump is cached per migration set, so every suite starts from a migrated database.
function pgliteDumpPath(migrated: boolean): string {
  const digest = createHash('sha256')
    .update(
      migrated
        ? loadMigrations()
            .map((m) => m.checksum)
            .join(',')
        : 'empty',
    )
    .digest('hex')
    .slice(0, 16);
  return join(tmpdir(), `knowlarity-lead-sync-pglite-${digest}.tar.gz`);
}

/** A dumped PGlite data dir (migrated or empty), built once per migration set and cached. */
export async function pgliteDump(migrated: boolean): Promise<Blob> {
  const path = pgliteDumpPath(migrated);
  if (!existsSync(path)) {
    const db = await PGlite.create('memory://');
    if (migrated) await migrate(pgliteSession(db));
    const dump = await db.dumpDataDir('gzip');
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, path);
    await db.close();
  }
  return new Blob([readFileSync(path)]);
}

/** A fresh, migrated in-memory PGlite and its repository. */
export async function createPgliteDatabase(options: { migrated?: boolean } = {}) {
  const repository = await PgliteRepository.open(
    'memory://',
    await pgliteDump(options.migrated !== false),
  );
  const db = repository.db;
  const database: TestDatabase = {
    kind: 'pglite',
    // Without parameters, exec: it takes several statements, like pg's simple query protocol.
    sql: async <R>(text: string, params?: unknown[]): Promise<R[]> =>
      params
        ? (await db.query<R>(text, params)).rows
        : (((await db.exec(text)).at(-1)?.rows ?? []) as R[]),
    query: (text, params) => db.query(text, params),
    close: () => repository.close(),
  };
  return { database, repository };
}

/** A fresh database on the PostgreSQL server (dropped by close), optionally migrated. */
export async function createServerDatabase(options: { migrated?: boolean } = {}) {
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `kls_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const repository = PostgresRepository.connect(url.toString(), 20);
  if (options.migrated !== false) await migratePool(repository.pool);
  const pool: Pool = repository.pool;
  const database: TestDatabase = {
    kind: 'postgres',
    url: url.toString(),
    sql: async <R>(text: string, params?: unknown[]): Promise<R[]> =>
      (await pool.query(text, params)).rows as R[],
    query: (text, params) => pool.query(text, params),
    close: async () => {
      await repository.close().catch(() => undefined);
      const cleanup = new Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
  return { database, repository };
}

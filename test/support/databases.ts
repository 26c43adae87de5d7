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

/** A short name for `parts`: what a cached database was made from. */
function digestOf(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex').slice(0, 16);
}

/** The migrations this build ships, as one string that changes when any of them does. */
const migrationSet = () =>
  loadMigrations()
    .map((m) => m.checksum)
    .join(',');

// Creating a PGlite data dir runs initdb (seconds); loading a dumped one takes a fraction of
// that. The dump is cached per migration set, so every suite starts from a migrated database.
function pgliteDumpPath(migrated: boolean): string {
  const digest = digestOf(migrated ? migrationSet() : 'empty');
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

/** `serverUrl` with another database name. */
function serverDatabaseUrl(name: string): string {
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Supabase's roles change what the migrations grant; suites create them on the cluster as they
 * go, so a migrated template is only valid for the roles that existed when it was made.
 */
const SUPABASE_ROLES = ['anon', 'authenticated', 'service_role'];

/**
 * The name of a migrated database to copy (`create database … template`), made once per
 * migration set and set of Supabase roles present: a copy takes a tenth of a second, running
 * every migration on a new database more than a second, and the suites create many. Made under
 * an advisory lock, under a temporary name renamed when complete, so concurrent test processes
 * never copy a half-migrated one.
 */
async function migratedTemplate(admin: Client): Promise<string> {
  const { rows } = await admin.query<{ roles: string | null }>(
    `select string_agg(rolname, ',' order by rolname) as roles from pg_roles
     where rolname = any($1)`,
    [SUPABASE_ROLES],
  );
  const name = `kls_template_${digestOf(migrationSet(), `roles:${rows[0].roles ?? ''}`)}`;
  const exists = async () =>
    (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  if (await exists()) return name;
  await admin.query('select pg_advisory_lock(hashtext($1))', [name]);
  try {
    if (await exists()) return name;
    const building = `${name}_building`;
    await admin.query(`drop database if exists ${building} with (force)`);
    await admin.query(`create database ${building}`);
    const pool = new Pool({ connectionString: serverDatabaseUrl(building), max: 1 });
    try {
      await migratePool(pool);
    } finally {
      await pool.end();
    }
    await admin.query(`alter database ${building} rename to ${name}`);
    await dropStaleTemplates(admin);
    return name;
  } finally {
    await admin.query('select pg_advisory_unlock(hashtext($1))', [name]);
  }
}

/** Templates kept on the server: two checkouts' worth (each makes one without, one with roles). */
const TEMPLATES_KEPT = 4;

/**
 * Drops all but the newest TEMPLATES_KEPT templates (by oid, which grows with each new
 * database), run when a new one was made: every change to the migrations makes one, about 9 MB
 * each, which would otherwise stay on the server for good. A template being built (`_building`)
 * is someone's work in progress and is left alone. A copy running from a template holds a lock
 * the drop waits for; a process that found the template just before it went rebuilds it
 * (createServerDatabase). Best effort: a template that cannot be dropped now is dropped later.
 */
async function dropStaleTemplates(admin: Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>(
    `select datname from pg_database
     where datname like 'kls\\_template\\_%' and datname not like '%\\_building'
     order by oid desc offset $1`,
    [TEMPLATES_KEPT],
  );
  for (const { datname } of rows) {
    await admin.query(`drop database if exists ${datname}`).catch(() => undefined);
  }
}

/** PostgreSQL's invalid_catalog_name: here, a template dropped after it was found. */
const NO_SUCH_DATABASE = '3D000';

/** A fresh database on the PostgreSQL server (dropped by close), optionally migrated. */
export async function createServerDatabase(options: { migrated?: boolean } = {}) {
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `kls_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const copyOf = (template: string) =>
      admin.query(`create database ${name} template ${template}`);
    if (options.migrated === false) await copyOf('template1');
    else
      await copyOf(await migratedTemplate(admin)).catch(async (error: { code?: string }) => {
        if (error.code !== NO_SUCH_DATABASE) throw error;
        await copyOf(await migratedTemplate(admin));
      });
  } finally {
    await admin.end();
  }
  const url = serverDatabaseUrl(name);
  const repository = PostgresRepository.connect(url, 20);
  const pool: Pool = repository.pool;
  const database: TestDatabase = {
    kind: 'postgres',
    url,
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

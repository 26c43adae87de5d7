import { randomBytes } from 'node:crypto';
import { SupabaseRepository } from '../../src/database/drivers/supabase.repository';
import { LeadSyncRepository } from '../../src/database/lead-sync.repository';
import { createPgliteDatabase, createServerDatabase, serverUrl, TestDatabase } from './databases';
import { FakePostgrest } from './fake-postgrest';

export interface OpenTarget {
  repository: LeadSyncRepository;
  database: TestDatabase;
  close(): Promise<void>;
}

/** One way of reaching a real database through one driver. */
export interface RepositoryTarget {
  name: string;
  /** True when the database underneath is the PostgreSQL server (many connections: races show). */
  server: boolean;
  available: boolean;
  open(): Promise<OpenTarget>;
}

async function behindFakePostgrest(opened: { database: TestDatabase }): Promise<OpenTarget> {
  const postgrest = new FakePostgrest(
    opened.database,
    `test-service-key-${randomBytes(8).toString('hex')}`,
  );
  const url = await postgrest.start();
  const repository = SupabaseRepository.connect(url, postgrest.serviceKey);
  return {
    repository,
    database: opened.database,
    close: async () => {
      await repository.close();
      await postgrest.stop();
      await opened.database.close();
    },
  };
}

export const repositoryTargets: RepositoryTarget[] = [
  {
    name: 'pglite',
    server: false,
    available: true,
    open: async () => {
      const { database, repository } = await createPgliteDatabase();
      return { database, repository, close: () => database.close() };
    },
  },
  {
    name: 'postgres',
    server: true,
    available: !!serverUrl,
    open: async () => {
      const { database, repository } = await createServerDatabase();
      return { database, repository, close: () => database.close() };
    },
  },
  {
    name: 'supabase (PostgREST stand-in on PGlite)',
    server: false,
    available: true,
    open: async () => behindFakePostgrest(await createPgliteDatabase()),
  },
  {
    name: 'supabase (PostgREST stand-in on PostgreSQL)',
    server: true,
    available: !!serverUrl,
    open: async () => behindFakePostgrest(await createServerDatabase()),
  },
];

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

/** The database a suite runs on, read when a hook or test runs (it is opened by then). */
export type OpenedDatabase = Readonly<Pick<OpenTarget, 'repository' | 'database'>>;

export interface EveryTargetOptions {
  /** A fresh database for the whole suite (the default) or for each test. */
  freshFor?: 'suite' | 'test';
  /** Only the targets with these names (all of them by default). */
  only?: string[];
  /** How long opening one database may take, in milliseconds (Jest's default otherwise). */
  openTimeout?: number;
}

/**
 * Declares the suite `<name> on <target>` for every repository target, each on a database it
 * opens before the suite's own hooks run and closes after them (an app the suite boots on it is
 * closed first). A target on the PostgreSQL server is skipped, as a skipped suite the run
 * reports, only when TEST_DATABASE_URL is not set; with it set, a server that cannot be reached
 * fails the suite.
 */
export function describeOnEveryTarget(
  name: string,
  body: (db: OpenedDatabase, target: RepositoryTarget) => void,
  options: EveryTargetOptions = {},
): void {
  const { freshFor = 'suite', only, openTimeout } = options;
  const [before, after] = freshFor === 'suite' ? [beforeAll, afterAll] : [beforeEach, afterEach];
  for (const target of repositoryTargets) {
    if (only && !only.includes(target.name)) continue;
    (target.available ? describe : describe.skip)(`${name} on ${target.name}`, () => {
      let opened: OpenTarget | undefined;
      const db: OpenedDatabase = {
        get repository() {
          return openedOrThrow().repository;
        },
        get database() {
          return openedOrThrow().database;
        },
      };
      const openedOrThrow = (): OpenTarget => {
        if (!opened) throw new Error(`The database on ${target.name} is not open`);
        return opened;
      };

      before(async () => {
        opened = await target.open();
      }, openTimeout);
      body(db, target);
      after(async () => {
        await opened?.close();
        opened = undefined;
      });
    });
  }
}

import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { FunctionArgs, LeadSyncRepository } from '../lead-sync.repository';
import { toStorageError } from '../storage.errors';
import { buildFunctionCall } from './sql-function-call';

/**
 * Embedded PostgreSQL in WASM, in-process: the default when no database is configured. One
 * connection, so calls are serialised; each function call is still its own transaction.
 */
export class PgliteRepository extends LeadSyncRepository {
  constructor(readonly db: PGlite) {
    super();
  }

  /** One connection: ingest batches take turns on it instead of queueing inside PGlite. */
  override get maxConcurrentCalls(): number {
    return 1;
  }

  /** Opens (or creates) the database in `dataDir`; `memory://` keeps it in memory. */
  static async open(dataDir: string, loadDataDir?: Blob): Promise<PgliteRepository> {
    if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
    return new PgliteRepository(await PGlite.create(dataDir, { loadDataDir }));
  }

  protected async callFunction<T>(fn: string, args: FunctionArgs): Promise<T> {
    const { text, values } = buildFunctionCall(fn, args);
    try {
      const result = await this.db.query<{ result: T }>(text, values);
      return result.rows[0].result;
    } catch (error) {
      throw toStorageError(error);
    }
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

import { Pool, types } from 'pg';
import { FunctionArgs, LeadSyncRepository } from '../lead-sync.repository';
import { runFunctionCall } from './sql-function-call';

// int8 as a JS number: ids stay far below 2^53, and the other drivers return numbers too.
types.setTypeParser(types.builtins.INT8, (value) => Number(value));

/** Any PostgreSQL (including Supabase's direct connection) through a `pg` pool. */
export class PostgresRepository extends LeadSyncRepository {
  constructor(readonly pool: Pool) {
    super();
    // An idle client whose server went away emits 'error'; without a listener that would crash
    // the process. The pool discards the client and the next query reconnects.
    pool.on('error', () => undefined);
  }

  static connect(connectionString: string, poolSize: number): PostgresRepository {
    return new PostgresRepository(
      new Pool({
        connectionString,
        max: poolSize,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30000,
        application_name: 'knowlarity-lead-sync',
      }),
    );
  }

  protected callFunction<T>(fn: string, args: FunctionArgs): Promise<T> {
    return runFunctionCall(fn, args, (text, values) =>
      this.pool.query<{ result: T }>(text, values),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

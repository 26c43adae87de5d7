import { Pool, types } from 'pg';
import { FunctionArgs, LeadSyncRepository } from '../lead-sync.repository';
import { runFunctionCall } from './sql-function-call';

// int8 as a JS number: ids stay far below 2^53, and the other drivers return numbers too.
types.setTypeParser(types.builtins.INT8, (value) => Number(value));

/** json and jsonb results as the server printed them; every other type as usual. */
const JSON_TYPES = new Set<number>([types.builtins.JSON, types.builtins.JSONB]);
const JSON_AS_TEXT = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    JSON_TYPES.has(oid)
      ? (text: string) => text
      : (types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown),
};

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

  protected override callFunctionText(fn: string, args: FunctionArgs): Promise<string | null> {
    return runFunctionCall(fn, args, (text, values) =>
      this.pool.query<{ result: string | null }>({ text, values, types: JSON_AS_TEXT }),
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

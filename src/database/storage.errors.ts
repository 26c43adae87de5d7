import { DomainError } from '../common/domain-error';

/** The database cannot be reached or refused the connection; the caller should retry later. */
export class StorageUnavailableError extends DomainError {
  constructor(cause?: unknown) {
    super('storage_unavailable', 'The database is unavailable; retry later.', 503);
    this.cause = cause;
  }
}

/** The database answered with an error that is not about reachability (a bug or bad data). */
export class StorageError extends DomainError {
  constructor(
    message: string,
    readonly sqlState?: string,
  ) {
    super('storage_error', message);
  }
}

/** The database holds an older schema than this build of the service expects. */
export class SchemaBehindError extends DomainError {
  constructor(found: number, expected: number) {
    super(
      'schema_behind',
      `The database schema is at version ${found}, this service needs ${expected}. ` +
        'Apply the migrations first: `DATABASE_URL=<direct connection string> npm run db:migrate` ' +
        '(or `npm run db:export` and `supabase db push`), then start the service again.',
    );
  }
}

const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * SQLSTATE classes and node errors that mean "the database is not there right now": connection
 * exceptions (08), operator intervention such as pg_terminate_backend (57P01..57P03), too many
 * connections (53300), socket errors, and a pool that found no free connection in time (an
 * overloaded database: the client should retry, so 503 rather than 500). Everything else is a real error.
 */
export function isUnavailable(error: unknown): boolean {
  const err = error as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  const message = typeof err?.message === 'string' ? err.message : '';
  return (
    code.startsWith('08') ||
    ['57P01', '57P02', '57P03', '53300'].includes(code) ||
    UNAVAILABLE_NODE_CODES.has(code) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|fetch failed|ECONNREFUSED|not currently accepting connections|the database system is (starting up|shutting down)/i.test(
      message,
    )
  );
}

/** Maps a driver error to a domain error; never leaks SQL or connection strings to a client. */
export function toStorageError(error: unknown): Error {
  if (error instanceof StorageUnavailableError || error instanceof StorageError) return error;
  if (isUnavailable(error)) return new StorageUnavailableError(error);
  const err = error as { code?: string; message?: string };
  return new StorageError(err?.message ?? String(error), err?.code);
}

/**
 * A deadlock (40P01) or serialization failure (40001): the transaction lost a race and was
 * rolled back whole; running it again is expected to succeed.
 */
export function isTransactionConflict(error: unknown): boolean {
  return error instanceof StorageError && ['40P01', '40001'].includes(error.sqlState ?? '');
}

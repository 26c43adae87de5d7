import { PGlite, types } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { FunctionArgs, LeadSyncRepository } from '../lead-sync.repository';
import { PgliteCheckpointer } from './pglite-checkpointer';
import { createDataDirectoryOnce } from './pglite-data-directory';
import { runFunctionCall } from './sql-function-call';

/**
 * PostgreSQL settings PGlite is started with (on top of its own defaults: single-user mode,
 * fsync off). Measured, with the reasons in bench/README.md:
 * - shared_buffers: PostgreSQL's 128 MB buffer pool lives in the WASM heap, which never shrinks;
 *   16 MB is about 120 MB less resident memory at idle and more under load, and bounds what a
 *   checkpoint writes.
 * - wal_init_zero off: a new 16 MB WAL segment is not zero-filled first. That write ran inside
 *   a request (PGlite is in-process) and stalled every request for 0.1–0.5 s each 16 MB of WAL.
 * - full_page_writes off: full-page images guard against pages torn by a power loss between
 *   write and fsync; PGlite never fsyncs (-F), so they protect nothing here, and they made up
 *   most of the WAL after each checkpoint. A killed process does not tear pages.
 */
export const PGLITE_SETTINGS: Record<string, string> = {
  shared_buffers: '16MB',
  wal_init_zero: 'off',
  full_page_writes: 'off',
  // One backend ever runs (single-user mode), but PostgreSQL sizes its shared memory (process
  // slots, lock tables) for every connection, autovacuum worker and WAL sender it could have:
  // 24 MB of shared memory becomes 20 MB, 4 MiB less resident. The lock table shrinks with it
  // and still holds 3,000 advisory locks in one transaction (measured), against the 1,000 phone
  // locks of the largest batch INGEST_BATCH_MAX allows.
  max_connections: '5',
  autovacuum_worker_slots: '1',
  max_wal_senders: '0',
  max_replication_slots: '0',
};

/** json and jsonb results as PostgreSQL printed them (callFunctionText). */
const JSON_AS_TEXT = {
  [types.JSON]: (text: string) => text,
  [types.JSONB]: (text: string) => text,
};

/**
 * V8 compiles PGlite's 9 MB WASM module on background threads, and recompiles its hot
 * functions with the optimising compiler as they run; each thread's compiler memory is freed
 * into a malloc arena of its own that is not handed back. With one compilation thread the
 * process keeps about 30 MiB less (measured on a bare PGlite: 181–193 → 134–147 MiB RSS). Only
 * compile time moves: the code the requests run is the same. Process-wide, but PGlite is the
 * only WASM the service runs; set before the module is compiled, at the first open.
 */
const WASM_COMPILATION_FLAGS = '--wasm-num-compilation-tasks=1';

/**
 * How much garbage V8 lets old space gather between major GCs while PGlite runs in the process.
 * V8 sets the next major GC's limit from a dynamic factor of up to 4× what survived the last one
 * (4 on a machine with gigabytes of memory); under the webhook load that garbage was most of the
 * peak RSS (a live old space of about 30 MiB, a peak of 315–360 MiB). `--heap-growing-percent=20`
 * fixes the factor at 1.2: in the bench's PGlite phase the peak fell to 244–260 MiB, with major
 * GCs a little more often and no more GC time per request (a major GC here marks about 30 MiB:
 * each is short).
 * V8 reads the flag at every major GC, so it works set at run time, unlike the start-up flags
 * that size the heap (`--max-old-space-size`, `--max-semi-space-size`). Process-wide, but set
 * only when the embedded database is the driver: the postgres driver keeps Node's sizing.
 * Measured side by side, with what was tried and dropped, in bench/README.md ("PGlite's V8 heap").
 */
const HEAP_FLAGS = '--heap-growing-percent=20';

/**
 * Embedded PostgreSQL in WASM, in-process: the default when no database is configured. One
 * connection, so calls are serialised; each function call is still its own transaction.
 */
export class PgliteRepository extends LeadSyncRepository {
  private checkpointer: PgliteCheckpointer | null = null;

  constructor(readonly db: PGlite) {
    super();
  }

  /** One connection: ingest batches take turns on it instead of queueing inside PGlite. */
  override get maxConcurrentCalls(): number {
    return 1;
  }

  /** PostgreSQL runs in WASM on the service's thread: a call blocks the event loop until it ends. */
  override get holdsThread(): boolean {
    return true;
  }

  /**
   * Opens (or creates) the database in `dataDir`; `memory://` keeps it in memory. A `loadDataDir`
   * dump becomes the new directory's contents, so no empty database is created first.
   */
  static async open(dataDir: string, loadDataDir?: Blob): Promise<PgliteRepository> {
    const onDisk = !dataDir.startsWith('memory://');
    if (onDisk) {
      mkdirSync(dataDir, { recursive: true });
      if (!loadDataDir) await createDataDirectoryOnce(dataDir);
    }
    setFlagsFromString(WASM_COMPILATION_FLAGS);
    setFlagsFromString(HEAP_FLAGS);
    const startParams = [
      ...PGlite.defaultStartParams,
      ...Object.entries(PGLITE_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ];
    const repository = new PgliteRepository(
      await PGlite.create(dataDir, { loadDataDir, startParams }),
    );
    if (onDisk) repository.checkpointer = new PgliteCheckpointer(repository.db);
    return repository;
  }

  protected callFunction<T>(fn: string, args: FunctionArgs): Promise<T> {
    return runFunctionCall(fn, args, (text, values) => this.db.query<{ result: T }>(text, values));
  }

  protected override callFunctionText(fn: string, args: FunctionArgs): Promise<string | null> {
    return runFunctionCall(fn, args, (text, values) =>
      this.db.query<{ result: string | null }>(text, values, { parsers: JSON_AS_TEXT }),
    );
  }

  async close(): Promise<void> {
    this.checkpointer?.stop();
    if (!this.db.closed) await this.db.close();
  }
}

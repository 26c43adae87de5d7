import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the numbered SQL files live, read by the tests themselves (not through the migrator). */
export const MIGRATIONS_DIR = join(__dirname, '../../supabase/migrations');

/**
 * The migrations this build ships, listed by hand so that the migrator's own file discovery is
 * checked against it: a new migration file means one new line here.
 */
export const SHIPPED_MIGRATIONS = [
  '0001_crm_tables.sql',
  '0002_knowlarity_ingest.sql',
  '0003_delivery_inspection.sql',
  '0004_knowlarity_sync.sql',
  '0005_lookups.sql',
  '0006_source_day_counts.sql',
  '0007_retention.sql',
  '0008_ingest_batch.sql',
  '0009_tidy.sql',
  '0010_close_sequences.sql',
  '0012_crm_fidelity.sql',
  '0013_stream_arrival_path.sql',
  '0014_leads_per_hour.sql',
  '0015_source_reads.sql',
  '0016_ingest_write_once.sql',
  '0017_source_details_batch.sql',
  '0018_batch_counts_own_credits.sql',
  '0019_ingest_statement_costs.sql',
  '0020_batch_counts_fixes_reapplied.sql',
  '0021_batch_deliveries_lean_locks.sql',
  '0022_phone_leads_one_range.sql',
];

/** The version each listed file carries in its name. */
export const SHIPPED_VERSIONS = SHIPPED_MIGRATIONS.map((file) => Number(file.slice(0, 4)));

/** The schema version a fully migrated database reports: the last listed migration's. */
export const LATEST_SCHEMA_VERSION = SHIPPED_VERSIONS[SHIPPED_VERSIONS.length - 1];

/** The `.sql` files actually in the directory, in name order. */
export function sqlFilesInDirectory(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith('.sql'))
    .sort();
}

/** A listed migration's SQL, read straight from its file. */
export function migrationSql(file: string): string {
  return readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
}

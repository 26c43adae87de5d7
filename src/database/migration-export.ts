import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Clock } from '../common/clock';
import {
  acceptedChecksums,
  LEDGER_DDL,
  loadMigrations,
  Migration,
  MIGRATION_LOCK_KEY,
  migrationEditedMessage,
} from './migrator';

/** The Supabase CLI's file name: `supabase migration new` writes the UTC time the same way. */
export function exportFileName(now: Date): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return `${stamp}_knowlarity_lead_sync.sql`;
}

/**
 * Our migrations as one file for a team that applies its schema with `supabase db push`.
 *
 * The CLI applies a file once, in version order, and refuses files older than the newest it has
 * applied; so the file carries the current time in its name, and everything in it must be safe
 * on a database that already holds any part of our schema. Each of our migrations therefore runs
 * only when our own ledger (`knowlarity_schema_migrations`) does not record it, and is recorded
 * there with the checksum the migrator compares: a database brought up this way, by
 * `npm run db:migrate`, or by an earlier export, is current for the service and for the next
 * export alike. An applied migration recorded with another checksum stops the file, as it stops
 * the migrator. The CLI's own history is the CLI's business: nothing here writes to it.
 */
export function renderMigrationExport(migrations: Migration[], now: Date): string {
  if (migrations.length === 0) throw new Error('There are no migrations to export.');
  const header = [
    `-- knowlarity-lead-sync: its database schema, exported by \`npm run db:export\` at ${now.toISOString()}.`,
    `-- Migrations: ${migrations.map((m) => m.name).join(', ')}.`,
    '-- Generated: do not edit. After upgrading the service, export again (a new file).',
    '-- Each migration runs only if knowlarity_schema_migrations does not record it yet, so this file',
    '-- is safe on a database migrated by `npm run db:migrate` or by any earlier export.',
    '',
    '-- `supabase db push` runs this file in one transaction; nothing here outlives it.',
    'set local client_min_messages = warning;',
    LEDGER_DDL,
    '-- One migrator at a time: the service takes the same lock while it migrates.',
    `select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});`,
    '',
    refuseEditedMigrations(migrations),
  ];
  return [...header, ...migrations.map(applyOnce)].join('\n');
}

/** Writes the export into `dir` (a Supabase migrations folder) and returns the file's path. */
export function writeMigrationExport(
  dir: string,
  clock: Clock,
  migrations: Migration[] = loadMigrations(),
): string {
  const now = clock.now();
  const path = join(dir, exportFileName(now));
  // `wx`: never overwrite, not even an export written in the same second.
  writeFileSync(path, renderMigrationExport(migrations, now), { flag: 'wx' });
  return path;
}

/** A block that stops the file, naming the files, when an applied migration was edited since. */
function refuseEditedMigrations(migrations: Migration[]): string {
  const expected = migrations
    .map(
      (m) =>
        `(${m.version}, ${literal(m.name)}, array[${acceptedChecksums(m).map(literal).join(', ')}])`,
    )
    .join(',\n      ');
  return `do $knowlarity_check$
declare
  v_edited text;
  v_count integer;
begin
  select string_agg(e.name, ', ' order by e.version), count(*) into v_edited, v_count
  from (values
      ${expected}
    ) as e (version, name, checksums)
  join knowlarity_schema_migrations l on l.version = e.version
  where l.checksum <> all (e.checksums);
  if v_count = 1 then
    raise exception '%', replace(${literal(migrationEditedMessage('{files}', 1))}, '{files}', v_edited);
  elsif v_count > 1 then
    raise exception '%', replace(${literal(migrationEditedMessage('{files}', 2))}, '{files}', v_edited);
  end if;
end $knowlarity_check$;
`;
}

function applyOnce(migration: Migration): string {
  const tag = `$knowlarity_${String(migration.version).padStart(4, '0')}$`;
  for (const quote of [tag, '$knowlarity_apply$']) {
    if (migration.sql.includes(quote)) {
      throw new Error(`${migration.name} contains ${quote}, a quote this export wraps it in.`);
    }
  }
  return `-- ${migration.name}
do $knowlarity_apply$
begin
  if not exists (select 1 from knowlarity_schema_migrations where version = ${migration.version}) then
    execute ${tag}
${migration.sql.replace(/\r\n/g, '\n').trimEnd()}
${tag};
    insert into knowlarity_schema_migrations (version, name, checksum)
    values (${migration.version}, ${literal(migration.name)}, ${literal(migration.checksum)});
  end if;
end $knowlarity_apply$;
`;
}

/** A SQL string literal; names and checksums hold no quotes, but the quoting is done right. */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

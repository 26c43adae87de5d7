/**
 * `npm run db:export -- --dir <your repository>/supabase/migrations`: writes this service's schema
 * as one new Supabase CLI migration (`YYYYMMDDHHMMSS_knowlarity_lead_sync.sql`, the current UTC
 * time) for teams that apply every schema change with `supabase db push`.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Clock } from '../common/clock';
import { writeMigrationExport } from './migration-export';

const USAGE = `Usage: npm run db:export -- --dir <folder>

  --dir FOLDER   the Supabase migrations folder to write into (e.g. ../crm/supabase/migrations)

Writes one new file, named with the current time so that \`supabase db push\` applies it after
every migration already there. Run it again after upgrading the service: the new file applies
only what the database lacks.`;

function main(): void {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.dir) throw new Error('--dir is required');
  if (!existsSync(values.dir) || !statSync(values.dir).isDirectory()) {
    throw new Error(`--dir ${values.dir} is not a folder`);
  }
  const path = writeMigrationExport(values.dir, new Clock());
  console.log(`Wrote ${path}; apply it with \`supabase db push\`.`);
}

try {
  main();
} catch (error) {
  console.error((error as Error).message);
  console.error('Run with --help for the options.');
  process.exit(1);
}

/**
 * Sequences closed to Supabase's client roles (issue 11), on the PostgreSQL server. Supabase
 * grants anon and authenticated every right on new sequences by default; this database gets the
 * same default privileges before migrating, so what the migrations leave open shows.
 */
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { migratePool } from '../src/database/migration-sessions';
import { describeWithServer, serverUrl } from './support/databases';

const ROLES = `
  do $$ begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin; end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
    if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin bypassrls; end if;
  end $$;`;

describeWithServer('sequence lock-down (server)', () => {
  it('leaves no sequence usable by anon or authenticated, and every one usable by service_role', async () => {
    const name = `kls_seq_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(ROLES);
    await admin.query(`create database ${name}`);
    const url = new URL(serverUrl!);
    url.pathname = `/${name}`;
    const pool = new Pool({ connectionString: url.toString(), max: 2 });
    try {
      await pool.query(
        'alter default privileges in schema public grant all on sequences to anon, authenticated',
      );
      await migratePool(pool);

      const { rows } = await pool.query<{ seq: string; role: string; usable: boolean }>(
        `select c.relname as seq, r.role,
                has_sequence_privilege(r.role, c.oid, 'usage,select,update') as usable
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         cross join unnest(array['anon', 'authenticated', 'service_role']) as r(role)
         where n.nspname = 'public' and c.relkind = 'S'
         order by 1, 2`,
      );

      expect(rows.length).toBeGreaterThan(0);
      expect(rows.map((row) => row.seq)).toContain('webhook_deliveries_id_seq');
      expect(rows.filter((row) => row.role !== 'service_role' && row.usable)).toEqual([]);
      expect(rows.filter((row) => row.role === 'service_role' && !row.usable)).toEqual([]);
    } finally {
      await pool.end();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

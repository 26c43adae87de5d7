/**
 * Supabase lock-down, on the PostgreSQL server: with Supabase's roles present before migrating,
 * `anon` can neither read the tables nor execute the functions; `service_role` can.
 */
import { Client, QueryResultRow } from 'pg';
import { createServerDatabase, describeWithServer, serverUrl } from './support/databases';

const ROLES = `
  do $$ begin
    if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin; end if;
    if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
    -- As on Supabase, service_role bypasses row level security.
    if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin bypassrls; end if;
  end $$;`;

const INGEST = `select knowlarity_ingest_call(
  '{"callId": "lockdown-1", "customerPhone": "9811100001", "customerPhoneE164": "+919811100001"}'::jsonb,
  'webhook')`;

describeWithServer('Supabase lock-down (server)', () => {
  it('closes tables and functions to anon and authenticated, and opens them to service_role', async () => {
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(ROLES);
    await admin.end();
    const { database } = await createServerDatabase();
    const client = new Client({ connectionString: database.url });
    await client.connect();
    const as = async <R extends QueryResultRow = QueryResultRow>(role: string, sql: string) => {
      await client.query(`set role ${role}`);
      try {
        return await client.query<R>(sql);
      } finally {
        await client.query('reset role');
      }
    };
    try {
      for (const role of ['anon', 'authenticated']) {
        await expect(as(role, 'select * from leads_master')).rejects.toMatchObject({
          code: '42501',
        });
        await expect(as(role, 'select * from knowlarity_calls')).rejects.toMatchObject({
          code: '42501',
        });
        await expect(as(role, INGEST)).rejects.toMatchObject({ code: '42501' });
      }

      const ingested = await as<{ knowlarity_ingest_call: { outcome: string } }>(
        'service_role',
        INGEST,
      );
      const leads = await as(
        'service_role',
        "select id from leads_master where phone_number_normalized = '9811100001'",
      );

      expect(ingested.rows[0].knowlarity_ingest_call.outcome).toBe('lead_created');
      expect(leads.rows).toHaveLength(1);
      const rls = await client.query<{ relname: string; relrowsecurity: boolean }>(
        `select relname, relrowsecurity from pg_class
         where relname in ('leads_master', 'knowlarity_calls', 'webhook_deliveries', 'sources', 'lead_sources_history')
         order by relname`,
      );
      expect(rls.rows.every((row) => row.relrowsecurity === true)).toBe(true);

      // The alternate-number index calls a normaliser nobody but the service can call by name,
      // yet a CRM role with its own rights on leads_master can still write leads.
      await expect(
        as('anon', "select knowlarity_private.national_phone('+91 98111 00002')"),
      ).rejects.toMatchObject({ code: '42501' });
      await client.query('grant select, insert, update on leads_master to authenticated');
      await client.query(
        'create policy crm_users on leads_master for all to authenticated using (true) with check (true)',
      );
      await as(
        'authenticated',
        "insert into leads_master (full_name, alternate_phone_number) values ('CRM lead', '+91 98111 00002')",
      );
      const viaAlternate = await as<{ page: { items: unknown[] } }>(
        'service_role',
        "select knowlarity_find_leads(p_phone => '9811100002') as page",
      );
      expect(viaAlternate.rows[0].page.items).toEqual([
        expect.objectContaining({ fullName: 'CRM lead', alternatePhone: '+91 98111 00002' }),
      ]);
    } finally {
      await client.end();
      await database.close();
    }
  });
});

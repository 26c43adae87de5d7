-- 0010: sequences closed to Supabase's anon/authenticated roles, now and for every table the
-- migrations close from here on.
--
-- Supabase's default privileges grant anon and authenticated every right on new sequences in
-- public. Closing a table (knowlarity_close_table) revoked its table privileges but left the
-- sequences behind its identity columns open: a client role could still read or advance them.

-- Closes a sequence to anon/authenticated; service_role may use it. Runs where the roles do
-- not exist (plain PostgreSQL, PGlite) as a no-op.
create or replace function knowlarity_close_sequence(p_sequence regclass) returns void
language plpgsql set search_path = public as $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      execute format('revoke all on sequence %s from %I', p_sequence, v_role);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    execute format('grant usage, select on sequence %s to service_role', p_sequence);
  end if;
end $$;

-- As in 0001, plus the sequences the table owns (identity and serial columns), so every table a
-- later migration closes has its sequences closed too.
create or replace function knowlarity_close_table(p_table regclass) returns void
language plpgsql set search_path = public as $$
declare
  v_role text;
  v_sequence regclass;
begin
  execute format('alter table %s enable row level security', p_table);
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      execute format('revoke all on table %s from %I', p_table, v_role);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    execute format('grant select, insert, update, delete on table %s to service_role', p_table);
  end if;
  for v_sequence in
    select d.objid::regclass from pg_depend d
    join pg_class s on s.oid = d.objid and s.relkind = 'S'
    where d.refobjid = p_table and d.classid = 'pg_class'::regclass
      and d.deptype in ('a', 'i')
  loop
    perform knowlarity_close_sequence(v_sequence);
  end loop;
end $$;

-- The tables already closed: those with row level security on and no policy (a CRM table that
-- pre-existed keeps its own policies, and its sequences stay as the CRM set them).
do $$
declare
  v_table regclass;
begin
  for v_table in
    select c.oid::regclass from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and c.relrowsecurity
      and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
  loop
    perform knowlarity_close_table(v_table);
  end loop;
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 10 $$;

select knowlarity_lock_down_functions();

-- 0019: two costs every ingested call paid for a function call that PostgreSQL re-planned.
--
-- Profiled with perf on the webhook bench (64 connections, group commit): of PostgreSQL's CPU,
--  * about 7% went to the calls table's arrival-path check. A CHECK expression is planned afresh
--    for every INSERT and UPDATE statement, and planning folds knowlarity_arrival_paths() by
--    running it: a SQL function run that way is parsed, planned and executed each time;
--  * about 9% went to knowlarity_phone_lock_group: a SQL function with a SET clause is never
--    inlined, and its query was planned again in every transaction (every batch).
-- Both now do the same work from a plan made once per session.

-- The calls table's check holds the arrival paths as a constant, taken from
-- knowlarity_arrival_paths() when this migration runs, so that list stays the one place they are
-- named: a migration that changes the function must rebuild this constraint the same way.
-- The rows already passed the same test; VALIDATE reads the table once, in this migration's
-- transaction.
do $$
begin
  alter table knowlarity_calls drop constraint if exists knowlarity_calls_first_arrival_path_check;
  execute format(
    'alter table knowlarity_calls add constraint knowlarity_calls_first_arrival_path_check '
    'check (first_arrival_path = any (%L::text[])) not valid',
    knowlarity_arrival_paths());
end
$$;
alter table knowlarity_calls validate constraint knowlarity_calls_first_arrival_path_check;

-- 0012's lock group, the same query, in PL/pgSQL: its plan is prepared once per session and kept.
create or replace function knowlarity_phone_lock_group(p_phone text) returns text[]
language plpgsql stable set search_path = public as $$
begin
  return array(
    select n from (
      select p_phone as n
      union
      select l.phone_number_normalized from leads_master l
      where l.alternate_phone_number is not null
        and knowlarity_private.national_phone(l.alternate_phone_number) = p_phone
      union
      select knowlarity_private.national_phone(l.alternate_phone_number) from leads_master l
      where l.phone_number_normalized = p_phone and l.alternate_phone_number is not null
    ) g
    where n is not null
    order by n);
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 19 $$;

select knowlarity_lock_down_functions();

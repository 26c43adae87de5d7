-- 0013: 'stream' (Knowlarity's server-sent-events stream) as a fourth arrival path.
--
-- The list of arrival paths now lives in one place, knowlarity_arrival_paths(), used by the
-- calls table's check and by knowlarity_ingest_call. The ingest function's body is not restated
-- here: its one arrival-path test is rewritten in place (the rest of the body stays exactly as the
-- latest migration defined it), and a migration that redefines knowlarity_ingest_call later must
-- test `p_arrival_path = any (knowlarity_arrival_paths())` in the same way.

-- The arrival paths the ingest function accepts and the calls table stores.
create or replace function knowlarity_arrival_paths() returns text[]
language sql immutable set search_path = public as $$
  select array['webhook', 'poll', 'replay', 'stream']::text[]
$$;

alter table knowlarity_calls drop constraint if exists knowlarity_calls_first_arrival_path_check;
alter table knowlarity_calls add constraint knowlarity_calls_first_arrival_path_check
  check (first_arrival_path = any (knowlarity_arrival_paths()));

-- Rewrites the arrival-path test of knowlarity_ingest_call to use knowlarity_arrival_paths().
-- Safe to re-run: a body that already uses the helper is left alone; a body with neither form is
-- an error rather than a silent no-op.
do $$
declare
  v_def text := pg_get_functiondef('knowlarity_ingest_call(jsonb, text, jsonb, jsonb, jsonb)'::regprocedure);
  v_old_test constant text := $t$p_arrival_path not in ('webhook', 'poll', 'replay')$t$;
  v_new_test constant text := $t$not (p_arrival_path = any (knowlarity_arrival_paths()))$t$;
  v_old_message constant text := $t$'arrival path must be webhook, poll or replay'$t$;
  v_new_message constant text := $t$'arrival path must be webhook, poll, replay or stream'$t$;
begin
  if position(v_new_test in v_def) > 0 then
    return;
  end if;
  if position(v_old_test in v_def) = 0 then
    raise exception 'knowlarity_ingest_call has no arrival-path test to widen';
  end if;
  execute replace(replace(v_def, v_old_test, v_new_test), v_old_message, v_new_message);
end
$$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 13 $$;

select knowlarity_lock_down_functions();

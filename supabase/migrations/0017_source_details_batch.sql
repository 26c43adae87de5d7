-- 0017: several GET /sources/:id in one statement.
--
-- The service answers the detail requests that arrive while one detail read runs with ONE next
-- read of all their ids (src/sources/sources.service.ts): one statement, one round trip and one
-- snapshot instead of one of each per request. On 1,000,000 leads with 8 clients each detail
-- cost about as much PostgreSQL CPU in the statement around knowlarity_get_source as in it.

-- What knowlarity_get_source answers for each id of p_ids (a JSON array of ids), as a JSON array
-- in the same order (null where there is no such source), all from one snapshot. The figures
-- and the rules are knowlarity_get_source's.
create or replace function knowlarity_get_sources(
  p_ids jsonb,
  p_timezone text,
  p_now timestamptz default now(),
  p_days integer default null
) returns json
language sql stable set search_path = public as $$
  select coalesce(json_agg(knowlarity_get_source(i.id::bigint, p_timezone, p_now, p_days)
                           order by i.n), '[]'::json)
  from jsonb_array_elements_text(p_ids) with ordinality as i(id, n)
$$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 17 $$;

select knowlarity_lock_down_functions();

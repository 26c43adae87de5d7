-- 0015: GET /sources and GET /sources/:id cost what their rows cost.
--
-- Measured on 1,000,000 leads and 100 sources (bench/README.md, source counts): the list's
-- database time went mostly to building its JSON, not to reading the counts. Each source's
-- figures were put into a jsonb object, read back out of it as text and parsed again
-- (knowlarity_source_api_json, used three times per row once inlined), then built into a second
-- jsonb object: four jsonb objects per source, each sorting its keys and converting every number
-- through numeric. And the "are the counts usable" check, a SQL function with a SET clause, was
-- parsed and planned again on every call. The figures and the rules are unchanged.

-- Whether reads may use the folded counts for p_timezone (as in 0006). No SET clause now, so
-- it is inlined into its callers (all of them run with search_path = public) and planned once
-- per connection with them, instead of parsed and planned on every call.
create or replace function knowlarity_source_counts_usable(p_timezone text) returns boolean
language sql stable as $$
  select coalesce((select ready and (timezone is null or timezone = p_timezone)
                   from knowlarity_source_counts_state), false)
$$;

-- Every source by id with its counts, as knowlarity_list_sources (0006) lists them, as json built
-- once per source: one row per source, its columns named as the API names them. json, not
-- jsonb: the result is only sent, so the binary form would be built just to be printed again.
-- A new name rather than a new return type, so that 0005 and 0006 still re-run as they are
-- (and a service of the previous release still finds the function it calls). While the folded
-- counts are not usable (first build, another time zone) it answers what 0006's function does.
create or replace function knowlarity_list_sources_json(p_timezone text, p_now timestamptz default now())
returns json language plpgsql stable set search_path = public as $$
begin
  if not knowlarity_source_counts_usable(p_timezone) then
    return knowlarity_list_sources(p_timezone, p_now)::json;
  end if;
  return (
    select coalesce(json_agg(v order by v.id), '[]'::json)
    from (select s.id, s.display_name as "displayName", s.source_type as "sourceType",
                 knowlarity_api_time(s.created_at) as "createdAt",
                 c.total as "totalLeads", c.today as "todaysLeads",
                 knowlarity_api_time(c.last_at) as "lastLeadAt"
          from sources s join knowlarity_source_counts_folded(p_timezone, p_now) c on c.source_id = s.id) v);
end $$;

-- One source as 0006 answers it (its counts and, with p_days (1..90), its leads on each of the
-- last p_days business days, oldest first, today included, days without leads 0), or null; the
-- source object built once instead of through a jsonb object parsed back.
create or replace function knowlarity_get_source(
  p_id bigint,
  p_timezone text,
  p_now timestamptz default now(),
  p_days integer default null
) returns jsonb
language plpgsql stable set search_path = public as $$
declare
  v_days integer := case when p_days is null then null else least(greatest(p_days, 1), 90) end;
  v_today date := (p_now at time zone p_timezone)::date;
begin
  if not knowlarity_source_counts_usable(p_timezone) then
    return knowlarity_get_source_derived(p_id, p_timezone, p_now, v_days);
  end if;
  return (
    with pending as (
      select knowlarity_business_day(p.credited_at, p_timezone) as day, p.credited_at, p.delta
      from knowlarity_source_count_deltas p where p.source_id = p_id
    ),
    per_day as (
      select d.day, sum(d.leads) as leads
      from (select dc.day, dc.leads from knowlarity_source_day_counts dc
            where dc.source_id = p_id and dc.day > v_today - coalesce(v_days, 1) and dc.day <= v_today
            union all
            select p.day, p.delta from pending p
            where p.day > v_today - coalesce(v_days, 1) and p.day <= v_today) d
      group by d.day
    )
    select jsonb_build_object(
             'id', s.id,
             'displayName', s.display_name,
             'sourceType', s.source_type,
             'createdAt', knowlarity_api_time(s.created_at),
             'totalLeads', coalesce(t.leads, 0) + coalesce((select sum(delta) from pending), 0),
             'todaysLeads', coalesce((select leads from per_day where day = v_today), 0),
             'lastLeadAt', knowlarity_api_time(
               greatest(t.last_at, (select max(credited_at) from pending where delta > 0))))
           || case when v_days is null then '{}'::jsonb else jsonb_build_object('leadsPerDay', (
                select json_agg(json_build_object('date', to_char(g.day, 'YYYY-MM-DD'),
                                                  'leads', coalesce(n.leads, 0)) order by g.day)
                from generate_series(v_today - (v_days - 1), v_today, interval '1 day') as g(day)
                left join per_day n on n.day = g.day::date)) end
    from sources s
    left join knowlarity_source_totals t on t.source_id = s.id
    where s.id = p_id);
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 15 $$;

select knowlarity_lock_down_functions();

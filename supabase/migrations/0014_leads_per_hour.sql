-- 0014: leads per hour by source, for the operator console's chart.

-- The leads credited to each source in each hour of the last p_days calendar days in p_timezone
-- (today included), by the same rule as knowlarity_get_source's leadsPerDay: a lead counts for
-- its source at coalesce(received_at, created_at), a history row for its source at received_at.
-- So a source's hours of one day add up to that day's leadsPerDay entry. Hours are local clock
-- hours (0-23): on a day that repeats an hour the repeat joins its bucket, so the day's total is
-- unchanged. Returns {timezone, days: [dates oldest first], sources: [{id, displayName,
-- sourceType, days: [{date, total, hours: [24 counts]}]}]}, only sources with a lead in the
-- window. Each source is read on its credit indexes, one range per source.
create or replace function knowlarity_leads_per_hour(
  p_timezone text,
  p_now timestamptz default now(),
  p_days integer default 2
) returns jsonb
language plpgsql stable set search_path = public as $$
declare
  v_today date := (p_now at time zone p_timezone)::date;
  v_days integer := least(greatest(coalesce(p_days, 2), 1), 7);
  v_first_day date := v_today - (v_days - 1);
  v_first timestamptz := v_first_day::timestamp at time zone p_timezone;
  v_end timestamptz := (v_today + 1)::timestamp at time zone p_timezone;
begin
  return jsonb_build_object(
    'timezone', p_timezone,
    'days', (select jsonb_agg(to_char(d, 'YYYY-MM-DD') order by d)
             from generate_series(v_first_day, v_today, interval '1 day') d),
    'sources', coalesce((
      with credits as (
        select s.id as source_id, c.at at time zone p_timezone as local_at
        from sources s
        cross join lateral (
          select coalesce(l.received_at, l.created_at) as at from leads_master l
          where l.source_id = s.id
            and coalesce(l.received_at, l.created_at) >= v_first
            and coalesce(l.received_at, l.created_at) < v_end
          union all
          select h.received_at from lead_sources_history h
          where h.source_id = s.id and h.received_at >= v_first and h.received_at < v_end) c
      ),
      per_hour as (
        select source_id, local_at::date as day, extract(hour from local_at)::integer as hour,
               count(*) as leads
        from credits group by 1, 2, 3
      ),
      per_day as (
        select ids.source_id, d.day::date as day,
               sum(coalesce(p.leads, 0)) as total,
               jsonb_agg(coalesce(p.leads, 0) order by h.hour) as hours
        from (select distinct source_id from per_hour) ids
        cross join generate_series(v_first_day, v_today, interval '1 day') d(day)
        cross join generate_series(0, 23) h(hour)
        left join per_hour p
          on p.source_id = ids.source_id and p.day = d.day::date and p.hour = h.hour
        group by 1, 2
      )
      select jsonb_agg(jsonb_build_object(
               'id', s.id, 'displayName', s.display_name, 'sourceType', s.source_type,
               'days', (select jsonb_agg(jsonb_build_object(
                                 'date', to_char(pd.day, 'YYYY-MM-DD'),
                                 'total', pd.total, 'hours', pd.hours) order by pd.day)
                        from per_day pd where pd.source_id = s.id)) order by s.id)
      from sources s
      where s.id in (select source_id from per_hour)),
      '[]'::jsonb));
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 14 $$;

select knowlarity_lock_down_functions();

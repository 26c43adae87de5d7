-- 0006: per-source lead counts kept incrementally, so reads and the CRM refresh cost
-- O(sources × days) instead of a scan of every lead ever taken.
--
-- How the figures stay exact without a row every ingest must lock:
--  * Triggers on leads_master and lead_sources_history append one small delta row per credit
--    (+n for inserted rows, -n for deleted ones, -1/+1 when a row's source or time changes). They
--    fire for every writer, the ingest functions and the CRM's own screens alike, and append
--    only: concurrent ingests never meet on a row. A delta keeps the credit's timestamp, not a
--    day, so the triggers need no time zone.
--  * One leased job folds the deltas into per-(source, business day) counts and per-source
--    totals (`delete … returning`: each delta is consumed exactly once, whatever the commit
--    order) and copies the figures into sources.total_leads_count / todays_leads_count.
--  * Reads add the deltas not folded yet to the folded counts in one statement (one snapshot:
--    a fold commits its delete and its additions together, so a read sees a delta either
--    pending or folded, never both and never neither). "Today" is the read's own day, so it
--    rolls over at midnight with no job.
--  * A recount (nightly, and on demand) rebuilds the counts from the lead tables in bounded
--    batches of (source, range of days): each batch consumes the pending deltas of its range
--    and counts the range's rows in one snapshot, so it is exact while ingests go on; what it
--    corrects is drift from writes the triggers never saw (TRUNCATE, triggers disabled).
--  * The first build over a CRM that already holds leads is that same batched recount, run by
--    the service after this migration commits (no long lock on leads_master). Until it
--    finishes, reads derive the counts from the lead tables as before, so they stay exact.
--
-- Business days are bucketed at fold time in the time zone the service passes
-- (BUSINESS_TIMEZONE), recorded in the state row; a different zone rebuilds the day counts.

-- Pending changes, appended by the triggers, consumed by the fold and the recount. No index:
-- appends stay as cheap as a heap insert, and the table holds about one fold interval of rows.
create table if not exists knowlarity_source_count_deltas (
  source_id bigint not null,
  -- When the credited lead was received (leads: coalesce(received_at, created_at); history:
  -- received_at); null when the row has no time at all.
  credited_at timestamptz,
  delta integer not null
);
select knowlarity_close_table('knowlarity_source_count_deltas');

-- Folded credits per source and business day ('-infinity' holds credits without a time).
create table if not exists knowlarity_source_day_counts (
  source_id bigint not null,
  day date not null,
  leads bigint not null,
  last_at timestamptz,
  primary key (source_id, day)
);
-- Today's row of every source, for the list and the refresh, without reading the other days.
create index if not exists knowlarity_source_day_counts_day_idx on knowlarity_source_day_counts (day);
select knowlarity_close_table('knowlarity_source_day_counts');

-- Folded credits per source: the sum of its day counts, kept so a total is one row.
create table if not exists knowlarity_source_totals (
  source_id bigint primary key,
  leads bigint not null,
  last_at timestamptz
);
select knowlarity_close_table('knowlarity_source_totals');

-- One row: the zone the day counts are in, whether they are complete, and the recount cursor.
create table if not exists knowlarity_source_counts_state (
  id boolean primary key default true check (id),
  timezone text,
  -- False until the first build (or a rebuild) has finished: reads derive the counts instead.
  ready boolean not null,
  -- 'build' (first build or rebuild: no drift reported) or 'recount'; null when none runs.
  recount_mode text check (recount_mode in ('build', 'recount')),
  cursor_source bigint,
  cursor_day date,
  recount_started_at timestamptz,
  recount_finished_at timestamptz,
  -- {"<source id>": difference} found so far by the recount in progress (or the last one).
  differences jsonb not null default '{}'::jsonb
);
select knowlarity_close_table('knowlarity_source_counts_state');

-- A fresh install (or a CRM with no leads yet) is complete at once; otherwise the service builds
-- the counts in batches after this commits. Re-running keeps the state as it is.
insert into knowlarity_source_counts_state (ready, recount_mode, cursor_day)
select v.empty, case when v.empty then null else 'build' end, '-infinity'
from (select not exists (select 1 from leads_master) and not exists (select 1 from lead_sources_history) as empty) v
on conflict (id) do nothing;

-- The business day of a credit in p_timezone ('-infinity' for a credit without a time).
create or replace function knowlarity_business_day(p_at timestamptz, p_timezone text) returns date
language sql stable parallel safe as $$
  select case when p_at is null then '-infinity'::date else (p_at at time zone p_timezone)::date end
$$;

-- When business day p_day starts in p_timezone (±infinity for ±infinity).
create or replace function knowlarity_business_day_start(p_day date, p_timezone text) returns timestamptz
language sql stable parallel safe as $$
  select p_day::timestamp at time zone p_timezone
$$;

-- Trigger functions. SECURITY DEFINER with a fixed search_path: the CRM's own roles write
-- leads_master without any right on the service's closed delta table.
-- Both read the statement's rows as `knowlarity_rows` (the inserted or the deleted ones).
create or replace function knowlarity_count_lead_rows() returns trigger
language plpgsql security definer set search_path = public as $$
begin
  insert into knowlarity_source_count_deltas (source_id, credited_at, delta)
  select source_id, coalesce(received_at, created_at),
         case when tg_op = 'DELETE' then -count(*) else count(*) end
  from knowlarity_rows where source_id is not null group by 1, 2;
  return null;
end $$;

create or replace function knowlarity_count_history_rows() returns trigger
language plpgsql security definer set search_path = public as $$
begin
  insert into knowlarity_source_count_deltas (source_id, credited_at, delta)
  select source_id, received_at, case when tg_op = 'DELETE' then -count(*) else count(*) end
  from knowlarity_rows where source_id is not null group by 1, 2;
  return null;
end $$;

-- A lead or history row whose source or time changed: the old credit out, the new one in.
create or replace function knowlarity_count_moved_credit() returns trigger
language plpgsql security definer set search_path = public as $$
declare
  v_old_at timestamptz;
  v_new_at timestamptz;
begin
  if tg_table_name = 'leads_master' then
    v_old_at := coalesce(old.received_at, old.created_at);
    v_new_at := coalesce(new.received_at, new.created_at);
  else
    v_old_at := old.received_at;
    v_new_at := new.received_at;
  end if;
  insert into knowlarity_source_count_deltas (source_id, credited_at, delta)
  select m.source_id, m.at, m.delta
  from (values (old.source_id, v_old_at, -1), (new.source_id, v_new_at, 1)) m(source_id, at, delta)
  where m.source_id is not null;
  return null;
end $$;

-- TRUNCATE fires no row trigger: the counts are rebuilt from what is left.
create or replace function knowlarity_count_truncated() returns trigger
language plpgsql security definer set search_path = public as $$
begin
  update knowlarity_source_counts_state
  set ready = false, recount_mode = 'build', cursor_source = null, cursor_day = '-infinity',
      differences = '{}'::jsonb;
  return null;
end $$;

-- Inserts and deletes are counted per statement (a bulk import appends one delta per source and
-- time, not one per row); source/time changes per row, and only when one of them changed, so the
-- ingest's `update leads_master set updated_at` never calls a function.
create or replace trigger knowlarity_count_leads_insert after insert on leads_master
  referencing new table as knowlarity_rows
  for each statement execute function knowlarity_count_lead_rows();
create or replace trigger knowlarity_count_leads_delete after delete on leads_master
  referencing old table as knowlarity_rows
  for each statement execute function knowlarity_count_lead_rows();
create or replace trigger knowlarity_count_leads_update
  after update of source_id, received_at, created_at on leads_master
  for each row
  when (old.source_id is distinct from new.source_id
        or coalesce(old.received_at, old.created_at) is distinct from coalesce(new.received_at, new.created_at))
  execute function knowlarity_count_moved_credit();
create or replace trigger knowlarity_count_leads_truncate after truncate on leads_master
  for each statement execute function knowlarity_count_truncated();

create or replace trigger knowlarity_count_history_insert after insert on lead_sources_history
  referencing new table as knowlarity_rows
  for each statement execute function knowlarity_count_history_rows();
create or replace trigger knowlarity_count_history_delete after delete on lead_sources_history
  referencing old table as knowlarity_rows
  for each statement execute function knowlarity_count_history_rows();
create or replace trigger knowlarity_count_history_update
  after update of source_id, received_at on lead_sources_history
  for each row
  when (old.source_id is distinct from new.source_id or old.received_at is distinct from new.received_at)
  execute function knowlarity_count_moved_credit();
create or replace trigger knowlarity_count_history_truncate after truncate on lead_sources_history
  for each statement execute function knowlarity_count_truncated();

-- The fold and the recount write the counts; they take this lock so they never interleave.
create or replace function knowlarity_source_counts_lock() returns void
language sql as $$
  select pg_advisory_xact_lock(hashtextextended('knowlarity:source_counts', 0))
$$;

-- Puts the counts in p_timezone: the first caller records it; a different zone empties the
-- folded counts and starts a rebuild (pending deltas stay: the rebuild consumes them). Returns
-- the state after. Call under knowlarity_source_counts_lock.
create or replace function knowlarity_source_counts_use_zone(p_timezone text)
returns knowlarity_source_counts_state language plpgsql set search_path = public as $$
declare
  v_state knowlarity_source_counts_state;
begin
  select * into v_state from knowlarity_source_counts_state for update;
  if v_state.timezone is null then
    update knowlarity_source_counts_state set timezone = p_timezone returning * into v_state;
  elsif v_state.timezone <> p_timezone then
    delete from knowlarity_source_day_counts;
    delete from knowlarity_source_totals;
    update knowlarity_source_counts_state
    set timezone = p_timezone, ready = false, recount_mode = 'build', cursor_source = null,
        cursor_day = '-infinity', differences = '{}'::jsonb
    returning * into v_state;
  end if;
  return v_state;
end $$;

-- Whether reads may use the folded counts for p_timezone: built, and in that zone (or no zone
-- recorded yet, when every credit is still a pending delta).
create or replace function knowlarity_source_counts_usable(p_timezone text) returns boolean
language sql stable set search_path = public as $$
  select coalesce((select ready and (timezone is null or timezone = p_timezone)
                   from knowlarity_source_counts_state), false)
$$;

-- Every source's figures from the folded counts plus the pending deltas, in one statement:
-- (source_id, total, today, last_at); "today" is p_now's day in p_timezone. Reads sources ×
-- (one total + one day row) and the pending deltas; never the lead tables. No SET clause, so the
-- planner can inline it into its callers (which all run with search_path = public).
create or replace function knowlarity_source_counts_folded(p_timezone text, p_now timestamptz)
returns table (source_id bigint, total bigint, today bigint, last_at timestamptz)
language sql stable as $$
  with pending as (
    select p.source_id, sum(p.delta) as total,
           sum(p.delta) filter (where knowlarity_business_day(p.credited_at, p_timezone)
                                      = (p_now at time zone p_timezone)::date) as today,
           max(p.credited_at) filter (where p.delta > 0) as last_at
    from knowlarity_source_count_deltas p
    group by p.source_id
  )
  select s.id,
         coalesce(t.leads, 0) + coalesce(p.total, 0),
         coalesce(dc.leads, 0) + coalesce(p.today, 0),
         greatest(t.last_at, p.last_at)
  from sources s
  left join knowlarity_source_totals t on t.source_id = s.id
  left join knowlarity_source_day_counts dc
    on dc.source_id = s.id and dc.day = (p_now at time zone p_timezone)::date
  left join pending p on p.source_id = s.id
$$;

-- Every source by id with its counts: the folded counts when usable, else derived from the lead
-- tables as 0005 did (during the first build, or when asked for another time zone).
create or replace function knowlarity_list_sources(p_timezone text, p_now timestamptz default now())
returns jsonb language plpgsql stable set search_path = public as $$
begin
  if not knowlarity_source_counts_usable(p_timezone) then
    return (
      select coalesce(jsonb_agg(knowlarity_source_api_json(s, c.counts) order by s.id), '[]'::jsonb)
      from sources s
      left join (select (e->>'sourceId')::bigint as source_id, e as counts
                 from jsonb_array_elements(knowlarity_source_lead_counts(p_timezone, p_now)) e) c
        on c.source_id = s.id);
  end if;
  return (
    select coalesce(jsonb_agg(knowlarity_source_api_json(s, jsonb_build_object(
             'totalLeads', c.total, 'todaysLeads', c.today, 'lastLeadAt', c.last_at)) order by s.id), '[]'::jsonb)
    from sources s join knowlarity_source_counts_folded(p_timezone, p_now) c on c.source_id = s.id);
end $$;

-- 0005's knowlarity_get_source (counts derived from the lead tables) stays, under this name, as
-- the path for when the folded counts are not usable. Renamed once: a re-run finds it renamed.
do $$
begin
  if to_regprocedure('knowlarity_get_source_derived(bigint, text, timestamptz, integer)') is null then
    alter function knowlarity_get_source(bigint, text, timestamptz, integer)
      rename to knowlarity_get_source_derived;
  end if;
end $$;

-- One source with its counts and, with p_days (1..90), its leads on each of the last p_days
-- business days (oldest first, today included, days without leads 0), or null. Folded counts
-- plus pending deltas in one statement when usable; derived from the lead tables otherwise.
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
    select knowlarity_source_api_json(s, jsonb_build_object(
             'totalLeads', coalesce(t.leads, 0) + coalesce((select sum(delta) from pending), 0),
             'todaysLeads', coalesce((select leads from per_day where day = v_today), 0),
             'lastLeadAt', greatest(t.last_at, (select max(credited_at) from pending where delta > 0))))
           || case when v_days is null then '{}'::jsonb else jsonb_build_object('leadsPerDay', (
                select jsonb_agg(jsonb_build_object('date', to_char(g.day, 'YYYY-MM-DD'),
                                                    'leads', coalesce(n.leads, 0)) order by g.day)
                from generate_series(v_today - (v_days - 1), v_today, interval '1 day') as g(day)
                left join per_day n on n.day = g.day::date)) end
    from sources s
    left join knowlarity_source_totals t on t.source_id = s.id
    where s.id = p_id);
end $$;

-- Recomputes when the newest remaining credit of (p_source_id, p_day) was received, after a
-- delete removed the one the folded counts had (bounded to one day of one source, on the
-- lead tables' (source_id, time) indexes), and the source's from its day counts.
create or replace function knowlarity_source_counts_repair_last(p_source_id bigint, p_day date, p_timezone text)
returns void language plpgsql set search_path = public as $$
declare
  v_from timestamptz := knowlarity_business_day_start(p_day, p_timezone);
  v_to timestamptz := knowlarity_business_day_start(p_day + 1, p_timezone);
begin
  if p_day <> '-infinity'::date then
    update knowlarity_source_day_counts set last_at = (
      select max(x.at) from (
        select max(coalesce(l.received_at, l.created_at)) as at from leads_master l
        where l.source_id = p_source_id
          and coalesce(l.received_at, l.created_at) >= v_from and coalesce(l.received_at, l.created_at) < v_to
        union all
        select max(h.received_at) from lead_sources_history h
        where h.source_id = p_source_id and h.received_at >= v_from and h.received_at < v_to) x)
    where source_id = p_source_id and day = p_day;
  end if;
  update knowlarity_source_totals set last_at = (
    select max(last_at) from knowlarity_source_day_counts where source_id = p_source_id and leads > 0)
  where source_id = p_source_id;
end $$;

-- The refresh the service runs every SOURCE_COUNTS_REFRESH_SECONDS on one instance (a lease):
-- folds up to p_limit pending deltas into the day counts and totals, then writes
-- sources.total_leads_count / todays_leads_count where a figure changed (today's figure is
-- p_now's day, so the first refresh after midnight rolls it over). Work is proportional to the
-- deltas folded plus one read per source. While the counts are being built the CRM columns are
-- left alone. Returns {folded, more, updated, ready, recountMode, recountFinishedAt}.
drop function if exists knowlarity_refresh_source_counts(text, timestamptz);
create or replace function knowlarity_refresh_source_counts(
  p_timezone text, p_now timestamptz default now(), p_limit integer default 50000
) returns jsonb language plpgsql set search_path = public as $$
declare
  v_state knowlarity_source_counts_state;
  v_folded bigint;
  v_removed jsonb;
  v_entry jsonb;
  v_updated integer := 0;
begin
  perform knowlarity_source_counts_lock();
  v_state := knowlarity_source_counts_use_zone(p_timezone);

  with consumed as (
    delete from knowlarity_source_count_deltas d
    where d.ctid = any (array(select ctid from knowlarity_source_count_deltas limit p_limit))
    returning d.source_id, d.credited_at, d.delta
  ),
  per_day as (
    select c.source_id, knowlarity_business_day(c.credited_at, p_timezone) as day,
           sum(c.delta) as leads,
           max(c.credited_at) filter (where c.delta > 0) as last_at,
           max(c.credited_at) filter (where c.delta < 0) as removed_at
    from consumed c group by 1, 2
  ),
  days as (
    insert into knowlarity_source_day_counts as dc (source_id, day, leads, last_at)
    select source_id, day, leads, last_at from per_day
    on conflict (source_id, day) do update
      set leads = dc.leads + excluded.leads, last_at = greatest(dc.last_at, excluded.last_at)
    returning dc.source_id, dc.day, dc.last_at
  ),
  totals as (
    insert into knowlarity_source_totals as t (source_id, leads, last_at)
    select source_id, sum(leads), max(last_at) from per_day group by source_id
    on conflict (source_id) do update
      set leads = t.leads + excluded.leads, last_at = greatest(t.last_at, excluded.last_at)
  )
  select (select count(*) from consumed),
         (select coalesce(jsonb_agg(jsonb_build_object('sourceId', p.source_id, 'day', p.day)), '[]'::jsonb)
          from per_day p
          left join days d on d.source_id = p.source_id and d.day = p.day
          where p.removed_at is not null and (d.last_at is null or p.removed_at >= d.last_at))
  into v_folded, v_removed;

  for v_entry in select * from jsonb_array_elements(v_removed) loop
    perform knowlarity_source_counts_repair_last((v_entry->>'sourceId')::bigint, (v_entry->>'day')::date, p_timezone);
  end loop;

  if v_state.ready then
    update sources s
    set total_leads_count = c.total, todays_leads_count = c.today
    from knowlarity_source_counts_folded(p_timezone, p_now) c
    where s.id = c.source_id
      and (s.total_leads_count is distinct from c.total::integer
           or s.todays_leads_count is distinct from c.today::integer);
    get diagnostics v_updated = row_count;
  end if;

  return jsonb_build_object(
    'folded', v_folded, 'more', v_folded >= p_limit, 'updated', v_updated,
    'ready', v_state.ready, 'recountMode', v_state.recount_mode,
    'recountFinishedAt', v_state.recount_finished_at);
end $$;

-- The next source the recount visits after p_after (null: the first): every source, and any
-- source id the counts hold that sources no longer has.
create or replace function knowlarity_source_counts_next_source(p_after bigint) returns bigint
language sql stable set search_path = public as $$
  select min(id) from (
    select min(s.id) as id from sources s where s.id > coalesce(p_after, -9223372036854775808)
    union all
    select min(t.source_id) from knowlarity_source_totals t where t.source_id > coalesce(p_after, -9223372036854775808)
  ) x
$$;

-- Where a batch starting at business day p_from of p_source_id ends: the day after the one
-- holding the p_rows-th credit of either table from there ('infinity' when fewer remain). A
-- batch is at most p_rows credits of each table plus the rest of its last day.
create or replace function knowlarity_source_counts_batch_end(
  p_source_id bigint, p_from date, p_rows integer, p_timezone text
) returns date language plpgsql stable set search_path = public as $$
declare
  v_from timestamptz := knowlarity_business_day_start(p_from, p_timezone);
  v_lead_at timestamptz;
  v_history_at timestamptz;
begin
  select coalesce(l.received_at, l.created_at) into v_lead_at from leads_master l
  where l.source_id = p_source_id and coalesce(l.received_at, l.created_at) >= v_from
  order by coalesce(l.received_at, l.created_at) offset p_rows - 1 limit 1;
  select h.received_at into v_history_at from lead_sources_history h
  where h.source_id = p_source_id and h.received_at >= v_from
  order by h.received_at offset p_rows - 1 limit 1;
  if v_lead_at is null and v_history_at is null then
    return 'infinity'::date;
  end if;
  return knowlarity_business_day(least(v_lead_at, v_history_at), p_timezone) + 1;
end $$;

-- One batch of the recount (or of the build): recounts source p_source_id's business days
-- [p_from, p_to) from the lead tables and writes the result. The pending deltas of the range
-- are consumed and the rows counted in the same statement (one snapshot), so a credit is
-- either in the count or still pending, never both. Returns the difference between the
-- recounted figure and what the counts held (folded + pending). Call under the lock.
create or replace function knowlarity_source_counts_recount_range(
  p_source_id bigint, p_from date, p_to date, p_timezone text
) returns bigint language plpgsql set search_path = public as $$
declare
  v_from timestamptz := knowlarity_business_day_start(p_from, p_timezone);
  v_to timestamptz := knowlarity_business_day_start(p_to, p_timezone);
  v_untimed boolean := p_from = '-infinity'::date;
  v_consumed bigint;
  v_days jsonb;
  v_recounted bigint;
  v_held bigint;
begin
  with consumed as (
    delete from knowlarity_source_count_deltas d
    where d.source_id = p_source_id
      and ((v_untimed and d.credited_at is null) or (d.credited_at >= v_from and d.credited_at < v_to))
    returning d.delta
  ),
  credits as (
    select coalesce(l.received_at, l.created_at) as at from leads_master l
    where l.source_id = p_source_id
      and coalesce(l.received_at, l.created_at) >= v_from and coalesce(l.received_at, l.created_at) < v_to
    union all
    select null from leads_master l
    where v_untimed and l.source_id = p_source_id and coalesce(l.received_at, l.created_at) is null
    union all
    select h.received_at from lead_sources_history h
    where h.source_id = p_source_id and h.received_at >= v_from and h.received_at < v_to
    union all
    select null from lead_sources_history h
    where v_untimed and h.source_id = p_source_id and h.received_at is null
  )
  select (select coalesce(sum(delta), 0) from consumed),
         (select coalesce(jsonb_agg(jsonb_build_object('day', d.day, 'leads', d.leads, 'lastAt', d.last_at)), '[]'::jsonb)
          from (select knowlarity_business_day(c.at, p_timezone) as day, count(*) as leads, max(c.at) as last_at
                from credits c group by 1) d)
  into v_consumed, v_days;

  with replaced as (
    delete from knowlarity_source_day_counts
    where source_id = p_source_id and day >= p_from and day < p_to
    returning leads
  )
  select coalesce(sum(leads), 0) + v_consumed into v_held from replaced;
  select coalesce(sum((e->>'leads')::bigint), 0) into v_recounted from jsonb_array_elements(v_days) e;

  insert into knowlarity_source_day_counts (source_id, day, leads, last_at)
  select p_source_id, (e->>'day')::date, (e->>'leads')::bigint, (e->>'lastAt')::timestamptz
  from jsonb_array_elements(v_days) e;

  insert into knowlarity_source_totals as t (source_id, leads, last_at)
  select p_source_id, coalesce(sum(leads), 0), max(last_at) filter (where leads > 0)
  from knowlarity_source_day_counts where source_id = p_source_id
  on conflict (source_id) do update set leads = excluded.leads, last_at = excluded.last_at;

  return v_recounted - v_held;
end $$;

-- Runs one bounded batch of the recount and moves its cursor; the service calls it until
-- `done`. p_begin starts a recount ('recount' mode: differences are drift, reported) unless one
-- is running; the first build after this migration and a rebuild after a zone change or a
-- TRUNCATE run in 'build' mode (the counts start empty: no drift). Batches may come from any
-- instance: the cursor lives in the state row. When the last batch is done the counts are
-- marked ready. Returns {mode, done, sourceId, differences: {"<source id>": n}, ready}.
create or replace function knowlarity_recount_source_counts(
  p_timezone text, p_now timestamptz default now(), p_batch_rows integer default 10000,
  p_begin boolean default false
) returns jsonb language plpgsql set search_path = public as $$
declare
  v_state knowlarity_source_counts_state;
  v_source bigint;
  v_mode text;
  v_to date;
  v_difference bigint;
begin
  if p_batch_rows is null or p_batch_rows < 1 then
    raise exception 'batch rows must be positive' using errcode = '22023';
  end if;
  perform knowlarity_source_counts_lock();
  v_state := knowlarity_source_counts_use_zone(p_timezone);
  if v_state.recount_mode is null then
    if not p_begin then
      return jsonb_build_object('mode', null, 'done', true, 'sourceId', null,
                                'differences', v_state.differences, 'ready', v_state.ready);
    end if;
    update knowlarity_source_counts_state
    set recount_mode = 'recount', cursor_source = null, cursor_day = '-infinity',
        recount_started_at = p_now, differences = '{}'::jsonb
    returning * into v_state;
  end if;
  v_mode := v_state.recount_mode;

  v_source := coalesce(v_state.cursor_source, knowlarity_source_counts_next_source(null));
  if v_source is not null then
    v_to := knowlarity_source_counts_batch_end(v_source, v_state.cursor_day, p_batch_rows, p_timezone);
    v_difference := knowlarity_source_counts_recount_range(v_source, v_state.cursor_day, v_to, p_timezone);
    if v_state.recount_mode = 'recount' and v_difference <> 0 then
      v_state.differences := jsonb_set(v_state.differences, array[v_source::text],
        to_jsonb(coalesce((v_state.differences->>v_source::text)::bigint, 0) + v_difference));
    end if;
    if v_to = 'infinity'::date then
      v_source := knowlarity_source_counts_next_source(v_source);
      v_to := '-infinity';
    end if;
  end if;

  if v_source is null then
    update knowlarity_source_counts_state
    set recount_mode = null, cursor_source = null, cursor_day = '-infinity', ready = true,
        recount_finished_at = p_now, differences = v_state.differences
    returning * into v_state;
    return jsonb_build_object('mode', v_mode, 'done', true, 'sourceId', null,
                              'differences', v_state.differences, 'ready', true);
  end if;
  update knowlarity_source_counts_state
  set cursor_source = v_source, cursor_day = v_to, differences = v_state.differences
  returning * into v_state;
  return jsonb_build_object('mode', v_mode, 'done', false, 'sourceId', v_source,
                            'differences', v_state.differences, 'ready', v_state.ready);
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 6 $$;

select knowlarity_lock_down_functions();

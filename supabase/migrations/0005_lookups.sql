-- 0005: look-ups for the internal REST API: leads (by phone, filtered and keyset-paged, one with
-- its history and calls), calls, and sources with their derived counts. Every function returns
-- camelCase jsonb with times as UTC ISO strings, whatever the session's TimeZone.
--
-- Keyset pages: a list function takes the last key of the previous page (p_after_*) and returns
-- {items, next}, where `next` is the key of the last item when more rows follow, else null. Keys
-- carry times to the microsecond, so a page boundary never falls between two rows that share a
-- millisecond.

-- Listing leads newest first, alone or within one source or status.
create index if not exists leads_master_created_idx on leads_master (created_at desc, id desc);
create index if not exists leads_master_source_created_idx
  on leads_master (source_id, created_at desc, id desc);
create index if not exists leads_master_status_created_idx
  on leads_master (status, created_at desc, id desc);
-- `q`: name and phone prefixes. text_pattern_ops makes `like 'abc%'` an index range under any
-- collation.
create index if not exists leads_master_name_prefix_idx
  on leads_master (lower(full_name) text_pattern_ops);
create index if not exists leads_master_phone_prefix_idx
  on leads_master (phone_number_normalized text_pattern_ops);
-- Calls are paged on (started_at desc, call_id asc): the order of 0002's
-- knowlarity_calls_started_idx, knowlarity_calls_lead_idx and knowlarity_calls_customer_phone_idx.

-- A time as the API shows it: UTC, milliseconds, `Z`.
create or replace function knowlarity_api_time(p_at timestamptz) returns text
language sql stable parallel safe as $$
  select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- A time as a page key holds it: UTC, microseconds (the column's full precision), `Z`. It reads
-- back as the same timestamptz exactly.
create or replace function knowlarity_key_time(p_at timestamptz) returns text
language sql stable parallel safe as $$
  select to_char(p_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- `p_text` as a LIKE pattern that matches values starting with it (wildcards in it are literal).
create or replace function knowlarity_like_prefix(p_text text) returns text
language sql immutable parallel safe as $$
  select replace(replace(replace(p_text, '\', '\\'), '%', '\%'), '_', '\_') || '%'
$$;

-- The JSON builders below take rows and touch no table, and have no SET clause: PostgreSQL then
-- inlines them into the calling statement instead of calling a function per row.

-- The short form of a source: {id, displayName, sourceType}, or null for no source.
create or replace function knowlarity_source_ref(s sources) returns jsonb
language sql stable parallel safe as $$
  select case when s.id is not null then
    jsonb_build_object('id', s.id, 'displayName', s.display_name, 'sourceType', s.source_type)
  end
$$;

-- A lead as the API shows it, with its primary source (p_source: knowlarity_source_ref).
create or replace function knowlarity_lead_api_json(l leads_master, p_source jsonb) returns jsonb
language sql stable parallel safe as $$
  select jsonb_build_object(
    'id', l.id,
    'fullName', l.full_name,
    'phone', l.phone_number_normalized,
    'alternatePhone', l.alternate_phone_number,
    'status', l.status,
    'sourceId', l.source_id,
    'source', p_source,
    'externalLeadId', l.external_lead_id,
    'assignedTo', l.assigned_to,
    'nextFollowupAt', knowlarity_api_time(l.next_followup_at),
    'totalAttempts', l.total_attempts,
    'isQualified', l.is_qualified,
    'receivedAt', knowlarity_api_time(coalesce(l.received_at, l.created_at)),
    'createdAt', knowlarity_api_time(l.created_at),
    'updatedAt', knowlarity_api_time(l.updated_at))
$$;

-- A Knowlarity call as the API shows it; `status` is answered or missed.
create or replace function knowlarity_call_api_json(c knowlarity_calls) returns jsonb
language sql stable parallel safe as $$
  select jsonb_build_object(
    'callId', c.call_id,
    'leadId', c.lead_id,
    'sourceId', c.source_id,
    'phone', c.customer_phone,
    'phoneE164', c.customer_phone_e164,
    'srNumber', c.sr_number,
    'direction', c.direction,
    'status', case when c.missed then 'missed' else 'answered' end,
    'durationSeconds', c.duration_seconds,
    'agentNumber', c.agent_number,
    'agentLabel', c.agent_label,
    'recordingUrl', c.recording_url,
    'callerName', c.caller_name,
    'outcome', c.outcome,
    'startedAt', knowlarity_api_time(c.started_at))
$$;

-- One page of leads, given at most p_limit + 1 rows in page order: {items, next}. PL/pgSQL so
-- its statement is planned once per connection, not on every call.
create or replace function knowlarity_lead_page(p_rows leads_master[], p_limit integer) returns jsonb
language plpgsql stable set search_path = public as $$
begin
  return (
    select jsonb_build_object(
      'items', coalesce(jsonb_agg(knowlarity_lead_api_json(p_rows[n], knowlarity_source_ref(s)) order by n)
                          filter (where n <= p_limit), '[]'::jsonb),
      'next', case when count(*) > p_limit then
                     jsonb_build_object('createdAt', knowlarity_key_time((p_rows[p_limit]).created_at),
                                        'id', (p_rows[p_limit]).id)
              end)
    from generate_subscripts(p_rows, 1) as n
    left join sources s on s.id = (p_rows[n]).source_id);
end $$;

-- Leads newest first, on (created_at desc, id desc), every filter optional and combined with AND:
--  * p_phone: the national number exactly as the ingest stores it (the app normalises it first);
--  * p_source_id, p_status: equality; p_created_from <= created_at < p_created_to;
--  * p_q: a case-insensitive prefix of the name, or (p_q_phone, digits) a prefix of the phone;
--  * p_after_created_at/p_after_id: the `next` key of the previous page.
-- Guarantees: pages neither skip nor repeat a lead while new leads arrive (a new lead sorts
-- before any key already handed out), and each filter is answered from an index: the phone-only
-- look-up is a static statement on leads_master_phone_number_normalized_idx with a cached plan;
-- other combinations are planned for the values at hand. Leads without created_at (possible in
-- a CRM table that predates 0001) cannot be placed on the keyset and are not listed.
create or replace function knowlarity_find_leads(
  p_phone text default null,
  p_source_id bigint default null,
  p_status text default null,
  p_created_from timestamptz default null,
  p_created_to timestamptz default null,
  p_q text default null,
  p_q_phone text default null,
  p_limit integer default 50,
  p_after_created_at timestamptz default null,
  p_after_id bigint default null
) returns jsonb
language plpgsql stable set search_path = public as $$
declare
  v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 200);
  v_after boolean := p_after_created_at is not null and p_after_id is not null;
  v_where text[] := array['l.created_at is not null'];
  v_rows leads_master[];
begin
  if p_phone is not null and p_source_id is null and p_status is null and p_created_from is null
     and p_created_to is null and p_q is null then
    select array(
      select l from leads_master l
      where l.phone_number_normalized = p_phone and l.created_at is not null
        and (not v_after or (l.created_at, l.id) < (p_after_created_at, p_after_id))
      order by l.created_at desc, l.id desc
      limit v_limit + 1) into v_rows;
    return knowlarity_lead_page(v_rows, v_limit);
  end if;

  if p_phone is not null then v_where := v_where || 'l.phone_number_normalized = $1'::text; end if;
  if p_source_id is not null then v_where := v_where || 'l.source_id = $2'::text; end if;
  if p_status is not null then v_where := v_where || 'l.status = $3'::text; end if;
  if p_created_from is not null then v_where := v_where || 'l.created_at >= $4'::text; end if;
  if p_created_to is not null then v_where := v_where || 'l.created_at < $5'::text; end if;
  if p_q is not null then
    v_where := v_where || case when p_q_phone is null then 'lower(l.full_name) like $6'
      else '(lower(l.full_name) like $6 or l.phone_number_normalized like $7)' end;
  end if;
  if v_after then v_where := v_where || '(l.created_at, l.id) < ($8, $9)'::text; end if;

  execute format(
    'select array(select l from leads_master l where %s order by l.created_at desc, l.id desc limit $10)',
    array_to_string(v_where, ' and '))
  into v_rows
  using p_phone, p_source_id, p_status, p_created_from, p_created_to,
        knowlarity_like_prefix(lower(p_q)), knowlarity_like_prefix(p_q_phone),
        p_after_created_at, p_after_id, v_limit + 1;
  return knowlarity_lead_page(v_rows, v_limit);
end $$;

-- One lead with its primary source, its history and its calls, or null. `history` lists every
-- source credited with this lead, oldest first: the primary source (unless the CRM keeps its
-- own is_primary history row) and every lead_sources_history row, with when it was received.
-- `calls` are its newest 100 Knowlarity calls, newest first; `callsTotal` counts all of them
-- (GET /calls?leadId= pages through the rest).
create or replace function knowlarity_get_lead(p_id bigint) returns jsonb
language plpgsql stable set search_path = public as $$
begin
  return (
    select knowlarity_lead_api_json(l, knowlarity_source_ref(s)) || jsonb_build_object(
      'history', (
        select coalesce(jsonb_agg(e.item order by e.at, e.ord, e.hid), '[]'::jsonb)
        from (
          select 0 as ord, 0::bigint as hid, coalesce(l.received_at, l.created_at) as at,
                 jsonb_build_object(
                   'sourceId', l.source_id,
                   'source', knowlarity_source_ref(s),
                   'receivedAt', knowlarity_api_time(coalesce(l.received_at, l.created_at)),
                   'isPrimary', true,
                   'externalId', l.external_lead_id) as item
          where l.source_id is not null
            and not exists (select 1 from lead_sources_history h
                            where h.lead_id = l.id and h.is_primary)
          union all
          select 1, h.id, h.received_at,
                 jsonb_build_object(
                   'sourceId', h.source_id,
                   'source', knowlarity_source_ref(hs),
                   'receivedAt', knowlarity_api_time(h.received_at),
                   'isPrimary', coalesce(h.is_primary, false),
                   'externalId', h.external_id)
          from lead_sources_history h left join sources hs on hs.id = h.source_id
          where h.lead_id = l.id
        ) e),
      'calls', (
        select coalesce(jsonb_agg(knowlarity_call_api_json(c) order by c.started_at desc, c.call_id), '[]'::jsonb)
        from (select * from knowlarity_calls c where c.lead_id = l.id
              order by c.started_at desc, c.call_id limit 100) c),
      'callsTotal', (select count(*) from knowlarity_calls c where c.lead_id = l.id))
    from leads_master l left join sources s on s.id = l.source_id
    where l.id = p_id);
end $$;

-- Calls newest first, on (started_at desc, call_id asc), every filter optional and combined with
-- AND: p_lead_id, p_phone (national number), p_from <= started_at < p_to, p_missed (true for
-- missed, false for answered), p_direction, and the `next` key of the previous page. Each
-- combination is planned for the values at hand, on the lead, phone or start-time index.
create or replace function knowlarity_find_calls(
  p_lead_id bigint default null,
  p_phone text default null,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_missed boolean default null,
  p_direction text default null,
  p_limit integer default 50,
  p_after_started_at timestamptz default null,
  p_after_call_id text default null
) returns jsonb
language plpgsql stable set search_path = public as $$
declare
  v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 200);
  v_where text[] := array['true'];
  v_rows knowlarity_calls[];
begin
  if p_lead_id is not null then v_where := v_where || 'c.lead_id = $1'::text; end if;
  if p_phone is not null then v_where := v_where || 'c.customer_phone = $2'::text; end if;
  if p_from is not null then v_where := v_where || 'c.started_at >= $3'::text; end if;
  if p_to is not null then v_where := v_where || 'c.started_at < $4'::text; end if;
  if p_missed is not null then v_where := v_where || 'c.missed = $5'::text; end if;
  if p_direction is not null then v_where := v_where || 'c.direction = $6'::text; end if;
  if p_after_started_at is not null and p_after_call_id is not null then
    v_where := v_where || '(c.started_at <= $7 and (c.started_at < $7 or c.call_id > $8))'::text;
  end if;

  execute format(
    'select array(select c from knowlarity_calls c where %s order by c.started_at desc, c.call_id limit $9)',
    array_to_string(v_where, ' and '))
  into v_rows
  using p_lead_id, p_phone, p_from, p_to, p_missed, p_direction,
        p_after_started_at, p_after_call_id, v_limit + 1;

  return (
    select jsonb_build_object(
      'items', coalesce(jsonb_agg(knowlarity_call_api_json(v_rows[n]) order by n) filter (where n <= v_limit), '[]'::jsonb),
      'next', case when count(*) > v_limit then
                     jsonb_build_object('startedAt', knowlarity_key_time((v_rows[v_limit]).started_at),
                                        'callId', (v_rows[v_limit]).call_id)
              end)
    from generate_subscripts(v_rows, 1) as n);
end $$;

-- One call by its id, or null.
create or replace function knowlarity_get_call(p_call_id text) returns jsonb
language sql stable set search_path = public as $$
  select knowlarity_call_api_json(c) from knowlarity_calls c where c.call_id = p_call_id
$$;

-- A source as the API shows it, with the counts of knowlarity_source_lead_counts (an element of
-- its result, or null for none).
create or replace function knowlarity_source_api_json(s sources, p_counts jsonb) returns jsonb
language sql stable parallel safe as $$
  select jsonb_build_object(
    'id', s.id,
    'displayName', s.display_name,
    'sourceType', s.source_type,
    'createdAt', knowlarity_api_time(s.created_at),
    'totalLeads', coalesce((p_counts->>'totalLeads')::bigint, 0),
    'todaysLeads', coalesce((p_counts->>'todaysLeads')::bigint, 0),
    'lastLeadAt', knowlarity_api_time((p_counts->>'lastLeadAt')::timestamptz))
$$;

-- Every source by id with its derived counts, exactly as knowlarity_source_lead_counts derives
-- them (leads and history rows credited to it; "today" is p_now's calendar day in p_timezone).
create or replace function knowlarity_list_sources(p_timezone text, p_now timestamptz default now())
returns jsonb language sql stable set search_path = public as $$
  select coalesce(jsonb_agg(knowlarity_source_api_json(s, c.counts) order by s.id), '[]'::jsonb)
  from sources s
  left join (select (e->>'sourceId')::bigint as source_id, e as counts
             from jsonb_array_elements(knowlarity_source_lead_counts(p_timezone, p_now)) e) c
    on c.source_id = s.id
$$;

-- One source with its derived counts (the same rules as knowlarity_source_lead_counts, computed
-- for this source alone on its credit indexes), or null. With p_days (1..90), `leadsPerDay` adds
-- the leads credited on each of the last p_days calendar days in p_timezone, oldest first,
-- today included, days without leads as 0.
create or replace function knowlarity_get_source(
  p_id bigint,
  p_timezone text,
  p_now timestamptz default now(),
  p_days integer default null
) returns jsonb
language plpgsql stable set search_path = public as $$
declare
  v_source sources;
  v_today date := (p_now at time zone p_timezone)::date;
  v_day_start timestamptz := v_today::timestamp at time zone p_timezone;
  v_day_end timestamptz := (v_today + 1)::timestamp at time zone p_timezone;
  v_counts jsonb;
  v_result jsonb;
  v_days integer := case when p_days is null then null else least(greatest(p_days, 1), 90) end;
  v_first timestamptz;
begin
  select * into v_source from sources where id = p_id;
  if v_source.id is null then
    return null;
  end if;

  select jsonb_build_object(
           'totalLeads', count(*),
           'todaysLeads', count(*) filter (where c.at >= v_day_start and c.at < v_day_end),
           'lastLeadAt', max(c.at))
  into v_counts
  from (select coalesce(l.received_at, l.created_at) as at from leads_master l where l.source_id = p_id
        union all
        select h.received_at from lead_sources_history h where h.source_id = p_id) c;
  v_result := knowlarity_source_api_json(v_source, v_counts);

  if v_days is not null then
    v_first := (v_today - (v_days - 1))::timestamp at time zone p_timezone;
    v_result := v_result || jsonb_build_object('leadsPerDay', (
      select jsonb_agg(jsonb_build_object('date', to_char(d.day, 'YYYY-MM-DD'),
                                          'leads', coalesce(n.leads, 0)) order by d.day)
      from generate_series(v_today - (v_days - 1), v_today, interval '1 day') as d(day)
      left join (
        select (c.at at time zone p_timezone)::date as day, count(*) as leads
        from (select coalesce(l.received_at, l.created_at) as at from leads_master l
              where l.source_id = p_id
                and coalesce(l.received_at, l.created_at) >= v_first
                and coalesce(l.received_at, l.created_at) < v_day_end
              union all
              select h.received_at from lead_sources_history h
              where h.source_id = p_id and h.received_at >= v_first and h.received_at < v_day_end) c
        group by 1) n on n.day = d.day::date));
  end if;
  return v_result;
end $$;

-- Creates the source (p_display_name, p_source_type) unless one exists: {created, source}.
-- Serialised with knowlarity_source_id's advisory lock on the same pair, so a creation racing an
-- ingest's first call to a new number (or another creation) never makes two sources; a row
-- inserted around the lock (the CRM's own screens) is caught by the unique index when present.
create or replace function knowlarity_create_source(p_display_name text, p_source_type text)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_source sources;
begin
  if coalesce(btrim(p_display_name), '') = '' or coalesce(btrim(p_source_type), '') = '' then
    raise exception 'display name and source type are required' using errcode = '22023';
  end if;
  perform pg_advisory_xact_lock(hashtextextended('knowlarity:source:' || p_source_type || ':' || p_display_name, 0));
  select * into v_source from sources
  where display_name = p_display_name and source_type = p_source_type order by id limit 1;
  if v_source.id is not null then
    return jsonb_build_object('created', false, 'source', knowlarity_source_api_json(v_source, null));
  end if;
  begin
    insert into sources (display_name, source_type, total_leads_count, todays_leads_count)
    values (p_display_name, p_source_type, 0, 0)
    returning * into v_source;
  exception when unique_violation then
    select * into v_source from sources
    where display_name = p_display_name and source_type = p_source_type order by id limit 1;
    return jsonb_build_object('created', false, 'source', knowlarity_source_api_json(v_source, null));
  end;
  return jsonb_build_object('created', true, 'source', knowlarity_source_api_json(v_source, null));
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 5 $$;

select knowlarity_lock_down_functions();

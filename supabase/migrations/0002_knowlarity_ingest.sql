-- 0002: Knowlarity calls, raw webhook deliveries, and the one ingest function.

create table if not exists knowlarity_calls (
  call_id text primary key,
  call_id_derived boolean not null default false,
  customer_phone text not null,
  customer_phone_e164 text not null,
  sr_number text,
  agent_number text,
  agent_label text,
  direction text not null check (direction in ('inbound', 'outbound')),
  missed boolean not null default false,
  duration_seconds integer,
  recording_url text,
  started_at timestamptz not null,
  caller_name text,
  business_call_type text,
  hangup_cause text,
  lead_id bigint references leads_master (id) on delete set null,
  source_id bigint references sources (id),
  outcome text not null,
  first_arrival_path text not null check (first_arrival_path in ('webhook', 'poll', 'replay')),
  arrival_paths text[] not null,
  seen_count integer not null default 1,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  raw_payload jsonb
);
create index if not exists knowlarity_calls_customer_phone_idx
  on knowlarity_calls (customer_phone, started_at desc);
create index if not exists knowlarity_calls_lead_idx on knowlarity_calls (lead_id, started_at desc);
create index if not exists knowlarity_calls_started_idx on knowlarity_calls (started_at desc, call_id);
select knowlarity_close_table('knowlarity_calls');

-- Every webhook request as received, accepted or rejected, secrets already removed by the app.
create table if not exists webhook_deliveries (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  request_id text,
  method text not null,
  path text,
  content_type text,
  headers jsonb not null default '{}'::jsonb,
  query text,
  raw_body bytea,
  body_bytes integer,
  body_stored boolean not null default true,
  remote_address text,
  http_status integer not null,
  error_code text,
  outcome text,
  call_id text,
  replay_of bigint references webhook_deliveries (id)
);
create index if not exists webhook_deliveries_received_idx on webhook_deliveries (id desc);
create index if not exists webhook_deliveries_status_idx on webhook_deliveries (http_status, id desc);
create index if not exists webhook_deliveries_call_idx on webhook_deliveries (call_id);
select knowlarity_close_table('webhook_deliveries');

-- Stores one delivery (p_delivery as built by the app: camelCase keys, body in base64).
create or replace function knowlarity_record_delivery(p_delivery jsonb) returns jsonb
language plpgsql set search_path = public as $$
declare
  v_id bigint;
begin
  insert into webhook_deliveries (
    request_id, method, path, content_type, headers, query, raw_body, body_bytes, body_stored,
    remote_address, http_status, error_code, outcome, call_id, replay_of
  ) values (
    p_delivery->>'requestId',
    coalesce(p_delivery->>'method', 'POST'),
    p_delivery->>'path',
    p_delivery->>'contentType',
    coalesce(p_delivery->'headers', '{}'::jsonb),
    p_delivery->>'query',
    decode(p_delivery->>'rawBodyBase64', 'base64'),
    (p_delivery->>'bodyBytes')::integer,
    coalesce((p_delivery->>'bodyStored')::boolean, true),
    p_delivery->>'remoteAddress',
    (p_delivery->>'httpStatus')::integer,
    p_delivery->>'errorCode',
    p_delivery->>'outcome',
    p_delivery->>'callId',
    (p_delivery->>'replayOf')::bigint
  ) returning id into v_id;
  return jsonb_build_object('deliveryId', v_id);
end $$;

-- Finds or creates the source (display_name, source_type). Creation is serialised by an
-- advisory lock so two first calls to a new number never create two sources, with or without
-- the unique index (a CRM table with duplicates cannot take it).
create or replace function knowlarity_source_id(p_display_name text, p_source_type text)
returns bigint language plpgsql set search_path = public as $$
declare
  v_id bigint;
begin
  select id into v_id from sources
  where display_name = p_display_name and source_type = p_source_type order by id limit 1;
  if v_id is not null then
    return v_id;
  end if;
  perform pg_advisory_xact_lock(hashtextextended('knowlarity:source:' || p_source_type || ':' || p_display_name, 0));
  select id into v_id from sources
  where display_name = p_display_name and source_type = p_source_type order by id limit 1;
  if v_id is null then
    insert into sources (display_name, source_type, total_leads_count, todays_leads_count)
    values (p_display_name, p_source_type, 0, 0)
    returning id into v_id;
  end if;
  return v_id;
end $$;

-- The source an SR number's calls are credited to: p_rules.numberSources, else the default.
create or replace function knowlarity_source_name(p_sr_number text, p_rules jsonb) returns text
language sql immutable as $$
  select coalesce(
    p_rules->'numberSources'->>p_sr_number,
    p_rules #>> '{defaultSource,displayName}',
    'Knowlarity')
$$;

-- The whole ingest of one call, in one transaction. Guarantees:
--  * idempotent on the call id: a call seen again only merges richer fields (recording, duration,
--    agent, caller name) and records the arrival path; it returns 'duplicate_call' with the lead
--    first linked, and creates no lead, no history row and changes no count;
--  * race-free per phone: the whole ingest is serialised by an advisory lock on the phone, so any
--    number of concurrent calls from one new phone create exactly one lead;
--  * the CRM's rule for an inbound call:
--      A. no lead has this phone                                  -> new lead, 'lead_created'
--      B. the phone is already credited to this source (a lead of
--         this source, or a history row of this source on one of
--         the phone's leads)                                      -> 'same_source_duplicate'
--      C. the phone's leads belong to other sources               -> history row on the most
--         recently created such lead, 'cross_source_duplicate'
--    B includes history rows so that a second call from a cross-source phone does not credit
--    the source twice;
--  * outbound calls create no lead unless p_rules.outboundCreatesLeads: 'call_linked' to the
--    phone's newest lead, or 'call_unmatched';
--  * calls to an SR number outside p_rules.allowedNumbers (when non-empty) or from a number in
--    p_rules.ignoredCallers are recorded as 'ignored';
--  * no shared counter row is written: source counts are derived from leads and history rows
--    (knowlarity_source_lead_counts), so concurrent ingests never queue on one row.
-- p_rules: {defaultSource: {displayName, sourceType}, numberSources: {"+91...": "Name"},
--           allowedNumbers: [...], ignoredCallers: [...], outboundCreatesLeads: bool}
-- When p_delivery is given, the raw webhook delivery is stored in the same transaction.
create or replace function knowlarity_ingest_call(
  p_call jsonb,
  p_arrival_path text,
  p_rules jsonb default '{}'::jsonb,
  p_raw jsonb default null,
  p_delivery jsonb default null
) returns jsonb
language plpgsql set search_path = public as $$
declare
  v_call_id text := p_call->>'callId';
  v_phone text := p_call->>'customerPhone';
  v_phone_e164 text := p_call->>'customerPhoneE164';
  v_sr_number text := nullif(p_call->>'srNumber', '');
  v_direction text := coalesce(p_call->>'direction', 'inbound');
  v_started_at timestamptz := coalesce((p_call->>'startedAt')::timestamptz, now());
  v_source_type text := coalesce(p_rules #>> '{defaultSource,sourceType}', 'knowlarity_call');
  v_ignored boolean;
  v_source_id bigint;
  v_lead_id bigint;
  v_outcome text;
  v_inserted integer;
  v_delivery_id bigint;
begin
  if v_call_id is null or v_phone is null or v_phone_e164 is null then
    raise exception 'callId, customerPhone and customerPhoneE164 are required' using errcode = '22023';
  end if;
  if p_arrival_path is null or p_arrival_path not in ('webhook', 'poll', 'replay') then
    raise exception 'arrival path must be webhook, poll or replay' using errcode = '22023';
  end if;

  v_ignored := (jsonb_array_length(coalesce(p_rules->'allowedNumbers', '[]'::jsonb)) > 0
                and not coalesce(p_rules->'allowedNumbers' ? v_sr_number, false))
               or coalesce(p_rules->'ignoredCallers' ? v_phone_e164, false);
  if not v_ignored then
    v_source_id := knowlarity_source_id(knowlarity_source_name(v_sr_number, p_rules), v_source_type);
  end if;

  -- Locks are always taken in the order source, phone, call row, so concurrent single calls
  -- and batches cannot deadlock. The phone lock serialises everything about one phone.
  perform pg_advisory_xact_lock(hashtextextended('knowlarity:phone:' || v_phone, 0));

  insert into knowlarity_calls (
    call_id, call_id_derived, customer_phone, customer_phone_e164, sr_number, agent_number,
    agent_label, direction, missed, duration_seconds, recording_url, started_at, caller_name,
    business_call_type, hangup_cause, outcome, first_arrival_path, arrival_paths, raw_payload
  ) values (
    v_call_id,
    coalesce((p_call->>'callIdDerived')::boolean, false),
    v_phone,
    v_phone_e164,
    v_sr_number,
    nullif(p_call->>'agentNumber', ''),
    nullif(p_call->>'agentLabel', ''),
    v_direction,
    coalesce((p_call->>'missed')::boolean, false),
    (p_call->>'durationSeconds')::integer,
    nullif(p_call->>'recordingUrl', ''),
    v_started_at,
    nullif(p_call->>'callerName', ''),
    nullif(p_call->>'businessCallType', ''),
    nullif(p_call->>'hangupCause', ''),
    'pending',
    p_arrival_path,
    array[p_arrival_path],
    p_raw
  ) on conflict (call_id) do nothing;
  get diagnostics v_inserted = row_count;

  if v_inserted = 0 then
    update knowlarity_calls c set
      recording_url = coalesce(c.recording_url, nullif(p_call->>'recordingUrl', '')),
      duration_seconds = greatest(c.duration_seconds, (p_call->>'durationSeconds')::integer),
      agent_number = coalesce(c.agent_number, nullif(p_call->>'agentNumber', '')),
      agent_label = coalesce(c.agent_label, nullif(p_call->>'agentLabel', '')),
      caller_name = coalesce(c.caller_name, nullif(p_call->>'callerName', '')),
      arrival_paths = case when p_arrival_path = any (c.arrival_paths) then c.arrival_paths
                           else c.arrival_paths || p_arrival_path end,
      seen_count = c.seen_count + 1,
      last_seen_at = now()
    where c.call_id = v_call_id
    returning c.lead_id, c.source_id into v_lead_id, v_source_id;
    v_outcome := 'duplicate_call';
  elsif v_ignored then
    v_outcome := 'ignored';
    update knowlarity_calls set outcome = v_outcome where call_id = v_call_id;
  else
    if v_direction = 'outbound' and not coalesce((p_rules->>'outboundCreatesLeads')::boolean, false) then
      select l.id into v_lead_id from leads_master l
      where l.phone_number_normalized = v_phone
      order by l.created_at desc, l.id desc limit 1;
      v_outcome := case when v_lead_id is null then 'call_unmatched' else 'call_linked' end;
    else
      select l.id into v_lead_id from leads_master l
      where l.phone_number_normalized = v_phone
        and (l.source_id = v_source_id
             or exists (select 1 from lead_sources_history h
                        where h.lead_id = l.id and h.source_id = v_source_id
                        -- `offset 0` keeps this a probe of (lead_id, source_id) per lead of
                        -- the phone. Without it PostgreSQL may plan a "hashed SubPlan" that
                        -- reads every history row of the source on each call; cached in a
                        -- pooled session while history was small, that plan cost 0.57 ms a
                        -- call at 18,000 credits (0.005 ms as a probe).
                        offset 0))
      order by l.created_at desc, l.id desc limit 1;

      if v_lead_id is not null then
        v_outcome := 'same_source_duplicate';
      else
        select l.id into v_lead_id from leads_master l
        where l.phone_number_normalized = v_phone
        order by l.created_at desc, l.id desc limit 1;

        if v_lead_id is not null then
          insert into lead_sources_history (lead_id, source_id, external_id, raw_payload, received_at, is_primary)
          values (v_lead_id, v_source_id, v_call_id, p_raw, v_started_at, false);
          v_outcome := 'cross_source_duplicate';
        else
          insert into leads_master (
            full_name, phone_number_normalized, source_id, external_lead_id, status,
            total_attempts, is_qualified, raw_payload, received_at, created_at, updated_at
          ) values (
            coalesce(nullif(p_call->>'callerName', ''), 'Knowlarity Lead ' || v_phone),
            v_phone, v_source_id, v_call_id, 'New', 0, false, p_raw, v_started_at, now(), now()
          ) returning id into v_lead_id;
          v_outcome := 'lead_created';
        end if;
      end if;

      if v_outcome <> 'lead_created' then
        update leads_master set updated_at = now() where id = v_lead_id;
      end if;
    end if;

    update knowlarity_calls set lead_id = v_lead_id, source_id = v_source_id, outcome = v_outcome
    where call_id = v_call_id;
  end if;

  if p_delivery is not null then
    select (knowlarity_record_delivery(
      p_delivery || jsonb_build_object('httpStatus', 200, 'outcome', v_outcome, 'callId', v_call_id)
    )->>'deliveryId')::bigint into v_delivery_id;
  end if;

  return jsonb_build_object(
    'outcome', v_outcome, 'leadId', v_lead_id, 'callId', v_call_id,
    'sourceId', v_source_id, 'deliveryId', v_delivery_id);
end $$;

-- Lead counts per source, derived at read time from leads and history rows, so they are exact
-- under any concurrency and "today" (the current calendar day in p_timezone, by when the source
-- delivered the lead) rolls over at midnight by itself. Returns
-- [{sourceId, totalLeads, todaysLeads, lastLeadAt}] for every source.
create or replace function knowlarity_source_lead_counts(p_timezone text, p_now timestamptz default now())
returns jsonb language sql stable set search_path = public as $$
  with bounds as (
    select (p_now at time zone p_timezone)::date::timestamp at time zone p_timezone as day_start,
           ((p_now at time zone p_timezone)::date + 1)::timestamp at time zone p_timezone as day_end
  ),
  credits as (
    select source_id, coalesce(received_at, created_at) as credited_at from leads_master
    where source_id is not null
    union all
    select source_id, received_at from lead_sources_history where source_id is not null
  ),
  per_source as (
    select c.source_id,
           count(*) as total,
           count(*) filter (where c.credited_at >= b.day_start and c.credited_at < b.day_end) as today,
           max(c.credited_at) as last_at
    from credits c cross join bounds b
    group by c.source_id
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'sourceId', s.id,
           'totalLeads', coalesce(p.total, 0),
           'todaysLeads', coalesce(p.today, 0),
           'lastLeadAt', p.last_at) order by s.id), '[]'::jsonb)
  from sources s left join per_source p on p.source_id = s.id
$$;

-- Writes the derived counts into sources.total_leads_count / todays_leads_count for the CRM's
-- existing screens, touching only rows whose figures changed. Run by the service on a short
-- interval instead of by every ingest, so no ingest ever waits on a source row.
create or replace function knowlarity_refresh_source_counts(p_timezone text, p_now timestamptz default now())
returns jsonb language plpgsql set search_path = public as $$
declare
  v_updated integer;
begin
  update sources s
  set total_leads_count = (c->>'totalLeads')::integer,
      todays_leads_count = (c->>'todaysLeads')::integer
  from jsonb_array_elements(knowlarity_source_lead_counts(p_timezone, p_now)) c
  where s.id = (c->>'sourceId')::bigint
    and (s.total_leads_count is distinct from (c->>'totalLeads')::integer
         or s.todays_leads_count is distinct from (c->>'todaysLeads')::integer);
  get diagnostics v_updated = row_count;
  return jsonb_build_object('updated', v_updated);
end $$;

-- The schema version this database holds; the supabase driver compares it with the migrations
-- the service ships. Every migration that comes later redefines it with its own number.
create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 2 $$;

select knowlarity_lock_down_functions();

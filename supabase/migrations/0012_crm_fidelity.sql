-- 0012: CRM fidelity. A caller's other number (leads_master.alternate_phone_number) matches like
-- the lead's own; the lead's owner (assigned_to) is set from the call that brings it; and missed
-- calls nobody returned are kept as a small queue, maintained in the ingest transaction.

-- The phone normaliser lives in a schema of its own. An expression index on leads_master calls
-- it whenever anyone writes a lead, the CRM's own roles included, and PostgreSQL checks EXECUTE
-- on index expressions for the writing role: a knowlarity_* function (closed to everyone but
-- service_role) would make the CRM's own inserts fail. Here EXECUTE stays with PUBLIC, which only
-- serves the index, while the schema grants no USAGE: PostgREST does not expose it and no client
-- role can call the function by name.
create schema if not exists knowlarity_private;
revoke all on schema knowlarity_private from public;
do $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = v_role) then
      execute format('revoke all on schema knowlarity_private from %I', v_role);
    end if;
  end loop;
  -- The service's functions name it; on Supabase they run as service_role.
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant usage on schema knowlarity_private to service_role;
  end if;
end $$;

-- The national number of a phone as the service matches it: the SQL twin of normalizePhone's
-- `national` (src/knowlarity/phone.ts, DEFAULT_COUNTRY IN), for numbers the CRM stored as free
-- text. Whitespace, dashes, dots and parentheses are dropped; `+91XXXXXXXXXX`, `91XXXXXXXXXX`,
-- `0091XXXXXXXXXX`, `0XXXXXXXXXX` and bare 10-digit numbers give the 10 digits; other countries
-- keep their calling code; anything else (letters, too few or too many digits, several numbers
-- in one field) gives null, so it matches nothing. One deliberate difference: percent-encoding
-- (`%2B91...`) is not decoded, since it only occurs in URLs, not in what people type into a CRM.
-- IMMUTABLE and STRICT: it serves an expression index.
create or replace function knowlarity_private.national_phone(p_text text) returns text
language plpgsql immutable strict parallel safe set search_path = pg_catalog as $$
declare
  v_parts text[];
  v_plus boolean;
  v_digits text;
  v_national text;
begin
  -- The characters JavaScript's \s matches, plus - . ( ).
  v_parts := regexp_match(
    regexp_replace(p_text, '[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff().-]', '', 'g'),
    '^(\+?)([0-9]+)$');
  if v_parts is null then
    return null;
  end if;
  v_plus := v_parts[1] = '+';
  v_digits := v_parts[2];
  if length(v_digits) < 8 or length(v_digits) > 15 then
    return null;
  end if;

  if not v_plus then
    -- The Indian forms written without `+`. (No calls to other functions of this schema: the
    -- writing role, which has no USAGE on it, runs this body.)
    v_national := case
      when length(v_digits) = 10 and left(v_digits, 1) <> '0' then v_digits
      when length(v_digits) = 11 and left(v_digits, 1) = '0' then substr(v_digits, 2)
      when v_digits ~ '^1(800|860)[0-9]{7}$' then v_digits
      when length(v_digits) = 12 and left(v_digits, 2) = '91' then substr(v_digits, 3)
      when length(v_digits) = 14 and left(v_digits, 4) = '0091' then substr(v_digits, 5)
    end;
    if (length(v_national) = 10 and left(v_national, 1) <> '0')
       or v_national ~ '^1(800|860)[0-9]{7}$' then
      return v_national;
    end if;
    if left(v_digits, 2) = '00' then
      v_digits := substr(v_digits, 3); -- the international prefix
    end if;
  end if;

  -- A full international number: no calling code starts with 0, and `91` is always India.
  if length(v_digits) < 8 or length(v_digits) > 15 or left(v_digits, 1) = '0' then
    return null;
  end if;
  if left(v_digits, 2) = '91' then
    v_national := substr(v_digits, 3);
    if length(v_national) = 11 and left(v_national, 1) = '0' then
      v_national := substr(v_national, 2); -- `+91 (0) 98...`
    end if;
    if (length(v_national) = 10 and left(v_national, 1) <> '0')
       or v_national ~ '^1(800|860)[0-9]{7}$' then
      return v_national;
    end if;
    return null;
  end if;
  return v_digits;
end $$;

-- Leads by their alternate number, without rewriting the CRM's rows. The columns after the
-- number serve "the phone's newest lead".
create index if not exists leads_master_alternate_phone_national_idx
  on leads_master (knowlarity_private.national_phone(alternate_phone_number), created_at desc, id desc)
  where alternate_phone_number is not null;

-- Who the ingest made the lead's owner for this call, and why (see knowlarity_ingest_call).
alter table knowlarity_calls add column if not exists assigned_to text;
alter table knowlarity_calls add column if not exists assignment_reason text;

-- The leads of a phone: those whose number is p_phone, then those whose alternate number
-- normalises to it (and whose own number is another), each branch an index range in
-- (created_at desc, id desc) order, so "the newest lead of the phone" is a merge of two index
-- scans however the planner estimates them. No SET clause and no STRICT: PostgreSQL inlines it
-- into the calling statement.
create or replace function knowlarity_phone_leads(p_phone text) returns setof leads_master
language sql stable as $$
  select l.* from leads_master l where l.phone_number_normalized = p_phone
  union all
  select l.* from leads_master l
  where l.alternate_phone_number is not null
    and knowlarity_private.national_phone(l.alternate_phone_number) = p_phone
    and l.phone_number_normalized is distinct from p_phone
$$;

-- The numbers that must be locked together for a call from p_phone, in lock order: p_phone and
-- every number of every lead p_phone reaches (the primary number of a lead whose alternate it
-- is, the alternate number of a lead whose primary it is). Any two calls that can touch the same
-- lead therefore share that lead's numbers and are serialised.
create or replace function knowlarity_phone_lock_group(p_phone text) returns text[]
language sql stable set search_path = public as $$
  select array(
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
    order by n)
$$;

-- Missed calls nobody returned: one row per episode, a run of inbound missed calls from one
-- phone up to the first answered call with that phone (either direction) that started after
-- them. An open episode (returned_at null) is a customer waiting for a call back; a closed one
-- says who answered and when. The ingest function keeps the rows in its transaction: a missed
-- call after a waiting entry joins it, anything else rebuilds the phone's entries from
-- knowlarity_calls (knowlarity_refresh_missed_episodes), so calls arriving in any order give the
-- same rows.
create table if not exists knowlarity_missed_episodes (
  id bigint generated always as identity primary key,
  phone text not null,
  phone_e164 text not null,
  lead_id bigint,
  first_missed_call_id text not null,
  first_missed_at timestamptz not null,
  last_missed_call_id text not null,
  last_missed_at timestamptz not null,
  attempts integer not null,
  returned_call_id text,
  returned_at timestamptz,
  returned_direction text
);
create index if not exists knowlarity_missed_episodes_phone_idx
  on knowlarity_missed_episodes (phone, first_missed_at);
create unique index if not exists knowlarity_missed_episodes_open_key
  on knowlarity_missed_episodes (phone) where returned_at is null;
create index if not exists knowlarity_missed_episodes_open_idx
  on knowlarity_missed_episodes (last_missed_at desc, phone desc) where returned_at is null;
create index if not exists knowlarity_missed_episodes_returned_idx
  on knowlarity_missed_episodes (returned_at desc, returned_call_id desc) where returned_at is not null;
select knowlarity_close_table('knowlarity_missed_episodes');

-- Answered calls are found by phone and time on knowlarity_calls_customer_phone_idx; missed
-- inbound ones get their own small index.
create index if not exists knowlarity_calls_missed_inbound_idx
  on knowlarity_calls (customer_phone, started_at)
  where missed and direction = 'inbound' and outcome <> 'ignored';

-- Rebuilds p_phone's episodes that a call starting at p_at can change: every episode after the
-- phone's last answered call before p_at (an answered call ends the episodes before it, so
-- nothing earlier can change). "Later" is strictly later; ignored calls count for nothing.
-- Callers hold the phone's advisory lock.
create or replace function knowlarity_refresh_missed_episodes(p_phone text, p_at timestamptz)
returns void language plpgsql set search_path = public as $$
declare
  v_from timestamptz;
begin
  select max(c.started_at) into v_from from knowlarity_calls c
  where c.customer_phone = p_phone and c.started_at < p_at and not c.missed and c.outcome <> 'ignored';
  v_from := coalesce(v_from, '-infinity');

  delete from knowlarity_missed_episodes e where e.phone = p_phone and e.first_missed_at >= v_from;
  insert into knowlarity_missed_episodes (
    phone, phone_e164, lead_id, first_missed_call_id, first_missed_at, last_missed_call_id,
    last_missed_at, attempts, returned_call_id, returned_at, returned_direction)
  select p_phone,
         (array_agg(m.customer_phone_e164 order by m.started_at desc, m.call_id desc))[1],
         (array_agg(m.lead_id order by m.started_at desc, m.call_id desc) filter (where m.lead_id is not null))[1],
         (array_agg(m.call_id order by m.started_at, m.call_id))[1],
         min(m.started_at),
         (array_agg(m.call_id order by m.started_at desc, m.call_id desc))[1],
         max(m.started_at),
         count(*),
         r.call_id, r.started_at, r.direction
  from knowlarity_calls m
  left join lateral (
    select a.call_id, a.started_at, a.direction from knowlarity_calls a
    where a.customer_phone = p_phone and a.started_at > m.started_at
      and not a.missed and a.outcome <> 'ignored'
    order by a.started_at, a.call_id
    limit 1) r on true
  where m.customer_phone = p_phone and m.started_at >= v_from
    and m.missed and m.direction = 'inbound' and m.outcome <> 'ignored'
  group by r.call_id, r.started_at, r.direction;
end $$;

-- Every phone's episodes from scratch, set-based (the statement of
-- knowlarity_refresh_missed_episodes for all phones at once; the fidelity suite checks they
-- agree): for calls stored before this migration, and for bulk loads (the benchmark). Safe to
-- run again at any time, e.g. if calls were ingested by the previous function in transactions
-- that committed while this migration ran (they are not in its snapshot).
create or replace function knowlarity_rebuild_all_missed_episodes() returns jsonb
language plpgsql set search_path = public as $$
declare
  v_rows integer;
begin
  delete from knowlarity_missed_episodes;
  insert into knowlarity_missed_episodes (
    phone, phone_e164, lead_id, first_missed_call_id, first_missed_at, last_missed_call_id,
    last_missed_at, attempts, returned_call_id, returned_at, returned_direction)
  select m.customer_phone,
         (array_agg(m.customer_phone_e164 order by m.started_at desc, m.call_id desc))[1],
         (array_agg(m.lead_id order by m.started_at desc, m.call_id desc) filter (where m.lead_id is not null))[1],
         (array_agg(m.call_id order by m.started_at, m.call_id))[1],
         min(m.started_at),
         (array_agg(m.call_id order by m.started_at desc, m.call_id desc))[1],
         max(m.started_at),
         count(*),
         r.call_id, r.started_at, r.direction
  from knowlarity_calls m
  left join lateral (
    select a.call_id, a.started_at, a.direction from knowlarity_calls a
    where a.customer_phone = m.customer_phone and a.started_at > m.started_at
      and not a.missed and a.outcome <> 'ignored'
    order by a.started_at, a.call_id
    limit 1) r on true
  where m.missed and m.direction = 'inbound' and m.outcome <> 'ignored'
  group by m.customer_phone, r.call_id, r.started_at, r.direction;
  get diagnostics v_rows = row_count;
  return jsonb_build_object('episodes', v_rows);
end $$;

select knowlarity_rebuild_all_missed_episodes();

-- The whole ingest of one call, in one transaction. Guarantees:
--  * idempotent on the call id: a call seen again only merges richer fields (recording, duration,
--    agent, caller name) and records the arrival path; it returns 'duplicate_call' with the lead,
--    owner and reason first recorded, and creates no lead, no history row, changes no owner and
--    no count;
--  * a phone's leads are the leads whose phone_number_normalized is the call's national number
--    or whose alternate_phone_number (free text, read by knowlarity_private.national_phone)
--    normalises to it; the rules and linking below treat both alike, newest lead first;
--  * race-free: the whole ingest is serialised by advisory locks on the call's phone and on
--    every number of the leads it reaches (knowlarity_phone_lock_group, taken in sorted order),
--    so any number of concurrent calls from one new phone create exactly one lead, and two
--    concurrent calls from a lead's primary and alternate numbers are serialised too (one
--    credits a new source, the other finds it credited);
--  * the CRM's rule for an inbound call:
--      A. no lead has this phone                                  -> new lead, 'lead_created'
--      B. the phone is already credited to this source (a lead of
--         this source, or a history row of this source on one of
--         the phone's leads)                                      -> 'same_source_duplicate'
--      C. the phone's leads belong to other sources               -> history row on the most
--         recently created such lead, 'cross_source_duplicate'
--    B includes history rows so that a second call from a cross-source phone does not credit
--    the source twice;
--  * the owner, for an inbound call that lands on a lead: a lead without one (assigned_to null
--    or blank) gets p_rules.agentUsers[answering agent] when the call was answered by a mapped
--    agent ('answering_agent'), else p_rules.numberOwners[SR number] ('number_owner'), else
--    stays unassigned ('unassigned'); a lead that has an owner keeps it ('already_assigned').
--    Decided under the same locks, recorded on the call row and returned;
--  * outbound calls create no lead unless p_rules.outboundCreatesLeads: 'call_linked' to the
--    phone's newest lead, or 'call_unmatched';
--  * calls to an SR number outside p_rules.allowedNumbers (when non-empty) or from a number in
--    p_rules.ignoredCallers are recorded as 'ignored';
--  * the missed-call queue (knowlarity_missed_episodes) is brought up to date for the phone in
--    the same transaction, whatever order calls arrive in;
--  * no shared counter row is written: source counts are derived from leads and history rows
--    (knowlarity_source_lead_counts), so concurrent ingests never queue on one row.
-- p_rules: {defaultSource: {displayName, sourceType}, numberSources: {"+91...": "Name"},
--           allowedNumbers: [...], ignoredCallers: [...], outboundCreatesLeads: bool,
--           agentUsers: {"+91...": "17"}, numberOwners: {"+91...": "23"}}
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
  v_missed boolean := coalesce((p_call->>'missed')::boolean, false);
  v_started_at timestamptz := coalesce((p_call->>'startedAt')::timestamptz, now());
  v_source_type text := coalesce(p_rules #>> '{defaultSource,sourceType}', 'knowlarity_call');
  v_ignored boolean;
  v_source_id bigint;
  v_lead_id bigint;
  v_outcome text;
  v_inserted integer;
  v_delivery_id bigint;
  v_lock_phone text;
  v_owner text;
  v_owner_reason text;
  v_assigned_to text;
  v_assignment_reason text;
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

  -- Locks are always taken in the order source, phones (sorted), call row, so concurrent single
  -- calls cannot deadlock. The phone locks serialise everything about one phone and its leads.
  foreach v_lock_phone in array knowlarity_phone_lock_group(v_phone) loop
    perform pg_advisory_xact_lock(hashtextextended('knowlarity:phone:' || v_lock_phone, 0));
  end loop;

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
    v_missed,
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
    returning c.lead_id, c.source_id, c.assigned_to, c.assignment_reason
    into v_lead_id, v_source_id, v_assigned_to, v_assignment_reason;
    v_outcome := 'duplicate_call';
  elsif v_ignored then
    v_outcome := 'ignored';
    update knowlarity_calls set outcome = v_outcome where call_id = v_call_id;
  else
    if v_direction = 'outbound' and not coalesce((p_rules->>'outboundCreatesLeads')::boolean, false) then
      select l.id into v_lead_id from knowlarity_phone_leads(v_phone) l
      order by l.created_at desc, l.id desc limit 1;
      v_outcome := case when v_lead_id is null then 'call_unmatched' else 'call_linked' end;
    else
      -- The owner this call would give a lead that has none.
      v_owner := case when v_direction = 'inbound' and not v_missed
                      then p_rules->'agentUsers'->>nullif(p_call->>'agentNumber', '') end;
      v_owner_reason := case when v_owner is not null then 'answering_agent' end;
      if v_owner is null and v_direction = 'inbound' then
        v_owner := p_rules->'numberOwners'->>v_sr_number;
        v_owner_reason := case when v_owner is not null then 'number_owner' end;
      end if;

      select l.id into v_lead_id from knowlarity_phone_leads(v_phone) l
      where (l.source_id = v_source_id
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
        select l.id into v_lead_id from knowlarity_phone_leads(v_phone) l
        order by l.created_at desc, l.id desc limit 1;

        if v_lead_id is not null then
          insert into lead_sources_history (lead_id, source_id, external_id, raw_payload, received_at, is_primary)
          values (v_lead_id, v_source_id, v_call_id, p_raw, v_started_at, false);
          v_outcome := 'cross_source_duplicate';
        else
          insert into leads_master (
            full_name, phone_number_normalized, source_id, external_lead_id, status,
            total_attempts, is_qualified, raw_payload, received_at, assigned_to, created_at, updated_at
          ) values (
            coalesce(nullif(p_call->>'callerName', ''), 'Knowlarity Lead ' || v_phone),
            v_phone, v_source_id, v_call_id, 'New', 0, false, p_raw, v_started_at, v_owner, now(), now()
          ) returning id into v_lead_id;
          v_outcome := 'lead_created';
          if v_direction = 'inbound' then
            v_assigned_to := v_owner;
            v_assignment_reason := coalesce(v_owner_reason, 'unassigned');
          end if;
        end if;
      end if;

      if v_outcome <> 'lead_created' then
        select l.assigned_to into v_assigned_to from leads_master l where l.id = v_lead_id for no key update;
        if v_direction <> 'inbound' then
          v_assigned_to := null;
        elsif nullif(btrim(v_assigned_to), '') is not null then
          v_assignment_reason := 'already_assigned';
        else
          v_assigned_to := v_owner;
          v_assignment_reason := coalesce(v_owner_reason, 'unassigned');
        end if;
        update leads_master set updated_at = now(),
          assigned_to = case when v_owner_reason is not null and v_assignment_reason = v_owner_reason
                             then v_owner else assigned_to end
        where id = v_lead_id;
      end if;
    end if;

    update knowlarity_calls set lead_id = v_lead_id, source_id = v_source_id, outcome = v_outcome,
      assigned_to = v_assigned_to, assignment_reason = v_assignment_reason
    where call_id = v_call_id;

    -- The missed-call queue. A missed inbound call later than the phone's waiting entry joins
    -- it (the usual case: nothing answered since, so nothing else can change); any other one is
    -- placed by a rebuild. An answered call only changes entries with a missed call before it
    -- that were open or answered later (out of order).
    if v_missed and v_direction = 'inbound' then
      update knowlarity_missed_episodes e set
        attempts = e.attempts + 1, last_missed_at = v_started_at, last_missed_call_id = v_call_id,
        phone_e164 = v_phone_e164, lead_id = coalesce(v_lead_id, e.lead_id)
      where e.phone = v_phone and e.returned_at is null
        and (e.last_missed_at, e.last_missed_call_id) < (v_started_at, v_call_id);
      if not found then
        perform knowlarity_refresh_missed_episodes(v_phone, v_started_at);
      end if;
    elsif not v_missed and exists (
            select 1 from knowlarity_missed_episodes e
            where e.phone = v_phone and e.first_missed_at < v_started_at
              and (e.returned_at is null or e.returned_at >= v_started_at)) then
      perform knowlarity_refresh_missed_episodes(v_phone, v_started_at);
    end if;
  end if;

  if p_delivery is not null then
    select (knowlarity_record_delivery(
      p_delivery || jsonb_build_object('httpStatus', 200, 'outcome', v_outcome, 'callId', v_call_id)
    )->>'deliveryId')::bigint into v_delivery_id;
  end if;

  return jsonb_build_object(
    'outcome', v_outcome, 'leadId', v_lead_id, 'callId', v_call_id,
    'sourceId', v_source_id, 'deliveryId', v_delivery_id,
    'assignedTo', v_assigned_to, 'assignmentReason', v_assignment_reason);
end $$;

-- A Knowlarity call as the API shows it; `status` is answered or missed; `assignedTo` and
-- `assignmentReason` say who the call made (or found as) the lead's owner, and why.
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
    'assignedTo', c.assigned_to,
    'assignmentReason', c.assignment_reason,
    'startedAt', knowlarity_api_time(c.started_at))
$$;

-- Leads newest first, on (created_at desc, id desc), every filter optional and combined with AND:
--  * p_phone: a national number exactly as the ingest stores it (the app normalises it first),
--    matched against the lead's number and its alternate number (normalised the same way);
--  * p_source_id, p_status: equality; p_created_from <= created_at < p_created_to;
--  * p_q: a case-insensitive prefix of the name, or (p_q_phone, digits) a prefix of the phone;
--  * p_after_created_at/p_after_id: the `next` key of the previous page.
-- Guarantees: pages neither skip nor repeat a lead while new leads arrive (a new lead sorts
-- before any key already handed out), and each filter is answered from an index: the phone-only
-- look-up is a static statement over knowlarity_phone_leads (a merge of
-- leads_master_phone_number_normalized_idx and leads_master_alternate_phone_national_idx) with a
-- cached plan; other combinations are planned for the values at hand. Leads without created_at (possible in a CRM table that predates 0001)
-- cannot be placed on the keyset and are not listed.
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
      select l from knowlarity_phone_leads(p_phone) l
      where l.created_at is not null
        and (not v_after or (l.created_at, l.id) < (p_after_created_at, p_after_id))
      order by l.created_at desc, l.id desc
      limit v_limit + 1) into v_rows;
    return knowlarity_lead_page(v_rows, v_limit);
  end if;

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
    'select array(select l from %s l where %s order by l.created_at desc, l.id desc limit $10)',
    case when p_phone is null then 'leads_master' else 'knowlarity_phone_leads($1)' end,
    array_to_string(v_where, ' and '))
  into v_rows
  using p_phone, p_source_id, p_status, p_created_from, p_created_to,
        knowlarity_like_prefix(lower(p_q)), knowlarity_like_prefix(p_q_phone),
        p_after_created_at, p_after_id, v_limit + 1;
  return knowlarity_lead_page(v_rows, v_limit);
end $$;

-- A queue entry as the API shows it, with its lead (p_lead: knowlarity_missed_lead_json, or
-- null) and, as of p_now, how long the customer has waited (open) or how fast they were answered
-- (returned), in whole seconds.
create or replace function knowlarity_missed_episode_api_json(
  e knowlarity_missed_episodes, p_lead jsonb, p_now timestamptz
) returns jsonb
language sql stable parallel safe as $$
  select jsonb_build_object(
    'phone', e.phone,
    'phoneE164', e.phone_e164,
    'leadId', e.lead_id,
    'lead', p_lead,
    'attempts', e.attempts,
    'firstMissedCallId', e.first_missed_call_id,
    'firstMissedAt', knowlarity_api_time(e.first_missed_at),
    'lastMissedCallId', e.last_missed_call_id,
    'lastMissedAt', knowlarity_api_time(e.last_missed_at),
    'waitingSeconds', case when e.returned_at is null
                           then greatest(floor(extract(epoch from p_now - e.first_missed_at)), 0)::bigint end,
    'returnedCallId', e.returned_call_id,
    'returnedAt', knowlarity_api_time(e.returned_at),
    'returnedDirection', e.returned_direction,
    'returnedAfterSeconds', case when e.returned_at is not null
                                 then floor(extract(epoch from e.returned_at - e.first_missed_at))::bigint end)
$$;

-- The short form of a queue entry's lead: {id, fullName, status, assignedTo}.
create or replace function knowlarity_missed_lead_json(l leads_master) returns jsonb
language sql stable parallel safe as $$
  select jsonb_build_object('id', l.id, 'fullName', l.full_name, 'status', l.status, 'assignedTo', l.assigned_to)
$$;

-- The missed-call queue, keyset-paged: {items, next}.
--  * p_returned false: customers waiting for a call back (an inbound missed call with no later
--    answered call with that phone, either direction), one entry per phone, newest missed call
--    first, on (last_missed_at desc, phone desc); `next` is {at, key: phone};
--  * p_returned true: episodes ended by an answered call, most recently answered first, on
--    (returned_at desc, returned_call_id desc); `next` is {at, key: returned call id}.
-- Each page is one range scan of a partial index of knowlarity_missed_episodes, whatever the
-- number of calls stored.
create or replace function knowlarity_list_missed_calls(
  p_returned boolean default false,
  p_now timestamptz default now(),
  p_limit integer default 50,
  p_after_at timestamptz default null,
  p_after_key text default null
) returns jsonb
language plpgsql stable set search_path = public as $$
declare
  v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 200);
  v_after boolean := p_after_at is not null and p_after_key is not null;
  v_rows knowlarity_missed_episodes[];
begin
  -- Four static statements rather than one with `not v_after or ...`: a cached generic plan
  -- cannot use an OR with a parameter as an index condition, and would read from the top.
  if coalesce(p_returned, false) and v_after then
    select array(
      select e from knowlarity_missed_episodes e
      where e.returned_at is not null
        and (e.returned_at, e.returned_call_id) < (p_after_at, p_after_key)
      order by e.returned_at desc, e.returned_call_id desc
      limit v_limit + 1) into v_rows;
  elsif coalesce(p_returned, false) then
    select array(
      select e from knowlarity_missed_episodes e
      where e.returned_at is not null
      order by e.returned_at desc, e.returned_call_id desc
      limit v_limit + 1) into v_rows;
  elsif v_after then
    select array(
      select e from knowlarity_missed_episodes e
      where e.returned_at is null and (e.last_missed_at, e.phone) < (p_after_at, p_after_key)
      order by e.last_missed_at desc, e.phone desc
      limit v_limit + 1) into v_rows;
  else
    select array(
      select e from knowlarity_missed_episodes e
      where e.returned_at is null
      order by e.last_missed_at desc, e.phone desc
      limit v_limit + 1) into v_rows;
  end if;

  return (
    select jsonb_build_object(
      -- The lead by primary key, one probe per item: a join would let the planner hash the
      -- whole of leads_master for 51 rows.
      'items', coalesce(jsonb_agg(knowlarity_missed_episode_api_json(
                          v_rows[n],
                          (select knowlarity_missed_lead_json(l) from leads_master l
                           where l.id = (v_rows[n]).lead_id),
                          p_now) order by n)
                          filter (where n <= v_limit), '[]'::jsonb),
      'next', case when count(*) > v_limit then jsonb_build_object(
                'at', knowlarity_key_time(coalesce((v_rows[v_limit]).returned_at, (v_rows[v_limit]).last_missed_at)),
                'key', coalesce((v_rows[v_limit]).returned_call_id, (v_rows[v_limit]).phone)) end)
    from generate_subscripts(v_rows, 1) as n);
end $$;

-- How many customers are waiting for a call back (the entries of the unreturned queue).
create or replace function knowlarity_count_unreturned_missed_calls() returns jsonb
language sql stable set search_path = public as $$
  select jsonb_build_object('unreturned', count(*))
  from knowlarity_missed_episodes where returned_at is null
$$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 12 $$;

select knowlarity_lock_down_functions();

-- 0022: a phone that reaches no other number reads its leads with one index range.
--
-- A perf profile of the group commit on analyzed tables (bench/README.md) put about 4% of
-- PostgreSQL's CPU in starting the executor for the look-up of the phone's leads alone: the
-- union of knowlarity_phone_leads (leads whose primary number is the phone, and leads whose
-- alternate number normalises to it) planned as a sort over an append of two scans, for every
-- call, though almost every phone reaches no alternate number.
--
-- The ingest already asks which numbers the phone reaches: knowlarity_phone_lock_group. When
-- that group is the phone alone, no lead of another primary number has the phone as its
-- alternate (that lead's primary number would be in the group), so the phone's leads are
-- exactly the leads whose primary number it is, and they are read from that index alone. Any
-- other group reads knowlarity_phone_leads as before. The rules, outcomes, rows, locks and lock
-- order are those of 0016. The group is read before the phone's locks are taken, as before: if
-- the CRM makes this phone another lead's alternate number in between, this call does not see
-- that lead (0016 read it, but without its number's lock); the next call of the phone does.
--
-- knowlarity_ingest_call is 0016's function with that one change.

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
  v_source_name text;
  v_ignored boolean;
  v_source_id bigint;
  v_lead_id bigint;
  v_credited boolean;
  v_outcome text;
  v_delivery_id bigint;
  v_lock_phone text;
  v_owner text;
  v_owner_reason text;
  v_assigned_to text;
  v_assignment_reason text;
  v_lock_group text[];
  v_phone_alone boolean;
begin
  if v_call_id is null or v_phone is null or v_phone_e164 is null then
    raise exception 'callId, customerPhone and customerPhoneE164 are required' using errcode = '22023';
  end if;
  if p_arrival_path is null or not (p_arrival_path = any (knowlarity_arrival_paths())) then
    raise exception 'arrival path must be webhook, poll, replay or stream' using errcode = '22023';
  end if;

  v_ignored := (jsonb_array_length(coalesce(p_rules->'allowedNumbers', '[]'::jsonb)) > 0
                and not coalesce(p_rules->'allowedNumbers' ? v_sr_number, false))
               or coalesce(p_rules->'ignoredCallers' ? v_phone_e164, false);
  if not v_ignored then
    -- knowlarity_source_id's own first look-up, here: a source exists on all but its first call.
    v_source_name := knowlarity_source_name(v_sr_number, p_rules);
    select s.id into v_source_id from sources s
    where s.display_name = v_source_name and s.source_type = v_source_type order by s.id limit 1;
    if v_source_id is null then
      v_source_id := knowlarity_source_id(v_source_name, v_source_type);
    end if;
  end if;

  -- Locks are always taken in the order source, phones (sorted), call row, so concurrent single
  -- calls cannot deadlock. The phone locks serialise everything about one phone and its leads.
  v_lock_group := knowlarity_phone_lock_group(v_phone);
  foreach v_lock_phone in array v_lock_group loop
    perform pg_advisory_xact_lock(hashtextextended('knowlarity:phone:' || v_lock_phone, 0));
  end loop;
  -- A group of the phone alone means no lead of another primary number has it as alternate
  -- (that lead's primary would be in the group), so the phone's leads are the leads whose
  -- primary number it is: one index range, read without knowlarity_phone_leads' union (0022).
  v_phone_alone := v_lock_group = array[v_phone];

  -- A call seen before: merge what this delivery adds, and answer as the first time. (A
  -- look-up first: an UPDATE that finds no row still opens and locks all five indexes.)
  perform from knowlarity_calls c where c.call_id = v_call_id;
  if found then
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
  else
    if v_ignored then
      v_outcome := 'ignored';
    elsif v_direction = 'outbound' and not coalesce((p_rules->>'outboundCreatesLeads')::boolean, false) then
      if v_phone_alone then
        select l.id into v_lead_id from leads_master l where l.phone_number_normalized = v_phone
        order by l.created_at desc, l.id desc limit 1;
      else
        select l.id into v_lead_id from knowlarity_phone_leads(v_phone) l
        order by l.created_at desc, l.id desc limit 1;
      end if;
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

      -- B and C in one look-up: the newest lead credited to this source if there is one, else
      -- the phone's newest lead. The two forms differ only in where the phone's leads come from.
      -- `offset 0` keeps the history test a probe of (lead_id, source_id) per lead of the phone,
      -- never a "hashed SubPlan" reading every history row of the source (0012).
      if v_phone_alone then
        select l.id,
               coalesce(l.source_id = v_source_id
                        or exists (select 1 from lead_sources_history h
                                   where h.lead_id = l.id and h.source_id = v_source_id
                                   offset 0), false)
        into v_lead_id, v_credited
        from leads_master l
        where l.phone_number_normalized = v_phone
        order by 2 desc, l.created_at desc, l.id desc limit 1;
      else
        select l.id,
               coalesce(l.source_id = v_source_id
                        or exists (select 1 from lead_sources_history h
                                   where h.lead_id = l.id and h.source_id = v_source_id
                                   offset 0), false)
        into v_lead_id, v_credited
        from knowlarity_phone_leads(v_phone) l
        order by 2 desc, l.created_at desc, l.id desc limit 1;
      end if;

      if v_credited then
        v_outcome := 'same_source_duplicate';
      elsif v_lead_id is not null then
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

    insert into knowlarity_calls (
      call_id, call_id_derived, customer_phone, customer_phone_e164, sr_number, agent_number,
      agent_label, direction, missed, duration_seconds, recording_url, started_at, caller_name,
      business_call_type, hangup_cause, lead_id, source_id, outcome, assigned_to,
      assignment_reason, first_arrival_path, arrival_paths, raw_payload
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
      v_lead_id,
      v_source_id,
      v_outcome,
      v_assigned_to,
      v_assignment_reason,
      p_arrival_path,
      array[p_arrival_path],
      p_raw
    ) on conflict (call_id) do nothing;
    if not found then
      -- Inserted by a transaction that held other phone locks and committed after this one's
      -- look-up (see the comment above): this one's lead work cannot stand.
      raise exception 'call % was stored concurrently by another ingest', v_call_id
        using errcode = '40001';
    end if;

    -- The missed-call queue. Ignored calls count for nothing in it.
    if v_ignored then
      null;
    elsif v_missed and v_direction = 'inbound' then
      -- Later than the phone's waiting entry: joins it (nothing answered since, so nothing else
      -- can change).
      update knowlarity_missed_episodes e set
        attempts = e.attempts + 1, last_missed_at = v_started_at, last_missed_call_id = v_call_id,
        phone_e164 = v_phone_e164, lead_id = coalesce(v_lead_id, e.lead_id)
      where e.phone = v_phone and e.returned_at is null
        and (e.last_missed_at, e.last_missed_call_id) < (v_started_at, v_call_id);
      if not found then
        -- No waiting entry and no answered call after this one: this call is a new waiting
        -- entry of its own and no other entry changes (an entry it could join or split would
        -- have to be waiting, or be answered after it). Otherwise the rebuild places it.
        insert into knowlarity_missed_episodes (
          phone, phone_e164, lead_id, first_missed_call_id, first_missed_at, last_missed_call_id,
          last_missed_at, attempts)
        select v_phone, v_phone_e164, v_lead_id, v_call_id, v_started_at, v_call_id, v_started_at, 1
        where not exists (select 1 from knowlarity_missed_episodes e
                          where e.phone = v_phone and e.returned_at is null)
          and not exists (select 1 from knowlarity_calls c
                          where c.customer_phone = v_phone and c.started_at > v_started_at
                            and not c.missed and c.outcome <> 'ignored');
        if not found then
          perform knowlarity_refresh_missed_episodes(v_phone, v_started_at);
        end if;
      end if;
    elsif not v_missed and exists (
            select 1 from knowlarity_missed_episodes e
            where e.phone = v_phone and e.first_missed_at < v_started_at
              and (e.returned_at is null or e.returned_at >= v_started_at)) then
      -- An answered call after every missed call of the waiting entry, and no entry answered
      -- at or after it: it answers the waiting entry and changes nothing else. Otherwise (it
      -- falls inside an entry, or comes before an earlier answer) the rebuild places it.
      update knowlarity_missed_episodes e set
        returned_call_id = v_call_id, returned_at = v_started_at, returned_direction = v_direction
      where e.phone = v_phone and e.returned_at is null and e.last_missed_at < v_started_at
        and not exists (select 1 from knowlarity_missed_episodes a
                        where a.phone = v_phone and a.first_missed_at < v_started_at
                          and a.returned_at >= v_started_at);
      if not found then
        perform knowlarity_refresh_missed_episodes(v_phone, v_started_at);
      end if;
    end if;
  end if;

  if p_delivery is not null then
    -- knowlarity_record_delivery's insert, with this call's status, outcome and call id.
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
      200,
      p_delivery->>'errorCode',
      v_outcome,
      v_call_id,
      (p_delivery->>'replayOf')::bigint
    ) returning id into v_delivery_id;
  end if;

  return jsonb_build_object(
    'outcome', v_outcome, 'leadId', v_lead_id, 'callId', v_call_id,
    'sourceId', v_source_id, 'deliveryId', v_delivery_id,
    'assignedTo', v_assigned_to, 'assignmentReason', v_assignment_reason);
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 22 $$;

select knowlarity_lock_down_functions();

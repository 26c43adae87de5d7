-- 0007: the same-source check of knowlarity_ingest_call costs the same whatever the history.
--
-- Rule B looks for a lead of the phone that is this source's own or is credited to it by a
-- lead_sources_history row: `source_id = v_source_id or exists (history row for this lead and
-- source)`. PostgreSQL may run such an EXISTS as a "hashed SubPlan": it reads every history row
-- of the source once per execution and hashes it. Planned while the source had a few history
-- rows, that plan stays cached in every pooled session; as cross-source credits pile up, each
-- call reads them all. Measured: 0.57 ms per call with 18,000 credits to one source (0.02 ms
-- with the probe), the back-fill fell to 1,500 calls/s. `offset 0` in the EXISTS stops the
-- planner from rewriting it into that hashed form, so it is always one index probe on
-- lead_sources_history_lead_source_idx per lead of the phone. Nothing else changes.

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
      -- `offset 0` keeps this EXISTS a probe of (lead_id, source_id) per lead of the phone: see
      -- the note at the top of 0007.
      select l.id into v_lead_id from leads_master l
      where l.phone_number_normalized = v_phone
        and (l.source_id = v_source_id
             or exists (select 1 from lead_sources_history h
                        where h.lead_id = l.id and h.source_id = v_source_id
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


create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 7 $$;

select knowlarity_lock_down_functions();

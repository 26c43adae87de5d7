-- 0020: 0018 in its final form, for every database whichever text of 0018 it ran.
--
-- 0018's file was changed after databases had applied it: the count triggers' WHEN gained
-- `pg_trigger_depth() > 0` (a row a CRM trigger inserts during a batch is counted), the batch
-- and page functions put the caller's value of the setting back instead of 'off', and their
-- source-creation loop became knowlarity_ensure_sources. 0018 is back to its first applied text;
-- this file applies the rest. Every statement here is create-or-replace, so a database that ran
-- a later text of 0018 ends up with the same definitions. What follows is that later text.
--
-- (0018) the group commit and the call-log page count their own credits, one delta insert each.
--
-- Measured in the service bench (64 connections, the counts on and off in alternating rounds of
-- one run): with 0006's counting, webhooks per second were 0.92-0.94x of those without it. Each
-- credited call inserts its lead or history row in a statement of its own, so 0006's statement
-- triggers ran once per credited call: a transition table, a PL/pgSQL call and an INSERT … SELECT
-- … GROUP BY over it, for one row. Now knowlarity_ingest_batch, the webhook path (and
-- knowlarity_ingest_calls, the call-log pages), writes the deltas of all its credited calls in
-- one insert (one row per source and credit time, as the triggers would have written), and the
-- insert triggers skip the statements it has counted.
--
-- What stays as it was:
--  * every other writer (the CRM's own screens, direct SQL, knowlarity_ingest_call called alone)
--    is counted by the triggers, row for row as before;
--  * deletes, source/time changes and TRUNCATE are counted as before;
--  * a credit is counted exactly once, whatever the commit order: the batch's deltas are written
--    in the batch's transaction, from the items that stayed (an item rolled back to its
--    savepoint returns an error and credits nothing), and only its own inserts are skipped.
-- A skipped insert still fills the trigger's transition table and tests its WHEN: about 1 µs,
-- against about 6.5 µs for the trigger run (5,000 single-row inserts into leads_master). A
-- session that sets the setting itself goes uncounted: drift, which the recount corrects, as for
-- disabled triggers.

-- The insert triggers of 0006, skipping the statements of a function that counts its own credits
-- (knowlarity.ingest_counts_credits = 'on', set transaction-locally by knowlarity_ingest_batch
-- and knowlarity_ingest_calls around their items; not as a function's SET clause, which only a
-- superuser may give a custom setting, and Supabase's migrations do not run as one). Only the
-- statements those functions run themselves are skipped: a row that a trigger of the CRM's
-- inserts in turn (pg_trigger_depth() > 0) is not one of their credits and is counted as before.
-- A statement trigger's WHEN is tested once per statement, before the function is called.
create or replace trigger knowlarity_count_leads_insert after insert on leads_master
  referencing new table as knowlarity_rows
  for each statement
  when (current_setting('knowlarity.ingest_counts_credits', true) is distinct from 'on'
        or pg_trigger_depth() > 0)
  execute function knowlarity_count_lead_rows();
create or replace trigger knowlarity_count_history_insert after insert on lead_sources_history
  referencing new table as knowlarity_rows
  for each statement
  when (current_setting('knowlarity.ingest_counts_credits', true) is distinct from 'on'
        or pg_trigger_depth() > 0)
  execute function knowlarity_count_history_rows();

-- The sources of a batch's or a page's calls, created first and in name order (as 0004 and 0008
-- did inline), so that concurrent batches take the sources' locks in one global order.
create or replace function knowlarity_ensure_sources(p_items jsonb, p_rules jsonb)
returns void language plpgsql set search_path = public as $$
declare
  v_source text;
begin
  for v_source in
    select distinct knowlarity_source_name(nullif(i->'call'->>'srNumber', ''), p_rules)
    from jsonb_array_elements(p_items) i order by 1
  loop
    perform knowlarity_source_id(
      v_source, coalesce(p_rules #>> '{defaultSource,sourceType}', 'knowlarity_call'));
  end loop;
end $$;

-- 0008's group commit, with the same guarantees, counting its own credits: its items' inserts
-- are skipped by the count triggers (the setting is transaction-local, put back as the caller
-- had it before returning; an error undoes it with the rest), and their deltas are written in one
-- insert at the end, from the results that stand. A call is credited when knowlarity_ingest_call
-- inserted a lead ('lead_created') or a history row ('cross_source_duplicate') for it: one credit
-- to the result's sourceId at the call's start time, which that function writes as the row's
-- received_at (the call's startedAt, or now() when it has none: this same transaction's). One
-- delta row per (source, time), as 0006's triggers group a statement's rows.
create or replace function knowlarity_ingest_batch(p_items jsonb, p_rules jsonb default '{}'::jsonb)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_count integer := jsonb_array_length(p_items);
  v_results jsonb[] := array_fill(null::jsonb, array[v_count]);
  v_item jsonb;
  v_position integer;
  v_caller_counts text := current_setting('knowlarity.ingest_counts_credits', true);
begin
  perform knowlarity_ensure_sources(p_items, p_rules);

  perform set_config('knowlarity.ingest_counts_credits', 'on', true);
  begin
    for v_item, v_position in
      select i, n from jsonb_array_elements(p_items) with ordinality t(i, n)
      order by i->'call'->>'customerPhone', i->'call'->>'callId', n
    loop
      v_results[v_position] := knowlarity_ingest_batch_item(v_item, p_rules);
    end loop;
  exception when others then
    if knowlarity_ingest_error_is_transient(sqlstate) then
      raise;
    end if;
    -- Every position is written again below: nothing of the first pass is counted.
    for v_item, v_position in
      select i, n from jsonb_array_elements(p_items) with ordinality t(i, n)
      order by i->'call'->>'customerPhone', i->'call'->>'callId', n
    loop
      begin
        v_results[v_position] := knowlarity_ingest_batch_item(v_item, p_rules);
      exception when others then
        if knowlarity_ingest_error_is_transient(sqlstate) then
          raise;
        end if;
        v_results[v_position] := jsonb_build_object(
          'error', jsonb_build_object('code', sqlstate, 'message', sqlerrm));
      end;
    end loop;
  end;
  perform set_config('knowlarity.ingest_counts_credits', coalesce(v_caller_counts, ''), true);

  insert into knowlarity_source_count_deltas (source_id, credited_at, delta)
  select (r.result->>'sourceId')::bigint,
         -- #>> walks to the one field without copying the item (raw payload, delivery) out.
         coalesce((p_items #>> array[(r.n - 1)::text, 'call', 'startedAt'])::timestamptz, now()),
         count(*)
  from unnest(v_results) with ordinality r(result, n)
  where r.result->>'outcome' in ('lead_created', 'cross_source_duplicate')
  group by 1, 2;
  return to_jsonb(v_results);
end $$;

-- 0004's call-log page (poll, back-fill, replay), with the same guarantees, counting its own
-- credits as knowlarity_ingest_batch does: the calls are kept beside their results, in the order
-- ingested, for the one delta insert at the end. A dry run keeps nothing, so it counts nothing.
create or replace function knowlarity_ingest_calls(
  p_items jsonb, p_arrival_path text, p_rules jsonb default '{}'::jsonb, p_dry_run boolean default false
) returns jsonb language plpgsql set search_path = public as $$
declare
  v_results jsonb[] := '{}';
  v_calls jsonb[] := '{}';
  v_item jsonb;
  v_caller_counts text := current_setting('knowlarity.ingest_counts_credits', true);
begin
  perform knowlarity_ensure_sources(p_items, p_rules);

  perform set_config('knowlarity.ingest_counts_credits', 'on', true);
  begin
    for v_item in
      select i from jsonb_array_elements(p_items) i
      order by i->'call'->>'customerPhone', i->'call'->>'callId'
    loop
      v_results := v_results ||
        knowlarity_ingest_call(v_item->'call', p_arrival_path, p_rules, v_item->'raw');
      v_calls := v_calls || (v_item->'call');
    end loop;
    if p_dry_run then
      raise exception using errcode = 'P0001', message = 'knowlarity_dry_run_rollback';
    end if;
  exception when raise_exception then
    if sqlerrm <> 'knowlarity_dry_run_rollback' then
      raise;
    end if;
  end;
  perform set_config('knowlarity.ingest_counts_credits', coalesce(v_caller_counts, ''), true);

  if not p_dry_run then
    insert into knowlarity_source_count_deltas (source_id, credited_at, delta)
    select (r.result->>'sourceId')::bigint, coalesce((r.call->>'startedAt')::timestamptz, now()), count(*)
    from unnest(v_results, v_calls) r(result, call)
    where r.result->>'outcome' in ('lead_created', 'cross_source_duplicate')
    group by 1, 2;
  end if;
  return to_jsonb(v_results);
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 20 $$;

select knowlarity_lock_down_functions();

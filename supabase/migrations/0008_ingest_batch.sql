-- 0008: group commit for webhooks: one transaction ingests every delivery that arrived while the
-- previous one was in flight.

-- Ingests a batch of calls, each from its own arrival path with its own raw payload and, for a
-- webhook, its own delivery row, in one transaction. p_items: [{call, arrivalPath, raw,
-- delivery}]. Returns one entry per item, in the order given: what knowlarity_ingest_call
-- returns for it, or {"error": {"code": <SQLSTATE>, "message": ...}} when the database rejected
-- that item. Guarantees:
--  * each item is ingested exactly as knowlarity_ingest_call would ingest it alone, its delivery
--    row in the same transaction as its call;
--  * one rejected item fails alone: it is rolled back to a savepoint and the others commit.
--    Every item first runs in one shared subtransaction (one savepoint for the whole batch, so
--    a batch never holds dozens of subtransaction ids); only when one of them fails does the
--    batch run again with a savepoint per item;
--  * locks are taken in one global order, the same as knowlarity_ingest_call and
--    knowlarity_ingest_calls: every source first (by name), then the items by (phone, call id),
--    each taking its phone's lock and then its call row. Concurrent batches, pages and single
--    calls therefore cannot deadlock on each other's locks;
--  * an error that is not the item's own (a deadlock or serialization failure, an operator
--    cancel, lost resources, an internal error) aborts the whole batch, so nothing is half-written
--    and the caller can retry it or answer "retry later" for every item.
create or replace function knowlarity_ingest_batch(p_items jsonb, p_rules jsonb default '{}'::jsonb)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_count integer := jsonb_array_length(p_items);
  v_results jsonb[] := array_fill(null::jsonb, array[v_count]);
  v_source text;
  v_item jsonb;
  v_position integer;
begin
  for v_source in
    select distinct knowlarity_source_name(nullif(i->'call'->>'srNumber', ''), p_rules)
    from jsonb_array_elements(p_items) i order by 1
  loop
    perform knowlarity_source_id(v_source, coalesce(p_rules #>> '{defaultSource,sourceType}', 'knowlarity_call'));
  end loop;

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
  return to_jsonb(v_results);
end $$;

-- One item of a batch, through the single-call function (named arguments: later migrations may
-- add parameters with defaults to it without breaking this call). No `set search_path` here: it
-- would stop PostgreSQL from inlining this into the batch function's expression, and the batch
-- function (its only caller) already runs with search_path = public.
create or replace function knowlarity_ingest_batch_item(p_item jsonb, p_rules jsonb)
returns jsonb language sql as $$
  select public.knowlarity_ingest_call(
    p_call => p_item->'call',
    p_arrival_path => p_item->>'arrivalPath',
    p_rules => p_rules,
    p_raw => p_item->'raw',
    p_delivery => case when jsonb_typeof(p_item->'delivery') = 'object' then p_item->'delivery' end)
$$;

-- Errors that belong to the whole transaction rather than to one item: transaction rollback
-- (40: deadlock, serialization failure), connection (08), insufficient resources (53), operator
-- intervention (57: cancel, shutdown), system (58) and internal (XX) errors.
create or replace function knowlarity_ingest_error_is_transient(p_sqlstate text) returns boolean
language sql immutable as $$
  select left(p_sqlstate, 2) in ('40', '08', '53', '57', '58', 'XX')
$$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 8 $$;

select knowlarity_lock_down_functions();

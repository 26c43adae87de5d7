-- 0021: fewer statements per call in the group commit, same rules, rows and locks.
--
-- Profiled with perf on the SQL-only group-commit bench (bench/ingest-batch.bench.ts, 3 clients,
-- batches of 13, the service bench's mix): starting and ending the executor for the ingest's
-- statements took about a fifth of PostgreSQL's CPU, more than the work they do. Per call, the
-- delivery row was an INSERT statement of its own (opening the table and its five indexes), and
-- the phone's lock group a three-branch UNION (sort, aggregate, append, three scans) though
-- nearly every phone reaches no lead through an alternate number.
--
--  * The group commit stores its deliveries in one INSERT at the end, in arrival order, with
--    the outcome and call id of each item that stands (an item rolled back to its savepoint
--    keeps no delivery, as before: the service records its failure). A replay (replayOf set)
--    still stores its delivery in its own item, so a replayed delivery purged meanwhile (the
--    foreign key on replay_of) fails that item alone, never its neighbours.
--  * The lock group asks first whether the phone reaches any other number; only then runs the
--    UNION. Same answer, same order.
--  * webhook_deliveries_received_idx (id desc) is dropped: the primary key is the same btree,
--    read backwards for `order by id desc`. One index fewer to insert into per delivery.

drop index if exists webhook_deliveries_received_idx;

-- 0019's lock group, with the common case first: a phone whose number is no lead's alternate and
-- whose leads have no alternate number locks only itself.
create or replace function knowlarity_phone_lock_group(p_phone text) returns text[]
language plpgsql stable set search_path = public as $$
begin
  if not exists (select 1 from leads_master l
                 where l.alternate_phone_number is not null
                   and knowlarity_private.national_phone(l.alternate_phone_number) = p_phone)
     and not exists (select 1 from leads_master l
                     where l.phone_number_normalized = p_phone
                       and l.alternate_phone_number is not null) then
    return array_remove(array[p_phone], null);
  end if;
  return array(
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
    order by n);
end $$;

-- One item of a batch, through the single-call function, its delivery left to the batch
-- function (below) unless it is a replay.
create or replace function knowlarity_ingest_batch_item(p_item jsonb, p_rules jsonb)
returns jsonb language sql as $$
  select public.knowlarity_ingest_call(
    p_call => p_item->'call',
    p_arrival_path => p_item->>'arrivalPath',
    p_rules => p_rules,
    p_raw => p_item->'raw',
    p_delivery => case when jsonb_typeof(p_item #> '{delivery,replayOf}') = 'number'
                       then p_item->'delivery' end)
$$;

-- 0020's group commit, storing the deliveries its items left to it in one insert. The ids are
-- drawn from the table's own identity sequence first, so each is known with its item's position
-- (RETURNING does not promise an order) and merged into that item's result as deliveryId.
create or replace function knowlarity_ingest_batch(p_items jsonb, p_rules jsonb default '{}'::jsonb)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_count integer := jsonb_array_length(p_items);
  v_results jsonb[] := array_fill(null::jsonb, array[v_count]);
  v_item jsonb;
  v_position integer;
  v_caller_counts text := current_setting('knowlarity.ingest_counts_credits', true);
  v_delivery_ids regclass := pg_get_serial_sequence('public.webhook_deliveries', 'id');
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

  -- The deliveries: knowlarity_record_delivery's columns, with status 200 and the item's
  -- outcome and call id, for every item that stands and has a delivery not stored yet.
  with delivered as materialized (
    select r.n, nextval(v_delivery_ids) as id, d.delivery, r.result
    from unnest(v_results) with ordinality r(result, n)
    cross join lateral (select p_items #> array[(r.n - 1)::text, 'delivery'] as delivery) d
    where jsonb_typeof(d.delivery) = 'object'
      and not r.result ? 'error'
      and jsonb_typeof(r.result->'deliveryId') is distinct from 'number'
    order by r.n
  ), stored as (
    insert into webhook_deliveries (
      id, request_id, method, path, content_type, headers, query, raw_body, body_bytes,
      body_stored, remote_address, http_status, error_code, outcome, call_id, replay_of
    ) overriding system value
    select id,
           delivery->>'requestId',
           coalesce(delivery->>'method', 'POST'),
           delivery->>'path',
           delivery->>'contentType',
           coalesce(delivery->'headers', '{}'::jsonb),
           delivery->>'query',
           decode(delivery->>'rawBodyBase64', 'base64'),
           (delivery->>'bodyBytes')::integer,
           coalesce((delivery->>'bodyStored')::boolean, true),
           delivery->>'remoteAddress',
           200,
           delivery->>'errorCode',
           result->>'outcome',
           result->>'callId',
           (delivery->>'replayOf')::bigint
    from delivered order by n
  )
  select coalesce(array_agg(case when d.id is null then r.result
                                 else r.result || jsonb_build_object('deliveryId', d.id) end
                            order by r.n), '{}')
  into v_results
  from unnest(v_results) with ordinality r(result, n)
  left join delivered d on d.n = r.n;
  return to_jsonb(v_results);
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 21 $$;

select knowlarity_lock_down_functions();

-- 0007: retention. Raw webhook deliveries hold callers' phone numbers (bodies, query strings)
-- and sync runs are operational history; both are deleted once older than their retention
-- period (DELIVERY_RETENTION_DAYS, SYNC_RUN_RETENTION_DAYS), a small batch per call, so each
-- transaction is short and never holds up the webhook's inserts.

create index if not exists webhook_deliveries_received_at_idx on webhook_deliveries (received_at);
-- Replays are rare: this index lets a purge find the replays of the rows it deletes (and the
-- foreign key check on replay_of) without reading the whole table.
create index if not exists webhook_deliveries_replay_of_idx
  on webhook_deliveries (replay_of) where replay_of is not null;
create index if not exists knowlarity_sync_runs_started_at_idx on knowlarity_sync_runs (started_at);

-- Deletes up to p_limit deliveries received before p_before, oldest first, and returns
-- {"deleted": n}; fewer than p_limit means nothing older is left. Rows received at or after
-- p_before are never touched, except that a later replay of a deleted delivery keeps its own row
-- and loses the link to it (replay_of becomes null). Rows locked by another purge are skipped.
create or replace function knowlarity_purge_deliveries(p_before timestamptz, p_limit integer)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_ids bigint[];
begin
  select array_agg(id) into v_ids from (
    select id from webhook_deliveries
    where received_at < p_before
    order by received_at
    limit greatest(p_limit, 1)
    for update skip locked
  ) doomed;
  if v_ids is null then
    return jsonb_build_object('deleted', 0);
  end if;
  update webhook_deliveries set replay_of = null
  where replay_of = any (v_ids) and not (id = any (v_ids));
  delete from webhook_deliveries where id = any (v_ids);
  return jsonb_build_object('deleted', cardinality(v_ids));
end $$;

-- Deletes up to p_limit sync runs started before p_before, oldest first, and returns
-- {"deleted": n}. The watermark, leases and back-fill progress live elsewhere and are kept.
create or replace function knowlarity_purge_sync_runs(p_before timestamptz, p_limit integer)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_deleted integer;
begin
  delete from knowlarity_sync_runs
  where id in (
    select id from knowlarity_sync_runs
    where started_at < p_before
    order by started_at
    limit greatest(p_limit, 1)
    for update skip locked
  );
  get diagnostics v_deleted = row_count;
  return jsonb_build_object('deleted', v_deleted);
end $$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 7 $$;

select knowlarity_lock_down_functions();

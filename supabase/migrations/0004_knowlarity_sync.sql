-- 0004: call-log polling state: a lease (one poller per cluster), the watermark, runs and
-- resumable back-fills; and a batch form of the ingest function for call-log pages.

create table if not exists knowlarity_sync_state (
  stream text primary key,
  watermark timestamptz,
  lease_owner text,
  lease_expires_at timestamptz,
  updated_at timestamptz not null default now()
);
select knowlarity_close_table('knowlarity_sync_state');

create table if not exists knowlarity_backfills (
  id bigint generated always as identity primary key,
  window_from timestamptz not null,
  window_to timestamptz not null,
  chunk_seconds integer not null,
  -- Everything before this instant is done; a resumed back-fill starts here.
  done_until timestamptz not null,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  created_at timestamptz not null default now(),
  finished_at timestamptz
);
create index if not exists knowlarity_backfills_window_idx on knowlarity_backfills (window_from, window_to, id desc);
select knowlarity_close_table('knowlarity_backfills');

create table if not exists knowlarity_sync_runs (
  id bigint generated always as identity primary key,
  trigger text not null check (trigger in ('schedule', 'manual', 'backfill')),
  window_from timestamptz not null,
  window_to timestamptz not null,
  owner text not null,
  backfill_id bigint references knowlarity_backfills (id),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  pages integer not null default 0,
  records integer not null default 0,
  outcomes jsonb not null default '{}'::jsonb,
  error text
);
create index if not exists knowlarity_sync_runs_started_idx on knowlarity_sync_runs (id desc);
create index if not exists knowlarity_sync_runs_status_idx on knowlarity_sync_runs (status, id desc);
select knowlarity_close_table('knowlarity_sync_runs');

-- Takes (or renews) the lease on a stream for p_ttl_seconds when it is free, expired, or already
-- ours. One row per stream, updated under its row lock: exactly one of any number of instances
-- gets it, through any driver (supabase-js included, which cannot hold a session lock).
create or replace function knowlarity_sync_acquire_lease(p_stream text, p_owner text, p_ttl_seconds integer)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_state knowlarity_sync_state;
begin
  insert into knowlarity_sync_state (stream) values (p_stream) on conflict (stream) do nothing;
  update knowlarity_sync_state
  set lease_owner = p_owner,
      lease_expires_at = now() + make_interval(secs => p_ttl_seconds),
      updated_at = now()
  where stream = p_stream
    and (lease_owner is null or lease_owner = p_owner or lease_expires_at < now())
  returning * into v_state;
  if v_state.stream is null then
    select * into v_state from knowlarity_sync_state where stream = p_stream;
    return jsonb_build_object('acquired', false, 'owner', v_state.lease_owner,
                              'expiresAt', v_state.lease_expires_at, 'watermark', v_state.watermark);
  end if;
  return jsonb_build_object('acquired', true, 'owner', p_owner,
                            'expiresAt', v_state.lease_expires_at, 'watermark', v_state.watermark);
end $$;

create or replace function knowlarity_sync_release_lease(p_stream text, p_owner text)
returns jsonb language sql set search_path = public as $$
  update knowlarity_sync_state set lease_owner = null, lease_expires_at = null, updated_at = now()
  where stream = p_stream and lease_owner = p_owner
  returning jsonb_build_object('released', true)
$$;

create or replace function knowlarity_sync_start_run(
  p_trigger text, p_owner text, p_from timestamptz, p_to timestamptz, p_backfill_id bigint default null
) returns jsonb language sql set search_path = public as $$
  insert into knowlarity_sync_runs (trigger, owner, window_from, window_to, backfill_id)
  values (p_trigger, p_owner, p_from, p_to, p_backfill_id)
  returning jsonb_build_object('runId', id)
$$;

-- Finishes a run. Only a succeeded run whose owner still holds the lease moves the watermark
-- (to p_advance_to, never backwards); a failed run leaves it, so the next run retries the window.
create or replace function knowlarity_sync_finish_run(
  p_run_id bigint, p_status text, p_pages integer, p_records integer, p_outcomes jsonb,
  p_error text default null, p_stream text default null, p_advance_to timestamptz default null
) returns jsonb language plpgsql set search_path = public as $$
declare
  v_run knowlarity_sync_runs;
  v_advanced boolean := false;
begin
  update knowlarity_sync_runs
  set status = p_status, finished_at = now(), pages = p_pages, records = p_records,
      outcomes = coalesce(p_outcomes, '{}'::jsonb), error = left(p_error, 2000)
  where id = p_run_id
  returning * into v_run;
  if p_status = 'succeeded' and p_stream is not null and p_advance_to is not null then
    update knowlarity_sync_state
    set watermark = greatest(coalesce(watermark, p_advance_to), p_advance_to), updated_at = now()
    where stream = p_stream and lease_owner = v_run.owner;
    v_advanced := found;
  end if;
  return jsonb_build_object('runId', p_run_id, 'watermarkAdvanced', v_advanced);
end $$;

create or replace function knowlarity_sync_run_json(r knowlarity_sync_runs) returns jsonb
language sql stable as $$
  select case when r.id is null then null else jsonb_build_object(
    'id', r.id, 'trigger', r.trigger, 'windowFrom', r.window_from, 'windowTo', r.window_to,
    'owner', r.owner, 'backfillId', r.backfill_id, 'startedAt', r.started_at,
    'finishedAt', r.finished_at, 'status', r.status, 'pages', r.pages, 'records', r.records,
    'outcomes', r.outcomes, 'error', r.error) end
$$;

-- Everything GET /sync/knowlarity shows, in one call.
create or replace function knowlarity_sync_status(p_stream text) returns jsonb
language sql stable set search_path = public as $$
  select jsonb_build_object(
    'watermark', (select watermark from knowlarity_sync_state where stream = p_stream),
    'leaseOwner', (select lease_owner from knowlarity_sync_state
                   where stream = p_stream and lease_expires_at > now()),
    'lastRun', (select knowlarity_sync_run_json(r) from knowlarity_sync_runs r
                where r.trigger <> 'backfill' order by r.id desc limit 1),
    'lastSuccess', (select knowlarity_sync_run_json(r) from knowlarity_sync_runs r
                    where r.trigger <> 'backfill' and r.status = 'succeeded' order by r.id desc limit 1),
    'lastFailure', (select knowlarity_sync_run_json(r) from knowlarity_sync_runs r
                    where r.status = 'failed' order by r.id desc limit 1))
$$;

-- Finds the unfinished back-fill of exactly this window (to resume it) or starts a new one.
create or replace function knowlarity_backfill_begin(p_from timestamptz, p_to timestamptz, p_chunk_seconds integer)
returns jsonb language plpgsql set search_path = public as $$
declare
  v_backfill knowlarity_backfills;
begin
  select * into v_backfill from knowlarity_backfills
  where window_from = p_from and window_to = p_to and status <> 'succeeded'
  order by id desc limit 1;
  if v_backfill.id is null then
    insert into knowlarity_backfills (window_from, window_to, chunk_seconds, done_until)
    values (p_from, p_to, p_chunk_seconds, p_from)
    returning * into v_backfill;
  else
    update knowlarity_backfills set status = 'running', finished_at = null where id = v_backfill.id
    returning * into v_backfill;
  end if;
  return jsonb_build_object('backfillId', v_backfill.id, 'doneUntil', v_backfill.done_until,
                            'chunkSeconds', v_backfill.chunk_seconds);
end $$;

-- Records progress: a finished chunk moves done_until forward; a final status closes it.
create or replace function knowlarity_backfill_progress(
  p_backfill_id bigint, p_done_until timestamptz, p_status text default 'running'
) returns jsonb language sql set search_path = public as $$
  update knowlarity_backfills
  set done_until = greatest(done_until, p_done_until),
      status = p_status,
      finished_at = case when p_status = 'running' then null else now() end
  where id = p_backfill_id
  returning jsonb_build_object('backfillId', id, 'doneUntil', done_until, 'status', status)
$$;

-- Ingests a page of normalised calls ([{call, raw}]) in one transaction, each exactly as
-- knowlarity_ingest_call would. Sources are resolved first and items run in (phone, call id)
-- order, keeping the lock order of the single-call function. With p_dry_run the work is done
-- in a subtransaction that is rolled back: the outcomes are what would happen, nothing is kept.
-- Results collect in a PL/pgSQL array (appended in place) and become jsonb once: appending to a
-- jsonb value copies it every time, quadratic in the page size.
create or replace function knowlarity_ingest_calls(
  p_items jsonb, p_arrival_path text, p_rules jsonb default '{}'::jsonb, p_dry_run boolean default false
) returns jsonb language plpgsql set search_path = public as $$
declare
  v_results jsonb[] := '{}';
  v_item jsonb;
  v_source text;
begin
  for v_source in
    select distinct knowlarity_source_name(nullif(i->'call'->>'srNumber', ''), p_rules)
    from jsonb_array_elements(p_items) i order by 1
  loop
    perform knowlarity_source_id(v_source, coalesce(p_rules #>> '{defaultSource,sourceType}', 'knowlarity_call'));
  end loop;

  begin
    for v_item in
      select i from jsonb_array_elements(p_items) i
      order by i->'call'->>'customerPhone', i->'call'->>'callId'
    loop
      v_results := v_results ||
        knowlarity_ingest_call(v_item->'call', p_arrival_path, p_rules, v_item->'raw');
    end loop;
    if p_dry_run then
      raise exception using errcode = 'P0001', message = 'knowlarity_dry_run_rollback';
    end if;
  exception when raise_exception then
    if sqlerrm <> 'knowlarity_dry_run_rollback' then
      raise;
    end if;
  end;
  return to_jsonb(v_results);
end $$;

-- Call ids and outcomes stored for calls that started in [p_from, p_to), for reconciliation
-- against Knowlarity's call log.
create or replace function knowlarity_calls_in_window(p_from timestamptz, p_to timestamptz)
returns jsonb language sql stable set search_path = public as $$
  select jsonb_build_object(
    'calls', coalesce(jsonb_agg(jsonb_build_object('callId', call_id, 'outcome', outcome,
                                                   'derived', call_id_derived) order by call_id), '[]'::jsonb))
  from knowlarity_calls
  where started_at >= p_from and started_at < p_to
$$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 4 $$;

select knowlarity_lock_down_functions();

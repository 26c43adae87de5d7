-- 0003: reading stored webhook deliveries back, for operators and for replays.

-- A stored delivery as the API shows it (camelCase keys).
create or replace function knowlarity_delivery_json(w webhook_deliveries) returns jsonb
language sql stable set search_path = public as $$
  select jsonb_build_object(
    'id', w.id, 'receivedAt', w.received_at, 'requestId', w.request_id, 'method', w.method,
    'path', w.path, 'contentType', w.content_type, 'headers', w.headers, 'query', w.query,
    'rawBodyBase64', encode(w.raw_body, 'base64'), 'bodyBytes', w.body_bytes,
    'bodyStored', w.body_stored, 'remoteAddress', w.remote_address, 'httpStatus', w.http_status,
    'errorCode', w.error_code, 'outcome', w.outcome, 'callId', w.call_id, 'replayOf', w.replay_of)
$$;

-- Newest first, keyset-paged by id (p_before: return ids below it). p_status: 'accepted' (2xx),
-- 'rejected' (anything else), or one HTTP status such as '422'. Bodies are returned in base64:
-- they are raw bytes, not necessarily text.
create or replace function knowlarity_list_deliveries(
  p_limit integer default 50,
  p_status text default null,
  p_before bigint default null
) returns jsonb
language sql stable set search_path = public as $$
  select coalesce(jsonb_agg(d.item order by d.id desc), '[]'::jsonb)
  from (
    select w.id, knowlarity_delivery_json(w) as item
    from webhook_deliveries w
    where (p_before is null or w.id < p_before)
      and (p_status is null
           or (p_status = 'accepted' and w.http_status between 200 and 299)
           or (p_status = 'rejected' and w.http_status not between 200 and 299)
           or (p_status ~ '^\d{3}$' and w.http_status = p_status::integer))
    order by w.id desc
    limit least(greatest(coalesce(p_limit, 50), 1), 500)
  ) d
$$;

-- One delivery by id, or null.
create or replace function knowlarity_get_delivery(p_id bigint) returns jsonb
language sql stable set search_path = public as $$
  select knowlarity_delivery_json(w) from webhook_deliveries w where w.id = p_id
$$;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 3 $$;

select knowlarity_lock_down_functions();

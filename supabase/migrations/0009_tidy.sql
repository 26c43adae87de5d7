-- 0009: tidying. webhook_deliveries_received_idx (0002) indexes webhook_deliveries (id desc),
-- which the primary key's index already serves (a b-tree is read in either direction): it only
-- cost every stored delivery one more index write.

drop index if exists webhook_deliveries_received_idx;

create or replace function knowlarity_schema_version() returns integer
language sql immutable as $$ select 9 $$;

select knowlarity_lock_down_functions();

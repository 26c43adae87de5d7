/**
 * Retention through every driver on a real database: the leased job deletes exactly the
 * deliveries and sync runs older than their limits as of the injected clock, in batches, and
 * nothing at or after the limit; 0 days keeps everything; an instance without the lease does
 * nothing.
 */
import { SchedulerRegistry } from '@nestjs/schedule';
import { JobTimers } from '../src/common/scheduled-job';
import { DatabaseLease } from '../src/database/database-lease';
import { LeadSyncRepository } from '../src/database/lead-sync.repository';
import {
  RETENTION_BATCH,
  RETENTION_STREAM,
  RetentionScheduler,
} from '../src/retention/retention.scheduler';
import { FixedClock } from './support/app';
import { TestDatabase } from './support/databases';
import { describeOnEveryTarget } from './support/targets';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const DAY_MS = 86_400_000;
const DELIVERY_DAYS = 30;
const SYNC_RUN_DAYS = 90;
const deliveryLimit = new Date(NOW.getTime() - DELIVERY_DAYS * DAY_MS);
const syncRunLimit = new Date(NOW.getTime() - SYNC_RUN_DAYS * DAY_MS);

function scheduler(repository: LeadSyncRepository, deliveryDays: number, syncRunDays: number) {
  const clock = new FixedClock(NOW);
  return new RetentionScheduler(
    repository,
    new DatabaseLease(repository, clock),
    clock,
    new JobTimers(new SchedulerRegistry(), false),
    { deliveryDays, syncRunDays },
  );
}

/** Inserts one delivery per instant; returns their ids in the same order. */
async function insertDeliveries(database: TestDatabase, instants: Date[]): Promise<number[]> {
  const rows = await database.sql<{ id: string }>(
    `insert into webhook_deliveries (method, http_status, received_at, query)
     select 'POST', 200, at, 'caller_id=%2B919800000101'
     from unnest($1::timestamptz[]) with ordinality as i(at, n) order by n
     returning id`,
    [instants.map((at) => at.toISOString())],
  );
  return rows.map((row) => Number(row.id));
}

async function insertSyncRuns(database: TestDatabase, instants: Date[]): Promise<number[]> {
  const rows = await database.sql<{ id: string }>(
    `insert into knowlarity_sync_runs (trigger, window_from, window_to, owner, started_at, status)
     select 'schedule', at, at, 'test', at, 'succeeded'
     from unnest($1::timestamptz[]) with ordinality as i(at, n) order by n
     returning id`,
    [instants.map((at) => at.toISOString())],
  );
  return rows.map((row) => Number(row.id));
}

async function ids(database: TestDatabase, table: string): Promise<number[]> {
  const rows = await database.sql<{ id: string }>(`select id from ${table} order by id`);
  return rows.map((row) => Number(row.id));
}

describeOnEveryTarget(
  'retention',
  (db) => {
    it('deletes exactly the rows past each limit, in batches, and nothing newer', async () => {
      // More old deliveries than two batches hold, the oldest first and last out of order.
      const oldCount = 2 * RETENTION_BATCH + 3;
      const oldInstants = Array.from(
        { length: oldCount },
        (_, i) => new Date(deliveryLimit.getTime() - 1 - ((i * 7919) % oldCount) * 60_000),
      );
      const kept = [deliveryLimit, new Date(deliveryLimit.getTime() + 1), NOW];
      const oldIds = await insertDeliveries(db.database, oldInstants);
      const keptIds = await insertDeliveries(db.database, kept);
      // A recent replay of an old delivery stays, and loses only its link.
      const [replayId] = await insertDeliveries(db.database, [NOW]);
      await db.database.sql('update webhook_deliveries set replay_of = $1 where id = $2', [
        oldIds[0],
        replayId,
      ]);
      const oldRunIds = await insertSyncRuns(db.database, [
        new Date(syncRunLimit.getTime() - DAY_MS),
        new Date(syncRunLimit.getTime() - 1),
      ]);
      const keptRunIds = await insertSyncRuns(db.database, [
        syncRunLimit,
        new Date(syncRunLimit.getTime() + 1),
        // Past the delivery limit but not the sync-run one.
        new Date(deliveryLimit.getTime() - DAY_MS),
      ]);

      const result = await scheduler(db.repository, DELIVERY_DAYS, SYNC_RUN_DAYS).tick();

      expect(result).toEqual({ deliveries: oldIds.length, syncRuns: oldRunIds.length });
      expect(await ids(db.database, 'webhook_deliveries')).toEqual([...keptIds, replayId]);
      expect(await ids(db.database, 'knowlarity_sync_runs')).toEqual(keptRunIds);
      const [replay] = await db.database.sql(
        'select replay_of from webhook_deliveries where id = $1',
        [replayId],
      );
      expect(replay).toEqual({ replay_of: null });
      // Nothing left to do: a second pass deletes nothing.
      expect(await scheduler(db.repository, DELIVERY_DAYS, SYNC_RUN_DAYS).tick()).toEqual({
        deliveries: 0,
        syncRuns: 0,
      });
    });

    it('keeps everything at 0 days', async () => {
      const deliveryIds = await insertDeliveries(db.database, [new Date('2020-01-01T00:00:00Z')]);
      const runIds = await insertSyncRuns(db.database, [new Date('2020-01-01T00:00:00Z')]);

      const result = await scheduler(db.repository, 0, 0).tick();

      expect(result).toEqual({ deliveries: 0, syncRuns: 0 });
      expect(await ids(db.database, 'webhook_deliveries')).toEqual(deliveryIds);
      expect(await ids(db.database, 'knowlarity_sync_runs')).toEqual(runIds);
    });

    it('does nothing while another instance holds the lease', async () => {
      const deliveryIds = await insertDeliveries(db.database, [new Date('2020-01-01T00:00:00Z')]);
      await db.repository.acquireLease(RETENTION_STREAM, 'another-instance', 60);

      const result = await scheduler(db.repository, DELIVERY_DAYS, SYNC_RUN_DAYS).tick();

      expect(result).toBeNull();
      expect(await ids(db.database, 'webhook_deliveries')).toEqual(deliveryIds);
    });
  },
  { freshFor: 'test' },
);

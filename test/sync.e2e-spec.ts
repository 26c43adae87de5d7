/**
 * The call-log safety net against the Knowlarity simulator, on PGlite and the PostgreSQL server:
 * lost, duplicated and reordered webhooks repaired by one poll with exactly the rows the CRM
 * rules imply; failures that never move the watermark; the lease; resumable back-fills; and
 * reconciliation.
 */
import { expect } from '@jest/globals';
import { PostgresRepository } from '../src/database/drivers/postgres.repository';
import type { BackfillSummary } from '../src/sync/call-log-backfill';
import type { ReconcileReport } from '../src/sync/call-log-reconciler';
import type { SyncServiceStatus } from '../src/sync/call-log-sync.service';
import type { RunSummary } from '../src/sync/call-log-window-sync';
import { CallLogPollScheduler } from '../src/sync/call-log-poll.scheduler';
import { generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { deliverAsWebhooks } from '../tools/simulator/webhook-sender';
import { FixedClock, RunningApp, startApp } from './support/app';
import { expectedCrmRows } from './support/crm-rules';
import { sourceLeadCounts, TestDatabase } from './support/databases';
import { readJson } from './support/http';
import { describeOnEveryTarget } from './support/targets';

const API_KEY = 'internal-key-for-sync-tests-0001';
const DAY_START = new Date('2026-11-19T18:30:00Z'); // 2026-11-20 00:00 IST
const DAY_END = new Date('2026-11-20T18:30:00Z'); // 2026-11-21 00:00 IST
const META_SR = '+919600000302';

const sourceOf = (sr: string) => (sr === META_SR ? 'Meta' : 'Knowlarity');

async function actualRows(database: TestDatabase) {
  const [row] = await database.sql<Record<string, string>>(`select
    (select count(*) from knowlarity_calls) as calls,
    (select count(distinct call_id) from knowlarity_calls) as distinct_calls,
    (select count(*) from leads_master) as leads,
    (select count(*) from lead_sources_history) as history`);
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)]));
}

describeOnEveryTarget(
  'call-log sync',
  (db, target) => {
    let simulator: KnowlaritySimulator;
    let running: RunningApp;
    let clock: FixedClock;

    async function boot(env: Record<string, string> = {}) {
      clock = new FixedClock(DAY_END);
      running = await startApp({
        repository: db.repository,
        clock,
        env: {
          INTERNAL_API_KEYS: API_KEY,
          KNOWLARITY_API_KEY: simulator.apiKey,
          KNOWLARITY_SR_API_KEY: simulator.srApiKey,
          KNOWLARITY_BASE_URL: simulator.baseUrl,
          KNOWLARITY_POLL_ENABLED: 'false',
          KNOWLARITY_POLL_START: '2026-11-20 00:00:00+05:30',
          KNOWLARITY_NUMBER_SOURCES: `${META_SR}=Meta`,
          KNOWLARITY_MAX_RETRIES: '2',
          KNOWLARITY_TIMEOUT_MS: '2000',
          ...env,
        },
      });
    }

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${running.url}${path}`, {
        ...init,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...init.headers },
      });

    beforeEach(async () => {
      simulator = new KnowlaritySimulator({ maxPageSize: 100 });
      await simulator.start();
    });
    afterEach(async () => {
      await running?.close();
      await simulator.stop();
    });

    it('after dropped, duplicated and reordered webhooks, one poll leaves exactly the rows the rules imply', async () => {
      const records = generateCalls({
        count: 300,
        seed: 7,
        from: DAY_START,
        to: DAY_END,
        phonePoolSize: 120,
      });
      simulator.setCalls(records);
      simulator.duplicateAcrossPages = true;
      await boot();

      const sent = await deliverAsWebhooks(records, {
        url: `${running.url}/webhooks/knowlarity`,
        dropFraction: 0.3,
        duplicateFraction: 0.2,
        shuffle: true,
        seed: 3,
      });
      const poll = await readJson<RunSummary>(
        await api('/sync/knowlarity/run', { method: 'POST' }),
      );

      expect(sent.dropped).toHaveLength(90);
      expect(sent.responses.every((r) => r.status === 200)).toBe(true);
      expect(poll).toMatchObject({ status: 'succeeded', records: expect.any(Number) });
      expect(poll.outcomes.duplicate_call).toBe(210);
      const expected = expectedCrmRows(records, sourceOf);
      expect(await actualRows(db.database)).toEqual({
        calls: expected.calls,
        distinct_calls: expected.calls,
        leads: expected.leads,
        history: expected.history,
      });
      const counts = await sourceLeadCounts(db.database, 'Asia/Kolkata', DAY_END);
      const byName = await db.database.sql<{ id: number; display_name: string }>(
        'select id, display_name from sources',
      );
      const totals = Object.fromEntries(
        byName.map((s) => [
          s.display_name,
          counts.find((c) => c.sourceId === Number(s.id))!.totalLeads,
        ]),
      );
      expect(totals).toEqual(expected.perSource);
      const paths = await db.database.sql(
        "select count(*)::int as n from knowlarity_calls where first_arrival_path = 'poll'",
      );
      expect(paths[0].n).toBe(90);
    });

    it('does not advance the watermark past 500s mid-window, and the next run completes it', async () => {
      simulator.setCalls(generateCalls({ count: 250, seed: 2, from: DAY_START, to: DAY_END }));
      await boot();
      simulator.delayNext(1, 0).failNext(3, 500);

      const failed = await api('/sync/knowlarity/run', { method: 'POST' });
      const failedBody = await readJson<RunSummary>(failed);
      const statusAfterFailure = await readJson<SyncServiceStatus>(await api('/sync/knowlarity'));
      const partial = await actualRows(db.database);
      const completed = await readJson<RunSummary>(
        await api('/sync/knowlarity/run', { method: 'POST' }),
      );
      const statusAfterSuccess = await readJson<SyncServiceStatus>(await api('/sync/knowlarity'));

      expect(failed.status).toBe(502);
      expect(failedBody).toMatchObject({ status: 'failed', pages: 1, watermarkAdvanced: false });
      expect(failedBody.error).toMatch(/knowlarity_unavailable/);
      expect(statusAfterFailure.watermark).toBeNull();
      expect(statusAfterFailure.lastFailure).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/500/),
      });
      expect(partial.calls).toBe(100);
      expect(completed).toMatchObject({
        status: 'succeeded',
        windowFrom: DAY_START.toISOString(),
        watermarkAdvanced: true,
      });
      expect(statusAfterSuccess).toMatchObject({ watermark: expect.any(String), lagSeconds: 0 });
      expect(new Date(statusAfterSuccess.watermark as string).toISOString()).toBe(
        DAY_END.toISOString(),
      );
      expect((await actualRows(db.database)).calls).toBe(250);
    });

    it('honours Retry-After on a 429, and overlaps the next window by the configured seconds', async () => {
      simulator.setCalls(generateCalls({ count: 20, seed: 4, from: DAY_START, to: DAY_END }));
      await boot({ KNOWLARITY_POLL_OVERLAP_SECONDS: '600' });
      simulator.failWith429(1, 1);

      const first = await readJson<RunSummary>(
        await api('/sync/knowlarity/run', { method: 'POST' }),
      );
      clock.current = new Date(DAY_END.getTime() + 60_000);
      const second = await readJson<RunSummary>(
        await api('/sync/knowlarity/run', { method: 'POST' }),
      );

      const [limited, retried] = simulator.callLogRequests;
      expect(limited.status).toBe(429);
      expect(retried.receivedAt.getTime() - limited.receivedAt.getTime()).toBeGreaterThanOrEqual(
        950,
      );
      expect(first.status).toBe('succeeded');
      expect(second.windowFrom).toBe(new Date(DAY_END.getTime() - 600_000).toISOString());
    });

    it('stops at once on bad credentials and shows it in the status', async () => {
      simulator.setCalls(generateCalls({ count: 5, seed: 5, from: DAY_START, to: DAY_END }));
      await boot({ KNOWLARITY_SR_API_KEY: '00000000-0000-4000-8000-000000000000' });

      const run = await api('/sync/knowlarity/run', { method: 'POST' });
      const status = await readJson<SyncServiceStatus>(await api('/sync/knowlarity'));

      expect(run.status).toBe(502);
      expect(simulator.callLogRequests).toHaveLength(1);
      expect(status.lastFailure!.error).toMatch(/knowlarity_credentials/);
      expect(status.watermark).toBeNull();
    });

    it('resumes a back-fill that died mid-way without redoing finished chunks', async () => {
      simulator.setCalls(generateCalls({ count: 120, seed: 6, from: DAY_START, to: DAY_END }));
      await boot({ KNOWLARITY_BACKFILL_CHUNK_MINUTES: '360', KNOWLARITY_MAX_RETRIES: '0' });
      const body = JSON.stringify({ from: '2026-11-20', to: '2026-11-20' });
      // Chunks are 6 h: the third chunk's request fails.
      simulator.delayNext(2, 0).failNext(1, 503);

      const died = await api('/sync/knowlarity/backfill', { method: 'POST', body });
      const diedBody = await readJson<BackfillSummary>(died);
      simulator.clearRequests();
      const resumed = await readJson<BackfillSummary>(
        await api('/sync/knowlarity/backfill', { method: 'POST', body }),
      );

      expect(died.status).toBe(502);
      expect(diedBody).toMatchObject({ status: 'failed', chunksDone: 2, chunksTotal: 4 });
      expect(resumed).toMatchObject({
        status: 'succeeded',
        chunksDone: 2,
        chunksTotal: 2,
        resumedFrom: new Date(DAY_START.getTime() + 12 * 3600_000).toISOString(),
      });
      const starts = simulator.callLogRequests.map((r) => r.query.start_time);
      expect(starts[0]).toBe('2026-11-20 12:00:00+05:30');
      expect((await actualRows(db.database)).calls).toBe(120);
    });

    it('reconciles: names exactly the missing calls while polling is off, nothing after a poll', async () => {
      const records = generateCalls({ count: 80, seed: 8, from: DAY_START, to: DAY_END });
      simulator.setCalls(records);
      await boot();
      const sent = await deliverAsWebhooks(records, {
        url: `${running.url}/webhooks/knowlarity`,
        dropFraction: 0.25,
        seed: 9,
      });

      const before = await readJson<ReconcileReport>(
        await api('/sync/knowlarity/reconcile?from=2026-11-20&to=2026-11-20'),
      );
      await api('/sync/knowlarity/run', { method: 'POST' });
      const after = await readJson<ReconcileReport>(
        await api('/sync/knowlarity/reconcile?from=2026-11-20&to=2026-11-20'),
      );

      expect(before.missingLocally).toEqual([...sent.dropped].sort());
      expect(before).toMatchObject({ inCallLog: 80, stored: 60, absentFromCallLog: [] });
      expect(after).toMatchObject({
        inCallLog: 80,
        stored: 80,
        missingLocally: [],
        absentFromCallLog: [],
      });
    });

    it('reports what a dry-run back-fill would create, and keeps nothing', async () => {
      simulator.setCalls(generateCalls({ count: 40, seed: 10, from: DAY_START, to: DAY_END }));
      await boot();

      const dry = await readJson<BackfillSummary>(
        await api('/sync/knowlarity/backfill', {
          method: 'POST',
          body: JSON.stringify({ from: '2026-11-20', to: '2026-11-20', dryRun: true }),
        }),
      );

      expect(dry).toMatchObject({ status: 'succeeded', dryRun: true, records: 40 });
      expect(dry.outcomes.lead_created).toBeGreaterThan(0);
      expect(await actualRows(db.database)).toEqual({
        calls: 0,
        distinct_calls: 0,
        leads: 0,
        history: 0,
      });
    });

    if (target.server) {
      it('two app instances on one PostgreSQL: exactly one poll executes per tick', async () => {
        simulator.setCalls(generateCalls({ count: 30, seed: 11, from: DAY_START, to: DAY_END }));
        await boot();
        const second = await startApp({
          repository: PostgresRepository.connect(db.database.url!, 5),
          clock,
          env: {
            KNOWLARITY_API_KEY: simulator.apiKey,
            KNOWLARITY_SR_API_KEY: simulator.srApiKey,
            KNOWLARITY_BASE_URL: simulator.baseUrl,
            KNOWLARITY_POLL_ENABLED: 'false',
          },
        });
        try {
          simulator.delayNext(1, 300);
          const ticks = await Promise.all([
            running.app.get(CallLogPollScheduler).tick(),
            second.app.get(CallLogPollScheduler).tick(),
          ]);

          expect(ticks.filter(Boolean)).toHaveLength(1);
          const runs = await db.database.sql('select count(*)::int as n from knowlarity_sync_runs');
          expect(runs[0].n).toBe(1);
        } finally {
          await second.close();
        }
      });
    }
  },
  { freshFor: 'test', only: ['pglite', 'postgres'] },
);

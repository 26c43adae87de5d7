/**
 * The daily completeness check against the simulator on PGlite: nothing before the configured
 * hour; after it, the previous business day is compared with the call log once, the gap is
 * exported as knowlarity_reconcile_missing_calls and shown in GET /sync/knowlarity.
 */
import { DailyReconcileScheduler } from '../src/sync/daily-reconcile.scheduler';
import { generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { deliverAsWebhooks } from '../tools/simulator/webhook-sender';
import { FixedClock, RunningApp, startApp } from './support/app';
import { readJson } from './support/http';
import { describeOnEveryTarget } from './support/targets';

/** The part of GET /sync/knowlarity these tests read. */
interface DailyStatus {
  dailyReconcile: { enabled: boolean; hour: number; lastRun: Record<string, unknown> | null };
}

const API_KEY = 'internal-key-for-reconcile-test-1';
const DAY_START = new Date('2026-11-19T18:30:00Z'); // 2026-11-20 00:00 IST
const DAY_END = new Date('2026-11-20T18:30:00Z'); // 2026-11-21 00:00 IST

describeOnEveryTarget(
  'daily reconcile',
  (db) => {
    let simulator: KnowlaritySimulator;
    let running: RunningApp;

    beforeEach(async () => {
      simulator = new KnowlaritySimulator({ maxPageSize: 100 });
      await simulator.start();
    });
    afterEach(async () => {
      await running?.close();
      await simulator.stop();
    });

    it('after the hour, reconciles yesterday once and exports the calls missing here', async () => {
      const records = generateCalls({ count: 40, seed: 11, from: DAY_START, to: DAY_END });
      simulator.setCalls(records);
      // 05:59 IST on the next day: one minute before KNOWLARITY_RECONCILE_HOUR=6.
      const clock = new FixedClock(new Date(DAY_END.getTime() + (5 * 60 + 59) * 60_000));
      running = await startApp({
        repository: db.repository,
        clock,
        env: {
          INTERNAL_API_KEYS: API_KEY,
          KNOWLARITY_API_KEY: simulator.apiKey,
          KNOWLARITY_SR_API_KEY: simulator.srApiKey,
          KNOWLARITY_BASE_URL: simulator.baseUrl,
          KNOWLARITY_POLL_ENABLED: 'false',
          KNOWLARITY_RECONCILE_HOUR: '6',
        },
      });
      const sent = await deliverAsWebhooks(records, {
        url: `${running.url}/webhooks/knowlarity`,
        dropFraction: 0.25,
        seed: 4,
      });
      const scheduler = running.app.get(DailyReconcileScheduler);
      const get = async (path: string) =>
        fetch(`${running.url}${path}`, { headers: { 'x-api-key': API_KEY } });

      const beforeHour = await scheduler.tick();
      const statusBefore = await readJson<DailyStatus>(await get('/sync/knowlarity'));
      clock.current = new Date(DAY_END.getTime() + 6.5 * 3600_000);
      const afterHour = await scheduler.tick();
      const again = await scheduler.tick();
      const status = await readJson<DailyStatus>(await get('/sync/knowlarity'));
      const metrics = await (await get('/metrics')).text();

      const missing = [...sent.dropped].sort();
      expect(missing).toHaveLength(10);
      expect([beforeHour, afterHour, again]).toEqual([false, true, false]);
      expect(statusBefore.dailyReconcile).toEqual({ enabled: true, hour: 6, lastRun: null });
      expect(status.dailyReconcile.lastRun).toMatchObject({
        day: '2026-11-20',
        status: 'succeeded',
        inCallLog: 40,
        stored: 30,
        missingCalls: 10,
        missingCallIds: missing,
        error: null,
      });
      expect(metrics).toMatch(/^knowlarity_reconcile_missing_calls 10$/m);
    }, 60_000);
  },
  { freshFor: 'test', only: ['pglite'] },
);

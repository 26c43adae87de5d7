/**
 * Operability over real HTTP: metrics that move with deliveries and polls, and readiness that
 * follows the database (server). Logs: logs.e2e-spec.ts.
 */
import { Client } from 'pg';
import { generateCalls } from '../tools/simulator/call-generator';
import { KnowlaritySimulator } from '../tools/simulator/simulator-server';
import { RunningApp, startApp } from './support/app';
import { freshPhone } from './support/calls';
import { expectedCrmRows } from './support/crm-rules';
import {
  createPgliteDatabase,
  createServerDatabase,
  describeWithServer,
  serverUrl,
} from './support/databases';
import { ErrorBody, readJson } from './support/http';

const API_KEY = 'internal-key-operability-0001';
const METRICS_TOKEN = 'metrics-token-operability-0001';

/** A failing readiness check's body: each failed indicator under `error` with its status. */
interface HealthBody {
  error: Record<string, { status: string }>;
}

/** The value of one sample line of a Prometheus text page, or undefined. */
function sample(
  page: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = page
    .split('\n')
    .find((l) =>
      l.startsWith(`${name}{`) || l.startsWith(`${name} `)
        ? wanted.every((w) => l.includes(w))
        : false,
    );
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** The sum of every sample of one metric, across all its labels (0 when absent). */
function total(page: string, name: string): number {
  return page
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('metrics', () => {
  let running: RunningApp;
  let simulator: KnowlaritySimulator;
  const polledCalls = generateCalls({ count: 10, seed: 21 });

  beforeAll(async () => {
    simulator = new KnowlaritySimulator();
    await simulator.start();
    simulator.setCalls(polledCalls);
    const { repository } = await createPgliteDatabase();
    running = await startApp({
      repository,
      env: {
        INTERNAL_API_KEYS: API_KEY,
        METRICS_TOKEN,
        KNOWLARITY_API_KEY: simulator.apiKey,
        KNOWLARITY_SR_API_KEY: simulator.srApiKey,
        KNOWLARITY_BASE_URL: simulator.baseUrl,
        KNOWLARITY_POLL_ENABLED: 'false',
        KNOWLARITY_POLL_START: '2026-11-20 00:00:00+05:30',
      },
    });
  });
  afterAll(async () => {
    await running?.close();
    await simulator?.stop();
  });

  const scrape = async (key = METRICS_TOKEN) =>
    (await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  const deliver = (body: unknown) =>
    fetch(`${running.url}/webhooks/knowlarity`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('needs METRICS_TOKEN or an internal API key', async () => {
    const none = await fetch(`${running.url}/metrics`);
    const withApiKey = await fetch(`${running.url}/metrics`, { headers: { 'x-api-key': API_KEY } });

    expect([none.status, (await readJson<ErrorBody>(none)).code]).toEqual([401, 'unauthorized']);
    expect(withApiKey.status).toBe(200);
    expect(withApiKey.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('moves with deliveries and polls', async () => {
    const before = await scrape();
    const phone = freshPhone();

    await deliver({ caller_id: phone, callid: `m-${phone}` });
    await deliver({ caller_id: phone, callid: `m-${phone}` });
    await deliver({ test: 'ping' });
    const run = await fetch(`${running.url}/sync/knowlarity/run`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY },
    });
    const { windowTo } = await readJson<{ windowTo: string }>(run);
    const scrapedFrom = Date.now();
    const after = await scrape();
    const scrapedTo = Date.now();

    const delta = (name: string, labels: Record<string, string> = {}) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(
      delta('knowlarity_webhook_deliveries_total', { status: '200', outcome: 'lead_created' }),
    ).toBe(1);
    expect(
      delta('knowlarity_webhook_deliveries_total', { status: '200', outcome: 'duplicate_call' }),
    ).toBe(1);
    expect(
      delta('knowlarity_webhook_deliveries_total', { status: '422', outcome: 'no_customer_phone' }),
    ).toBe(1);
    expect(
      delta('knowlarity_calls_total', { arrival_path: 'webhook', outcome: 'lead_created' }),
    ).toBe(1);
    expect(delta('knowlarity_ingest_duration_seconds_count', { arrival_path: 'webhook' })).toBe(2);
    expect(delta('knowlarity_poll_runs_total', { trigger: 'manual', result: 'succeeded' })).toBe(1);
    const polled = ['lead_created', 'same_source_duplicate', 'call_linked', 'call_unmatched']
      .map((outcome) => delta('knowlarity_calls_total', { arrival_path: 'poll', outcome }))
      .reduce((a, b) => a + b, 0);
    expect(polled).toBe(10);
    // New leads: the webhook's one, and one per phone of the polled calls with an inbound call.
    const newPhones = expectedCrmRows(polledCalls, () => 'Knowlarity').leads;
    expect(delta('knowlarity_calls_total', { arrival_path: 'poll', outcome: 'lead_created' })).toBe(
      newPhones,
    );
    expect(total(after, 'knowlarity_leads_created_total')).toBe(
      total(before, 'knowlarity_leads_created_total') + 1 + newPhones,
    );
    // The poll read up to windowTo; the lag is the time from then to the scrape.
    const watermark = Date.parse(windowTo);
    expect(run.status).toBe(200);
    expect(sample(after, 'knowlarity_poll_lag_seconds')).toBeGreaterThanOrEqual(
      (scrapedFrom - watermark) / 1000,
    );
    expect(sample(after, 'knowlarity_poll_lag_seconds')).toBeLessThanOrEqual(
      (scrapedTo - watermark) / 1000,
    );
    expect(sample(after, 'knowlarity_poll_last_success_timestamp_seconds')).toBeGreaterThanOrEqual(
      Math.floor(watermark / 1000),
    );
    expect(sample(after, 'knowlarity_poll_last_success_timestamp_seconds')).toBeLessThanOrEqual(
      scrapedTo / 1000,
    );
    expect(sample(after, 'knowlarity_process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('health', () => {
  it('is live and ready on a migrated database, without an API key', async () => {
    const { repository } = await createPgliteDatabase();
    const running = await startApp({ repository, env: { INTERNAL_API_KEYS: API_KEY } });
    try {
      const live = await fetch(`${running.url}/health/live`);
      const ready = await fetch(`${running.url}/health/ready`);

      expect([live.status, await readJson(live)]).toEqual([200, { status: 'ok' }]);
      expect(ready.status).toBe(200);
      expect(await readJson(ready)).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, poller: { status: 'up', enabled: false } },
      });
    } finally {
      await running.close();
    }
  });
});

describeWithServer('readiness follows the database (server)', () => {
  it('turns 503 when the connections are cut and refused, and 200 again when they return', async () => {
    const { database, repository } = await createServerDatabase();
    const running = await startApp({ repository, env: { INTERNAL_API_KEYS: API_KEY } });
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    const name = new URL(database.url!).pathname.slice(1);
    const ready = () => fetch(`${running.url}/health/ready`);
    const deliver = () =>
      fetch(`${running.url}/webhooks/knowlarity`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ caller_id: freshPhone(), callid: `outage-${Date.now()}` }),
      });
    try {
      const before = await ready();
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1',
        [name],
      );

      const during = await ready();
      const deliveryDuring = await deliver();
      await admin.query(`alter database ${name} allow_connections true`);
      const after = await ready();
      const deliveryAfter = await deliver();

      expect(before.status).toBe(200);
      expect(during.status).toBe(503);
      expect((await readJson<HealthBody>(during)).error.database.status).toBe('down');
      expect([deliveryDuring.status, (await readJson<ErrorBody>(deliveryDuring)).code]).toEqual([
        503,
        'storage_unavailable',
      ]);
      expect(after.status).toBe(200);
      expect(deliveryAfter.status).toBe(200);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`).catch(() => undefined);
      await admin.end();
      await running.close();
      await database.close();
    }
  });
});
